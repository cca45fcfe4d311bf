// PV attribution: PV-class records (hypercalls, traps, page faults, ...)
// carry no domain. Each belongs to the vCPU running on the pCPU that wrote
// it at that moment, which the runstate tracker knows from the merged
// scheduler stream (Pcpu::current).
#pragma once

#include "src/trackers/entities.h"

namespace vt {

struct PvStats {
  uint64_t unattributed = 0;  // PV records on a pCPU with no known running vCPU
};

inline void pv_record(DomainTable& t, PvStats& s, uint32_t cpu, uint32_t event) {
  const uint32_t vi = cpu < t.pcpus.size() ? t.pcpus[cpu].current : kNone;
  if (vi == kNone) {
    ++s.unattributed;
    return;
  }
  uint64_t* n = t.vcpus[vi].c.n;
  switch (xt::pv_base_event(event)) {
    case TRC_PV_HYPERCALL:
    case TRC_PV_HYPERCALL_V2:
    case TRC_PV_HYPERCALL_SUBCALL:  // one call of a multicall batch; xenalyze counts them too
      ++n[kHypercalls];
      break;
    case TRC_PV_TRAP: ++n[kTraps]; break;
    case TRC_PV_PAGE_FAULT: ++n[kPageFaults]; break;
    default: ++n[kPvOther]; break;
  }
}

}  // namespace vt
