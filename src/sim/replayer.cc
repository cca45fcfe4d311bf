#include "src/sim/replayer.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "src/source/file_source.h"
#include "xentrace/events.h"
#include "xentrace/trace_file.h"

namespace vt::sim {
namespace {

constexpr uint32_t kLongDelta = 1u << 31;
constexpr uint32_t kExtraShift = 28;

bool ring_bookkeeping(uint32_t event) {
  return event == TRC_LOST_RECORDS || event == TRC_TRACE_WRAP_BUFFER || event == TRC_TRACE_CPU_CHANGE;
}

}  // namespace

Status load_replay(const std::string& path, ReplayTrace* out) {
  *out = ReplayTrace{};
  FileSource src;
  if (Status st = src.open(path); !st.ok()) return st;
  uint64_t first = std::numeric_limits<uint64_t>::max(), last = 0;
  for (size_t i = 0; i < src.streams().size(); ++i) {
    FileSource::Stream& s = src.streams()[i];
    if (out->cpu_words.size() <= s.cpu()) {
      out->cpu_words.resize(s.cpu() + 1);
      out->cpu_records.resize(s.cpu() + 1);
      out->cpu_first_tsc.resize(s.cpu() + 1);
    }
    std::vector<uint32_t>& w = out->cpu_words[s.cpu()];
    bool any = false;
    uint64_t prev = 0;
    xt::Record r;
    xt::TokenStatus ts;
    while ((ts = s.next(&r)) == xt::TokenStatus::kRecord) {
      if (ring_bookkeeping(r.event)) continue;
      if (!any) {
        any = true;
        prev = out->cpu_first_tsc[s.cpu()] = r.tsc;
        first = std::min(first, r.tsc);
      }
      const uint64_t delta = r.tsc > prev ? r.tsc - prev : 0;  // never backwards
      prev = std::max(prev, r.tsc);
      const bool is_long = delta > 0xffffffffu;
      w.push_back(r.event | r.n_extra << kExtraShift | (is_long ? kLongDelta : 0));
      w.push_back(uint32_t(delta));
      if (is_long) w.push_back(uint32_t(delta >> 32));
      for (uint32_t k = 0; k < r.n_extra; ++k) w.push_back(r.word(k));
      ++out->cpu_records[s.cpu()];
      ++out->records;
    }
    last = std::max(last, prev);
    if (ts == xt::TokenStatus::kBad) return src.fault(int(i));
  }
  if (Status st = src.fault(-1); !st.ok()) return st;
  if (out->records == 0) return Status::InvalidArgument(path + ": no record to replay");
  out->first_tsc = first;
  out->span_tsc = last - first;
  return Status::Ok();
}

Replayer::Replayer(SimHost* host, const ReplayTrace* trace, const ReplayOptions& o)
    : host_(host), trace_(trace), opt_(o) {
  opt_.threads = std::max(1u, opt_.threads);
  progress_ = std::make_unique<Progress[]>(opt_.threads);
  for (uint32_t j = 0; j < opt_.threads; ++j) progress_[j].reached.store(trace_->first_tsc);
  // Before any session opens: it takes the host's clock as the start of its reading.
  host_->set_clock([this] { return now_tsc(); });
}

Replayer::~Replayer() {
  stop();
  join();
  host_->set_clock([t = now_tsc()] { return t; });  // the host may outlive this: its clock stops here
}

void Replayer::start() {
  running_.store(opt_.threads);
  for (uint32_t j = 0; j < opt_.threads; ++j) threads_.emplace_back([this, j] { run(j); });
}

void Replayer::stop() { stop_.store(true); }

void Replayer::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

uint64_t Replayer::records_written() const {
  uint64_t n = 0;
  for (uint32_t j = 0; j < opt_.threads; ++j) n += progress_[j].written.load(std::memory_order_relaxed);
  return n;
}

uint64_t Replayer::records_offered() const {
  uint64_t n = 0;
  for (uint32_t j = 0; j < opt_.threads; ++j) n += progress_[j].offered.load(std::memory_order_relaxed);
  return n;
}

uint64_t Replayer::now_tsc() const {
  uint64_t m = std::numeric_limits<uint64_t>::max();
  for (uint32_t j = 0; j < opt_.threads; ++j)
    m = std::min(m, progress_[j].reached.load(std::memory_order_acquire));
  return m;
}

void Replayer::run(uint32_t j) {
  using clock = std::chrono::steady_clock;
  if (opt_.pin_cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(opt_.pin_cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  struct Cursor {
    uint32_t cpu;
    const uint32_t* words;
    size_t size, pos = 0;
    uint64_t tsc;  // of the last record written, in this pass's unshifted time
  };
  std::vector<Cursor> cur;
  const uint32_t host_cpus = host_->config().nr_cpus;
  for (uint32_t c = j; c < trace_->cpu_words.size() && c < host_cpus; c += opt_.threads)
    if (!trace_->cpu_words[c].empty())
      cur.push_back(
          Cursor{c, trace_->cpu_words[c].data(), trace_->cpu_words[c].size(), 0, trace_->cpu_first_tsc[c]});
  const uint64_t period = trace_->span_tsc + 1;  // one pass, shifted past the last TSC
  // Pacing: trace ticks per wall second for the asked rate.
  const double ticks_per_s = opt_.records_per_s > 0 && trace_->records > 0
                                 ? opt_.records_per_s * double(period) / double(trace_->records)
                                 : 0;
  // A step is kStepNs of trace time, or kMinStepWallNs of wall time when the
  // replay runs that much faster than the trace did (a clock read per few
  // records would cost more than the records).
  const uint64_t step = std::max<uint64_t>({1, uint64_t(double(kStepNs) * host_->config().tsc_hz * 1e-9),
                                            uint64_t(ticks_per_s * kMinStepWallNs * 1e-9)});
  const uint32_t current = xt::pack_lost_vcpu(0x7fff, 0);  // the idle vCPU: only a loss report names it
  std::vector<uint64_t> pass_off(cur.size(), 0);
  std::vector<uint32_t> pass(cur.size(), 0);
  size_t done = 0;
  Progress& me = progress_[j];
  const auto anchor = clock::now();
  uint64_t written = 0, offered = 0;
  uint64_t end = trace_->first_tsc;
  while (!stop_.load(std::memory_order_relaxed) && done < cur.size()) {
    // No thread more than kMaxAheadSteps ahead of the slowest: the
    // consumer's merge would hold its records back, and its rings fill.
    while (opt_.threads > 1 && end > now_tsc() + kMaxAheadSteps * step &&
           !stop_.load(std::memory_order_relaxed))
      std::this_thread::yield();
    end += step;
    if (ticks_per_s > 0) {
      const auto due =
          anchor + std::chrono::nanoseconds(uint64_t(double(end - trace_->first_tsc) / ticks_per_s * 1e9));
      if (clock::now() < due) std::this_thread::sleep_until(due);
    }
    for (size_t i = 0; i < cur.size(); ++i) {
      Cursor& c = cur[i];
      if (opt_.passes && pass[i] == opt_.passes) continue;
      for (;;) {
        if (c.pos == c.size) {  // the next pass
          if (opt_.passes && ++pass[i] == opt_.passes) {
            ++done;
            break;
          }
          c.pos = 0;
          c.tsc = trace_->cpu_first_tsc[c.cpu];
          pass_off[i] += period;
        }
        const uint32_t* w = c.words + c.pos;
        const uint32_t h = w[0];
        const bool is_long = h & kLongDelta;
        const uint64_t delta = is_long ? (uint64_t(w[1]) | uint64_t(w[2]) << 32) : w[1];
        const uint64_t tsc = c.tsc + delta;
        if (tsc + pass_off[i] >= end) break;
        const uint32_t n = (h >> kExtraShift) & 7;
        const uint32_t* extra = w + (is_long ? 3 : 2);
        written += host_->trace(c.cpu, h & 0x0fffffffu, tsc + pass_off[i], extra, n, current);
        ++offered;
        c.tsc = tsc;
        c.pos += (is_long ? 3 : 2) + n;
      }
    }
    me.written.store(written, std::memory_order_relaxed);
    me.offered.store(offered, std::memory_order_relaxed);
    me.reached.store(end, std::memory_order_release);
  }
  if (done == cur.size()) me.reached.store(std::numeric_limits<uint64_t>::max(), std::memory_order_release);
  --running_;
}

}  // namespace vt::sim
