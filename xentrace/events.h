// Event ids and payload conventions of the Xen 4.17 trace events vtrace
// reads. Ids come from <xen/trace.h>; this file adds only what the header
// leaves implicit (the runstate encoding, packed dom:vcpu words, reserved
// domain ids) and a printable name for every id (event_name()).
#pragma once

#include <cstdint>

#include "xentrace/record.h"

namespace xt {

// Domain ids with a fixed meaning (xen/include/public/xen.h).
constexpr uint32_t kIdleDomid = 0x7FFF;           // idle vCPU n runs on pCPU n
constexpr uint32_t kDomidFirstReserved = 0x7FF0;  // ids at or above are system domains
constexpr uint32_t kMaxDomid = 0x7FFF;

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
inline bool is_runstate_change(uint32_t event) {
  return (event & ~0x330u) == TRC_SCHED_RUNSTATE_CHANGE;
}
inline int runstate_old(uint32_t event) { return (event >> 8) & 3; }
inline int runstate_new(uint32_t event) { return (event >> 4) & 3; }
inline uint32_t runstate_change_event(int old_state, int new_state) {
  return TRC_SCHED_RUNSTATE_CHANGE | uint32_t(old_state & 3) << 8 | uint32_t(new_state & 3) << 4;
}

// "dom:vcpu packed": vcpu in bits 0-15, domid in bits 16-31 (runstate,
// CONTINUE_RUNNING). TRC_LOST_RECORDS packs the other way round.
inline uint32_t packed_domid(uint32_t w) { return w >> 16; }
inline uint32_t packed_vcpu(uint32_t w) { return w & 0xffff; }
inline uint32_t pack_dom_vcpu(uint32_t domid, uint32_t vcpu) { return domid << 16 | (vcpu & 0xffff); }

constexpr uint32_t kNoSliceLimit = 0xffffffffu;  // INFNEXT/INFCONT slice "-1"

// Event classes and subclasses (bits 16-27 and 12-15).
inline uint32_t event_class(uint32_t event) { return (event >> TRC_CLS_SHIFT) & 0xfff; }
inline uint32_t event_subclass(uint32_t event) { return (event >> TRC_SUBCLS_SHIFT) & 0xf; }

// PV entry events, with or without TRC_64_FLAG (64-bit guest addresses).
inline uint32_t pv_base_event(uint32_t event) { return event & ~uint32_t(TRC_64_FLAG); }
inline bool is_pv_event(uint32_t event) { return event_class(event) == (TRC_PV >> TRC_CLS_SHIFT); }

// True when Xen's filter would let `event` through `mask` (class, subclass
// and event bits all overlap; section a.5 of the reference).
inline bool mask_admits(uint32_t mask, uint32_t event) {
  return (mask & event) != 0 && ((mask >> 16) & (event >> 16)) != 0 &&
         (((mask >> 12) & 0xf) & ((event >> 12) & 0xf)) != 0;
}

// A short printable name ("runstate_change", "pv_hypercall", ...), or
// nullptr for ids vtrace does not know.
const char* event_name(uint32_t event);

}  // namespace xt
