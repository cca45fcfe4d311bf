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

const char* shutdown_reason_name(uint8_t reason) {
  switch (reason) {
    case kShutdownPoweroff: return "poweroff";
    case kShutdownReboot: return "reboot";
    case kShutdownSuspend: return "suspend";
    case kShutdownCrash: return "crash";
    case kShutdownWatchdog: return "watchdog";
    case kShutdownSoftReset: return "soft_reset";
  }
  return "unknown";
}

const char* event_name(uint32_t event) {
  if (const EventInfo* e = event_info(event)) return e->name;
  // Every scheduler's own events, by scheduler (TRC_SCHED_CLASS).
  if ((event & ~uint32_t(0xfff)) == TRC_SCHED_CLASS) {  // class and subclass
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

int pack_payload(uint32_t event, std::initializer_list<uint64_t> values, uint32_t out[kMaxExtraWords]) {
  const EventInfo* e = event_info(event);
  if (e == nullptr || e->fields[0].kind == FieldKind::kNone) return -1;
  const uint64_t* v = values.begin();
  const uint64_t* const end = values.end();
  uint32_t n = 0;
  for (const Field& f : e->fields) {
    const uint32_t takes = field_values(f.kind);
    if (end - v < takes || n + field_words(f.kind) > kMaxExtraWords) return -1;
    switch (f.kind) {
      case FieldKind::kNone:
      case FieldKind::kRunstates: break;
      case FieldKind::kDomVcpu:
        out[n++] = uint32_t(v[0]);
        out[n++] = uint32_t(v[1]);
        break;
      case FieldKind::kPackedDomVcpu: out[n++] = pack_dom_vcpu(uint32_t(v[0]), uint32_t(v[1])); break;
      case FieldKind::kLostDomVcpu: out[n++] = pack_lost_vcpu(uint32_t(v[0]), uint32_t(v[1])); break;
      case FieldKind::kTsc:
      case FieldKind::kHex64:
        out[n++] = uint32_t(v[0]);
        out[n++] = uint32_t(v[0] >> 32);
        break;
      default: out[n++] = uint32_t(v[0]); break;
    }
    v += takes;
  }
  return v == end && n == e->words ? int(n) : -1;
}

}  // namespace xt
