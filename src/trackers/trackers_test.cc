// Hand-built record sequences through the trackers; every expected figure
// is computed by hand in the comments.
#include "src/trackers/trackers.h"

#include <gtest/gtest.h>
#include <xen/xen.h>

#include <functional>

#include "tests/support/trace_builder.h"

namespace {

using namespace vt::test;
using vt::kBlocked;
using vt::kLost;
using vt::kRunnable;
using vt::kRunning;

constexpr int R = xt::kRunning, Q = xt::kRunnable, B = xt::kBlocked, O = xt::kOffline;

struct Feed {
  explicit Feed(vt::TrackerOptions o = {}) : t(o) {}
  // Records are given already in TSC order, each with its CPU.
  Feed& on(uint32_t cpu, const Rec& r) {
    std::vector<uint8_t> b = bytes_of({r});
    xt::Record rec;
    EXPECT_EQ(xt::decode_record(b.data(), b.size(), 0, &rec), b.size());
    t.on_record(cpu, rec);
    return *this;
  }
  const vt::Vcpu& v(uint32_t dom, uint32_t id, uint32_t generation = 0) {
    for (const vt::Vcpu& x : t.table.vcpus)
      if (x.domid == dom && x.id == id && t.table.domains[x.domain].generation == generation) return x;
    ADD_FAILURE() << "no d" << dom << "v" << id;
    static vt::Vcpu none;
    return none;
  }
  vt::Trackers t;
};

// One vCPU: run, block, woken from another CPU, run, continue, preempted.
Feed lifecycle() {
  Feed f;
  f.on(0, runstate(100, 1, 0, Q, R))   // first seen running: counted from 100
      .on(0, runstate(300, 1, 0, R, B))  // running 200
      .on(1, wake(450, 1, 0))            // the waker's CPU
      .on(1, runstate(450, 1, 0, B, Q))  // blocked 150
      .on(0, runstate(500, 1, 0, Q, R))  // runnable 50
      .on(0, continue_running(700, 1, 0))  // running 200, a new stint
      .on(0, runstate(900, 1, 0, R, Q))  // running 200
      .on(1, wake(1000, 2, 0));          // last record of the trace
  return f;
}

TEST(Runstate, LifecycleToTraceEnd) {
  Feed f = lifecycle();
  f.t.finish(vt::EndRule::kTraceEnd);
  const vt::Vcpu& v = f.v(1, 0);
  EXPECT_EQ(v.c.cycles[kRunning], 600u);
  EXPECT_EQ(v.c.cycles[kBlocked], 150u);
  EXPECT_EQ(v.c.cycles[kRunnable], 50u + 100u);  // 900..1000 charged at the end
  EXPECT_EQ(v.c.stints[kRunning], 3u);
  EXPECT_EQ(v.c.stints[kBlocked], 1u);
  EXPECT_EQ(v.c.n[vt::kExecCount], 2u);
  EXPECT_EQ(v.c.n[vt::kWakes], 1u);
  EXPECT_EQ(v.c.n[vt::kContinueRunning], 1u);
  EXPECT_EQ(v.c.n[vt::kInconsistent], 0u);
}

TEST(Runstate, XenalyzeEndRuleDropsOpenIntervalsOfVcpusNotRunning) {
  Feed f = lifecycle();
  f.t.finish(vt::EndRule::kXenalyze);
  EXPECT_EQ(f.v(1, 0).c.cycles[kRunnable], 50u);  // the open 900..1000 is dropped
}

TEST(Runstate, XenalyzeEndRuleChargesRunningVcpuToItsPcpusLastRecord) {
  Feed f;
  f.on(0, runstate(100, 1, 0, Q, R))
      .on(0, hypercall(400, 24))       // pCPU 0's last record
      .on(1, runstate(900, 2, 0, Q, R));  // the trace's last record, on pCPU 1
  f.t.finish(vt::EndRule::kXenalyze);
  EXPECT_EQ(f.v(1, 0).c.cycles[kRunning], 300u);
  EXPECT_EQ(f.v(2, 0).c.cycles[kRunning], 0u);  // zero-length: 900..900
}

TEST(Runstate, VcpuFirstSeenMidTraceCountsFromFirstRunning) {
  Feed f;
  f.on(0, wake(1000, 1, 0))  // pCPU 0's first record
      .on(1, runstate(1500, 3, 1, B, Q))  // first sight, not running: stays uncounted
      .on(1, runstate(1700, 3, 1, Q, R))  // counted from here
      .on(1, runstate(2000, 3, 1, R, B))
      .on(0, continue_running(2000, 4, 0))  // first sight running->running: since pCPU 0's first record
      .on(0, runstate(5000, 4, 0, R, B))
      .on(0, wake(6000, 9, 9));
  f.t.finish(vt::EndRule::kTraceEnd);
  EXPECT_EQ(f.v(3, 1).c.cycles[kRunnable], 0u);
  EXPECT_EQ(f.v(3, 1).c.cycles[kRunning], 300u);
  EXPECT_EQ(f.v(3, 1).c.cycles[kBlocked], 4000u);  // 2000..6000
  EXPECT_EQ(f.v(4, 0).c.cycles[kRunning], 4000u);  // 1000..5000
  EXPECT_EQ(f.v(4, 0).c.n[vt::kExecCount], 0u);    // never seen switching in
}

TEST(Runstate, InconsistentChangeIsCountedAndResynchronises) {
  Feed f;
  f.on(0, runstate(100, 1, 0, Q, R))
      .on(0, runstate(200, 1, 0, B, Q))  // we think running; Xen says blocked->runnable
      .on(0, runstate(260, 1, 0, Q, R))
      .on(0, wake(300, 0, 0));
  f.t.finish(vt::EndRule::kTraceEnd);
  const vt::Vcpu& v = f.v(1, 0);
  EXPECT_EQ(v.c.n[vt::kInconsistent], 1u);
  EXPECT_EQ(v.c.cycles[kRunning], 100u + 40u);  // our state until 200, then 260..300
  EXPECT_EQ(v.c.cycles[kRunnable], 60u);
}

TEST(Runstate, OfflineIsAState) {
  Feed f;
  f.on(0, runstate(0, 2, 0, Q, R)).on(0, runstate(10, 2, 0, R, O)).on(0, runstate(50, 2, 0, O, R))
      .on(0, runstate(60, 2, 0, R, B));
  f.t.finish(vt::EndRule::kXenalyze);
  EXPECT_EQ(f.v(2, 0).c.cycles[vt::kOffline], 40u);
  EXPECT_EQ(f.v(2, 0).c.cycles[kRunning], 20u);
}

TEST(Domains, DomidReuseMakesANewGeneration) {
  Feed f;
  f.on(0, dom_add(10, 5))
      .on(0, {TRC_DOM0_DOM_ADD, 10, {5}})  // the second record of the same creation
      .on(0, runstate(100, 5, 0, Q, R))
      .on(0, runstate(300, 5, 0, R, B))
      .on(1, dom_rem(400, 5))  // blocked 100 until removal
      .on(1, runstate(450, 5, 0, B, O))  // straggler: ignored
      .on(1, dom_add(500, 5))
      .on(0, runstate(600, 5, 0, Q, R))
      .on(0, runstate(650, 5, 0, R, B))
      .on(0, wake(700, 0, 0));
  f.t.finish(vt::EndRule::kTraceEnd);
  ASSERT_EQ(f.t.table.domains.size(), 2u + 1u);  // two generations of d5, and d0 from the wake
  const vt::Vcpu& a = f.v(5, 0, 0);
  const vt::Vcpu& b = f.v(5, 0, 1);
  EXPECT_EQ(a.c.cycles[kRunning], 200u);
  EXPECT_EQ(a.c.cycles[kBlocked], 100u);
  EXPECT_EQ(a.c.cycles[vt::kOffline], 0u);
  EXPECT_EQ(b.c.cycles[kRunning], 50u);
  EXPECT_EQ(b.c.cycles[kBlocked], 50u);
  EXPECT_TRUE(f.t.table.domains[a.domain].removed);
  EXPECT_FALSE(f.t.table.domains[b.domain].removed);
}

TEST(Pv, RecordsGoToTheVcpuRunningOnThatPcpu) {
  Feed f;
  f.on(0, hypercall(5, 24))  // nothing known running on pCPU 0 yet
      .on(0, runstate(10, 1, 0, Q, R))
      .on(0, hypercall(11, 24))
      .on(1, runstate(12, 2, 1, Q, R))
      .on(0, hypercall(13, 29))
      .on(1, hypercall(14, 29))
      .on(1, pv_trap(15))
      .on(0, runstate(20, 1, 0, R, B))
      .on(0, runstate(20, 2, 0, Q, R))  // d2v0 now on pCPU 0
      .on(0, hypercall(21, 24))
      .on(0, Rec{TRC_PV_HYPERCALL_SUBCALL, 21, {1}})  // a call inside a multicall: counted, as xenalyze does
      .on(0, pv_page_fault(22));
  EXPECT_EQ(f.v(1, 0).c.n[vt::kHypercalls], 2u);
  EXPECT_EQ(f.v(2, 1).c.n[vt::kHypercalls], 1u);
  EXPECT_EQ(f.v(2, 1).c.n[vt::kTraps], 1u);
  EXPECT_EQ(f.v(2, 0).c.n[vt::kHypercalls], 2u);
  EXPECT_EQ(f.v(2, 0).c.n[vt::kPageFaults], 1u);
  EXPECT_EQ(f.t.pv.unattributed, 1u);
}

// A stack_switch hypercall, alone or inside a multicall, with or without
// argument bits, is the guest switching tasks; other calls are not.
TEST(Pv, StackSwitchCountsGuestTaskSwitches) {
  static_assert(xt::kHypercallStackSwitch == __HYPERVISOR_stack_switch);
  Feed f;
  f.on(0, runstate(10, 1, 0, Q, R))
      .on(0, hypercall(11, __HYPERVISOR_stack_switch))
      .on(0, hypercall(12, __HYPERVISOR_stack_switch | TRC_PV_HYPERCALL_V2_ARG_64(0) | TRC_PV_HYPERCALL_V2_ARG_32(1)))
      .on(0, Rec{TRC_PV_HYPERCALL_SUBCALL, 13, {__HYPERVISOR_stack_switch}})
      .on(0, hypercall(14, __HYPERVISOR_iret))
      .on(0, hypercall(15, __HYPERVISOR_set_segment_base))
      .on(0, Rec{TRC_PV_TRAP | TRC_64_FLAG, 16, {__HYPERVISOR_stack_switch, 0, 14}});  // a trap, not a call
  EXPECT_EQ(f.v(1, 0).c.n[vt::kHypercalls], 5u);
  EXPECT_EQ(f.v(1, 0).c.n[vt::kGuestSwitches], 3u);
}

TEST(Xenmon, SlicesWaitedAndGrantCounts) {
  Feed f;
  f.on(0, infnext(10, 1, 0, 5000, 30000000))
      .on(0, infnext(20, 1, 0, 7000, xt::kNoSliceLimit))  // no limit: not an allocation
      .on(0, infcont(30, 1, 0, 100, 30000000))
      .on(1, grant_map(40, 1))
      .on(1, grant_map(41, 1))
      .on(1, grant_unmap(42, 1))
      .on(1, grant_transfer(43, 2));
  const vt::Vcpu& v = f.v(1, 0);
  EXPECT_EQ(v.c.n[vt::kSliceNs], 30000000u);
  EXPECT_EQ(v.c.n[vt::kSlices], 1u);
  EXPECT_EQ(v.c.n[vt::kWaitedNs], 12000u);
  EXPECT_EQ(v.c.n[vt::kInfcont], 1u);
  const auto& d1 = f.t.table.domains[v.domain].c;
  EXPECT_EQ(d1.n[vt::kGrantMap], 2u);
  EXPECT_EQ(d1.n[vt::kGrantUnmap], 1u);
  uint64_t transfers = 0;
  for (const auto& d : f.t.table.domains)
    if (d.domid == 2) transfers = d.c.n[vt::kGrantTransfer];
  EXPECT_EQ(transfers, 1u);
}

TEST(Lost, BlindsTheRunningAndTheNamedVcpuFromTheFirstLoss) {
  Feed f;
  f.on(0, runstate(100, 1, 0, Q, R))
      .on(1, runstate(120, 2, 0, Q, R))
      .on(1, runstate(150, 2, 0, R, B))
      // pCPU 0 lost 9 records from 300; Xen wrote this at 500 with d2v0 current.
      .on(0, lost(500, 9, 2, 0, 300))
      .on(0, hypercall(510, 24))  // d2v0 is running here now
      .on(0, runstate(800, 2, 0, R, B))
      .on(0, runstate(800, 1, 0, R, Q))  // d1v0's state was unknown 300..800
      .on(1, wake(900, 0, 0));
  f.t.finish(vt::EndRule::kTraceEnd);
  const vt::Vcpu& a = f.v(1, 0);
  EXPECT_EQ(a.c.cycles[kRunning], 200u);  // 100..300
  EXPECT_EQ(a.c.cycles[kLost], 500u);     // 300..800
  EXPECT_EQ(a.c.cycles[kRunnable], 100u);
  EXPECT_EQ(a.c.n[vt::kInconsistent], 0u);  // coming out of "lost" is not inconsistent
  const vt::Vcpu& b = f.v(2, 0);
  EXPECT_EQ(b.c.cycles[kBlocked], 150u + 100u);  // 150..300, then 800..900
  EXPECT_EQ(b.c.cycles[kLost], 500u);
  EXPECT_EQ(b.c.n[vt::kHypercalls], 1u);
  EXPECT_EQ(f.t.table.pcpus[0].lost_records, 9u);
}

// Trackers taking 1 s samples at 1000 cycles a second; `keep` picks the
// samples collected in `got`.
struct SampledFeed : Feed {
  explicit SampledFeed(std::function<bool(const vt::DomainSample&)> keep) : Feed(options()) {
    t.set_sample_sink([this, keep](const std::vector<vt::DomainSample>& s) {
      for (const auto& x : s)
        if (keep(x)) got.push_back(x);
    });
  }
  static vt::TrackerOptions options() {
    vt::TrackerOptions o;
    o.cpu_hz = 1000;  // 1000 cycles = 1 s
    o.samples = true;
    return o;
  }
  std::vector<vt::DomainSample> got;
};

TEST(Samples, PeriodsSplitIntervalsAndSumToTheTotals) {
  SampledFeed f([](const vt::DomainSample& x) { return x.domid == 1; });
  std::vector<vt::DomainSample>& got = f.got;
  // t0 = 0. d1v0 runs 0..1500, blocks to 2200, runs to 2600 (end).
  f.on(0, runstate(0, 1, 0, Q, R))
      .on(0, runstate(1500, 1, 0, R, B))
      .on(1, runstate(2200, 1, 0, B, Q))
      .on(0, runstate(2200, 1, 0, Q, R))
      .on(0, hypercall(2300, 1))
      .on(0, wake(2600, 0, 0));
  f.t.finish();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].d.cycles[kRunning], 1000u);
  EXPECT_EQ(got[1].d.cycles[kRunning], 500u);
  EXPECT_EQ(got[1].d.cycles[kBlocked], 500u);
  EXPECT_EQ(got[2].d.cycles[kBlocked], 200u);
  EXPECT_EQ(got[2].d.cycles[kRunning], 400u);
  EXPECT_DOUBLE_EQ(got[2].span_s, 0.6);
  EXPECT_EQ(got[2].d.n[vt::kHypercalls], 1u);
  EXPECT_EQ(got[2].d.n[vt::kExecCount], 1u);
  EXPECT_DOUBLE_EQ(got[0].max_vcpu_running, 1.0);
  EXPECT_DOUBLE_EQ(got[1].min_vcpu_blocked, 0.5);
  uint64_t run = 0;
  for (const auto& s : got) run += s.d.cycles[kRunning];
  EXPECT_EQ(run, f.v(1, 0).c.cycles[kRunning]);
  for (const auto& s : got) EXPECT_FALSE(s.blinded);
}

// The quietest busy vCPU's hypercall and task-switch rates: a vCPU below 10% of the period
// does not count; a domain with no busy vCPU gets the cap.
TEST(Samples, QuietestBusyVcpuRates) {
  SampledFeed f([](const vt::DomainSample& x) { return x.index == 0; });
  std::vector<vt::DomainSample>& got = f.got;
  f.on(0, runstate(0, 1, 0, Q, R))     // d1v0 runs all period 0: 1000 cycles
      .on(1, runstate(0, 1, 1, Q, R))  // d1v1 runs 0..500
      .on(2, runstate(0, 1, 2, Q, R))  // d1v2 runs 0..50: 5%, not busy
      .on(3, runstate(0, 2, 0, Q, R))  // d2v0 runs 0..80: 8%, not busy
      .on(2, runstate(50, 1, 2, R, B))
      .on(3, runstate(80, 2, 0, R, B));
  for (uint64_t t = 100; t < 600; t += 100) f.on(0, hypercall(t, 1));  // d1v0: 5 in 1 s
  f.on(1, hypercall(300, 1))                          // d1v1: 1 in 0.5 s
      .on(1, runstate(500, 1, 1, R, B))
      .on(0, hypercall(600, xt::kHypercallStackSwitch))  // d1v0: and 1 task switch
      .on(0, wake(1000, 0, 0))
      .on(0, wake(1100, 0, 0));
  f.t.finish();
  ASSERT_EQ(got.size(), 2u);
  const vt::DomainSample& d1 = got[0].domid == 1 ? got[0] : got[1];
  const vt::DomainSample& d2 = got[0].domid == 1 ? got[1] : got[0];
  EXPECT_EQ(d1.d.n[vt::kHypercalls], 7u);
  EXPECT_DOUBLE_EQ(d1.min_vcpu_hc_rate, 2.0);      // d1v1: 1 / 0.5 s, below d1v0's 6 / 1 s
  EXPECT_DOUBLE_EQ(d1.min_vcpu_switch_rate, 0.0);  // d1v1 switched no task; d1v0 1 / 1 s
  EXPECT_EQ(d1.d.n[vt::kGuestSwitches], 1u);
  EXPECT_DOUBLE_EQ(d2.min_vcpu_hc_rate, vt::kMaxVcpuRate);
  EXPECT_DOUBLE_EQ(d2.min_vcpu_switch_rate, vt::kMaxVcpuRate);
}

TEST(Samples, LostRecordsBlindThePeriod) {
  vt::TrackerOptions o;
  o.cpu_hz = 1000;
  o.samples = true;
  Feed f(o);
  std::vector<std::pair<uint64_t, bool>> blinded;
  f.t.set_sample_sink([&](const std::vector<vt::DomainSample>& s) {
    for (const auto& x : s)
      if (x.domid == 1) blinded.push_back({x.index, x.blinded});
  });
  f.on(0, runstate(0, 1, 0, Q, R))
      .on(0, lost(1200, 3, 1, 0, 1100))
      .on(0, runstate(1300, 1, 0, R, Q))
      .on(0, runstate(1400, 1, 0, Q, R))
      .on(0, wake(3500, 0, 0));
  f.t.finish();
  std::vector<std::pair<uint64_t, bool>> want = {{0, false}, {1, true}, {2, false}, {3, false}};
  EXPECT_EQ(blinded, want);
}

}  // namespace

namespace {

TEST(Samples, TscJumpIsSkippedNotSampledForever) {
  vt::TrackerOptions o;
  o.cpu_hz = 1000;
  o.samples = true;
  Feed f(o);
  uint64_t periods = 0;
  f.t.set_sample_sink([&](const std::vector<vt::DomainSample>&) { ++periods; });
  f.on(0, runstate(0, 1, 0, Q, R))
      .on(0, runstate(2500, 1, 0, R, B))
      .on(0, wake(1000000000000ull, 1, 0))  // a corrupt jump of ~31 years at 1 kHz
      .on(0, wake(~0ull, 1, 0));            // and to the end of TSC space
  f.t.finish();
  EXPECT_EQ(f.t.stats.tsc_jumps, 2u);
  EXPECT_LT(periods, 10u);
  EXPECT_EQ(f.v(1, 0).c.cycles[kRunning], 2500u);
  // Blocked 2500..3000, then the period the jump lands in (1e12..1e12+1000),
  // then the last partial period up to 2^64-1 (615 cycles past a multiple of
  // 1000); the gaps themselves are not charged.
  EXPECT_EQ(f.v(1, 0).c.cycles[kBlocked], 500u + 1000u + 615u);
}

TEST(Samples, SummaryModeIgnoresMaximalTsc) {
  Feed f;  // samples off
  f.on(0, runstate(5, 1, 0, Q, R)).on(0, wake(~0ull, 1, 0));
  f.t.finish();
  EXPECT_EQ(f.t.stats.records, 2u);
}

}  // namespace
