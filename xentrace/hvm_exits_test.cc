#include "xentrace/hvm_exits.h"

#include <gtest/gtest.h>

namespace {

// Every slot stands for one reason and back; the numbers are Xen 4.17's
// (svm/vmcb.h, vmx/vmx.h).
TEST(HvmExits, SlotsRoundTrip) {
  for (uint32_t slot = 0; slot + 1 < xt::kExitReasonSlots; ++slot)
    EXPECT_EQ(xt::exit_reason_slot(xt::exit_reason_of_slot(slot)), slot) << slot;
  EXPECT_EQ(xt::exit_reason_slot(0x400), 0x90u);  // SVM NPF
  EXPECT_EQ(xt::exit_reason_slot(0x403), 0x93u);  // SVM VMGEXIT
  EXPECT_EQ(xt::exit_reason_slot(0x404), xt::kExitReasonSlots - 1);
  EXPECT_EQ(xt::exit_reason_slot(0xffffffffu), xt::kExitReasonSlots - 1);  // SVM VMEXIT_INVALID
  EXPECT_EQ(xt::exit_reason_of_slot(xt::kExitReasonSlots - 1), xt::kOtherExitReason);
}

// VMX writes flags above the basic reason: a failed entry (bit 31), a bus
// lock (bit 26, traced before Xen clears it). They count as their reason,
// in the per-reason slots as in the kinds.
TEST(HvmExits, VmxFlagsCountAsTheirBasicReason) {
  const uint32_t bus_lock_intr = (1u << 26) | 1u, failed_entry = (1u << 31) | 33u;
  EXPECT_EQ(xt::exit_reason_slot(bus_lock_intr), 1u);
  EXPECT_EQ(xt::exit_kind(bus_lock_intr, xt::HvmVendor::kVmx), xt::ExitKind::kIntr);
  EXPECT_EQ(xt::exit_reason_slot(failed_entry), 33u);
  EXPECT_STREQ(
      xt::exit_reason_name(xt::exit_reason_of_slot(xt::exit_reason_slot(failed_entry)), xt::HvmVendor::kVmx),
      "INVALID_GUEST_STATE");
}

// Names as Xen's headers spell them (without VMEXIT_ / EXIT_REASON_).
TEST(HvmExits, Names) {
  EXPECT_STREQ(xt::exit_reason_name(0x66, xt::HvmVendor::kSvm), "IDTR_READ");
  EXPECT_STREQ(xt::exit_reason_name(0x73, xt::HvmVendor::kSvm), "RSM");
  EXPECT_STREQ(xt::exit_reason_name(0x8c, xt::HvmVendor::kSvm), "MWAIT_CONDITIONAL");
  EXPECT_STREQ(xt::exit_reason_name(0x47, xt::HvmVendor::kSvm), "EXCEPTION_NM");
  EXPECT_STREQ(xt::exit_reason_name(0x20, xt::HvmVendor::kSvm), "DR0_READ");
  EXPECT_STREQ(xt::exit_reason_name(11, xt::HvmVendor::kVmx), "GETSEC");
  EXPECT_STREQ(xt::exit_reason_name(34, xt::HvmVendor::kVmx), "MSR_LOADING");
  EXPECT_EQ(xt::exit_reason_name(0x54, xt::HvmVendor::kSvm), nullptr);  // #VE: Intel's, reserved on SVM
}

}  // namespace
