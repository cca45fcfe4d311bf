#include "src/cli/options.h"

#include <gtest/gtest.h>

namespace {

TEST(ParseHz, SuffixesAsXenalyzeTakesThem) {
  double hz = 0;
  std::string err;
  ASSERT_TRUE(vt::parse_hz("2.445406G", &hz, &err));
  EXPECT_DOUBLE_EQ(hz, 2.445406e9);
  ASSERT_TRUE(vt::parse_hz("2445.406M", &hz, &err));
  EXPECT_DOUBLE_EQ(hz, 2.445406e9);
  ASSERT_TRUE(vt::parse_hz("2445406k", &hz, &err));
  EXPECT_DOUBLE_EQ(hz, 2.445406e9);
  ASSERT_TRUE(vt::parse_hz("2400000000", &hz, &err));
  EXPECT_DOUBLE_EQ(hz, 2.4e9);
}

TEST(ParseHz, RejectsNonsenseNamingTheFlag) {
  double hz = 0;
  std::string err;
  for (const char* bad : {"", "abc", "2.4X", "G", "2.4GG", "nan", "inf", "-2G", "0", "1e300"}) {
    EXPECT_FALSE(vt::parse_hz(bad, &hz, &err)) << bad;
    EXPECT_NE(err.find("--cpu-hz"), std::string::npos) << err;
  }
}

TEST(ParseCpuList, RangesAndLists) {
  std::vector<uint32_t> c;
  std::string err;
  ASSERT_TRUE(vt::parse_cpu_list("0-3", &c, &err));
  EXPECT_EQ(c, (std::vector<uint32_t>{0, 1, 2, 3}));
  ASSERT_TRUE(vt::parse_cpu_list("5,0,2-3,3", &c, &err));
  EXPECT_EQ(c, (std::vector<uint32_t>{0, 2, 3, 5}));
  for (const char* bad : {"", "a", "3-1", "1,,2", "-1", "0-", "4096", "1-2-3", "99999999999"}) {
    EXPECT_FALSE(vt::parse_cpu_list(bad, &c, &err)) << bad;
    EXPECT_NE(err.find("--cpus"), std::string::npos) << err;
  }
}

}  // namespace
