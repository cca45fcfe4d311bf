#include "xentrace/hvm_exits.h"

#include <array>
#include <cstddef>
#include <string_view>

namespace xt {

const char* hvm_vendor_name(HvmVendor v) {
  switch (v) {
    case HvmVendor::kUnknown: return "unknown";
    case HvmVendor::kSvm: return "svm";
    case HvmVendor::kVmx: return "vmx";
  }
  return "?";
}

bool parse_hvm_vendor(const char* s, HvmVendor* v) {
  const std::string_view x(s);
  if (x == "auto")
    *v = HvmVendor::kUnknown;
  else if (x == "svm")
    *v = HvmVendor::kSvm;
  else if (x == "vmx")
    *v = HvmVendor::kVmx;
  else
    return false;
  return true;
}

namespace {

struct Reason {
  uint32_t code;
  const char* name;
  ExitKind kind;
};

// SVM exit codes (AMD APM vol. 2, appendix C; Xen's vmcb.h), those named.
constexpr Reason kSvm[] = {
    // 0x00 + n: CRn read, 0x10 + n: CRn write, 0x20 + n: DRn read, 0x30 + n: DRn write
    {0x00, "CR0_READ", ExitKind::kOther},
    {0x01, "CR1_READ", ExitKind::kOther},
    {0x02, "CR2_READ", ExitKind::kOther},
    {0x03, "CR3_READ", ExitKind::kOther},
    {0x04, "CR4_READ", ExitKind::kOther},
    {0x05, "CR5_READ", ExitKind::kOther},
    {0x06, "CR6_READ", ExitKind::kOther},
    {0x07, "CR7_READ", ExitKind::kOther},
    {0x08, "CR8_READ", ExitKind::kOther},
    {0x09, "CR9_READ", ExitKind::kOther},
    {0x0a, "CR10_READ", ExitKind::kOther},
    {0x0b, "CR11_READ", ExitKind::kOther},
    {0x0c, "CR12_READ", ExitKind::kOther},
    {0x0d, "CR13_READ", ExitKind::kOther},
    {0x0e, "CR14_READ", ExitKind::kOther},
    {0x0f, "CR15_READ", ExitKind::kOther},
    {0x10, "CR0_WRITE", ExitKind::kOther},
    {0x11, "CR1_WRITE", ExitKind::kOther},
    {0x12, "CR2_WRITE", ExitKind::kOther},
    {0x13, "CR3_WRITE", ExitKind::kOther},
    {0x14, "CR4_WRITE", ExitKind::kOther},
    {0x15, "CR5_WRITE", ExitKind::kOther},
    {0x16, "CR6_WRITE", ExitKind::kOther},
    {0x17, "CR7_WRITE", ExitKind::kOther},
    {0x18, "CR8_WRITE", ExitKind::kOther},
    {0x19, "CR9_WRITE", ExitKind::kOther},
    {0x1a, "CR10_WRITE", ExitKind::kOther},
    {0x1b, "CR11_WRITE", ExitKind::kOther},
    {0x1c, "CR12_WRITE", ExitKind::kOther},
    {0x1d, "CR13_WRITE", ExitKind::kOther},
    {0x1e, "CR14_WRITE", ExitKind::kOther},
    {0x1f, "CR15_WRITE", ExitKind::kOther},
    {0x20, "DR0_READ", ExitKind::kOther},
    {0x21, "DR1_READ", ExitKind::kOther},
    {0x22, "DR2_READ", ExitKind::kOther},
    {0x23, "DR3_READ", ExitKind::kOther},
    {0x24, "DR4_READ", ExitKind::kOther},
    {0x25, "DR5_READ", ExitKind::kOther},
    {0x26, "DR6_READ", ExitKind::kOther},
    {0x27, "DR7_READ", ExitKind::kOther},
    {0x28, "DR8_READ", ExitKind::kOther},
    {0x29, "DR9_READ", ExitKind::kOther},
    {0x2a, "DR10_READ", ExitKind::kOther},
    {0x2b, "DR11_READ", ExitKind::kOther},
    {0x2c, "DR12_READ", ExitKind::kOther},
    {0x2d, "DR13_READ", ExitKind::kOther},
    {0x2e, "DR14_READ", ExitKind::kOther},
    {0x2f, "DR15_READ", ExitKind::kOther},
    {0x30, "DR0_WRITE", ExitKind::kOther},
    {0x31, "DR1_WRITE", ExitKind::kOther},
    {0x32, "DR2_WRITE", ExitKind::kOther},
    {0x33, "DR3_WRITE", ExitKind::kOther},
    {0x34, "DR4_WRITE", ExitKind::kOther},
    {0x35, "DR5_WRITE", ExitKind::kOther},
    {0x36, "DR6_WRITE", ExitKind::kOther},
    {0x37, "DR7_WRITE", ExitKind::kOther},
    {0x38, "DR8_WRITE", ExitKind::kOther},
    {0x39, "DR9_WRITE", ExitKind::kOther},
    {0x3a, "DR10_WRITE", ExitKind::kOther},
    {0x3b, "DR11_WRITE", ExitKind::kOther},
    {0x3c, "DR12_WRITE", ExitKind::kOther},
    {0x3d, "DR13_WRITE", ExitKind::kOther},
    {0x3e, "DR14_WRITE", ExitKind::kOther},
    {0x3f, "DR15_WRITE", ExitKind::kOther},
    // 0x40 + vector: an intercepted guest exception
    {0x40, "EXCEPTION_DE", ExitKind::kOther},
    {0x41, "EXCEPTION_DB", ExitKind::kOther},
    {0x42, "EXCEPTION_NMI", ExitKind::kOther},
    {0x43, "EXCEPTION_BP", ExitKind::kOther},
    {0x44, "EXCEPTION_OF", ExitKind::kOther},
    {0x45, "EXCEPTION_BR", ExitKind::kOther},
    {0x46, "EXCEPTION_UD", ExitKind::kOther},
    {0x47, "EXCEPTION_NM", ExitKind::kOther},
    {0x48, "EXCEPTION_DF", ExitKind::kOther},
    {0x49, "EXCEPTION_09", ExitKind::kOther},
    {0x4a, "EXCEPTION_TS", ExitKind::kOther},
    {0x4b, "EXCEPTION_NP", ExitKind::kOther},
    {0x4c, "EXCEPTION_SS", ExitKind::kOther},
    {0x4d, "EXCEPTION_GP", ExitKind::kOther},
    {0x4e, "EXCEPTION_PF", ExitKind::kOther},
    {0x4f, "EXCEPTION_15", ExitKind::kOther},
    {0x50, "EXCEPTION_MF", ExitKind::kOther},
    {0x51, "EXCEPTION_AC", ExitKind::kOther},
    {0x52, "EXCEPTION_MC", ExitKind::kOther},
    {0x53, "EXCEPTION_XF", ExitKind::kOther},
    {0x55, "EXCEPTION_CP", ExitKind::kOther},
    {0x60, "INTR", ExitKind::kIntr},
    {0x61, "NMI", ExitKind::kOther},
    {0x62, "SMI", ExitKind::kOther},
    {0x63, "INIT", ExitKind::kOther},
    {0x64, "VINTR", ExitKind::kIntrWindow},
    {0x65, "CR0_SEL_WRITE", ExitKind::kOther},
    {0x66, "IDTR_READ", ExitKind::kOther},
    {0x67, "GDTR_READ", ExitKind::kOther},
    {0x68, "LDTR_READ", ExitKind::kOther},
    {0x69, "TR_READ", ExitKind::kOther},
    {0x6a, "IDTR_WRITE", ExitKind::kOther},
    {0x6b, "GDTR_WRITE", ExitKind::kOther},
    {0x6c, "LDTR_WRITE", ExitKind::kOther},
    {0x6d, "TR_WRITE", ExitKind::kOther},
    {0x6e, "RDTSC", ExitKind::kRdtsc},
    {0x6f, "RDPMC", ExitKind::kOther},
    {0x70, "PUSHF", ExitKind::kOther},
    {0x71, "POPF", ExitKind::kOther},
    {0x72, "CPUID", ExitKind::kOther},
    {0x73, "RSM", ExitKind::kOther},
    {0x74, "IRET", ExitKind::kOther},
    {0x75, "SWINT", ExitKind::kOther},
    {0x76, "INVD", ExitKind::kOther},
    {0x77, "PAUSE", ExitKind::kOther},
    {0x78, "HLT", ExitKind::kHlt},
    {0x79, "INVLPG", ExitKind::kOther},
    {0x7a, "INVLPGA", ExitKind::kOther},
    {0x7b, "IOIO", ExitKind::kIo},
    {0x7c, "MSR", ExitKind::kMsr},
    {0x7d, "TASK_SWITCH", ExitKind::kOther},
    {0x7e, "FERR_FREEZE", ExitKind::kOther},
    {0x7f, "SHUTDOWN", ExitKind::kOther},
    {0x80, "VMRUN", ExitKind::kOther},
    {0x81, "VMMCALL", ExitKind::kVmcall},
    {0x82, "VMLOAD", ExitKind::kOther},
    {0x83, "VMSAVE", ExitKind::kOther},
    {0x84, "STGI", ExitKind::kOther},
    {0x85, "CLGI", ExitKind::kOther},
    {0x86, "SKINIT", ExitKind::kOther},
    {0x87, "RDTSCP", ExitKind::kRdtsc},
    {0x88, "ICEBP", ExitKind::kOther},
    {0x89, "WBINVD", ExitKind::kOther},
    {0x8a, "MONITOR", ExitKind::kOther},
    {0x8b, "MWAIT", ExitKind::kOther},
    {0x8c, "MWAIT_CONDITIONAL", ExitKind::kOther},
    {0x8d, "XSETBV", ExitKind::kOther},
    {0x8e, "RDPRU", ExitKind::kOther},
    {0x400, "NPF", ExitKind::kNpf},
    {0x401, "AVIC_INCOMPLETE_IPI", ExitKind::kOther},
    {0x402, "AVIC_NOACCEL", ExitKind::kOther},
    {0x403, "VMGEXIT", ExitKind::kOther},
};

// VMX basic exit reasons (Intel SDM vol. 3, appendix C; Xen's vmx.h).
constexpr Reason kVmx[] = {
    {0, "EXCEPTION_NMI", ExitKind::kOther},
    {1, "EXTERNAL_INTERRUPT", ExitKind::kIntr},
    {2, "TRIPLE_FAULT", ExitKind::kOther},
    {3, "INIT", ExitKind::kOther},
    {4, "SIPI", ExitKind::kOther},
    {5, "IO_SMI", ExitKind::kOther},
    {6, "OTHER_SMI", ExitKind::kOther},
    {7, "PENDING_VIRT_INTR", ExitKind::kIntrWindow},
    {8, "PENDING_VIRT_NMI", ExitKind::kOther},
    {9, "TASK_SWITCH", ExitKind::kOther},
    {10, "CPUID", ExitKind::kOther},
    {11, "GETSEC", ExitKind::kOther},
    {12, "HLT", ExitKind::kHlt},
    {13, "INVD", ExitKind::kOther},
    {14, "INVLPG", ExitKind::kOther},
    {15, "RDPMC", ExitKind::kOther},
    {16, "RDTSC", ExitKind::kRdtsc},
    {17, "RSM", ExitKind::kOther},
    {18, "VMCALL", ExitKind::kVmcall},
    {19, "VMCLEAR", ExitKind::kOther},
    {20, "VMLAUNCH", ExitKind::kOther},
    {21, "VMPTRLD", ExitKind::kOther},
    {22, "VMPTRST", ExitKind::kOther},
    {23, "VMREAD", ExitKind::kOther},
    {24, "VMRESUME", ExitKind::kOther},
    {25, "VMWRITE", ExitKind::kOther},
    {26, "VMXOFF", ExitKind::kOther},
    {27, "VMXON", ExitKind::kOther},
    {28, "CR_ACCESS", ExitKind::kOther},
    {29, "DR_ACCESS", ExitKind::kOther},
    {30, "IO_INSTRUCTION", ExitKind::kIo},
    {31, "MSR_READ", ExitKind::kMsr},
    {32, "MSR_WRITE", ExitKind::kMsr},
    {33, "INVALID_GUEST_STATE", ExitKind::kOther},
    {34, "MSR_LOADING", ExitKind::kOther},
    {36, "MWAIT_INSTRUCTION", ExitKind::kOther},
    {37, "MONITOR_TRAP_FLAG", ExitKind::kOther},
    {39, "MONITOR_INSTRUCTION", ExitKind::kOther},
    {40, "PAUSE_INSTRUCTION", ExitKind::kOther},
    {41, "MCE_DURING_VMENTRY", ExitKind::kOther},
    {43, "TPR_BELOW_THRESHOLD", ExitKind::kOther},
    {44, "APIC_ACCESS", ExitKind::kOther},
    {45, "EOI_INDUCED", ExitKind::kOther},
    {46, "ACCESS_GDTR_OR_IDTR", ExitKind::kOther},
    {47, "ACCESS_LDTR_OR_TR", ExitKind::kOther},
    {48, "EPT_VIOLATION", ExitKind::kNpf},
    {49, "EPT_MISCONFIG", ExitKind::kNpf},
    {50, "INVEPT", ExitKind::kOther},
    {51, "RDTSCP", ExitKind::kRdtsc},
    {52, "PREEMPTION_TIMER_EXPIRED", ExitKind::kOther},
    {53, "INVVPID", ExitKind::kOther},
    {54, "WBINVD", ExitKind::kOther},
    {55, "XSETBV", ExitKind::kOther},
    {56, "APIC_WRITE", ExitKind::kOther},
    {58, "INVPCID", ExitKind::kOther},
    {59, "VMFUNC", ExitKind::kOther},
    {62, "PML_FULL", ExitKind::kOther},
    {63, "XSAVES", ExitKind::kOther},
    {64, "XRSTORS", ExitKind::kOther},
    {74, "BUS_LOCK", ExitKind::kOther},
    {75, "NOTIFY", ExitKind::kOther},
};

// Direct-indexed views of the tables: a reason is found in one load (the
// tracker asks for every VM exit).
constexpr uint32_t kSvmSlots = kExitReasonSlots - 1, kVmxSlots = 76;
constexpr size_t kNoEntry = 0xff;

template <size_t N, size_t M>
constexpr std::array<uint8_t, M> index_of(const Reason (&t)[N], uint32_t (*slot)(uint32_t)) {
  std::array<uint8_t, M> a{};
  for (auto& x : a) x = kNoEntry;
  for (size_t i = 0; i < N; ++i)
    if (slot(t[i].code) < M) a[slot(t[i].code)] = uint8_t(i);
  return a;
}
constexpr uint32_t svm_slot(uint32_t c) { return exit_reason_slot(c); }
constexpr uint32_t vmx_slot(uint32_t c) { return c & 0xffff; }  // VMX's flags above the basic reason
constexpr auto kSvmIndex = index_of<sizeof kSvm / sizeof kSvm[0], kSvmSlots>(kSvm, svm_slot);
constexpr auto kVmxIndex = index_of<sizeof kVmx / sizeof kVmx[0], kVmxSlots>(kVmx, vmx_slot);

const Reason* lookup(uint32_t reason, HvmVendor vendor) {
  if (vendor == HvmVendor::kSvm) {
    const uint32_t s = svm_slot(reason);
    return s < kSvmSlots && kSvmIndex[s] != kNoEntry ? &kSvm[kSvmIndex[s]] : nullptr;
  }
  const uint32_t s = vmx_slot(reason);
  return s < kVmxSlots && kVmxIndex[s] != kNoEntry ? &kVmx[kVmxIndex[s]] : nullptr;
}

}  // namespace

ExitKind exit_kind(uint32_t reason, HvmVendor vendor) {
  if (vendor != HvmVendor::kSvm && svm_only_reason(reason)) vendor = HvmVendor::kSvm;
  const Reason* r = lookup(reason, vendor);
  return r ? r->kind : ExitKind::kOther;
}

const char* exit_reason_name(uint32_t reason, HvmVendor vendor) {
  const Reason* r = lookup(reason, vendor);
  return r ? r->name : nullptr;
}

}  // namespace xt
