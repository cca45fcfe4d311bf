// The Xen 4.17 trace events vtrace knows, in one table (kEvents): id, name,
// the payload words Xen writes, and the fields those words hold. The dump
// writer prints records from it, the trackers check payload sizes against
// it, and the simulated hypervisor packs its records through it
// (pack_payload), so a layout is written down once. Ids come from
// <xen/trace.h>; this file adds what the header leaves implicit: the
// runstate encoding, the packed dom:vcpu words, the reserved domain ids,
// the classes Xen defines.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "xentrace/record.h"

namespace xt {

// Domain ids with a fixed meaning (xen/include/public/xen.h).
constexpr uint32_t kIdleDomid = 0x7FFF;           // idle vCPU n runs on pCPU n
constexpr uint32_t kDomidFirstReserved = 0x7FF0;  // ids at or above are system domains
constexpr uint32_t kMaxDomid = 0x7FFF;

// Shutdown reasons (SHUTDOWN_* of xen/include/public/sched.h), the third
// word of TRC_SCHED_SHUTDOWN: what the guest asked for.
enum ShutdownReason : uint8_t {
  kShutdownPoweroff = 0,
  kShutdownReboot = 1,
  kShutdownSuspend = 2,  // a save or a migration
  kShutdownCrash = 3,
  kShutdownWatchdog = 4,
  kShutdownSoftReset = 5,
  kNoShutdown = 0xff,  // none asked (or any reason above Xen's SHUTDOWN_MAX)
};
// "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset", or
// "unknown".
const char* shutdown_reason_name(uint8_t reason);

// Hypercall numbers vtrace interprets (xen/include/public/xen.h; a test
// checks them against <xen/xen.h>).
constexpr uint32_t kHypercallStackSwitch = 3;  // __HYPERVISOR_stack_switch

// The hypercall number in word 0 of PV_HYPERCALL_V2 and PV_HYPERCALL_SUBCALL
// records (the bits above are which arguments follow).
inline uint32_t hypercall_op(uint32_t word0) { return word0 & ~uint32_t(TRC_PV_HYPERCALL_V2_ARG_MASK); }

enum Runstate : uint8_t { kRunning = 0, kRunnable = 1, kBlocked = 2, kOffline = 3 };
constexpr int kNumRunstates = 4;
const char* runstate_name(int s);

// TRC_SCHED_RUNSTATE_CHANGE carries the old and new state in the event id:
// base | old << 8 | new << 4.
constexpr bool is_runstate_change(uint32_t event) { return (event & ~0x330u) == TRC_SCHED_RUNSTATE_CHANGE; }
inline int runstate_old(uint32_t event) { return (event >> 8) & 3; }
inline int runstate_new(uint32_t event) { return (event >> 4) & 3; }
inline uint32_t runstate_change_event(int old_state, int new_state) {
  return TRC_SCHED_RUNSTATE_CHANGE | uint32_t(old_state & 3) << 8 | uint32_t(new_state & 3) << 4;
}

// "dom:vcpu packed": vcpu in bits 0-15, domid in bits 16-31 (runstate,
// CONTINUE_RUNNING, the credit schedulers' unit words).
inline uint32_t packed_domid(uint32_t w) { return w >> 16; }
inline uint32_t packed_vcpu(uint32_t w) { return w & 0xffff; }
inline uint32_t pack_dom_vcpu(uint32_t domid, uint32_t vcpu) { return domid << 16 | (vcpu & 0xffff); }
// TRC_LOST_RECORDS packs the current vCPU the other way round: domid in
// bits 0-15, vcpu in bits 16-31.
inline uint32_t lost_domid(uint32_t w) { return w & 0xffff; }
inline uint32_t lost_vcpu(uint32_t w) { return w >> 16; }
inline uint32_t pack_lost_vcpu(uint32_t domid, uint32_t vcpu) { return (domid & 0xffff) | vcpu << 16; }

constexpr uint32_t kNoSliceLimit = 0xffffffffu;  // INFNEXT/INFCONT slice "-1"

// x86's trace_irq record (xen/arch/x86/irq.c), which <xen/trace.h> does
// not name.
constexpr uint32_t kTraceIrq = TRC_GEN + 4;

// Event classes and subclasses (bits 16-27 and 12-15).
constexpr uint32_t event_class(uint32_t event) { return (event >> TRC_CLS_SHIFT) & 0xfff; }
inline uint32_t event_subclass(uint32_t event) { return (event >> TRC_SUBCLS_SHIFT) & 0xf; }
// The classes Xen 4.17 defines (TRC_GEN ... TRC_GUEST).
inline bool known_class(uint32_t event) {
  switch (event_class(event) << TRC_CLS_SHIFT | 0xf000) {
    case TRC_GEN:
    case TRC_SCHED:
    case TRC_DOM0OP:
    case TRC_HVM:
    case TRC_MEM:
    case TRC_PV:
    case TRC_SHADOW:
    case TRC_HW:
    case TRC_GUEST: return true;
  }
  return false;
}

// HVM events (VMENTRY/VMEXIT, the exit handlers', emulated devices') are
// written on the pCPU running the HVM or PVH vCPU they are about.
constexpr bool is_hvm_event(uint32_t event) { return event_class(event) == (TRC_HVM >> TRC_CLS_SHIFT); }

// PV entry events, with or without TRC_64_FLAG (64-bit guest addresses).
constexpr uint32_t pv_base_event(uint32_t event) { return event & ~uint32_t(TRC_64_FLAG); }
constexpr bool is_pv_event(uint32_t event) { return event_class(event) == (TRC_PV >> TRC_CLS_SHIFT); }

// True when Xen's filter would let `event` through `mask` (class, subclass
// and event bits all overlap; section a.5 of the reference).
inline bool mask_admits(uint32_t mask, uint32_t event) {
  return (mask & event) != 0 && ((mask >> 16) & (event >> 16)) != 0 &&
         (((mask >> 12) & 0xf) & ((event >> 12) & 0xf)) != 0;
}

// ---- The event table ----

// What a payload field holds, how many words it takes and how `vtrace
// dump` prints it (" label" before a vCPU, "label=" before a value).
enum class FieldKind : uint8_t {
  kNone,           // end of the list
  kDomVcpu,        // 2 words: domid, vcpu (or sched unit)       " [label ]dDvV"
  kPackedDomVcpu,  // 1 word: dom:vcpu packed                      " dDvV"
  kLostDomVcpu,    // 1 word: domid | vcpu << 16 (LOST_RECORDS)    " label dDvV"
  kDomid,          // 1 word                                       " dD" or " label=dD"
  kU32,            // 1 word                                       " label=N"
  kNs,             // 1 word, nanoseconds (Xen truncates to u32)   " label=Nns"
  kSliceNs,        // 1 word, nanoseconds, kNoSliceLimit = none    " label=Nns" / " label=unlimited"
  kTsc,            // 2 words, low first                           " label=N"
  kHex32,          // 1 word                                       " label=0xN"
  kHex64,          // 2 words, low first                           " label=0xN"
  kRunstates,      // no word: old and new state are in the id     " old->new"
  kHypercallOp,    // 1 word: op | argument mask (PV_HYPERCALL_V2)  " op=N"
};
constexpr uint32_t field_words(FieldKind k) {
  switch (k) {
    case FieldKind::kDomVcpu:
    case FieldKind::kTsc:
    case FieldKind::kHex64: return 2;
    case FieldKind::kNone:
    case FieldKind::kRunstates: return 0;
    default: return 1;
  }
}

// How many values pack_payload takes for a field: a vCPU two (domid,
// vcpu) whatever its packing, a TSC one 64-bit value.
constexpr uint32_t field_values(FieldKind k) {
  switch (k) {
    case FieldKind::kDomVcpu:
    case FieldKind::kPackedDomVcpu:
    case FieldKind::kLostDomVcpu: return 2;
    case FieldKind::kNone:
    case FieldKind::kRunstates: return 0;
    default: return 1;
  }
}

struct Field {
  FieldKind kind = FieldKind::kNone;
  const char* label = nullptr;
};
constexpr int kMaxFields = 6;

struct EventInfo {
  uint32_t id;               // runstate changes: TRC_SCHED_RUNSTATE_CHANGE; PV: without TRC_64_FLAG
  const char* name;          // short, printable
  uint32_t words;            // payload words Xen 4.17 writes (for PV: the least a reader needs)
  Field fields[kMaxFields];  // empty: the words are not interpreted
};

namespace ev {
using K = FieldKind;
constexpr Field dv{K::kDomVcpu}, packed{K::kPackedDomVcpu}, dom{K::kDomid}, states{K::kRunstates};
constexpr Field f(FieldKind k, const char* label) { return Field{k, label}; }
constexpr Field u32(const char* label) { return Field{K::kU32, label}; }
constexpr Field x32(const char* label) { return Field{K::kHex32, label}; }
constexpr Field x64(const char* label) { return Field{K::kHex64, label}; }
}  // namespace ev

// Sorted by id (a test checks it), so that lookups can bisect.
inline constexpr EventInfo kEvents[] = {
    // TRC_GEN
    {TRC_LOST_RECORDS,
     "lost_records",
     4,
     {ev::f(FieldKind::kU32, "count"), ev::f(FieldKind::kLostDomVcpu, "current"),
      ev::f(FieldKind::kTsc, "first_tsc")}},
    {TRC_TRACE_WRAP_BUFFER, "wrap_buffer", 0, {}},
    {TRC_TRACE_CPU_CHANGE, "cpu_change", 2, {}},
    {kTraceIrq, "trace_irq", 4, {}},
    // TRC_SCHED_MIN
    {TRC_SCHED_RUNSTATE_CHANGE, "runstate_change", 1, {ev::packed, ev::states}},
    {TRC_SCHED_CONTINUE_RUNNING, "continue_running", 1, {ev::packed}},
    // TRC_SCHED_VERBOSE
    {TRC_SCHED_DOM_ADD, "dom_add", 1, {ev::dom}},
    {TRC_SCHED_DOM_REM, "dom_rem", 1, {ev::dom}},
    {TRC_SCHED_SLEEP, "sleep", 2, {ev::dv}},
    {TRC_SCHED_WAKE, "wake", 2, {ev::dv}},
    {TRC_SCHED_YIELD, "yield", 2, {ev::dv}},
    {TRC_SCHED_BLOCK, "block", 2, {ev::dv}},
    {TRC_SCHED_SHUTDOWN, "shutdown", 3, {ev::dv, ev::f(FieldKind::kU32, "reason")}},
    {TRC_SCHED_CTL, "sched_ctl", 0, {}},
    {TRC_SCHED_ADJDOM, "adjdom", 1, {ev::dom}},
    {TRC_SCHED_SWITCH, "switch", 4, {ev::dv, ev::f(FieldKind::kDomVcpu, "->")}},
    {TRC_SCHED_S_TIMER_FN, "s_timer_fn", 0, {}},
    {TRC_SCHED_T_TIMER_FN, "t_timer_fn", 0, {}},
    {TRC_SCHED_DOM_TIMER_FN, "dom_timer_fn", 0, {}},
    {TRC_SCHED_SWITCH_INFPREV, "switch_infprev", 3, {ev::dv, ev::f(FieldKind::kNs, "runtime")}},
    {TRC_SCHED_SWITCH_INFNEXT,
     "switch_infnext",
     4,
     {ev::dv, ev::f(FieldKind::kNs, "waited"), ev::f(FieldKind::kSliceNs, "slice")}},
    {TRC_SCHED_SHUTDOWN_CODE, "shutdown_code", 3, {ev::dv, ev::f(FieldKind::kU32, "reason")}},
    {TRC_SCHED_SWITCH_INFCONT,
     "switch_infcont",
     4,
     {ev::dv, ev::f(FieldKind::kNs, "ran"), ev::f(FieldKind::kSliceNs, "slice")}},
    // TRC_DOM0OP
    {TRC_DOM0_DOM_ADD, "dom0_dom_add", 1, {ev::dom}},
    {TRC_DOM0_DOM_REM, "dom0_dom_rem", 1, {ev::dom}},
    // TRC_HVM (a nested guest's records carry TRC_HVM_NESTEDFLAG and are
    // listed without it). Payloads as xen/arch/x86/hvm/{svm,vmx} write
    // them; the exit reason's meaning depends on the CPU vendor (hvm.h).
    {TRC_HVM_VMENTRY, "hvm_vmentry", 0, {}},
    {TRC_HVM_VMEXIT, "hvm_vmexit", 2, {ev::x32("reason"), ev::x32("rip")}},  // hex, as vmcb.h and xenalyze
    {TRC_HVM_VMEXIT64, "hvm_vmexit", 3, {ev::x32("reason"), ev::x64("rip")}},
    {TRC_HVM_PF_XEN, "hvm_pf_xen", 2, {ev::x32("error"), ev::x32("va")}},
    {TRC_HVM_PF_INJECT, "hvm_pf_inject", 2, {ev::x32("error"), ev::x32("cr2")}},
    {TRC_HVM_INJ_EXC, "hvm_inj_exc", 2, {ev::u32("vector"), ev::x32("error")}},
    {TRC_HVM_INJ_VIRQ, "hvm_inj_virq", 2, {ev::u32("vector"), ev::u32("fake")}},
    {TRC_HVM_REINJ_VIRQ, "hvm_reinj_virq", 0, {}},
    {TRC_HVM_IO_READ, "hvm_io_read", 0, {}},
    {TRC_HVM_IO_WRITE, "hvm_io_write", 0, {}},
    {TRC_HVM_CR_READ, "hvm_cr_read", 2, {ev::u32("cr"), ev::x32("value")}},
    {TRC_HVM_CR_WRITE, "hvm_cr_write", 2, {ev::u32("cr"), ev::x32("value")}},
    {TRC_HVM_DR_READ, "hvm_dr_read", 0, {}},
    {TRC_HVM_DR_WRITE, "hvm_dr_write", 0, {}},
    {TRC_HVM_MSR_READ, "hvm_msr_read", 3, {ev::x32("msr"), ev::x64("value")}},
    {TRC_HVM_MSR_WRITE, "hvm_msr_write", 3, {ev::x32("msr"), ev::x64("value")}},
    {TRC_HVM_CPUID,
     "hvm_cpuid",
     6,
     {ev::x32("leaf"), ev::x32("subleaf"), ev::x32("a"), ev::x32("b"), ev::x32("c"), ev::x32("d")}},
    {TRC_HVM_INTR, "hvm_intr", 0, {}},  // SVM writes no word, VMX the vector
    {TRC_HVM_NMI, "hvm_nmi", 0, {}},
    {TRC_HVM_SMI, "hvm_smi", 0, {}},
    {TRC_HVM_VMMCALL, "hvm_vmmcall", 1, {ev::u32("op")}},  // the hypercall number (eax)
    {TRC_HVM_HLT, "hvm_hlt", 1, {ev::u32("pending")}},
    {TRC_HVM_INVLPG, "hvm_invlpg", 2, {ev::u32("invlpga"), ev::x32("va")}},
    {TRC_HVM_MCE, "hvm_mce", 0, {}},
    {TRC_HVM_IOPORT_READ, "hvm_ioport_read", 0, {}},  // port (and data): 4 or 8 bytes each
    {TRC_HVM_IOMEM_READ, "hvm_iomem_read", 0, {}},
    {TRC_HVM_CLTS, "hvm_clts", 0, {}},
    {TRC_HVM_LMSW, "hvm_lmsw", 1, {ev::x32("value")}},
    {TRC_HVM_RDTSC, "hvm_rdtsc", 2, {ev::f(FieldKind::kTsc, "tsc")}},
    {TRC_HVM_INTR_WINDOW, "hvm_intr_window", 3, {ev::u32("vector"), ev::u32("source"), ev::u32("injecting")}},
    {TRC_HVM_NPF, "hvm_npf", 6, {ev::x64("gpa"), ev::x64("mfn"), ev::x32("qualification"), ev::u32("p2mt")}},
    {TRC_HVM_REALMODE_EMULATE, "hvm_realmode_emulate", 0, {}},
    {TRC_HVM_TRAP, "hvm_trap", 1, {ev::u32("vector")}},
    {TRC_HVM_TRAP_DEBUG, "hvm_trap_debug", 1, {ev::x32("qualification")}},
    {TRC_HVM_VLAPIC, "hvm_vlapic", 0, {}},
    {TRC_HVM_PF_XEN64, "hvm_pf_xen", 3, {ev::x32("error"), ev::x64("va")}},
    {TRC_HVM_PF_INJECT64, "hvm_pf_inject", 3, {ev::x32("error"), ev::x64("cr2")}},
    {TRC_HVM_CR_READ64, "hvm_cr_read", 3, {ev::u32("cr"), ev::x64("value")}},
    {TRC_HVM_CR_WRITE64, "hvm_cr_write", 3, {ev::u32("cr"), ev::x64("value")}},
    {TRC_HVM_INVLPG64, "hvm_invlpg", 3, {ev::u32("invlpga"), ev::x64("va")}},
    {TRC_HVM_IOPORT_READ | TRC_64_FLAG, "hvm_ioport_read", 0, {}},
    {TRC_HVM_IOMEM_READ | TRC_64_FLAG, "hvm_iomem_read", 0, {}},
    {TRC_HVM_LMSW64, "hvm_lmsw", 2, {ev::x64("value")}},
    {TRC_HVM_XCR_READ64, "hvm_xcr_read", 3, {ev::u32("xcr"), ev::x64("value")}},
    {TRC_HVM_XCR_WRITE64, "hvm_xcr_write", 3, {ev::u32("xcr"), ev::x64("value")}},
    {TRC_HVM_IOPORT_WRITE, "hvm_ioport_write", 0, {}},
    {TRC_HVM_IOMEM_WRITE, "hvm_iomem_write", 0, {}},
    {TRC_HVM_IOPORT_WRITE | TRC_64_FLAG, "hvm_ioport_write", 0, {}},
    {TRC_HVM_IOMEM_WRITE | TRC_64_FLAG, "hvm_iomem_write", 0, {}},
    // TRC_MEM
    {TRC_MEM_PAGE_GRANT_MAP, "grant_map", 1, {ev::f(FieldKind::kDomid, "granter")}},
    {TRC_MEM_PAGE_GRANT_UNMAP, "grant_unmap", 1, {ev::f(FieldKind::kDomid, "granter")}},
    {TRC_MEM_PAGE_GRANT_TRANSFER, "grant_transfer", 1, {ev::f(FieldKind::kDomid, "receiver")}},
    {TRC_MEM_SET_P2M_ENTRY, "set_p2m_entry", 0, {}},
    {TRC_MEM_DECREASE_RESERVATION, "decrease_reservation", 0, {}},
    {TRC_MEM_POD_POPULATE, "pod_populate", 0, {}},
    {TRC_MEM_POD_ZERO_RECLAIM, "pod_zero_reclaim", 0, {}},
    {TRC_MEM_POD_SUPERPAGE_SPLINTER, "pod_superpage_splinter", 0, {}},
    // TRC_PV (with or without TRC_64_FLAG)
    {TRC_PV_HYPERCALL, "pv_hypercall", 0, {}},
    {TRC_PV_TRAP, "pv_trap", 0, {}},
    {TRC_PV_PAGE_FAULT, "pv_page_fault", 0, {}},
    {TRC_PV_FORCED_INVALID_OP, "pv_forced_invalid_op", 0, {}},
    {TRC_PV_EMULATE_PRIVOP, "pv_emulate_privop", 0, {}},
    {TRC_PV_EMULATE_4GB, "pv_emulate_4gb", 0, {}},
    {TRC_PV_MATH_STATE_RESTORE, "pv_math_state_restore", 0, {}},
    {TRC_PV_PAGING_FIXUP, "pv_paging_fixup", 0, {}},
    {TRC_PV_GDT_LDT_MAPPING_FAULT, "pv_gdt_ldt_mapping_fault", 0, {}},
    {TRC_PV_PTWR_EMULATION, "pv_ptwr_emulation", 0, {}},
    {TRC_PV_PTWR_EMULATION_PAE, "pv_ptwr_emulation_pae", 0, {}},
    {TRC_PV_HYPERCALL_V2, "pv_hypercall_v2", 1, {{FieldKind::kHypercallOp}}},
    {TRC_PV_HYPERCALL_SUBCALL, "pv_hypercall_subcall", 1, {{FieldKind::kHypercallOp}}},
    // TRC_HW
    {TRC_PM_FREQ_CHANGE, "pm_freq_change", 0, {}},
    {TRC_PM_IDLE_ENTRY, "pm_idle_entry", 0, {}},
    {TRC_PM_IDLE_EXIT, "pm_idle_exit", 0, {}},
};
constexpr size_t kNumEvents = sizeof kEvents / sizeof kEvents[0];
constexpr bool events_sorted() {
  for (size_t i = 1; i < kNumEvents; ++i)
    if (kEvents[i - 1].id >= kEvents[i].id) return false;
  return true;
}
static_assert(events_sorted(), "kEvents must be sorted by id");

// The key an id is listed under: runstate changes and 64-bit PV variants
// fold onto their base.
constexpr uint32_t event_key(uint32_t event) {
  if (is_runstate_change(event)) return TRC_SCHED_RUNSTATE_CHANGE;
  if (is_pv_event(event)) return pv_base_event(event);
  if (is_hvm_event(event)) return event & ~uint32_t(TRC_HVM_NESTEDFLAG);
  return event;
}

// The index of `event`'s entry in kEvents, or kNumEvents if it has none.
// (An index, not a pointer: GCC under ASan cannot compare the address of a
// global with null in a constant expression.)
constexpr size_t event_index(uint32_t event) {
  const uint32_t k = event_key(event);
  size_t lo = 0, hi = kNumEvents;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (kEvents[mid].id < k)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < kNumEvents && kEvents[lo].id == k ? lo : kNumEvents;
}

// The table's entry for `event`, or nullptr.
inline const EventInfo* event_info(uint32_t event) {
  const size_t i = event_index(event);
  return i < kNumEvents ? &kEvents[i] : nullptr;
}

// Payload words Xen writes for `event` (0 for events not in the table); a
// compile-time constant for a constant id: kWords<TRC_SCHED_WAKE>.
constexpr uint32_t payload_words(uint32_t event) {
  const size_t i = event_index(event);
  return i < kNumEvents ? kEvents[i].words : 0;
}
template <uint32_t Event>
inline constexpr uint32_t kWords = payload_words(Event);

// A short printable name ("runstate_change", "pv_hypercall", "credit2"
// for any credit2 event, ...), or nullptr for ids vtrace does not know.
const char* event_name(uint32_t event);

// Packs the field values of `event` into payload words, by the table: a
// vCPU field takes two values (domid, vcpu) whatever its packing, a TSC
// field one 64-bit value, every other field one value. Returns the number
// of words written, or -1 if `values` does not fit the event's fields (or
// the event has none).
int pack_payload(uint32_t event, std::initializer_list<uint64_t> values, uint32_t out[kMaxExtraWords]);

}  // namespace xt
