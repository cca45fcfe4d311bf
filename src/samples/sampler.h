// Sampler: closes sample periods as trace time passes and hands each
// period's samples to a sink. It sits in front of the trackers on the
// record path: on_record() checks the period boundary (one compare), then
// lets the trackers have the record. The trackers are passed in on every
// call (their owner, the pipeline, holds both side by side: no pointer to
// load per record).
//
// Periods follow sample.h. A jump of more than kMaxGapPeriods periods (a
// corrupt TSC, concatenated traces) closes the current period, skips the
// empty ones without emitting them and drops the gap's time from every
// vCPU (Stat::tsc_jumps), so no input can make the loop run for long.
// With samples disabled nothing is emitted and on_record() only forwards.
// finish() ends the trackers by an EndRule and emits the last, possibly
// short, period. Not thread-safe: owned with the Trackers by one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "src/samples/sample.h"
#include "src/trackers/trackers.h"
#include "src/util/stats.h"

namespace vt {

constexpr uint64_t kMaxGapPeriods = 3600;

class Sampler {
 public:
  explicit Sampler(const SampleOptions& o);

  void set_sample_sink(SampleSink sink) { sink_ = std::move(sink); }
  inline void on_record(Trackers& t, uint32_t cpu, const xt::Record& r);
  void finish(Trackers& t, EndRule rule);

  const Stats& stats() const { return stats_; }  // Stat::periods, tsc_jumps

 private:
  void on_time(Trackers& t, uint64_t tsc);  // the first record, or a period boundary passed
  void close_periods(Trackers& t, uint64_t tsc);
  void emit_period(Trackers& t, uint64_t to);

  SampleOptions opt_;
  uint64_t period_cycles_;
  uint64_t period_index_ = 0;
  uint64_t period_start_ = 0;
  uint64_t next_boundary_ = 0;  // 0 until the first record
  bool started_ = false;
  bool finished_ = false;
  SampleSink sink_;
  Stats stats_;
  std::vector<DomainSample> samples_;
  std::vector<VcpuSample> vcpu_samples_;
};

inline void Sampler::on_record(Trackers& t, uint32_t cpu, const xt::Record& r) {
  if (r.tsc >= next_boundary_) [[unlikely]]
    on_time(t, r.tsc);
  t.on_record(cpu, r);
}

}  // namespace vt
