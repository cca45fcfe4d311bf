#include "src/trackers/trackers.h"

#include <cmath>

#include "src/trackers/lost_tracker.h"
#include "src/trackers/mem_tracker.h"
#include "src/trackers/sched_tracker.h"
#include "xentrace/events.h"

namespace vt {
namespace {

// Classes Xen 4.17 defines (bits 16-27 of the id).
bool known_class(uint32_t event) {
  switch (xt::event_class(event)) {
    case 0x001: case 0x002: case 0x004: case 0x008: case 0x010:
    case 0x020: case 0x040: case 0x080: case 0x800:
      return true;
  }
  return false;
}

}  // namespace

Trackers::Trackers(const TrackerOptions& o)
    : opt_(o), period_cycles_(uint64_t(std::llround(o.cpu_hz * o.period_s))) {
  if (period_cycles_ == 0) period_cycles_ = 1;
}

void Trackers::on_time(uint64_t tsc) {
  if (!started_) {
    started_ = true;
    stats.first_tsc = tsc;
    period_start_ = tsc;
    next_boundary_ = opt_.samples ? tsc + period_cycles_ : ~0ull;
  }
  if (tsc >= next_boundary_) close_periods(tsc);
}

void Trackers::first_on_pcpu(uint32_t cpu, uint64_t tsc) {
  Pcpu& p = table.pcpu(cpu);
  p.seen = true;
  p.first_tsc = tsc;
}

void Trackers::dispatch(uint32_t cpu, const xt::Record& r) {
  const uint32_t e = r.event;
  if (xt::is_runstate_change(e)) {
    if (r.n_extra < 1) {
      ++stats.short_payload;
      return;
    }
    runstate_change(table, cpu, r.tsc, e, r.word(0));
    return;
  }
  auto need = [&](uint32_t words) {
    if (r.n_extra >= words) return true;
    ++stats.short_payload;
    return false;
  };
  switch (e) {
    case TRC_SCHED_CONTINUE_RUNNING:  // running -> running: a new stint
      if (need(1)) {
        sched_count(table, xt::packed_domid(r.word(0)), xt::packed_vcpu(r.word(0)), r.tsc,
                    kContinueRunning);
        runstate_change(table, cpu, r.tsc, xt::runstate_change_event(xt::kRunning, xt::kRunning),
                        r.word(0));
      }
      break;
    case TRC_SCHED_WAKE:
      if (need(2)) sched_count(table, r.word(0), r.word(1), r.tsc, kWakes);
      break;
    case TRC_SCHED_BLOCK:
      if (need(2)) sched_count(table, r.word(0), r.word(1), r.tsc, kBlocks);
      break;
    case TRC_SCHED_SLEEP:
      if (need(2)) sched_count(table, r.word(0), r.word(1), r.tsc, kSleeps);
      break;
    case TRC_SCHED_YIELD:
      if (need(2)) sched_count(table, r.word(0), r.word(1), r.tsc, kYields);
      break;
    case TRC_SCHED_SWITCH_INFCONT:
      if (need(2)) sched_count(table, r.word(0), r.word(1), r.tsc, kInfcont);
      break;
    case TRC_SCHED_SWITCH_INFNEXT:
      if (need(4)) sched_infnext(table, r.word(0), r.word(1), r.word(2), r.word(3), r.tsc);
      break;
    case TRC_SCHED_DOM_ADD:
    case TRC_DOM0_DOM_ADD:
      if (need(1)) {
        const uint32_t replaced = table.on_add(r.word(0), r.tsc);
        if (replaced != kNone) runstate_close_domain(table, replaced, r.tsc);
      }
      break;
    case TRC_SCHED_DOM_REM:
    case TRC_DOM0_DOM_REM:
      if (need(1)) {
        const uint32_t d = table.domain(r.word(0), r.tsc);
        if (d != kNone && !table.domains[d].removed) {
          table.on_remove(r.word(0), r.tsc);
          runstate_close_domain(table, d, r.tsc);
        }
      }
      break;
    case TRC_MEM_PAGE_GRANT_MAP:
    case TRC_MEM_PAGE_GRANT_UNMAP:
    case TRC_MEM_PAGE_GRANT_TRANSFER:
      if (need(1)) mem_grant(table, e, r.word(0), r.tsc);
      break;
    case TRC_LOST_RECORDS:
      if (need(4)) lost_records(table, cpu, r.tsc, r.word(0), r.word(1), r.word64(2));
      break;
    default:
      if (!known_class(e)) {
        if (stats.unknown_class++ == 0) stats.first_unknown_event = e;
      }
      break;
  }
}

const xt::ClassFilter& Trackers::unused_classes() {
  static const xt::ClassFilter f = [] {
    xt::ClassFilter c;
    c.add(TRC_SCHED_CLASS);  // every scheduler's own events (subclass 2)
    for (uint32_t sub = 0; sub < 16; ++sub) {
      c.add(0x00080000u | sub << 12);     // HVM
      c.add(0x00400000u | sub << 12);     // shadow paging
      c.add(0x00800000u | sub << 12);     // hardware (power management, IRQs)
    }
    return c;
  }();
  return f;
}

void Trackers::note_pcpu_last(uint32_t cpu, uint64_t tsc) {
  Pcpu& p = table.pcpu(cpu);
  if (tsc > p.last_tsc) p.last_tsc = tsc;
}

// Closes every period that ends at or before `tsc`. A jump longer than
// kMaxGapPeriods (a corrupt TSC, or concatenated traces) closes the current
// period, skips the empty ones without emitting them and drops the gap's
// time from every vCPU, so no input can make this loop run for long.
void Trackers::close_periods(uint64_t tsc) {
  if (!opt_.samples) return;
  const uint64_t n = (tsc - period_start_) / period_cycles_;
  if (n > kMaxGapPeriods) {
    emit_period(next_boundary_);
    ++stats.tsc_jumps;
    period_index_ += n;
    period_start_ += n * period_cycles_;  // <= tsc: no overflow
    runstate_skip_to(table, period_start_);
    next_boundary_ = period_start_ > ~0ull - period_cycles_ ? ~0ull : period_start_ + period_cycles_;
    return;
  }
  for (uint64_t i = 0; i < n; ++i) {
    emit_period(next_boundary_);
    period_start_ = next_boundary_;
    ++period_index_;
    if (next_boundary_ > ~0ull - period_cycles_) {  // the end of TSC space
      next_boundary_ = ~0ull;
      return;
    }
    next_boundary_ += period_cycles_;
  }
}

void Trackers::emit_period(uint64_t to) {
  runstate_flush(table, to);
  take_samples(table, period_index_, period_start_, to, opt_.cpu_hz, opt_.period_s,
               opt_.include_idle, &samples_, &vcpu_samples_);
  if (sink_ && !samples_.empty()) sink_(samples_);
}

void Trackers::finish(EndRule rule) {
  if (finished_ || !started_) return;
  finished_ = true;
  runstate_end(table, stats.last_tsc, rule);
  if (opt_.samples && stats.last_tsc > period_start_) emit_period(stats.last_tsc);
}

}  // namespace vt
