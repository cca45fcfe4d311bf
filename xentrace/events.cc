#include "xentrace/events.h"

namespace xt {

const char* runstate_name(int s) {
  switch (s) {
    case kRunning: return "running";
    case kRunnable: return "runnable";
    case kBlocked: return "blocked";
    case kOffline: return "offline";
  }
  return "?";
}

const char* event_name(uint32_t event) {
  if (is_runstate_change(event)) return "runstate_change";
  switch (event) {
    case TRC_LOST_RECORDS: return "lost_records";
    case TRC_TRACE_WRAP_BUFFER: return "wrap_buffer";
    case TRC_TRACE_CPU_CHANGE: return "cpu_change";
    case TRC_GEN + 4: return "trace_irq";
    case TRC_SCHED_CONTINUE_RUNNING: return "continue_running";
    case TRC_SCHED_DOM_ADD: return "dom_add";
    case TRC_SCHED_DOM_REM: return "dom_rem";
    case TRC_SCHED_SLEEP: return "sleep";
    case TRC_SCHED_WAKE: return "wake";
    case TRC_SCHED_YIELD: return "yield";
    case TRC_SCHED_BLOCK: return "block";
    case TRC_SCHED_SHUTDOWN: return "shutdown";
    case TRC_SCHED_CTL: return "sched_ctl";
    case TRC_SCHED_ADJDOM: return "adjdom";
    case TRC_SCHED_SWITCH: return "switch";
    case TRC_SCHED_S_TIMER_FN: return "s_timer_fn";
    case TRC_SCHED_T_TIMER_FN: return "t_timer_fn";
    case TRC_SCHED_DOM_TIMER_FN: return "dom_timer_fn";
    case TRC_SCHED_SWITCH_INFPREV: return "switch_infprev";
    case TRC_SCHED_SWITCH_INFNEXT: return "switch_infnext";
    case TRC_SCHED_SHUTDOWN_CODE: return "shutdown_code";
    case TRC_SCHED_SWITCH_INFCONT: return "switch_infcont";
    case TRC_DOM0_DOM_ADD: return "dom0_dom_add";
    case TRC_DOM0_DOM_REM: return "dom0_dom_rem";
    case TRC_MEM_PAGE_GRANT_MAP: return "grant_map";
    case TRC_MEM_PAGE_GRANT_UNMAP: return "grant_unmap";
    case TRC_MEM_PAGE_GRANT_TRANSFER: return "grant_transfer";
    case TRC_MEM_SET_P2M_ENTRY: return "set_p2m_entry";
    case TRC_MEM_DECREASE_RESERVATION: return "decrease_reservation";
    case TRC_MEM_POD_POPULATE: return "pod_populate";
    case TRC_MEM_POD_ZERO_RECLAIM: return "pod_zero_reclaim";
    case TRC_MEM_POD_SUPERPAGE_SPLINTER: return "pod_superpage_splinter";
    case TRC_PM_FREQ_CHANGE: return "pm_freq_change";
    case TRC_PM_IDLE_ENTRY: return "pm_idle_entry";
    case TRC_PM_IDLE_EXIT: return "pm_idle_exit";
    default: break;
  }
  if (is_pv_event(event)) {
    switch (pv_base_event(event)) {
      case TRC_PV_HYPERCALL: return "pv_hypercall";
      case TRC_PV_TRAP: return "pv_trap";
      case TRC_PV_PAGE_FAULT: return "pv_page_fault";
      case TRC_PV_FORCED_INVALID_OP: return "pv_forced_invalid_op";
      case TRC_PV_EMULATE_PRIVOP: return "pv_emulate_privop";
      case TRC_PV_EMULATE_4GB: return "pv_emulate_4gb";
      case TRC_PV_MATH_STATE_RESTORE: return "pv_math_state_restore";
      case TRC_PV_PAGING_FIXUP: return "pv_paging_fixup";
      case TRC_PV_GDT_LDT_MAPPING_FAULT: return "pv_gdt_ldt_mapping_fault";
      case TRC_PV_PTWR_EMULATION: return "pv_ptwr_emulation";
      case TRC_PV_PTWR_EMULATION_PAE: return "pv_ptwr_emulation_pae";
      case TRC_PV_HYPERCALL_V2: return "pv_hypercall_v2";
      case TRC_PV_HYPERCALL_SUBCALL: return "pv_hypercall_subcall";
      default: return nullptr;
    }
  }
  if ((event & 0x0ffff000) == TRC_SCHED_CLASS) {
    switch ((event >> TRC_SCHED_ID_SHIFT) & 7) {
      case TRC_SCHED_CSCHED: return "credit";
      case TRC_SCHED_CSCHED2: return "credit2";
      case TRC_SCHED_RTDS: return "rtds";
      case TRC_SCHED_SNULL: return "null";
      default: return nullptr;
    }
  }
  return nullptr;
}

}  // namespace xt
