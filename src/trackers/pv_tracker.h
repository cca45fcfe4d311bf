// PV attribution: PV-class records (hypercalls, traps, page faults, ...)
// carry no domain. Each belongs to the vCPU running on the pCPU that wrote
// it at that moment, which the runstate tracker knows from the merged
// scheduler stream (Pcpu::current).
#pragma once

#include "src/trackers/entities.h"

namespace vt {

// A PV Linux kernel makes a stack_switch hypercall (usually inside the
// multicall batch of a context switch) each time it switches tasks on a
// vCPU: a count of the guest's own scheduling, seen from outside. A kernel
// spinning with preemption or interrupts off makes none.
inline void pv_record(DomainTable& t, uint32_t cpu, const xt::Record& r) {
  ++t.stats[Stat::pv_records];
  const uint32_t vi = cpu < t.pcpus.size() ? t.pcpus[cpu].current : kNone;
  if (vi == kNone) {
    ++t.stats[Stat::pv_unattributed];
    return;
  }
  uint64_t* n = t.vcpus[vi].c.n;
  switch (xt::pv_base_event(r.event)) {
    case TRC_PV_HYPERCALL: ++n[kHypercalls]; break;  // the old format: word 0 is not the op
    case TRC_PV_HYPERCALL_V2:
    case TRC_PV_HYPERCALL_SUBCALL:  // one call of a multicall batch; xenalyze counts them too
      ++n[kHypercalls];
      n[kGuestSwitches] += xt::hypercall_op(r.word(0)) == xt::kHypercallStackSwitch;
      break;
    case TRC_PV_TRAP: ++n[kTraps]; break;
    case TRC_PV_PAGE_FAULT: ++n[kPageFaults]; break;
    default: ++n[kPvOther]; break;
  }
}

}  // namespace vt
