#include "src/util/parse.h"

#include <gtest/gtest.h>

namespace {

TEST(ParseHz, SuffixesAsXenalyzeTakesThem) {
  double hz = 0;
  ASSERT_TRUE(vt::parse_hz("2.445406G", &hz).ok());
  EXPECT_DOUBLE_EQ(hz, 2.445406e9);
  ASSERT_TRUE(vt::parse_hz("2445.406M", &hz).ok());
  EXPECT_DOUBLE_EQ(hz, 2.445406e9);
  ASSERT_TRUE(vt::parse_hz("2445406k", &hz).ok());
  EXPECT_DOUBLE_EQ(hz, 2.445406e9);
  ASSERT_TRUE(vt::parse_hz("2400000000", &hz).ok());
  EXPECT_DOUBLE_EQ(hz, 2.4e9);
}

// A bad value is an invalid argument naming the value; the flag is the
// caller's to name (the same parser reads data-set columns).
TEST(ParseHz, RejectsNonsenseNamingTheValue) {
  double hz = 0;
  for (const char* bad : {"", "abc", "2.4X", "G", "2.4GG", "nan", "inf", "-2G", "0", "1e300"}) {
    const vt::Status st = vt::parse_hz(bad, &hz);
    EXPECT_EQ(st.code(), vt::Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find(bad), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find("--"), std::string::npos) << st.message();
  }
  EXPECT_EQ(vt::parse_hz("2.4X", &hz).with_context("--cpu-hz").message(),
            "--cpu-hz: '2.4X' is not a frequency (Hz, or a number with K, M or G)");
}

TEST(ParseCpuList, RangesAndLists) {
  std::vector<uint32_t> c;
  ASSERT_TRUE(vt::parse_cpu_list("0-3", &c).ok());
  EXPECT_EQ(c, (std::vector<uint32_t>{0, 1, 2, 3}));
  ASSERT_TRUE(vt::parse_cpu_list("5,0,2-3,3", &c).ok());
  EXPECT_EQ(c, (std::vector<uint32_t>{0, 2, 3, 5}));
  EXPECT_EQ(vt::cpu_list_string(c), "0,2-3,5");
  EXPECT_EQ(vt::cpu_list_string({0, 1, 2, 3, 7}), "0-3,7");
  for (const char* bad : {"", "a", "3-1", "1,,2", "-1", "0-", "4096", "1-2-3", "99999999999"}) {
    const vt::Status st = vt::parse_cpu_list(bad, &c);
    EXPECT_EQ(st.code(), vt::Status::Code::kInvalidArgument) << bad;
    EXPECT_EQ(st.message().find("--"), std::string::npos) << st.message();
  }
}

TEST(ParseEventMask, NumbersInXensRange) {
  uint32_t m = 0;
  ASSERT_TRUE(vt::parse_event_mask("0x0032f000", &m).ok());
  EXPECT_EQ(m, 0x0032f000u);
  ASSERT_TRUE(vt::parse_event_mask("4096", &m).ok());
  EXPECT_EQ(m, 4096u);
  for (const char* bad : {"", "0", "0x10000000", "zz", "0x12g", "-1"})
    EXPECT_EQ(vt::parse_event_mask(bad, &m).code(), vt::Status::Code::kInvalidArgument) << bad;
}

// The CPUs the test runs on are allowed; no CPU twice.
TEST(AllowedCpus, IncludesTheOneWeRunOn) {
  const std::vector<uint32_t> a = vt::allowed_cpus();
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_TRUE(std::binary_search(a.begin(), a.end(), uint32_t(sched_getcpu())));
}

}  // namespace
