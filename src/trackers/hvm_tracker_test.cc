// HVM records through the trackers: attribution to the running vCPU, exits
// by raw reason and by kind for both vendors (codes from Xen's vmcb.h and
// vmx.h, written here by hand), the interrupted RIPs.
#include "src/trackers/hvm_tracker.h"

#include <gtest/gtest.h>

#include "src/trackers/trackers.h"
#include "tests/support/trace_builder.h"

namespace {

using namespace vt::test;
constexpr int R = xt::kRunning, Q = xt::kRunnable;
constexpr uint64_t kKernelRip = 0xffffffff81234567ull, kUserRip = 0x00007f12345678ull;

struct Feed {
  Feed& on(uint32_t cpu, const Rec& r) {
    t.on_record(cpu, decode(r));
    return *this;
  }
  const vt::Vcpu& v(uint32_t dom, uint32_t id) {
    for (const vt::Vcpu& x : t.table.vcpus)
      if (x.domid == dom && x.id == id) return x;
    ADD_FAILURE() << "no d" << dom << "v" << id;
    static vt::Vcpu none;
    return none;
  }
  vt::Trackers t;
};

// An HVM guest on AMD: the exits of one second, by kind.
TEST(Hvm, SvmExitsByKindAndReason) {
  Feed f;
  f.on(1, runstate(100, 3, 0, Q, R))
      .on(1, vmexit64(110, 0x60, kUserRip))         // INTR in user space
      .on(1, vmexit64(120, 0x60, kKernelRip))       // INTR in the kernel
      .on(1, vmexit64(130, 0x64, kKernelRip))       // VINTR: an interrupt window
      .on(1, inj_virq(131, 0xec))                   // the timer, injected
      .on(1, vmexit64(140, 0x7c, kKernelRip))       // MSR
      .on(1, msr_write(141, xt::kMsrX2apicEoi, 0))  // x2APIC EOI
      .on(1, msr_write(142, 0x6e0, 123))            // TSC deadline: not an EOI
      .on(1, vmexit64(150, 0x81, kKernelRip))       // VMMCALL
      .on(1, vmexit64(160, 0x78, kKernelRip))       // HLT
      .on(1, vmexit64(170, 0x400, kKernelRip))      // NPF
      .on(1, vmexit64(180, 0x6e, kKernelRip))       // RDTSC
      .on(1, vmexit64(190, 0x7b, kKernelRip))       // IOIO
      .on(1, vmexit64(195, 0x72, kKernelRip))       // CPUID: no kind of its own
      .on(1, vmentry(196));
  EXPECT_EQ(f.t.table.hvm_vendor, xt::HvmVendor::kSvm);
  const vt::Vcpu& v = f.v(3, 0);
  const uint64_t* n = v.c.n;
  EXPECT_EQ(n[vt::kHvmRecords], 14u);
  EXPECT_EQ(n[vt::kHvmExits], 10u);
  EXPECT_EQ(n[vt::kExitsIntr], 2u);
  EXPECT_EQ(n[vt::kExitsIntrUser], 1u);
  EXPECT_EQ(n[vt::kExitsIntrWindow], 1u);
  EXPECT_EQ(n[vt::kExitsMsr], 1u);
  EXPECT_EQ(n[vt::kExitsVmcall], 1u);
  EXPECT_EQ(n[vt::kExitsHlt], 1u);
  EXPECT_EQ(n[vt::kExitsNpf], 1u);
  EXPECT_EQ(n[vt::kExitsRdtsc], 1u);
  EXPECT_EQ(n[vt::kExitsIo], 1u);
  EXPECT_EQ(n[vt::kInjVirq], 1u);
  EXPECT_EQ(n[vt::kEoiWrites], 1u);
  ASSERT_NE(v.exit_reasons, nullptr);
  EXPECT_EQ((*v.exit_reasons)[0x60], 2u);
  EXPECT_EQ((*v.exit_reasons)[vt::exit_reason_slot(0x400)], 1u);
  EXPECT_EQ((*v.exit_reasons)[0x72], 1u);
  EXPECT_EQ(v.intr_rips.total, 1u);  // the kernel-space one; the user-space one is only counted
  EXPECT_EQ(f.t.stats()[vt::Stat::hvm_records], 14u);
  EXPECT_STREQ(xt::exit_reason_name(0x81, xt::HvmVendor::kSvm), "VMMCALL");
}

// The same kinds on Intel: VMX's basic reasons, a failed entry's flag bit
// ignored; no reason at or above 0x60, so the vendor stays unsaid (read as
// VMX).
TEST(Hvm, VmxExitsByKind) {
  Feed f;
  f.on(0, runstate(100, 4, 1, Q, R))
      .on(0, vmexit64(110, 1, kKernelRip))                  // EXTERNAL_INTERRUPT
      .on(0, vmexit64(120, 7, kKernelRip))                  // PENDING_VIRT_INTR
      .on(0, vmexit64(130, 12, kKernelRip))                 // HLT
      .on(0, vmexit64(140, 18, kKernelRip))                 // VMCALL
      .on(0, vmexit64(150, 31, kKernelRip))                 // MSR_READ
      .on(0, vmexit64(160, 32, kKernelRip))                 // MSR_WRITE
      .on(0, vmexit64(170, 48, kKernelRip))                 // EPT_VIOLATION
      .on(0, vmexit64(180, 16, kKernelRip))                 // RDTSC
      .on(0, vmexit64(190, 30, kKernelRip))                 // IO_INSTRUCTION
      .on(0, vmexit64(200, 0x80000000u | 33, kKernelRip));  // a failed entry (INVALID_GUEST_STATE)
  EXPECT_EQ(f.t.table.hvm_vendor, xt::HvmVendor::kUnknown);
  const uint64_t* n = f.v(4, 1).c.n;
  EXPECT_EQ(n[vt::kHvmExits], 10u);
  EXPECT_EQ(n[vt::kExitsIntr], 1u);
  EXPECT_EQ(n[vt::kExitsIntrWindow], 1u);
  EXPECT_EQ(n[vt::kExitsHlt], 1u);
  EXPECT_EQ(n[vt::kExitsVmcall], 1u);
  EXPECT_EQ(n[vt::kExitsMsr], 2u);
  EXPECT_EQ(n[vt::kExitsNpf], 1u);
  EXPECT_EQ(n[vt::kExitsRdtsc], 1u);
  EXPECT_EQ(n[vt::kExitsIo], 1u);
  EXPECT_EQ(xt::exit_kind(0x80000001u, xt::HvmVendor::kVmx), xt::ExitKind::kIntr);
  EXPECT_STREQ(xt::exit_reason_name(18, xt::HvmVendor::kVmx), "VMCALL");
  // The vendor said: an SVM code below 0x60 is no VMX exit (16 is SVM's
  // CR0 write, VMX's RDTSC).
  EXPECT_EQ(xt::exit_kind(16, xt::HvmVendor::kSvm), xt::ExitKind::kOther);
  EXPECT_EQ(xt::exit_kind(16, xt::HvmVendor::kVmx), xt::ExitKind::kRdtsc);
}

// A 32-bit guest's EIP says nothing of privilege; an exit on a pCPU with no
// known vCPU is not attributed.
TEST(Hvm, AttributionAndThirtyTwoBitGuests) {
  Feed f;
  f.on(0, vmexit64(50, 0x60, kUserRip))  // before any runstate on pCPU 0
      .on(0, runstate(100, 5, 0, Q, R))
      .on(0, vmexit32(110, 0x60, 0x00401000));
  EXPECT_EQ(f.t.stats()[vt::Stat::hvm_unattributed], 1u);
  const uint64_t* n = f.v(5, 0).c.n;
  EXPECT_EQ(n[vt::kExitsIntr], 1u);
  EXPECT_EQ(n[vt::kExitsIntrUser], 0u);
  Feed g;
  g.on(0, runstate(100, 5, 0, Q, R)).on(0, Rec{TRC_HVM_VMEXIT64, 110, {0x60, 1}});  // a word short
  EXPECT_EQ(g.t.stats()[vt::Stat::short_payload], 1u);
  EXPECT_EQ(g.v(5, 0).c.n[vt::kHvmExits], 0u);
}

// The sketch's top() is a lower bound of the most frequent RIP's count,
// within N/4 of it (space-saving, four counters); four or fewer distinct
// RIPs are counted exactly.
TEST(Hvm, RipSketch) {
  vt::RipSketch s;
  for (int i = 0; i < 100; ++i) s.add(kKernelRip);  // a spin: one RIP
  EXPECT_EQ(s.top(), 100u);
  s.clear();
  for (uint64_t i = 0; i < 12; ++i) s.add(kKernelRip + 16 * (i % 3));
  EXPECT_EQ(s.top(), 4u);
  EXPECT_EQ(s.total, 12u);
  s.clear();
  // A busy healthy kernel: 1000 distinct RIPs, each once. Bare counters
  // would show 250 (1000 adds over 4 counters); the bound says at least 1.
  for (uint64_t i = 0; i < 1000; ++i) s.add(kKernelRip + 64 * i);
  EXPECT_LE(s.top(), 1u);
  s.clear();
  // One RIP 10% of the time among 900 distinct others: never above its 100.
  for (uint64_t i = 0; i < 1000; ++i) s.add(i % 10 == 0 ? kKernelRip : kKernelRip + 64 + 64 * i);
  EXPECT_LE(s.top(), 100u);
  s.clear();
  // A spin with noise: 900 at one RIP, 100 elsewhere, interleaved.
  for (uint64_t i = 0; i < 1000; ++i) s.add(i % 10 == 5 ? kKernelRip + 64 + 64 * i : kKernelRip);
  EXPECT_LE(s.top(), 900u);
  EXPECT_GE(s.top(), 900u - 1000u / vt::RipSketch::kSlots);
}
}  // namespace
