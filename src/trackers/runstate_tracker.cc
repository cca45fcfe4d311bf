#include "src/trackers/runstate_tracker.h"

namespace vt {
namespace {

void leave_pcpu(DomainTable& t, uint32_t vi) {
  const uint32_t p = t.vcpus[vi].pcpu;
  if (p < t.pcpus.size() && t.pcpus[p].current == vi) t.pcpus[p].current = kNone;
}

}  // namespace

void runstate_enter(Vcpu& v, VState next, uint64_t tsc) {
  if (v.state != kInit) {
    runstate_charge(v, tsc);
    if (tsc > v.stint_start) ++v.c.stints[v.state];
  }
  v.state = next;
  if (tsc > v.since) v.since = tsc;
  v.stint_start = v.since;
}

void runstate_change(DomainTable& t, uint32_t cpu, uint64_t tsc, uint32_t event, uint32_t packed) {
  const uint32_t vi = t.vcpu(xt::packed_domid(packed), xt::packed_vcpu(packed), tsc);
  if (vi == kNone) {
    ++t.stats[Stat::bad_ids];
    return;
  }
  Vcpu& v = t.vcpus[vi];
  if (t.domains[v.domain].removed) return;  // a straggler after DOM_REM
  const int from = xt::runstate_old(event);
  const int to = xt::runstate_new(event);
  if (v.state == kInit) {
    if (to != xt::kRunning) return;  // not counted until first seen running
    // Running already (CONTINUE_RUNNING): since this pCPU's first record.
    v.state = kRunning;
    v.since = v.stint_start = from == xt::kRunning ? t.pcpu(cpu).first_tsc : tsc;
  } else {
    if (v.state != from && v.state != kLost) ++v.c.n[kInconsistent];
    if (v.state == kRunning) leave_pcpu(t, vi);
    runstate_enter(v, VState(to), tsc);
  }
  if (to == xt::kRunning) {
    if (from != xt::kRunning) ++v.c.n[kExecCount];
    v.pcpu = cpu;
    t.pcpu(cpu).current = vi;
  }
}

void runstate_mark_lost(DomainTable& t, uint32_t vi, uint64_t first_tsc, uint64_t tsc) {
  Vcpu& v = t.vcpus[vi];
  ++v.c.n[kLostHits];
  if (v.state == kInit || v.state == kLost) return;
  runstate_enter(v, kLost, first_tsc > v.since ? first_tsc : v.since);
  runstate_charge(v, tsc);
}

void runstate_flush(DomainTable& t, uint64_t tsc) {
  for (Vcpu& v : t.vcpus)
    if (!t.domains[v.domain].removed) runstate_charge(v, tsc);
}

void runstate_skip_to(DomainTable& t, uint64_t tsc) {
  for (Vcpu& v : t.vcpus)
    if (v.since < tsc) v.since = tsc;
}

void runstate_end(DomainTable& t, uint64_t last_tsc, EndRule rule) {
  if (rule == EndRule::kTraceEnd) {
    runstate_flush(t, last_tsc);
    return;
  }
  for (const Pcpu& p : t.pcpus) {
    if (p.current == kNone) continue;
    Vcpu& v = t.vcpus[p.current];
    if (v.state == kRunning) runstate_enter(v, kLost, p.last_tsc);
  }
}

void runstate_close_domain(DomainTable& t, uint32_t d, uint64_t tsc) {
  for (uint32_t vi : t.domains[d].vcpus) {
    if (vi == kNone) continue;
    runstate_charge(t.vcpus[vi], tsc);
    leave_pcpu(t, vi);
  }
}

}  // namespace vt
