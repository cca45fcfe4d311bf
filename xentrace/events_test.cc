// The event table: sorted, every id found under its key, payload sizes as
// <xen/trace.h>'s callers write them, and packing that the readers undo.
#include "xentrace/events.h"

#include <gtest/gtest.h>

namespace {

TEST(EventTable, LookupsFoldVariantsOntoTheirEntry) {
  for (size_t i = 0; i < xt::kNumEvents; ++i) EXPECT_EQ(xt::event_info(xt::kEvents[i].id), &xt::kEvents[i]);
  // Every runstate change, whatever its states, is one entry.
  EXPECT_STREQ(xt::event_name(xt::runstate_change_event(xt::kBlocked, xt::kRunnable)), "runstate_change");
  // A 64-bit PV variant is its base event.
  EXPECT_EQ(xt::event_info(TRC_PV_PAGE_FAULT | TRC_64_FLAG), xt::event_info(TRC_PV_PAGE_FAULT));
  EXPECT_EQ(xt::event_info(0x0002800c + 0x100), nullptr);
  // A nested guest's HVM record is its entry; an emulated device's is not listed.
  EXPECT_EQ(xt::event_info(TRC_HVM_VMEXIT64 | TRC_HVM_NESTEDFLAG), xt::event_info(TRC_HVM_VMEXIT64));
  EXPECT_STREQ(xt::event_name(TRC_HVM_VMEXIT64), "hvm_vmexit");
  EXPECT_EQ(xt::event_info(TRC_HVM_EMUL_PIT_TIMER_CB), nullptr);
  EXPECT_STREQ(xt::event_name(TRC_SCHED_CLASS | (TRC_SCHED_CSCHED2 << TRC_SCHED_ID_SHIFT) | 3), "credit2");
  EXPECT_EQ(xt::event_name(0x0e000001), nullptr);
}

// The words Xen 4.17 writes (docs: the reference's section c), as
// compile-time constants.
TEST(EventTable, PayloadWordsAsXenWritesThem) {
  static_assert(xt::kWords<TRC_SCHED_WAKE> == 2);
  static_assert(xt::kWords<TRC_SCHED_SWITCH_INFNEXT> == 4);
  static_assert(xt::kWords<TRC_SCHED_SWITCH_INFCONT> == 4);
  static_assert(xt::kWords<TRC_LOST_RECORDS> == 4);
  static_assert(xt::kWords<TRC_SCHED_RUNSTATE_CHANGE | 0x210> == 1);
  EXPECT_EQ(xt::payload_words(TRC_SCHED_SHUTDOWN), 3u);
  EXPECT_EQ(xt::payload_words(TRC_HVM_VMENTRY), 0u);
  static_assert(xt::kWords<TRC_HVM_VMEXIT> == 2 && xt::kWords<TRC_HVM_VMEXIT64> == 3);
  static_assert(xt::kWords<TRC_HVM_NPF> == 6);  // u64 gpa, u64 mfn, u32 qualification, u32 p2mt
  // Every entry's fields take exactly its words.
  for (size_t i = 0; i < xt::kNumEvents; ++i) {
    const xt::EventInfo& e = xt::kEvents[i];
    if (e.fields[0].kind == xt::FieldKind::kNone) continue;
    uint32_t words = 0;
    for (const xt::Field& f : e.fields) words += xt::field_words(f.kind);
    EXPECT_EQ(words, e.words) << e.name;
  }
}

TEST(EventTable, PackingIsWhatTheReadersUnpack) {
  uint32_t w[xt::kMaxExtraWords];
  ASSERT_EQ(xt::pack_payload(xt::runstate_change_event(xt::kRunning, xt::kBlocked), {5, 2}, w), 1);
  EXPECT_EQ(xt::packed_domid(w[0]), 5u);
  EXPECT_EQ(xt::packed_vcpu(w[0]), 2u);
  EXPECT_EQ(w[0], 0x00050002u);  // "dom:vcpu packed" (the reference's section c)
  ASSERT_EQ(xt::pack_payload(TRC_LOST_RECORDS, {9, 3, 1, 0x1122334455ull}, w), 4);
  EXPECT_EQ(w[0], 9u);
  EXPECT_EQ(w[1], 0x00010003u);  // domid low, vcpu high: the other way round
  EXPECT_EQ(xt::lost_domid(w[1]), 3u);
  EXPECT_EQ(xt::lost_vcpu(w[1]), 1u);
  EXPECT_EQ(w[2], 0x22334455u);
  EXPECT_EQ(w[3], 0x11u);
  ASSERT_EQ(xt::pack_payload(TRC_SCHED_SWITCH_INFNEXT, {1, 0, 700, xt::kNoSliceLimit}, w), 4);
  EXPECT_EQ(w[3], xt::kNoSliceLimit);
  // Too few or too many values, or an event with no fields: refused.
  EXPECT_EQ(xt::pack_payload(TRC_SCHED_WAKE, {1}, w), -1);
  EXPECT_EQ(xt::pack_payload(TRC_SCHED_WAKE, {1, 2, 3}, w), -1);
  EXPECT_EQ(xt::pack_payload(TRC_PV_TRAP, {1}, w), -1);
  EXPECT_EQ(xt::pack_payload(TRC_HVM_VMENTRY, {}, w), -1);
  ASSERT_EQ(xt::pack_payload(TRC_HVM_VMEXIT64, {0x60, 0xffffffff81001234ull}, w), 3);
  EXPECT_EQ(w[0], 0x60u);
  EXPECT_EQ(w[1], 0x81001234u);
  EXPECT_EQ(w[2], 0xffffffffu);
}

TEST(EventTable, ClassesXenDefines) {
  for (uint32_t e : {uint32_t(TRC_LOST_RECORDS), uint32_t(TRC_SCHED_WAKE), uint32_t(TRC_HVM_VMENTRY),
                     uint32_t(TRC_PV_TRAP), uint32_t(TRC_PM_IDLE_ENTRY), uint32_t(TRC_GUEST) | 1})
    EXPECT_TRUE(xt::known_class(e)) << std::hex << e;
  EXPECT_FALSE(xt::known_class(0x0e000001));
  EXPECT_FALSE(xt::known_class(0x00031001));
}

}  // namespace
