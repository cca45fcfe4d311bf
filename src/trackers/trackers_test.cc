// Hand-built record sequences through the trackers; every expected figure
// is computed by hand in the comments.
#include "src/trackers/trackers.h"

#include <functional>
#include <gtest/gtest.h>
#include <xen/xen.h>

#include "tests/support/trace_builder.h"

namespace {

using namespace vt::test;
using vt::kBlocked;
using vt::kLost;
using vt::kRunnable;
using vt::kRunning;

constexpr int R = xt::kRunning, Q = xt::kRunnable, B = xt::kBlocked, O = xt::kOffline;

struct Feed {
  // Records are given already in TSC order, each with its CPU.
  Feed& on(uint32_t cpu, const Rec& r) {
    t.on_record(cpu, decode(r));
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
  f.on(0, runstate(100, 1, 0, Q, R))       // first seen running: counted from 100
      .on(0, runstate(300, 1, 0, R, B))    // running 200
      .on(1, wake(450, 1, 0))              // the waker's CPU
      .on(1, runstate(450, 1, 0, B, Q))    // blocked 150
      .on(0, runstate(500, 1, 0, Q, R))    // runnable 50
      .on(0, continue_running(700, 1, 0))  // running 200, a new stint
      .on(0, runstate(900, 1, 0, R, Q))    // running 200
      .on(1, wake(1000, 2, 0));            // last record of the trace
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
      .on(0, hypercall(400, 24))          // pCPU 0's last record
      .on(1, runstate(900, 2, 0, Q, R));  // the trace's last record, on pCPU 1
  f.t.finish(vt::EndRule::kXenalyze);
  EXPECT_EQ(f.v(1, 0).c.cycles[kRunning], 300u);
  EXPECT_EQ(f.v(2, 0).c.cycles[kRunning], 0u);  // zero-length: 900..900
}

TEST(Runstate, VcpuFirstSeenMidTraceCountsFromFirstRunning) {
  Feed f;
  f.on(0, wake(1000, 1, 0))               // pCPU 0's first record
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
  f.on(0, runstate(0, 2, 0, Q, R))
      .on(0, runstate(10, 2, 0, R, O))
      .on(0, runstate(50, 2, 0, O, R))
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
      .on(1, dom_rem(400, 5))            // blocked 100 until removal
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
  EXPECT_EQ(f.t.stats()[vt::Stat::pv_unattributed], 1u);
}

// A stack_switch hypercall, alone or inside a multicall, with or without
// argument bits, is the guest switching tasks; other calls are not.
TEST(Pv, StackSwitchCountsGuestTaskSwitches) {
  static_assert(xt::kHypercallStackSwitch == __HYPERVISOR_stack_switch);
  Feed f;
  f.on(0, runstate(10, 1, 0, Q, R))
      .on(0, hypercall(11, __HYPERVISOR_stack_switch))
      .on(0, hypercall(12, __HYPERVISOR_stack_switch | TRC_PV_HYPERCALL_V2_ARG_64(0) |
                               TRC_PV_HYPERCALL_V2_ARG_32(1)))
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

// Live, reading began at 400: a loss that began before (a ring left full
// while nobody read) is counted apart and blinds nothing; one that began
// after is a loss of the run, as above.
TEST(Lost, LossesBeforeReadingBeganBlindNothing) {
  Feed f;
  f.t.table.reading_since = 400;
  f.on(0, lost(410, 1377, 1, 0, 120))  // from 120, before we read: d1v0 current
      .on(0, runstate(420, 1, 0, R, B))
      .on(1, runstate(430, 2, 0, Q, R))
      .on(1, lost(700, 5, 2, 0, 600))  // from 600: ours
      .on(1, runstate(900, 2, 0, R, B))
      .on(0, wake(1000, 0, 0));
  f.t.finish(vt::EndRule::kTraceEnd);
  EXPECT_EQ(f.t.stats()[vt::Stat::lost_before_start], 1377u);
  EXPECT_EQ(f.t.stats()[vt::Stat::lost_records], 5u);
  EXPECT_EQ(f.t.stats()[vt::Stat::lost_reports], 2u);
  EXPECT_EQ(f.v(1, 0).c.cycles[kLost], 0u);  // not blinded
  for (const vt::Domain& d : f.t.table.domains) {
    if (d.domid == 1) {
      EXPECT_EQ(d.blind_to, 0u);
    }
    if (d.domid == 2) {
      EXPECT_EQ(d.blind_to, 700u);
    }
  }
  EXPECT_EQ(f.v(2, 0).c.cycles[kLost], 300u);  // 600..900
}

}  // namespace

namespace {

// TRC_SCHED_SHUTDOWN [domid, vcpu, reason] (lifecycle_tracker.h): the
// reason and its time on the domain; a reason Xen does not define is kept
// as a shutdown all the same; a record naming no possible domain is
// counted and ignored; SHUTDOWN_CODE changes nothing.
TEST(Lifecycle, ShutdownRecordsSetTheDomainsReason) {
  Feed f;
  f.on(0, runstate(100, 1, 0, Q, R))
      .on(0, shutdown(200, 1, 0, xt::kShutdownCrash))
      .on(1, runstate(210, 2, 0, Q, R))
      .on(1, shutdown(220, 2, 0, 77))
      .on(1, shutdown(230, 0x9000, 0, xt::kShutdownReboot))
      .on(1, Rec{TRC_SCHED_SHUTDOWN_CODE, 240, {3, 0, xt::kShutdownCrash}});
  const vt::DomainTable& t = f.t.table;
  auto dom = [&](uint32_t id) -> const vt::Domain& { return t.domains[f.v(id, 0).domain]; };
  EXPECT_EQ(dom(1).shutdown, xt::kShutdownCrash);
  EXPECT_EQ(dom(1).shutdown_tsc, 200u);
  EXPECT_STREQ(xt::shutdown_reason_name(dom(2).shutdown), "unknown");
  EXPECT_NE(dom(2).shutdown, xt::kNoShutdown);
  EXPECT_EQ(f.t.stats()[vt::Stat::bad_ids], 1u);
  for (const vt::Domain& d : t.domains) EXPECT_NE(d.domid, 3u) << "SHUTDOWN_CODE tracked";
}

}  // namespace
