#include "src/trackers/trackers.h"

#include "src/trackers/lifecycle_tracker.h"
#include "src/trackers/lost_tracker.h"
#include "src/trackers/mem_tracker.h"
#include "src/trackers/sched_tracker.h"
#include "xentrace/events.h"

namespace vt {

void Trackers::first_on_pcpu(uint32_t cpu, uint64_t tsc) {
  if (!started_) first_tsc_ = tsc;  // records come in TSC order: the first of all
  started_ = true;
  Pcpu& p = table.pcpu(cpu);
  p.seen = true;
  p.first_tsc = tsc;
}

void Trackers::dispatch(uint32_t cpu, const xt::Record& r) {
  const uint32_t e = r.event;
  // Xen writes at least the table's payload words; fewer is a corrupt record.
  auto need = [&](uint32_t words) {
    if (r.n_extra >= words) return true;
    ++table.stats[Stat::short_payload];
    return false;
  };
  if (xt::is_runstate_change(e)) {
    if (need(xt::kWords<TRC_SCHED_RUNSTATE_CHANGE>)) runstate_change(table, cpu, r.tsc, e, r.word(0));
    return;
  }
  switch (e) {
    case TRC_SCHED_CONTINUE_RUNNING:  // running -> running: a new stint
      if (need(xt::kWords<TRC_SCHED_CONTINUE_RUNNING>)) {
        sched_count(table, xt::packed_domid(r.word(0)), xt::packed_vcpu(r.word(0)), r.tsc, kContinueRunning);
        runstate_change(table, cpu, r.tsc, xt::runstate_change_event(xt::kRunning, xt::kRunning), r.word(0));
      }
      break;
    case TRC_SCHED_WAKE:
      if (need(xt::kWords<TRC_SCHED_WAKE>)) sched_count(table, r.word(0), r.word(1), r.tsc, kWakes);
      break;
    case TRC_SCHED_BLOCK:
      if (need(xt::kWords<TRC_SCHED_BLOCK>)) sched_count(table, r.word(0), r.word(1), r.tsc, kBlocks);
      break;
    case TRC_SCHED_SLEEP:
      if (need(xt::kWords<TRC_SCHED_SLEEP>)) sched_count(table, r.word(0), r.word(1), r.tsc, kSleeps);
      break;
    case TRC_SCHED_YIELD:
      if (need(xt::kWords<TRC_SCHED_YIELD>)) sched_count(table, r.word(0), r.word(1), r.tsc, kYields);
      break;
    case TRC_SCHED_SWITCH_INFCONT:
      if (need(xt::kWords<TRC_SCHED_SWITCH_INFCONT>))
        sched_count(table, r.word(0), r.word(1), r.tsc, kInfcont);
      break;
    case TRC_SCHED_SWITCH_INFNEXT:
      if (need(xt::kWords<TRC_SCHED_SWITCH_INFNEXT>))
        sched_infnext(table, r.word(0), r.word(1), r.word(2), r.word(3), r.tsc);
      break;
    case TRC_SCHED_DOM_ADD:
    case TRC_DOM0_DOM_ADD:
      if (need(xt::kWords<TRC_SCHED_DOM_ADD>)) {
        const uint32_t replaced = table.on_add(r.word(0), r.tsc);
        if (replaced != kNone) runstate_close_domain(table, replaced, r.tsc);
      }
      break;
    case TRC_SCHED_DOM_REM:
    case TRC_DOM0_DOM_REM:
      if (need(xt::kWords<TRC_SCHED_DOM_REM>)) {
        const uint32_t d = table.domain(r.word(0), r.tsc);
        if (d != kNone && !table.domains[d].removed) {
          table.on_remove(r.word(0), r.tsc);
          runstate_close_domain(table, d, r.tsc);
        }
      }
      break;
    case TRC_SCHED_SHUTDOWN:
      if (need(xt::kWords<TRC_SCHED_SHUTDOWN>)) domain_shutdown(table, r.word(0), r.word(2), r.tsc);
      break;
    case TRC_MEM_PAGE_GRANT_MAP:
    case TRC_MEM_PAGE_GRANT_UNMAP:
    case TRC_MEM_PAGE_GRANT_TRANSFER:
      if (need(xt::kWords<TRC_MEM_PAGE_GRANT_MAP>)) mem_grant(table, e, r.word(0), r.tsc);
      break;
    case TRC_LOST_RECORDS:
      if (need(xt::kWords<TRC_LOST_RECORDS>))
        lost_records(table, cpu, r.tsc, r.word(0), r.word(1), r.word64(2));
      break;
    default:
      if (!xt::known_class(e)) ++table.stats[Stat::unknown_class];
      break;
  }
}

const xt::ClassFilter& Trackers::unused_classes() {
  static const xt::ClassFilter f = [] {
    xt::ClassFilter c;
    c.add(TRC_SCHED_CLASS);  // every scheduler's own events (subclass 2)
    for (uint32_t sub = 0; sub < 16; ++sub)
      for (uint32_t cls : {TRC_SHADOW, TRC_HW}) c.add((cls & ~uint32_t(0xf000)) | sub << 12);
    // HVM: the entry/exit and handler subclasses are read; emulated
    // devices' timers and PIC events are not.
    for (uint32_t sub = 0; sub < 16; ++sub)
      if (sub != 1 && sub != 2) c.add((TRC_HVM & ~uint32_t(0xf000)) | sub << 12);
    return c;
  }();
  return f;
}

void Trackers::note_pcpu_last(uint32_t cpu, uint64_t tsc) {
  Pcpu& p = table.pcpu(cpu);
  if (tsc > p.last_tsc) p.last_tsc = tsc;
}

void Trackers::finish(EndRule rule) {
  if (finished_ || !started_) return;
  finished_ = true;
  runstate_end(table, last_tsc_, rule);
}

}  // namespace vt
