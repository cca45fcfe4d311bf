// Features: hand-computed per-second values, the window rules (warm-up,
// mean, blindness, gaps, generations), and agreement of the runtime path
// (DomainSample) with the training path (replay CSV) on real Xen traces.
#include "src/detector/features.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

#include "src/exporters/sample_writer.h"
#include "src/pipeline/read_trace.h"
#include "src/training/replay_csv.h"
#include "tests/support/test_data.h"

namespace vt {
namespace {

TEST(Features, NamesAreUniqueAndFound) {
  for (int f = 0; f < kNumFeatures; ++f) {
    EXPECT_EQ(feature_by_name(feature_info(f).name), f);
    for (int g = 0; g < f; ++g) EXPECT_STRNE(feature_info(f).name, feature_info(g).name);
  }
  EXPECT_EQ(feature_by_name("no_such_feature"), -1);
}

TEST(Features, RawValuesByHand) {
  SecondRow r;
  r.span_s = 0.5;  // a half period: everything per second doubles
  r.vcpus = 2;
  r.state_s[kRunning] = 0.6;
  r.state_s[kRunnable] = 0.1;
  r.state_s[kBlocked] = 0.3;
  r.state_s[kLost] = 0.05;
  r.n[kExecCount] = 10;
  r.n[kWakes] = 7;
  r.n[kBlocks] = 6;
  r.n[kYields] = 1;
  r.n[kContinueRunning] = 3;
  r.n[kHypercalls] = 122;
  r.n[kTraps] = 4;
  r.n[kPageFaults] = 9;
  r.n[kSliceNs] = 3000000;
  r.n[kSlices] = 2;
  r.dn[kGrantMap] = 3;
  r.dn[kGrantUnmap] = 4;
  r.dn[kGrantTransfer] = 5;
  r.vx.max_vcpu_running = 0.7;
  r.vx.min_vcpu_blocked = 0.2;
  r.vx.min_vcpu_hc_rate = 42;
  r.vx.min_vcpu_switch_rate = 3.5;
  r.n[kGuestSwitches] = 6;
  double f[kNumFeatures];
  raw_features(r, f);
  EXPECT_DOUBLE_EQ(f[kExecPerS], 20);
  EXPECT_DOUBLE_EQ(f[kRunningFrac], 1.2);
  EXPECT_DOUBLE_EQ(f[kRunnableFrac], 0.2);
  EXPECT_DOUBLE_EQ(f[kBlockedFrac], 0.6);
  EXPECT_DOUBLE_EQ(f[kAllocMsPerExec], 1.5);  // 3 ms / 2 slices
  EXPECT_DOUBLE_EQ(f[kIoPerS], 24);           // 12 grant operations in 0.5 s
  EXPECT_DOUBLE_EQ(f[kMaxVcpuRunning], 0.7);
  EXPECT_DOUBLE_EQ(f[kMinVcpuBlocked], 0.2);
  EXPECT_DOUBLE_EQ(f[kWakesPerS], 14);
  EXPECT_DOUBLE_EQ(f[kBlocksPerS], 12);
  EXPECT_DOUBLE_EQ(f[kYieldsPerS], 2);
  EXPECT_DOUBLE_EQ(f[kContinueRunningPerS], 6);
  EXPECT_DOUBLE_EQ(f[kHypercallsPerS], 244);
  EXPECT_DOUBLE_EQ(f[kTrapsPerS], 8);
  EXPECT_DOUBLE_EQ(f[kPageFaultsPerS], 18);
  EXPECT_DOUBLE_EQ(f[kHypercallsPerCpuS], 200);  // 122 / (0.6 + 0.01)
  EXPECT_DOUBLE_EQ(f[kMinVcpuHcRate], 42);       // as the row says
  EXPECT_DOUBLE_EQ(f[kGuestSwitchesPerS], 12);   // 6 in 0.5 s
  EXPECT_DOUBLE_EQ(f[kMinVcpuSwitchRate], 3.5);
  EXPECT_DOUBLE_EQ(f[kLostFrac], 0.1);
}

TEST(Features, NoSlicesMeansZeroAllocation) {
  SecondRow r;
  r.span_s = 1;
  double f[kNumFeatures];
  raw_features(r, f);
  for (int k = 0; k < kNumFeatures; ++k) EXPECT_EQ(f[k], 0) << feature_info(k).name;
}

SecondRow row_at(uint64_t t, uint64_t execs) {
  SecondRow r;
  r.index = t;
  r.t = double(t);
  r.span_s = 1;
  r.domid = 3;
  r.n[kExecCount] = execs;
  return r;
}

TEST(Window, WarmupThenMeanOfLastFive) {
  auto w = std::make_unique<DomainWindow>();
  WindowConfig c;  // 5 and 5
  float out[kNumFeatures];
  for (uint64_t t = 0; t < 5; ++t)
    EXPECT_EQ(push_row(w.get(), c, row_at(t, t * 10), out), Push::kUnjudged) << t;
  // Row 5 is the first judged; its window is rows 1..5: (10+20+30+40+50)/5.
  ASSERT_EQ(push_row(w.get(), c, row_at(5, 50), out), Push::kJudged);
  EXPECT_FLOAT_EQ(out[kExecPerS], 30);
  ASSERT_EQ(push_row(w.get(), c, row_at(6, 60), out), Push::kJudged);
  EXPECT_FLOAT_EQ(out[kExecPerS], 40);  // rows 2..6
}

TEST(Window, BlindedSecondSilencesEveryWindowThatHoldsIt) {
  auto w = std::make_unique<DomainWindow>();
  WindowConfig c;
  float out[kNumFeatures];
  for (uint64_t t = 0; t < 8; ++t) push_row(w.get(), c, row_at(t, 1), out);
  SecondRow b = row_at(8, 1);
  b.blinded = true;
  EXPECT_EQ(push_row(w.get(), c, b, out), Push::kUnjudged);
  for (uint64_t t = 9; t <= 12; ++t) EXPECT_EQ(push_row(w.get(), c, row_at(t, 1), out), Push::kUnjudged) << t;
  EXPECT_EQ(push_row(w.get(), c, row_at(13, 1), out), Push::kJudged);  // window 9..13
}

TEST(Window, GapAndNewGenerationRestartTheHistory) {
  auto w = std::make_unique<DomainWindow>();
  WindowConfig c;
  float out[kNumFeatures];
  bool restarted = false;
  for (uint64_t t = 0; t < 7; ++t) push_row(w.get(), c, row_at(t, 1), out);
  EXPECT_EQ(push_row(w.get(), c, row_at(8, 1), out, &restarted), Push::kUnjudged);  // second 7 missing
  EXPECT_TRUE(restarted);
  for (uint64_t t = 9; t < 13; ++t) EXPECT_EQ(push_row(w.get(), c, row_at(t, 1), out), Push::kUnjudged) << t;
  EXPECT_EQ(push_row(w.get(), c, row_at(13, 1), out, &restarted), Push::kJudged);
  EXPECT_FALSE(restarted);
  SecondRow g = row_at(14, 1);
  g.generation = 1;
  EXPECT_EQ(push_row(w.get(), c, g, out, &restarted), Push::kUnjudged);
  EXPECT_TRUE(restarted);
}

TEST(Window, ShortLastPeriodIsIgnored) {
  auto w = std::make_unique<DomainWindow>();
  WindowConfig c;
  float out[kNumFeatures];
  for (uint64_t t = 0; t < 6; ++t) push_row(w.get(), c, row_at(t, 1), out);
  SecondRow s = row_at(6, 1000);
  s.span_s = 0.3;
  EXPECT_EQ(push_row(w.get(), c, s, out), Push::kIgnored);
  EXPECT_EQ(push_row(w.get(), c, row_at(7, 1), out), Push::kUnjudged);  // 6 is missing: restart
}

// The runtime path (TraceReader -> DomainSample -> row_from_sample) and the
// training path (SampleWriter CSV -> parse_replay_csv) give the same rows
// and the same judged windows on real traces.
void check_paths_agree(const std::string& trace, double hz) {
  ReadOptions o;
  o.pipeline.samples.enabled = true;
  o.pipeline.samples.cpu_hz = hz;
  TraceReader reader(o);
  const Status opened = reader.open(trace);
  ASSERT_TRUE(opened.ok()) << opened.message();
  std::vector<SecondRow> direct;
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* mem = open_memstream(&buf, &len);
  SampleWriter w(mem, Format::kCsv, false, hz);
  reader.set_sample_sink([&](const std::vector<DomainSample>& s) {
    w.write(s);
    for (const DomainSample& d : s) direct.push_back(row_from_sample(d, hz));
  });
  const Status fault = reader.run();
  ASSERT_TRUE(fault.ok()) << fault.message();
  std::fclose(mem);
  const std::string csv(buf, len);
  std::free(buf);
  std::vector<SecondRow> parsed;
  const Status st = parse_replay_csv(csv, "replay.csv", &parsed);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(parsed.size(), direct.size());
  ASSERT_GE(direct.size(), 10u);
  auto wa = std::make_unique<DomainWindow>(), wb = std::make_unique<DomainWindow>();
  size_t judged = 0;
  for (uint16_t dom : {0, 1}) {
    wa->used = wb->used = false;
    for (size_t i = 0; i < direct.size(); ++i) {
      const SecondRow& a = direct[i];
      const SecondRow& b = parsed[i];
      ASSERT_EQ(a.index, b.index);
      ASSERT_EQ(a.domid, b.domid);
      for (int k = 0; k < kNumCounts; ++k) ASSERT_EQ(a.n[k], b.n[k]) << count_name(k);
      for (int k = 0; k < kTimedStates; ++k) ASSERT_NEAR(a.state_s[k], b.state_s[k], 1e-6);
      if (a.domid != dom) continue;
      float fa[kNumFeatures], fb[kNumFeatures];
      WindowConfig c;
      const Push pa = push_row(wa.get(), c, a, fa), pb = push_row(wb.get(), c, b, fb);
      ASSERT_EQ(pa, pb) << "t " << a.t;
      if (pa != Push::kJudged) continue;
      ++judged;
      for (int k = 0; k < kNumFeatures; ++k)
        EXPECT_NEAR(fa[k], fb[k], 1e-5 * std::max(1.0f, std::fabs(fa[k])))
            << feature_info(k).name << " t " << a.t;
    }
  }
  EXPECT_GT(judged, 0u);
}

TEST(Features, RuntimeAndCsvPathsAgreeOnBusyGuestTrace) {
  check_paths_agree(test::kBusyTrace, test::kBundledHz);
}

TEST(Features, RuntimeAndCsvPathsAgreeOnAllClassesTrace) {
  check_paths_agree(test::kDom0Trace, test::kBundledHz);
}

}  // namespace
}  // namespace vt
