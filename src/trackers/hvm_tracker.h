// HVM attribution: HVM-class records (VMENTRY/VMEXIT and the exit
// handlers' records) carry no domain, like PV records: each belongs to the
// vCPU running on the pCPU that wrote it (Pcpu::current). Their presence is
// also what tells an HVM or PVH guest from a PV one (features.h).
//
// Per vCPU: every HVM record; every VM exit, by raw reason (for the
// summary) and by kind (xt::ExitKind: interrupts, interrupt windows, HLT,
// hypercalls, MSR, I/O, nested page faults, RDTSC); the RIPs interrupt
// exits land on (user space or not; the most frequent, RipSketch);
// injected interrupts (INJ_VIRQ) and x2APIC EOI writes. A kernel spinning
// with interrupts off stops taking interrupts (no injection, no EOI, no
// timer hypercall, no HLT) while Xen keeps opening interrupt windows; one
// spinning with interrupts on is interrupted at one kernel RIP, where user
// work is interrupted in user space and a busy kernel at many RIPs.
#pragma once

#include "src/trackers/entities.h"

namespace vt {

// A VM exit of vCPU `v` with this reason at this guest RIP (long_mode:
// a 64-bit RIP, else a 32-bit EIP whose privilege is not known).
void hvm_exit(DomainTable& t, Vcpu& v, uint32_t reason, uint64_t rip, bool long_mode);

inline void hvm_record(DomainTable& t, uint32_t cpu, const xt::Record& r) {
  ++t.stats[Stat::hvm_records];
  const uint32_t vi = cpu < t.pcpus.size() ? t.pcpus[cpu].current : kNone;
  if (vi == kNone) {
    ++t.stats[Stat::hvm_unattributed];
    return;
  }
  Vcpu& v = t.vcpus[vi];
  uint64_t* n = v.c.n;
  ++n[kHvmRecords];
  switch (r.event & ~uint32_t(TRC_HVM_NESTEDFLAG)) {
    case TRC_HVM_VMEXIT64:
      if (r.n_extra >= xt::kWords<TRC_HVM_VMEXIT64>)
        hvm_exit(t, v, r.word(0), r.word64(1), true);
      else
        ++t.stats[Stat::short_payload];
      break;
    case TRC_HVM_VMEXIT:
      if (r.n_extra >= xt::kWords<TRC_HVM_VMEXIT>)
        hvm_exit(t, v, r.word(0), r.word(1), false);
      else
        ++t.stats[Stat::short_payload];
      break;
    case TRC_HVM_INJ_VIRQ: ++n[kInjVirq]; break;
    case TRC_HVM_MSR_WRITE: n[kEoiWrites] += r.n_extra >= 1 && r.word(0) == xt::kMsrX2apicEoi; break;
    default: break;
  }
}

}  // namespace vt
