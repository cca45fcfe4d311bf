#include "src/trackers/hvm_tracker.h"

namespace vt {

void hvm_exit(DomainTable& t, Vcpu& v, uint32_t reason, uint64_t rip, bool long_mode) {
  uint64_t* n = v.c.n;
  ++n[kHvmExits];
  if (t.hvm_vendor == xt::HvmVendor::kUnknown && xt::svm_only_reason(reason))
    t.hvm_vendor = xt::HvmVendor::kSvm;
  if (!v.exit_reasons) v.exit_reasons = std::make_unique<std::array<uint64_t, kExitReasonSlots>>();
  ++(*v.exit_reasons)[exit_reason_slot(reason)];
  switch (xt::exit_kind(reason, t.hvm_vendor)) {
    case xt::ExitKind::kIntr: {
      ++n[kExitsIntr];
      // Only kernel RIPs go to the sketch: a CPU-bound user loop is also
      // interrupted at one RIP, a spinning kernel at one kernel RIP. Outside
      // long mode (a 32-bit guest) the split is the guest's own choice, so
      // neither count is kept.
      if (long_mode) {
        const bool user = xt::user_rip(rip);
        n[kExitsIntrUser] += user;
        if (!user) v.intr_rips.add(rip);
      }
      break;
    }
    case xt::ExitKind::kIntrWindow: ++n[kExitsIntrWindow]; break;
    case xt::ExitKind::kHlt: ++n[kExitsHlt]; break;
    case xt::ExitKind::kVmcall: ++n[kExitsVmcall]; break;
    case xt::ExitKind::kMsr: ++n[kExitsMsr]; break;
    case xt::ExitKind::kIo: ++n[kExitsIo]; break;
    case xt::ExitKind::kNpf: ++n[kExitsNpf]; break;
    case xt::ExitKind::kRdtsc: ++n[kExitsRdtsc]; break;
    case xt::ExitKind::kOther: break;
  }
}

}  // namespace vt
