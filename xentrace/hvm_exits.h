// HVM exit reasons: what the reason word of a TRC_HVM_VMEXIT(64) record
// means, which depends on the CPU vendor. AMD SVM writes the VMCB exit code
// (xen/arch/x86/include/asm/hvm/svm/vmcb.h: VMEXIT_INTR = 0x60 ...
// VMEXIT_NPF = 0x400), Intel VMX the basic exit reason
// (xen/arch/x86/include/asm/hvm/vmx/vmx.h: EXIT_REASON_EXTERNAL_INTERRUPT =
// 1 ... 75). The two overlap below 0x60, where SVM's codes are CR, DR and
// exception intercepts that a Linux guest under nested paging hardly ever
// makes; SVM's codes from 0x60 up never occur on VMX. So a trace is SVM from
// its first reason at or above 0x60 (external interrupts come within
// milliseconds), else taken as VMX; a caller who knows (a live host's CPU
// vendor, --hvm-vendor) says so.
#pragma once

#include <cstdint>

namespace xt {

enum class HvmVendor : uint8_t { kUnknown, kSvm, kVmx };
const char* hvm_vendor_name(HvmVendor v);  // "unknown", "svm", "vmx"
// "auto" (kUnknown), "svm", "vmx"; false otherwise.
bool parse_hvm_vendor(const char* s, HvmVendor* v);

// True for a reason only SVM writes.
constexpr bool svm_only_reason(uint32_t reason) { return reason >= 0x60 && reason <= 0x403; }

// The exits the detector reads, by what they mean whatever the vendor.
enum class ExitKind : uint8_t {
  kOther,
  kIntr,        // an external (physical) interrupt: the guest was interrupted where it ran
  kIntrWindow,  // the guest could not take a pending interrupt (interrupts off)
  kHlt,         // the guest idled
  kVmcall,      // a hypercall (VMMCALL / VMCALL)
  kMsr,         // an MSR access (x2APIC EOI, timers)
  kIo,          // a port I/O instruction
  kNpf,         // a nested page fault (NPF / EPT violation or misconfiguration)
  kRdtsc,       // RDTSC or RDTSCP (when Xen emulates the TSC)
};

// `vendor` kUnknown reads a reason below 0x60 as VMX's.
ExitKind exit_kind(uint32_t reason, HvmVendor vendor);
// A short name of the reason ("INTR", "VMMCALL", "EXTERNAL_INTERRUPT",
// ...), or nullptr for one vtrace does not name.
const char* exit_reason_name(uint32_t reason, HvmVendor vendor);

// Counts by raw reason (a vCPU's exits per reason) in kExitReasonSlots
// slots: SVM's codes below 0x90 and 0x400..0x403 (NPF, AVIC, VMGEXIT), VMX's
// basic reasons (below 0x90), anything else in the last slot. VMX's flag
// bits above the basic reason (a failed entry's bit 31, the bus-lock bit 26
// that Xen traces before it clears it) are masked off, as exit_kind() does;
// SVM's codes never reach them (but VMEXIT_INVALID, -1: the last slot).
constexpr uint32_t kExitReasonSlots = 0x90 + 4 + 1;
constexpr uint32_t kOtherExitReason = 0xffffffffu;  // what the last slot counts
constexpr uint32_t exit_reason_slot(uint32_t reason) {
  const uint32_t r = reason & 0xffff;
  return r < 0x90 ? r : r >= 0x400 && r <= 0x403 ? 0x90 + (r - 0x400) : kExitReasonSlots - 1;
}
// The reason a slot counts (kOtherExitReason for the last one).
constexpr uint32_t exit_reason_of_slot(uint32_t slot) {
  return slot < 0x90 ? slot : slot < kExitReasonSlots - 1 ? 0x400 + (slot - 0x90) : kOtherExitReason;
}

// x86-64 guests: user space is the lower half of the address space.
constexpr bool user_rip(uint64_t rip) { return rip < 0x0000800000000000ull; }
constexpr uint32_t kMsrX2apicEoi = 0x80b;  // the x2APIC EOI register (MSR 0x800 + 0xb)

}  // namespace xt
