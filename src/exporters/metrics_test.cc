#include "src/exporters/metrics.h"

#include <gtest/gtest.h>
#include <string>

namespace {

vt::DomainSample sample(uint64_t index, uint16_t domid, uint32_t gen, uint64_t run, uint64_t rbl,
                        uint64_t blk, uint64_t hc, uint64_t vmcall = 0) {
  vt::DomainSample s;
  s.index = index;
  s.domid = domid;
  s.generation = gen;
  s.d.cycles[vt::kRunning] = run;
  s.d.cycles[vt::kRunnable] = rbl;
  s.d.cycles[vt::kBlocked] = blk;
  s.d.n[vt::kHypercalls] = hc;
  s.d.n[vt::kExitsVmcall] = vmcall;
  return s;
}

// Totals are the sums of the periods' figures; a domain that leaves a period
// is gone, one back with a new generation starts again.
TEST(DomainAccounts, SumsPeriodsAndForgetsDestroyedDomains) {
  vt::DomainAccounts acc;
  acc.add({sample(0, 0, 0, 10, 1, 5, 7), sample(0, 3, 0, 100, 2, 0, 1), sample(0, 9, 0, 1, 1, 1, 1)});
  acc.add({sample(1, 0, 0, 20, 2, 6, 8), sample(1, 3, 0, 300, 4, 0, 2, 40)});  // 9 destroyed
  std::vector<vt::DomainMetrics> m;
  acc.fill(&m);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(acc.size(), 2u);
  EXPECT_EQ(m[0].domid, 0);
  EXPECT_EQ(m[0].cycles[0], 30u);
  EXPECT_EQ(m[0].cycles[1], 3u);
  EXPECT_EQ(m[0].cycles[2], 11u);
  EXPECT_EQ(m[0].hypercalls, 15u);
  EXPECT_EQ(m[1].domid, 3);
  EXPECT_EQ(m[1].cycles[0], 400u);
  EXPECT_EQ(m[1].hypercalls, 43u);  // PV hypercalls and VMCALL exits
  // Domain 3 destroyed and its id reused: generation 1 starts from its first period.
  acc.add({sample(2, 0, 0, 1, 0, 0, 0), sample(2, 3, 1, 5, 0, 0, 0)});
  acc.fill(&m);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].generation, 1u);
  EXPECT_EQ(m[1].cycles[0], 5u);
  EXPECT_EQ(m[1].hypercalls, 0u);
  // Domain 9 back after a gap: a new account, not the old one's totals.
  acc.add({sample(3, 9, 0, 2, 0, 0, 0)});
  acc.fill(&m);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].domid, 9);
  EXPECT_EQ(m[0].cycles[0], 2u);
}

// The line a series must be, in the text format's own spelling.
bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(RenderMetrics, DomainSeriesInSecondsWithTheirLabels) {
  vt::MetricsSnapshot s;
  s.hz = 2.4e9;
  s.detecting = true;
  vt::DomainMetrics d;
  d.domid = 5;
  d.cycles[0] = 3'600'000'000;  // 1.5 s at 2.4 GHz
  d.cycles[1] = 240'000'000;    // 0.1 s
  d.cycles[2] = 0;
  d.hypercalls = 12345;
  d.faulty = true;
  d.scored = true;
  d.score = 0.08;
  s.domains.push_back(d);
  vt::DomainMetrics e;
  e.domid = 7;
  e.name = "web \"1\"\\a\nb";  // escaped as the format says: \" \\ \n
  e.uuid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  e.state = vt::DomainState::kCrashed;
  s.domains.push_back(e);  // not scored yet: no score series
  std::string t;
  vt::render_metrics(s, &t);
  EXPECT_TRUE(has_line(t, "vtrace_domain_faulty{domid=\"5\",name=\"\",uuid=\"\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "vtrace_domain_score{domid=\"5\",name=\"\",uuid=\"\"} 0.08")) << t;
  EXPECT_TRUE(has_line(t, "vtrace_domain_running_seconds_total{domid=\"5\",name=\"\",uuid=\"\"} 1.5")) << t;
  EXPECT_TRUE(has_line(t, "vtrace_domain_runnable_seconds_total{domid=\"5\",name=\"\",uuid=\"\"} 0.1")) << t;
  EXPECT_TRUE(has_line(t, "vtrace_domain_blocked_seconds_total{domid=\"5\",name=\"\",uuid=\"\"} 0")) << t;
  EXPECT_TRUE(has_line(t, "vtrace_domain_hypercalls_total{domid=\"5\",name=\"\",uuid=\"\"} 12345")) << t;
  const std::string labels7 =
      "{domid=\"7\",name=\"web \\\"1\\\"\\\\a\\nb\",uuid=\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\"}";
  EXPECT_TRUE(has_line(t, "vtrace_domain_faulty" + labels7 + " 0")) << t;
  EXPECT_EQ(t.find("vtrace_domain_score" + labels7), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "vtrace_domain_state{domid=\"5\",name=\"\",uuid=\"\",state=\"active\"} 1")) << t;
  EXPECT_TRUE(
      has_line(t, "vtrace_domain_state" + labels7.substr(0, labels7.size() - 1) + ",state=\"crashed\"} 1"))
      << t;
  EXPECT_TRUE(has_line(t, "# TYPE vtrace_domain_running_seconds_total counter")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE vtrace_domain_faulty gauge")) << t;
  EXPECT_TRUE(has_line(t, "vtrace_blind 0")) << t;
  // Without a detector there is no verdict to show.
  s.detecting = false;
  vt::render_metrics(s, &t);
  EXPECT_EQ(t.find("vtrace_domain_faulty"), std::string::npos);
  EXPECT_EQ(t.find("vtrace_domain_score"), std::string::npos);
  EXPECT_NE(t.find("vtrace_domain_hypercalls_total{domid=\"7\""), std::string::npos);
}

// Every counter of the statistics table is a counter of its own, with the
// table's value; the run's own families read the same counters.
TEST(RenderMetrics, EveryStatisticOfTheTable) {
  vt::MetricsSnapshot s;
  for (int i = 0; i < vt::kNumStats; ++i) s.stats.v[i] = 1000 + uint64_t(i);
  s.stats[vt::Stat::consumer_cpu_ns] = 2'500'000'000;
  s.stats[vt::Stat::wall_ns] = 61'500'000'000;
  s.blind = true;
  std::string t;
  vt::render_metrics(s, &t);
  size_t families = 0;
  for (size_t p = 0; (p = t.find("# TYPE vtrace_stat_", p)) != std::string::npos; ++p) ++families;
  EXPECT_EQ(families, size_t(vt::kNumStats));
  for (int i = 0; i < vt::kNumStats; ++i) {
    const vt::StatInfo& info = vt::stat_info(vt::Stat(i));
    if (std::string(info.unit) == "ns") continue;  // below
    const std::string name = std::string("vtrace_stat_") + info.name + "_total";
    EXPECT_TRUE(has_line(t, name + " " + std::to_string(s.stats.v[i]))) << name;
    EXPECT_TRUE(has_line(t, "# TYPE " + name + " counter")) << name;
  }
  // Times in seconds (promtool's linter refuses abbreviated units).
  EXPECT_TRUE(has_line(t, "vtrace_stat_consumer_cpu_seconds_total 2.5")) << t;
  EXPECT_TRUE(has_line(t, "vtrace_stat_wall_seconds_total 61.5")) << t;
  // Spelled out, so that renaming a statistic is a visible change here.
  EXPECT_TRUE(has_line(t, "vtrace_stat_late_total " + std::to_string(s.stats[vt::Stat::late]))) << t;
  EXPECT_TRUE(
      has_line(t, "vtrace_stat_lost_records_total " + std::to_string(s.stats[vt::Stat::lost_records])));
  EXPECT_TRUE(has_line(t, "vtrace_records_total " + std::to_string(s.stats[vt::Stat::records_read]))) << t;
  EXPECT_TRUE(has_line(t, "vtrace_records_lost_total " + std::to_string(s.stats[vt::Stat::lost_records])))
      << t;
  EXPECT_TRUE(has_line(t, "vtrace_consumer_cpu_seconds_total 2.5")) << t;
  EXPECT_TRUE(has_line(t, "vtrace_blind 1")) << t;
  EXPECT_TRUE(
      has_line(t,
               "# HELP vtrace_stat_late_total records came after the merge had passed their time (a CPU's "
               "clock or its records in flight lagged more than the slack); each was counted at the "
               "merge's time (records; severity data_loss)"))
      << t;
  EXPECT_NE(t.find("vtrace_build_info{version=\""), std::string::npos);
}

TEST(RenderMetrics, EscapesLabelValuesAsTheFormatSays) {
  EXPECT_EQ(vt::escape_label_value("plain"), "plain");
  EXPECT_EQ(vt::escape_label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(vt::escape_label_value("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(vt::escape_label_value("two\nlines"), "two\\nlines");
}

}  // namespace
