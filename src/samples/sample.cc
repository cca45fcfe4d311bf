#include "src/samples/sample.h"

#include <algorithm>

namespace vt {

const char* domain_state_name(DomainState s) {
  switch (s) {
    case DomainState::kActive: return "active";
    case DomainState::kPaused: return "paused";
    case DomainState::kShutdown: return "shutdown";
    case DomainState::kCrashed: return "crashed";
    case DomainState::kDying: return "dying";
  }
  return "?";
}

bool parse_domain_state(std::string_view name, DomainState* s) {
  for (DomainState d : {DomainState::kActive, DomainState::kPaused, DomainState::kShutdown,
                        DomainState::kCrashed, DomainState::kDying})
    if (name == domain_state_name(d)) {
      *s = d;
      return true;
    }
  return false;
}

const char* shutdown_column(uint8_t reason) {
  return reason == xt::kNoShutdown ? "none" : xt::shutdown_reason_name(reason);
}

bool parse_shutdown_column(std::string_view name, uint8_t* reason) {
  // Every reason above Xen's known ones is kept as one "unknown" value
  // (lifecycle_tracker.h), the first whose name it is.
  for (unsigned r = 0; r <= xt::kNoShutdown; ++r)
    if (name == shutdown_column(uint8_t(r))) {
      *reason = uint8_t(r);
      return true;
    }
  return false;
}

namespace {

// The period's state of a domain whose vCPUs were just sampled (s.vcpus,
// s.vcpus_up). A shutdown the guest ran after was cancelled (a failed save
// resumes the domain): forgotten.
DomainState state_of(Domain& dom, const DomainSample& s, uint64_t from, uint64_t to) {
  if (dom.removed && dom.removed_tsc < to) return DomainState::kDying;
  if (dom.shutdown != xt::kNoShutdown && dom.shutdown_tsc < from && s.d.cycles[kRunning] > 0)
    dom.shutdown = xt::kNoShutdown;
  if (dom.shutdown == xt::kShutdownCrash) return DomainState::kCrashed;
  if (dom.shutdown != xt::kNoShutdown) return DomainState::kShutdown;
  if (s.vcpus > 0 && s.vcpus_up == 0) return DomainState::kPaused;
  return DomainState::kActive;
}

}  // namespace

void take_samples(DomainTable& t, uint64_t index, uint64_t from, uint64_t to, const SampleOptions& o,
                  std::vector<DomainSample>* out, std::vector<VcpuSample>* vcpu_buf) {
  const double hz = o.cpu_hz;
  out->clear();
  vcpu_buf->clear();
  const double span_cycles = double(to - from);
  // First pass sizes vcpu_buf so the pointers taken below stay valid.
  size_t nv = 0;
  for (const Domain& d : t.domains) nv += d.vcpus.size();
  vcpu_buf->reserve(nv);
  for (Domain& dom : t.domains) {
    const bool alive = dom.created_tsc < to && (!dom.removed || dom.removed_tsc > from);
    if (!alive || (!o.include_idle && dom.domid == xt::kIdleDomid)) {
      for (uint32_t vi : dom.vcpus) {
        if (vi == kNone) continue;
        t.vcpus[vi].sampled = t.vcpus[vi].c;
        t.vcpus[vi].intr_rips.clear();
      }
      dom.sampled = dom.c;
      continue;
    }
    DomainSample s;
    s.index = index;
    s.start_s = double(index) * o.period_s;
    s.span_s = span_cycles / hz;
    s.domid = dom.domid;
    s.generation = dom.generation;
    s.vcpu = vcpu_buf->data() + vcpu_buf->size();
    s.vx.min_vcpu_blocked = 1.0;
    s.vx.min_vcpu_hc_rate = kMaxVcpuRate;
    s.vx.min_vcpu_switch_rate = kMaxVcpuRate;
    s.vx.min_vcpu_virq_rate = kMaxVcpuRate;
    s.vx.min_vcpu_vmcall_rate = kMaxVcpuRate;
    bool hvm_busy = false;  // a busy vCPU made VM exits
    for (uint32_t vi : dom.vcpus) {
      if (vi == kNone) continue;
      Vcpu& v = t.vcpus[vi];
      VcpuSample vs;
      vs.id = v.id;
      vs.d = v.c - v.sampled;
      v.sampled = v.c;
      vs.intr_rip_top = v.intr_rips.top();
      v.intr_rips.clear();
      uint64_t timed = 0;
      for (int st = 0; st < kTimedStates; ++st) timed += vs.d.cycles[st];
      if (timed == 0 && v.state == kInit) continue;  // not yet seen running
      ++s.vcpus;
      if (v.state != kOffline || vs.d.cycles[kRunning] > 0) ++s.vcpus_up;
      s.d += vs.d;
      if (span_cycles > 0) {
        s.vx.max_vcpu_running = std::max(s.vx.max_vcpu_running, double(vs.d.cycles[kRunning]) / span_cycles);
        s.vx.min_vcpu_blocked = std::min(s.vx.min_vcpu_blocked, double(vs.d.cycles[kBlocked]) / span_cycles);
        const double run = double(vs.d.cycles[kRunning]);
        if (run >= kBusyVcpuFrac * span_cycles) {
          s.vx.min_vcpu_hc_rate = std::min(s.vx.min_vcpu_hc_rate, double(vs.d.n[kHypercalls]) * hz / run);
          s.vx.min_vcpu_switch_rate =
              std::min(s.vx.min_vcpu_switch_rate, double(vs.d.n[kGuestSwitches]) * hz / run);
          if (vs.d.n[kHvmExits] > 0) {
            hvm_busy = true;
            s.vx.min_vcpu_virq_rate = std::min(s.vx.min_vcpu_virq_rate, double(vs.d.n[kInjVirq]) * hz / run);
            s.vx.min_vcpu_vmcall_rate =
                std::min(s.vx.min_vcpu_vmcall_rate, double(vs.d.n[kExitsVmcall]) * hz / run);
            // The top kernel RIP's share of all the vCPU's interrupt exits.
            if (const uint64_t intr_exits = vs.d.n[kExitsIntr]; intr_exits >= kMinIntrExits)
              s.vx.max_vcpu_rip_share =
                  std::max(s.vx.max_vcpu_rip_share, double(vs.intr_rip_top) / double(intr_exits));
          }
        }
      }
      vcpu_buf->push_back(vs);
      ++s.n_vcpu;
    }
    if (s.vcpus == 0) {
      s.vx.min_vcpu_blocked = 0;
    }
    if (!hvm_busy) s.vx.min_vcpu_virq_rate = s.vx.min_vcpu_vmcall_rate = 0;
    const bool lost = s.d.cycles[kLost] > 0 || s.d.n[kLostHits] > 0 ||
                      (dom.blind_to != 0 && dom.blind_from < to && dom.blind_to >= from);
    const bool shared = t.shared_to != 0 && t.shared_from < to && t.shared_to >= from;
    s.blinded = uint8_t((lost ? kBlindLost : 0) | (shared ? kBlindSharedRings : 0));
    if (lost) ++dom.c.n[kBlindTicks];
    s.dd = dom.c - dom.sampled;
    dom.sampled = dom.c;
    if (s.vcpus == 0 && s.dd.n[kGrantMap] + s.dd.n[kGrantUnmap] + s.dd.n[kGrantTransfer] == 0)
      continue;  // nothing known about it yet
    s.state = state_of(dom, s, from, to);
    s.shutdown_reason = dom.shutdown;  // also when dying: a crash destroyed at once is still a crash
    if (dom.created_in_trace && to > dom.created_tsc) s.age_s = float(double(to - dom.created_tsc) / hz);
    out->push_back(s);
  }
}

}  // namespace vt
