#include "src/detector/features.h"

#include <cmath>
#include <string_view>

namespace vt {

SecondRow row_from_sample(const DomainSample& s, double hz) {
  SecondRow r;
  r.index = s.index;
  r.t = s.start_s;
  r.span_s = s.span_s;
  r.domid = s.domid;
  r.generation = s.generation;
  r.vcpus = s.vcpus;
  for (int st = 0; st < kTimedStates; ++st) r.state_s[st] = seconds(s.d.cycles[st], hz);
  for (int i = 0; i < kNumCounts; ++i) r.n[i] = s.d.n[i];
  for (int i = 0; i < kNumDomainCounts; ++i) r.dn[i] = s.dd.n[i];
  r.vx = s.vx;
  r.blinded = s.blinded;
  r.state = s.state;
  r.shutdown_reason = s.shutdown_reason;
  r.vcpus_up = s.vcpus_up;
  r.host_hvm = s.host_hvm;
  r.age_s = s.age_s;
  return r;
}

namespace {

const FeatureInfo kFeatures[kNumFeatures] = {
    {"exec_per_s", "1/s", "executions (switch-ins into running): exec_count / span_s"},
    {"running_frac", "s/s", "CPU used: running_s / span_s (sums the vCPUs)"},
    {"runnable_frac", "s/s", "waiting for a CPU: runnable_s / span_s"},
    {"blocked_frac", "s/s", "blocked: blocked_s / span_s"},
    {"alloc_ms_per_exec", "ms", "allocated time per execution: slice_ns / slices / 1e6 (0 if slices = 0)"},
    {"io_per_s", "1/s", "I/O count: (grant_map + grant_unmap + grant_transfer) / span_s"},
    {"max_vcpu_running", "s/s", "largest running fraction among the vCPUs: max_vcpu_running"},
    {"min_vcpu_blocked", "s/s", "smallest blocked fraction among the vCPUs: min_vcpu_blocked"},
    {"wakes_per_s", "1/s", "wakes / span_s"},
    {"blocks_per_s", "1/s", "blocks / span_s"},
    {"yields_per_s", "1/s", "yields / span_s"},
    {"continue_running_per_s", "1/s", "continue_running / span_s"},
    {"hypercalls_per_s", "1/s", "PV hypercalls: hypercalls / span_s"},
    {"traps_per_s", "1/s", "PV traps: traps / span_s"},
    {"page_faults_per_s", "1/s", "PV page faults: page_faults / span_s"},
    {"hypercalls_per_cpu_s", "1/s", "hypercalls / (running_s + 0.01)"},
    {"min_vcpu_hc_rate", "1/s",
     "hypercalls per running second of the quietest vCPU that ran >= 10% of the second (at most 1e4): "
     "min_vcpu_hc_rate"},
    {"guest_switches_per_s", "1/s",
     "the guest kernel's task switches (stack_switch hypercalls): guest_switches / span_s"},
    {"min_vcpu_switch_rate", "1/s",
     "task switches per running second of the quietest vCPU that ran >= 10% of the second (at most 1e4): "
     "min_vcpu_switch_rate"},
    {"lost_frac", "s/s", "time in unknown state after lost records: lost_s / span_s"},
    {"hvm_exits_per_s", "1/s", "VM exits of HVM and PVH guests: hvm_exits / span_s"},
    {"intr_exits_per_s", "1/s", "exits for an external interrupt: exits_intr / span_s"},
    {"intr_user_share", "1",
     "the share of them at a user-space RIP: exits_intr_user / exits_intr (0 if none)"},
    {"intr_window_exits_per_s", "1/s",
     "exits because the guest could not take a pending interrupt: exits_intr_window / span_s"},
    {"hlt_exits_per_s", "1/s", "HLT exits: exits_hlt / span_s"},
    {"vmcall_exits_per_s", "1/s", "hypercall exits (VMMCALL, VMCALL): exits_vmcall / span_s"},
    {"msr_exits_per_s", "1/s", "MSR access exits: exits_msr / span_s"},
    {"io_exits_per_s", "1/s", "port I/O exits: exits_io / span_s"},
    {"npf_exits_per_s", "1/s", "nested page fault exits: exits_npf / span_s"},
    {"rdtsc_exits_per_s", "1/s", "RDTSC(P) exits (an emulated TSC): exits_rdtsc / span_s"},
    {"inj_virq_per_s", "1/s", "interrupts injected into the guest: inj_virq / span_s"},
    {"eoi_writes_per_s", "1/s", "interrupts the guest completed (x2APIC EOI writes): eoi_writes / span_s"},
    {"max_vcpu_rip_share", "1",
     "the largest share of one kernel-space RIP among a busy vCPU's interrupt exits (vCPUs with >= 20 of "
     "them): max_vcpu_rip_share"},
    {"min_vcpu_virq_rate", "1/s",
     "injected interrupts per running second of the quietest vCPU that ran >= 10% of the second and made "
     "VM exits (at most 1e4; 0 if none did): min_vcpu_virq_rate"},
    {"min_vcpu_vmcall_rate", "1/s",
     "hypercall exits per running second of the quietest such vCPU (at most 1e4; 0 if none): "
     "min_vcpu_vmcall_rate"},
};

}  // namespace

const FeatureInfo& feature_info(int f) { return kFeatures[f]; }

int feature_by_name(std::string_view name) {
  for (int f = 0; f < kNumFeatures; ++f)
    if (name == kFeatures[f].name) return f;
  return -1;
}

void raw_features(const SecondRow& r, double out[kNumFeatures]) {
  // Callers never pass span_s < 0.5 (push_row ignores such rows); the guard
  // keeps the function total.
  const double span = r.span_s > 1e-9 ? r.span_s : 1e-9;
  auto per_s = [&](uint64_t c) { return double(c) / span; };
  out[kExecPerS] = per_s(r.n[kExecCount]);
  out[kRunningFrac] = r.state_s[kRunning] / span;
  out[kRunnableFrac] = r.state_s[kRunnable] / span;
  out[kBlockedFrac] = r.state_s[kBlocked] / span;
  out[kAllocMsPerExec] = r.n[kSlices] ? double(r.n[kSliceNs]) / double(r.n[kSlices]) / 1e6 : 0.0;
  out[kIoPerS] = per_s(r.dn[kGrantMap] + r.dn[kGrantUnmap] + r.dn[kGrantTransfer]);
  out[kMaxVcpuRunning] = r.vx.max_vcpu_running;
  out[kMinVcpuBlocked] = r.vx.min_vcpu_blocked;
  out[kWakesPerS] = per_s(r.n[kWakes]);
  out[kBlocksPerS] = per_s(r.n[kBlocks]);
  out[kYieldsPerS] = per_s(r.n[kYields]);
  out[kContinueRunningPerS] = per_s(r.n[kContinueRunning]);
  out[kHypercallsPerS] = per_s(r.n[kHypercalls]);
  out[kTrapsPerS] = per_s(r.n[kTraps]);
  out[kPageFaultsPerS] = per_s(r.n[kPageFaults]);
  const double run = r.state_s[kRunning] > 0 ? r.state_s[kRunning] : 0.0;
  out[kHypercallsPerCpuS] = double(r.n[kHypercalls]) / (run + 0.01);
  out[kMinVcpuHcRate] = r.vx.min_vcpu_hc_rate;
  out[kGuestSwitchesPerS] = per_s(r.n[kGuestSwitches]);
  out[kMinVcpuSwitchRate] = r.vx.min_vcpu_switch_rate;
  out[kLostFrac] = r.state_s[kLost] / span;
  out[kHvmExitsPerS] = per_s(r.n[kHvmExits]);
  out[kIntrExitsPerS] = per_s(r.n[kExitsIntr]);
  out[kIntrUserShare] = r.n[kExitsIntr] ? double(r.n[kExitsIntrUser]) / double(r.n[kExitsIntr]) : 0.0;
  out[kIntrWindowPerS] = per_s(r.n[kExitsIntrWindow]);
  out[kHltExitsPerS] = per_s(r.n[kExitsHlt]);
  out[kVmcallExitsPerS] = per_s(r.n[kExitsVmcall]);
  out[kMsrExitsPerS] = per_s(r.n[kExitsMsr]);
  out[kIoExitsPerS] = per_s(r.n[kExitsIo]);
  out[kNpfExitsPerS] = per_s(r.n[kExitsNpf]);
  out[kRdtscExitsPerS] = per_s(r.n[kExitsRdtsc]);
  out[kInjVirqPerS] = per_s(r.n[kInjVirq]);
  out[kEoiPerS] = per_s(r.n[kEoiWrites]);
  out[kMaxVcpuRipShare] = r.vx.max_vcpu_rip_share;
  out[kMinVcpuVirqRate] = r.vx.min_vcpu_virq_rate;
  out[kMinVcpuVmcallRate] = r.vx.min_vcpu_vmcall_rate;
  for (int f = 0; f < kNumFeatures; ++f)
    if (!std::isfinite(out[f])) out[f] = 0;  // only reachable with absurd inputs
}

Push push_row(DomainWindow* w, const WindowConfig& c, const SecondRow& r, float out[kNumFeatures],
              bool* restarted) {
  if (restarted) *restarted = false;
  if (!(r.span_s >= 0.5)) return Push::kIgnored;
  const bool restart =
      !w->used || w->domid != r.domid || w->generation != r.generation || r.index != w->last_index + 1;
  if (restart) {
    w->used = true;
    w->domid = r.domid;
    w->generation = r.generation;
    w->rows = 0;
    w->head = 0;
    w->blind = false;
    if (restarted) *restarted = true;
  }
  w->last_index = r.index;
  raw_features(r, w->ring[w->head]);
  w->head = (w->head + 1) % uint32_t(c.window);
  const uint64_t ordinal = w->rows++;  // 0 for the first row of the history
  if (r.blinded) {
    w->blind = true;
    w->blind_until = r.index + uint64_t(c.window) - 1;
  }
  // Not judged during warm-up, before a full window exists, or while a
  // blinded row is inside the window.
  if (ordinal < uint64_t(c.warmup) || ordinal + 1 < uint64_t(c.window)) return Push::kUnjudged;
  if (w->blind && r.index <= w->blind_until) return Push::kUnjudged;
  for (int f = 0; f < kNumFeatures; ++f) {
    double s = 0;
    for (int k = 0; k < c.window; ++k) s += w->ring[k][f];
    out[f] = float(s / c.window);
  }
  return Push::kJudged;
}

const char* guest_type_name(GuestType t) {
  switch (t) {
    case GuestType::kUnknown: return "unknown";
    case GuestType::kPv: return "pv";
    case GuestType::kHvm: return "hvm";
  }
  return "?";
}

bool parse_guest_type(std::string_view s, GuestType* t) {
  for (GuestType x : {GuestType::kPv, GuestType::kHvm}) {
    if (s == guest_type_name(x)) {
      *t = x;
      return true;
    }
  }
  return false;
}

uint64_t pv_records(const SecondRow& r) {
  return r.n[kHypercalls] + r.n[kTraps] + r.n[kPageFaults] + r.n[kPvOther];
}

GuestType guest_type_of(uint64_t pv, uint64_t hvm) {
  if (pv > hvm) return GuestType::kPv;
  if (hvm > pv) return GuestType::kHvm;
  return GuestType::kUnknown;
}

}  // namespace vt
