// Periods of trace time over hand-built record sequences: every expected
// figure is computed by hand in the comments.
#include "src/samples/sampler.h"

#include <functional>
#include <gtest/gtest.h>
#include <tuple>

#include "tests/support/trace_builder.h"

namespace {

using namespace vt::test;
using vt::kBlocked;
using vt::kRunning;

constexpr int R = xt::kRunning, Q = xt::kRunnable, B = xt::kBlocked, O = xt::kOffline;

vt::SampleOptions options(bool enabled = true) {
  vt::SampleOptions o;
  o.enabled = enabled;
  o.cpu_hz = 1000;  // 1000 cycles = 1 s
  return o;
}

// Trackers behind a sampler taking 1 s samples at 1000 cycles a second;
// `keep` picks the samples collected in `got`. Records are given already in
// TSC order, each with its CPU.
struct Feed {
  explicit Feed(vt::SampleOptions o = options()) : sampler(o) {}
  Feed& on(uint32_t cpu, const Rec& r) {
    sampler.on_record(t, cpu, decode(r));
    return *this;
  }
  const vt::Vcpu& v(uint32_t dom, uint32_t id) {
    for (const vt::Vcpu& x : t.table.vcpus)
      if (x.domid == dom && x.id == id) return x;
    ADD_FAILURE() << "no d" << dom << "v" << id;
    static vt::Vcpu none;
    return none;
  }
  vt::Trackers t;
  vt::Sampler sampler;
};

struct SampledFeed : Feed {
  explicit SampledFeed(std::function<bool(const vt::DomainSample&)> keep) {
    sampler.set_sample_sink([this, keep](const std::vector<vt::DomainSample>& s) {
      for (const auto& x : s)
        if (keep(x)) got.push_back(x);
    });
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
  f.sampler.finish(f.t, vt::EndRule::kTraceEnd);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].d.cycles[kRunning], 1000u);
  EXPECT_EQ(got[1].d.cycles[kRunning], 500u);
  EXPECT_EQ(got[1].d.cycles[kBlocked], 500u);
  EXPECT_EQ(got[2].d.cycles[kBlocked], 200u);
  EXPECT_EQ(got[2].d.cycles[kRunning], 400u);
  EXPECT_DOUBLE_EQ(got[2].span_s, 0.6);
  EXPECT_EQ(got[2].d.n[vt::kHypercalls], 1u);
  EXPECT_EQ(got[2].d.n[vt::kExecCount], 1u);
  EXPECT_DOUBLE_EQ(got[0].vx.max_vcpu_running, 1.0);
  EXPECT_DOUBLE_EQ(got[1].vx.min_vcpu_blocked, 0.5);
  uint64_t run = 0;
  for (const auto& s : got) run += s.d.cycles[kRunning];
  EXPECT_EQ(run, f.v(1, 0).c.cycles[kRunning]);
  for (const auto& s : got) EXPECT_FALSE(s.blinded);
}

// Domain states from the trace (lifecycle_tracker.h, sample.h), each
// domain on pCPUs of its own:
//  d1: 2 vCPUs, both offline 1500..3200 (xl pause): paused in period 2 only
//      (in period 1 they ran first);
//  d2: crashes at 500 (SCHEDOP_shutdown, reason 3), destroyed at 2500:
//      crashed in periods 0, 1, dying (reason still crash) in period 2;
//  d3: vCPU 1 offline from 1000 (xl vcpu-set 1): 2 up, then 1, active;
//  d4: suspends at 200 (a save), runs again at 1500 (the save failed and
//      resumed it): shutdown in period 0 only, active again in period 1.
TEST(Samples, DomainStatesFromTheTrace) {
  SampledFeed f([](const vt::DomainSample& x) { return x.domid != 0; });
  for (auto [cpu, dom, vcpu] : {std::tuple{1, 1, 0}, {5, 1, 1}, {2, 2, 0}, {3, 3, 0}, {6, 3, 1}, {4, 4, 0}})
    f.on(uint32_t(cpu), runstate(0, uint32_t(dom), uint32_t(vcpu), Q, R));
  f.on(4, shutdown(200, 4, 0, xt::kShutdownSuspend))
      .on(4, runstate(200, 4, 0, R, O))
      .on(2, shutdown(500, 2, 0, xt::kShutdownCrash))
      .on(2, runstate(500, 2, 0, R, O))
      .on(6, runstate(1000, 3, 1, R, O))
      .on(1, runstate(1500, 1, 0, R, O))
      .on(5, runstate(1500, 1, 1, R, O))
      .on(4, runstate(1500, 4, 0, O, R))
      .on(2, dom_rem(2500, 2))
      .on(1, runstate(3200, 1, 0, O, R))
      .on(5, runstate(3200, 1, 1, O, R))
      .on(3, continue_running(3900, 3, 0));
  f.sampler.finish(f.t, vt::EndRule::kTraceEnd);
  auto state = [&](uint16_t dom, uint64_t k) {
    for (const vt::DomainSample& x : f.got)
      if (x.domid == dom && x.index == k)
        return std::string(vt::domain_state_name(x.state)) + "/" +
               xt::shutdown_reason_name(x.shutdown_reason) + "/" + std::to_string(x.vcpus_up);
    return std::string("none");
  };
  EXPECT_EQ(state(1, 1), "active/unknown/2");
  EXPECT_EQ(state(1, 2), "paused/unknown/0");
  EXPECT_EQ(state(1, 3), "active/unknown/2");
  EXPECT_EQ(state(2, 0), "crashed/crash/1");  // it ran before the crash
  EXPECT_EQ(state(2, 1), "crashed/crash/0");
  EXPECT_EQ(state(2, 2), "dying/crash/0");
  EXPECT_EQ(state(2, 3), "none");
  EXPECT_EQ(state(3, 0), "active/unknown/2");
  EXPECT_EQ(state(3, 1), "active/unknown/1");
  EXPECT_EQ(state(4, 0), "shutdown/suspend/1");
  EXPECT_EQ(state(4, 1), "active/unknown/1");
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
  f.on(1, hypercall(300, 1))                                           // d1v1: 1 in 0.5 s
      .on(1, runstate(500, 1, 1, R, B))
      .on(0, hypercall(600, xt::kHypercallStackSwitch))  // d1v0: and 1 task switch
      .on(0, wake(1000, 0, 0))
      .on(0, wake(1100, 0, 0));
  f.sampler.finish(f.t, vt::EndRule::kTraceEnd);
  ASSERT_EQ(got.size(), 2u);
  const vt::DomainSample& d1 = got[0].domid == 1 ? got[0] : got[1];
  const vt::DomainSample& d2 = got[0].domid == 1 ? got[1] : got[0];
  EXPECT_EQ(d1.d.n[vt::kHypercalls], 7u);
  EXPECT_DOUBLE_EQ(d1.vx.min_vcpu_hc_rate, 2.0);      // d1v1: 1 / 0.5 s, below d1v0's 6 / 1 s
  EXPECT_DOUBLE_EQ(d1.vx.min_vcpu_switch_rate, 0.0);  // d1v1 switched no task; d1v0 1 / 1 s
  EXPECT_EQ(d1.d.n[vt::kGuestSwitches], 1u);
  EXPECT_DOUBLE_EQ(d2.vx.min_vcpu_hc_rate, vt::kMaxVcpuRate);
  EXPECT_DOUBLE_EQ(d2.vx.min_vcpu_switch_rate, vt::kMaxVcpuRate);
}

TEST(Samples, LostRecordsBlindThePeriod) {
  Feed f;
  std::vector<std::pair<uint64_t, bool>> blinded;
  f.sampler.set_sample_sink([&](const std::vector<vt::DomainSample>& s) {
    for (const auto& x : s)
      if (x.domid == 1) blinded.push_back({x.index, x.blinded != 0});
  });
  f.on(0, runstate(0, 1, 0, Q, R))
      .on(0, lost(1200, 3, 1, 0, 1100))
      .on(0, runstate(1300, 1, 0, R, Q))
      .on(0, runstate(1400, 1, 0, Q, R))
      .on(0, wake(3500, 0, 0));
  f.sampler.finish(f.t, vt::EndRule::kTraceEnd);
  std::vector<std::pair<uint64_t, bool>> want = {{0, false}, {1, true}, {2, false}, {3, false}};
  EXPECT_EQ(blinded, want);
}

TEST(Samples, TscJumpIsSkippedNotSampledForever) {
  Feed f;
  uint64_t periods = 0;
  f.sampler.set_sample_sink([&](const std::vector<vt::DomainSample>&) { ++periods; });
  f.on(0, runstate(0, 1, 0, Q, R))
      .on(0, runstate(2500, 1, 0, R, B))
      .on(0, wake(1000000000000ull, 1, 0))  // a corrupt jump of ~31 years at 1 kHz
      .on(0, wake(~0ull, 1, 0));            // and to the end of TSC space
  f.sampler.finish(f.t, vt::EndRule::kTraceEnd);
  EXPECT_EQ(f.sampler.stats()[vt::Stat::tsc_jumps], 2u);
  EXPECT_LT(periods, 10u);
  EXPECT_EQ(f.v(1, 0).c.cycles[kRunning], 2500u);
  // Blocked 2500..3000, then the period the jump lands in (1e12..1e12+1000),
  // then the last partial period up to 2^64-1 (615 cycles past a multiple of
  // 1000); the gaps themselves are not charged.
  EXPECT_EQ(f.v(1, 0).c.cycles[kBlocked], 500u + 1000u + 615u);
}

TEST(Samples, SummaryModeIgnoresMaximalTsc) {
  Feed f(options(false));  // samples off
  f.on(0, runstate(5, 1, 0, Q, R)).on(0, wake(~0ull, 1, 0));
  f.sampler.finish(f.t, vt::EndRule::kTraceEnd);
  EXPECT_EQ(f.t.last_tsc(), ~0ull);
  EXPECT_EQ(f.sampler.stats()[vt::Stat::periods], 0u);
  EXPECT_EQ(f.v(1, 0).c.cycles[kRunning], ~0ull - 5);
}

}  // namespace

namespace {

// An HVM guest with two busy vCPUs: vCPU 0 works in user space (interrupted
// at 40 user RIPs, timer injected, hypercalls), vCPU 1's kernel spins with
// interrupts on (interrupted at one kernel RIP, nothing injected, no
// hypercall). The extremes show vCPU 1; a PV guest beside it has none.
TEST(Samples, HvmVcpuExtremes) {
  SampledFeed f([](const vt::DomainSample&) { return true; });
  const uint64_t spin_rip = 0xffffffff81000abcull;
  f.on(0, runstate(0, 7, 0, Q, R)).on(1, runstate(0, 7, 1, Q, R)).on(2, runstate(0, 8, 0, Q, R));
  for (uint64_t i = 0; i < 40; ++i) {
    const uint64_t t = 10 + 20 * i;
    f.on(0, vmexit64(t, 0x60, 0x400000 + 0x40 * i))  // user space, a different RIP each time
        .on(0, inj_virq(t + 1, 0xec))
        .on(1, vmexit64(t + 2, 0x60, spin_rip));
    if (i % 2 == 0) f.on(0, vmexit64(t + 3, 0x81, 0xffffffff81001000ull));  // VMMCALL
    f.on(2, hypercall(t + 4, 24));
  }
  f.on(0, wake(1000, 0, 0));  // closes period 0
  ASSERT_GE(f.got.size(), 2u);
  const vt::DomainSample& hvm = f.got[0].domid == 7 ? f.got[0] : f.got[1];
  const vt::DomainSample& pv = f.got[0].domid == 7 ? f.got[1] : f.got[0];
  EXPECT_EQ(hvm.d.n[vt::kExitsIntr], 80u);
  EXPECT_EQ(hvm.d.n[vt::kExitsIntrUser], 40u);
  EXPECT_DOUBLE_EQ(hvm.vx.max_vcpu_rip_share, 1.0);    // vCPU 1: 40 of 40 at one RIP
  EXPECT_DOUBLE_EQ(hvm.vx.min_vcpu_virq_rate, 0.0);    // vCPU 1: nothing injected
  EXPECT_DOUBLE_EQ(hvm.vx.min_vcpu_vmcall_rate, 0.0);  // vCPU 1: no hypercall
  EXPECT_DOUBLE_EQ(pv.vx.max_vcpu_rip_share, 0.0);
  EXPECT_DOUBLE_EQ(pv.vx.min_vcpu_virq_rate, 0.0);
  EXPECT_DOUBLE_EQ(pv.vx.min_vcpu_hc_rate, 40.0);  // 40 hypercalls in its 1 s of running
}

}  // namespace

namespace {

// A CPU-bound user loop is interrupted at one user-space RIP too: only
// kernel RIPs count towards the share, over all the vCPU's interrupt exits.
// 30 exits at one user RIP and 10 at one kernel RIP: 10 / 40.
TEST(Samples, HvmRipShareCountsKernelRipsOnly) {
  SampledFeed f([](const vt::DomainSample&) { return true; });
  f.on(0, runstate(0, 7, 0, Q, R));
  for (uint64_t i = 0; i < 40; ++i)
    f.on(0, vmexit64(10 + 20 * i, 0x60, i % 4 == 3 ? 0xffffffff81000abcull : 0x401000ull));
  f.on(0, wake(1000, 0, 0));  // closes period 0
  ASSERT_GE(f.got.size(), 1u);
  EXPECT_EQ(f.got[0].d.n[vt::kExitsIntrUser], 30u);
  EXPECT_DOUBLE_EQ(f.got[0].vx.max_vcpu_rip_share, 0.25);
}

}  // namespace

namespace {

// A guest not in long mode (TRC_HVM_VMEXIT, 32-bit EIP): where its user
// space ends is its own choice, so its interrupt exits feed neither the user
// count nor the RIP sketch, even when they all land on one EIP.
TEST(Samples, HvmRipShareNotKeptOutsideLongMode) {
  SampledFeed f([](const vt::DomainSample&) { return true; });
  f.on(0, runstate(0, 7, 0, Q, R));
  for (uint64_t i = 0; i < 40; ++i) f.on(0, vmexit32(10 + 20 * i, 0x60, 0x08048000u));
  f.on(0, wake(1000, 0, 0));  // closes period 0
  ASSERT_GE(f.got.size(), 1u);
  EXPECT_EQ(f.got[0].d.n[vt::kExitsIntr], 40u);
  EXPECT_EQ(f.got[0].d.n[vt::kExitsIntrUser], 0u);
  EXPECT_DOUBLE_EQ(f.got[0].vx.max_vcpu_rip_share, 0.0);
}

}  // namespace
