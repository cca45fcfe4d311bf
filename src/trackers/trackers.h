// Trackers: route each record of the merged stream (TSC order) to the
// tracker for its concern. They keep monotonic counters in the entities
// (entities.h) and know nothing of periods: the sampler (src/samples) reads
// the counters at period boundaries.
//
// on_record() is the hot path: no allocation (beyond a domain or vCPU's
// first sight), no lock, one switch; payload sizes are checked against the
// event table (xentrace/events.h). finish() closes the trace's open
// intervals by an EndRule. Not thread-safe: one thread (the tracker thread
// live, the reading thread on files) owns a Trackers.
#pragma once

#include <cstdint>

#include "src/trackers/entities.h"
#include "src/trackers/hvm_tracker.h"
#include "src/trackers/pv_tracker.h"
#include "src/trackers/runstate_tracker.h"
#include "src/util/stats.h"
#include "xentrace/record.h"
#include "xentrace/tokenizer.h"

namespace vt {

class Trackers {
 public:
  inline void on_record(uint32_t cpu, const xt::Record& r);

  // Classes no tracker reads (scheduler-specific, HVM, shadow, hardware):
  // a source may drop them unread (xt::ClassFilter).
  static const xt::ClassFilter& unused_classes();
  // A source that dropped records tells the TSC of each CPU's last record,
  // for the xenalyze end rule.
  void note_pcpu_last(uint32_t cpu, uint64_t tsc);
  // End of the trace (or of the part read): closes open intervals by `rule`.
  // Once; nothing before the first record.
  void finish(EndRule rule);

  uint64_t first_tsc() const { return first_tsc_; }
  uint64_t last_tsc() const { return last_tsc_; }
  // The trackers' counters (Stat::pv_records, bad_ids, lost_records, ...).
  const Stats& stats() const { return table.stats; }

  DomainTable table;

 private:
  void first_on_pcpu(uint32_t cpu, uint64_t tsc);
  void dispatch(uint32_t cpu, const xt::Record& r);

  uint64_t first_tsc_ = 0, last_tsc_ = 0;
  bool started_ = false;  // a record came
  bool finished_ = false;
};

// The hot path: PV and HVM records, the most frequent kinds, are
// attributed here; everything else goes through dispatch().
inline void Trackers::on_record(uint32_t cpu, const xt::Record& r) {
  last_tsc_ = r.tsc;
  if (cpu >= table.pcpus.size() || !table.pcpus[cpu].seen) [[unlikely]]
    first_on_pcpu(cpu, r.tsc);
  table.pcpus[cpu].last_tsc = r.tsc;
  if (xt::is_pv_event(r.event)) {
    pv_record(table, cpu, r);
    return;
  }
  if (xt::is_hvm_event(r.event)) [[unlikely]] {  // a PV host has none
    hvm_record(table, cpu, r);
    return;
  }
  dispatch(cpu, r);
}

}  // namespace vt
