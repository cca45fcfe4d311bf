// HVM attribution: HVM-class records (VMENTRY/VMEXIT and the exit
// handlers' records) carry no domain, like PV records: each belongs to the
// vCPU running on the pCPU that wrote it (Pcpu::current). Their presence
// is also what tells an HVM or PVH guest from a PV one in a trace.
#pragma once

#include "src/trackers/entities.h"

namespace vt {

inline void hvm_record(DomainTable& t, uint32_t cpu, const xt::Record& r) {
  ++t.stats[Stat::hvm_records];
  const uint32_t vi = cpu < t.pcpus.size() ? t.pcpus[cpu].current : kNone;
  if (vi == kNone) {
    ++t.stats[Stat::hvm_unattributed];
    return;
  }
  uint64_t* n = t.vcpus[vi].c.n;
  ++n[kHvmRecords];
  const uint32_t e = r.event & ~uint32_t(TRC_HVM_NESTEDFLAG);
  n[kHvmExits] += e == TRC_HVM_VMEXIT || e == TRC_HVM_VMEXIT64;
}

}  // namespace vt
