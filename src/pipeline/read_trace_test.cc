// A trace file end to end through the one entry point: windows in file
// order, records merged by TSC across CPUs, into the trackers; faults; the
// statistics of every stage.
#include "src/pipeline/read_trace.h"

#include <gtest/gtest.h>

#include "tests/support/test_data.h"
#include "tests/support/trace_builder.h"

namespace {

using namespace vt::test;
constexpr int R = xt::kRunning, Q = xt::kRunnable, B = xt::kBlocked;

const vt::Vcpu& find(const vt::Trackers& t, uint32_t dom, uint32_t id) {
  for (const vt::Vcpu& v : t.table.vcpus)
    if (v.domid == dom && v.id == id) return v;
  static vt::Vcpu none;
  ADD_FAILURE() << "no d" << dom << "v" << id;
  return none;
}

vt::ReadOptions options() {
  vt::ReadOptions o;
  o.pipeline.samples.cpu_hz = 1000;
  return o;
}

// d1v0 runs on CPU 0 and blocks; dom0 on CPU 1 wakes it (the wake and the
// blocked->runnable change are in CPU 1's buffer, which xentrace wrote to
// the file after CPU 0's later records); CPU 0 then runs it again.
TEST(ReadTrace, CrossCpuWakeIsMergedInTscOrder) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, Q, R), runstate(200, 1, 0, R, B), runstate(350, 1, 0, Q, R),
                runstate(500, 1, 0, R, B)})
      .window(1, {runstate(150, 0, 0, Q, R), wake(300, 1, 0), runstate(300, 1, 0, B, Q),
                  runstate(600, 0, 0, R, B)});
  vt::TraceReader r(options());
  r.open_memory(fb.image.data(), fb.image.size(), "test");
  ASSERT_TRUE(r.run().ok());
  const vt::Vcpu& v = find(r.trackers(), 1, 0);
  EXPECT_EQ(v.c.n[vt::kInconsistent], 0u);  // merged in order: every old state agrees
  EXPECT_EQ(v.c.cycles[vt::kRunning], 100u + 150u);
  EXPECT_EQ(v.c.cycles[vt::kBlocked], 100u + 100u);  // 200..300, 500..600 (trace end)
  EXPECT_EQ(v.c.cycles[vt::kRunnable], 50u);
  EXPECT_EQ(v.c.n[vt::kWakes], 1u);
  EXPECT_EQ(r.stats()[vt::Stat::records_read], 8u);
  EXPECT_EQ(r.stats()[vt::Stat::records_merged], 8u);
  EXPECT_EQ(r.stats()[vt::Stat::windows], 2u);
}

// Every record before the fault is tracked; the trace is closed only under
// finish_after_fault (--keep-going).
TEST(ReadTrace, FaultStopsAfterEverythingBeforeIt) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, Q, R), runstate(200, 1, 0, R, B), wake(400, 0, 0)});
  fb.image.insert(fb.image.end(), {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
  for (bool keep_going : {false, true}) {
    vt::ReadOptions o = options();
    o.finish_after_fault = keep_going;
    vt::TraceReader r(o);
    r.open_memory(fb.image.data(), fb.image.size(), "test");
    const vt::Status f = r.run();
    ASSERT_EQ(f.code(), vt::Status::Code::kCorruption);
    EXPECT_EQ(f.message().rfind("test: byte 64: ", 0), 0u) << f.message();  // 12-byte header + 16 + 16 + 20
    EXPECT_EQ(r.stats()[vt::Stat::records_merged], 3u);
    const vt::Vcpu& v = find(r.trackers(), 1, 0);
    EXPECT_EQ(v.c.cycles[vt::kRunning], 100u);
    // Blocked from 200: charged to the last record (400) only when finished.
    EXPECT_EQ(v.c.cycles[vt::kBlocked], keep_going ? 200u : 0u);
  }
}

// The classes no tracker reads are dropped before the merge, counted; a
// record observer (dump) sees every record, in order, with its offset.
TEST(ReadTrace, FilterStatisticsAndObserver) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, Q, R), Rec{TRC_HVM_EMUL_PIT_TIMER_CB, 150, {}},
                Rec{TRC_PM_IDLE_ENTRY, 160, {1}}, runstate(200, 1, 0, R, B)});
  vt::TraceReader r(options());
  r.open_memory(fb.image.data(), fb.image.size(), "test");
  ASSERT_TRUE(r.run().ok());
  const vt::Stats s = r.stats();
  EXPECT_EQ(s[vt::Stat::records_filtered], 2u);
  EXPECT_EQ(s[vt::Stat::records_merged], 2u);
  EXPECT_EQ(s[vt::Stat::records_read], 4u);

  vt::ReadOptions all = options();
  all.pipeline.filter = false;
  vt::TraceReader d(all);
  d.open_memory(fb.image.data(), fb.image.size(), "test");
  std::vector<std::pair<uint64_t, uint64_t>> seen;  // tsc, offset
  d.set_record_observer([&](uint32_t cpu, uint64_t offset, const xt::Record& rec, const vt::Trackers&) {
    EXPECT_EQ(cpu, 0u);
    seen.push_back({rec.tsc, offset});
  });
  ASSERT_TRUE(d.run().ok());
  // 12-byte window header; runstate 16 bytes, PIT_TIMER_CB 12, IDLE_ENTRY 16.
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, uint64_t>>{{100, 12}, {150, 28}, {160, 40}, {200, 56}}));
  EXPECT_EQ(d.stats()[vt::Stat::records_filtered], 0u);
}

// A real trace: the filter drops records without losing any (the filtered
// run merges what the unfiltered one does, less what it dropped), and the
// trace's own figures.
TEST(ReadTrace, RealTraceCountsAddUp) {
  vt::ReadOptions o;
  o.pipeline.samples.cpu_hz = kBundledHz;
  vt::TraceReader r(o);
  ASSERT_TRUE(r.open(kDom0Trace).ok());
  ASSERT_TRUE(r.run().ok());
  const vt::Stats s = r.stats();
  o.pipeline.filter = false;
  vt::TraceReader all(o);
  ASSERT_TRUE(all.open(kDom0Trace).ok());
  ASSERT_TRUE(all.run().ok());
  EXPECT_EQ(all.stats()[vt::Stat::records_merged], 17919u);  // what vtrace dump prints, one line each
  EXPECT_EQ(all.stats()[vt::Stat::records_filtered], 0u);
  EXPECT_GT(s[vt::Stat::records_filtered], 0u);
  EXPECT_EQ(s[vt::Stat::records_merged] + s[vt::Stat::records_filtered], 17919u);
  EXPECT_EQ(s[vt::Stat::wrap_records], all.stats()[vt::Stat::wrap_records]);
  EXPECT_EQ(s[vt::Stat::pv_unattributed], 7u);  // as summary's note says
  EXPECT_EQ(s[vt::Stat::tsc_backwards], 0u);
  EXPECT_EQ(s[vt::Stat::short_payload], 0u);
}

}  // namespace
