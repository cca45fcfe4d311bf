// Scenario parsing: presets, overrides, and one line per bad key or value
// (kInvalidArgument, naming the key, never the command-line flag).
#include "src/sim/scenario.h"

#include <gtest/gtest.h>
#include <string>

namespace {

using vt::sim::Behaviour;
using vt::sim::Scenario;

TEST(Scenario, PresetsAndOverrides) {
  Scenario sc;
  vt::Status st = vt::sim::parse_scenario("demo", &sc);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(sc.name, "demo");
  EXPECT_EQ(sc.pcpus, 4u);
  ASSERT_EQ(sc.guests.size(), 6u);
  EXPECT_EQ(sc.guests[4].fault_at_s, 20);
  EXPECT_EQ(sc.guests[5].fault, Behaviour::kHangIrqsOn);

  st = vt::sim::parse_scenario("overload,pcpus=3,seed=9,churn=5", &sc);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(sc.pcpus, 3u);
  EXPECT_EQ(sc.seed, 9u);
  EXPECT_EQ(sc.guests.size(), 8u + 5u);
  EXPECT_EQ(sc.guests.back().domid, 9u);  // churn: four ids after the 8 guests, reused (the 5th takes 9)
}

TEST(Scenario, BadTextSaysWhatAndNotWhichFlag) {
  const struct {
    const char* spec;
    const char* says;
  } cases[] = {
      {"demo,oops", "'oops' is not key=value"},
      {"nosuch", "unknown preset 'nosuch'"},
      {"pcpus=0", "pcpus=0: expected 1..512"},
      {"speed=-1", "speed=-1: expected 0"},
      {"credit2=2", "credit2=2: expected 0 or 1"},
      {"hang=1", "hang=1: expected N@SECONDS"},
      {"colour=red", "unknown key 'colour'"},
      {"guests=2,mix=idle:0", "mix=idle:0: no positive weight"},
      {"guests=2,mix=idle+nap:2", "mix=idle+nap:2: 'nap:2' is not behaviour[:weight]"},
      {"guests=1,hang=2@5", "more faults than guests"},
  };
  for (const auto& c : cases) {
    Scenario sc;
    sc.name = "untouched";
    const vt::Status st = vt::sim::parse_scenario(c.spec, &sc);
    EXPECT_FALSE(st.ok()) << c.spec;
    EXPECT_EQ(st.code(), vt::Status::Code::kInvalidArgument) << c.spec;
    EXPECT_NE(st.message().find(c.says), std::string::npos) << c.spec << ": " << st.message();
    EXPECT_EQ(st.message().find("--"), std::string::npos) << c.spec << ": " << st.message();
    EXPECT_EQ(st.message().find('\n'), std::string::npos) << c.spec;
    EXPECT_EQ(sc.name, "untouched") << c.spec;  // *out only on success
  }
}

}  // namespace
