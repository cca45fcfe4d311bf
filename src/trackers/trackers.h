// Trackers: routes each record of the merged stream (TSC order) to the
// tracker for its concern, and closes sample periods as trace time passes.
//
// on_record() is the hot path: no allocation (beyond a domain or vCPU's
// first sight), no lock, one switch. Samples go to a sink once per period,
// never per record. finish() closes the trace at its last TSC.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "src/samples/sample.h"
#include "src/trackers/entities.h"
#include "src/trackers/pv_tracker.h"
#include "src/trackers/runstate_tracker.h"
#include "xentrace/record.h"
#include "xentrace/tokenizer.h"

namespace vt {

struct TrackerOptions {
  double cpu_hz = 2.4e9;
  double period_s = 1.0;
  bool samples = false;       // build per-period samples
  bool include_idle = false;  // samples for the idle domain too
};

struct TrackerStats {
  uint64_t records = 0;
  uint64_t first_tsc = 0, last_tsc = 0;
  uint64_t unknown_class = 0;  // records of no class Xen 4.17 defines
  uint32_t first_unknown_event = 0;
  uint64_t short_payload = 0;  // known events with fewer payload words than Xen writes
  uint64_t tsc_jumps = 0;      // gaps of more than kMaxGapPeriods periods (not sampled)
  uint64_t pv_records = 0;     // none: the event mask left the PV class out
};

constexpr uint64_t kMaxGapPeriods = 3600;

using SampleSink = std::function<void(const std::vector<DomainSample>&)>;

class Trackers {
 public:
  explicit Trackers(const TrackerOptions& o);

  void set_sample_sink(SampleSink sink) { sink_ = std::move(sink); }
  inline void on_record(uint32_t cpu, const xt::Record& r);

  // Classes no tracker reads (scheduler-specific, HVM, shadow, hardware):
  // a source may drop them unread (xt::ClassFilter).
  static const xt::ClassFilter& unused_classes();
  // A source that dropped records tells the TSC of each CPU's last record,
  // for the xenalyze end rule.
  void note_pcpu_last(uint32_t cpu, uint64_t tsc);
  // End of the trace (or of the part read): close open intervals by `rule`
  // and emit the last, possibly short, period.
  void finish(EndRule rule = EndRule::kTraceEnd);

  const TrackerOptions& options() const { return opt_; }
  double cpu_hz() const { return opt_.cpu_hz; }
  DomainTable table;
  PvStats pv;
  TrackerStats stats;

 private:
  void on_time(uint64_t tsc);  // the first record, or a period boundary passed
  void first_on_pcpu(uint32_t cpu, uint64_t tsc);
  void close_periods(uint64_t tsc);
  void emit_period(uint64_t to);
  void dispatch(uint32_t cpu, const xt::Record& r);

  TrackerOptions opt_;
  uint64_t period_cycles_;
  uint64_t period_index_ = 0;
  uint64_t period_start_ = 0;
  uint64_t next_boundary_ = 0;  // 0 until the first record
  bool started_ = false;
  bool finished_ = false;
  SampleSink sink_;
  std::vector<DomainSample> samples_;
  std::vector<VcpuSample> vcpu_samples_;
};

// The hot path: PV records, the most frequent kind, are attributed here;
// everything else goes through dispatch().
inline void Trackers::on_record(uint32_t cpu, const xt::Record& r) {
  if (r.tsc >= next_boundary_) [[unlikely]]
    on_time(r.tsc);
  stats.last_tsc = r.tsc;
  ++stats.records;
  if (cpu >= table.pcpus.size() || !table.pcpus[cpu].seen) [[unlikely]]
    first_on_pcpu(cpu, r.tsc);
  table.pcpus[cpu].last_tsc = r.tsc;
  if (xt::is_pv_event(r.event)) {
    ++stats.pv_records;
    pv_record(table, pv, cpu, r);
    return;
  }
  dispatch(cpu, r);
}

}  // namespace vt
