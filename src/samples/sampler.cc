#include "src/samples/sampler.h"

#include <cmath>

namespace vt {

Sampler::Sampler(const SampleOptions& o)
    : opt_(o), period_cycles_(uint64_t(std::llround(o.cpu_hz * o.period_s))) {
  if (period_cycles_ == 0) period_cycles_ = 1;
}

void Sampler::on_time(Trackers& t, uint64_t tsc) {
  if (!started_) {
    started_ = true;
    period_start_ = tsc;
    next_boundary_ = opt_.enabled ? tsc + period_cycles_ : ~0ull;
  }
  if (tsc >= next_boundary_) close_periods(t, tsc);
}

void Sampler::close_periods(Trackers& t, uint64_t tsc) {
  if (!opt_.enabled) return;
  const uint64_t n = (tsc - period_start_) / period_cycles_;
  if (n > kMaxGapPeriods) {
    emit_period(t, next_boundary_);
    ++stats_[Stat::tsc_jumps];
    period_index_ += n;
    period_start_ += n * period_cycles_;  // <= tsc: no overflow
    runstate_skip_to(t.table, period_start_);
    next_boundary_ = period_start_ > ~0ull - period_cycles_ ? ~0ull : period_start_ + period_cycles_;
    return;
  }
  for (uint64_t i = 0; i < n; ++i) {
    emit_period(t, next_boundary_);
    period_start_ = next_boundary_;
    ++period_index_;
    if (next_boundary_ > ~0ull - period_cycles_) {  // the end of TSC space
      next_boundary_ = ~0ull;
      return;
    }
    next_boundary_ += period_cycles_;
  }
}

void Sampler::emit_period(Trackers& t, uint64_t to) {
  ++stats_[Stat::periods];
  runstate_flush(t.table, to);
  take_samples(t.table, period_index_, period_start_, to, opt_, &samples_, &vcpu_samples_);
  if (sink_ && !samples_.empty()) sink_(samples_);
}

void Sampler::finish(Trackers& t, EndRule rule) {
  if (finished_ || !started_) return;
  finished_ = true;
  t.finish(rule);
  const uint64_t last = t.last_tsc();
  if (opt_.enabled && last > period_start_) emit_period(t, last);
}

}  // namespace vt
