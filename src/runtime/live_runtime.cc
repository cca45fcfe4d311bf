#include "src/runtime/live_runtime.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "src/sorter/sorter.h"

namespace vt {
namespace {

constexpr uint16_t kPeriodEnd = 0xffff;  // marks the end of a period in the sample queue

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

bool pin_to(uint32_t cpu, std::string* err) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  if (rc != 0) {
    *err = "--cpus: cannot pin a consumer thread to CPU " + std::to_string(cpu) + " (" +
           std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " online here)";
    return false;
  }
  return true;
}

}  // namespace

LiveRuntime::LiveRuntime(LiveSession* session, const RuntimeOptions& o) : session_(session), opt_(o) {}

bool LiveRuntime::run(std::string* err) {
  using clock = std::chrono::steady_clock;
  const auto t_start = clock::now();
  std::vector<LiveRing>& rings = session_->rings();
  const double hz = session_->tsc_hz();
  std::vector<std::unique_ptr<Channel>> channels;
  std::vector<LiveStream> streams(rings.size());
  for (size_t i = 0; i < rings.size(); ++i) {
    channels.push_back(std::make_unique<Channel>(rings[i].cpu, opt_.chunks_per_cpu));
    streams[i].ch = channels.back().get();
  }
  TrackerOptions to;
  to.cpu_hz = hz;
  to.samples = true;
  to.period_s = opt_.period_s;
  to.include_idle = opt_.include_idle;
  trackers_.emplace(to);
  trackers_ready_ = true;
  Trackers& trackers = *trackers_;

  boost::lockfree::spsc_queue<DomainSample> queue(opt_.sample_queue);
  std::atomic<uint64_t> samples_dropped{0};
  trackers.set_sample_sink([&](const std::vector<DomainSample>& period) {
    for (DomainSample s : period) {
      s.vcpu = nullptr;  // per-vCPU detail stays on the tracker thread
      s.n_vcpu = 0;
      if (!queue.push(s)) samples_dropped.fetch_add(1, std::memory_order_relaxed);
    }
    DomainSample end;
    end.domid = kPeriodEnd;
    end.index = period.empty() ? 0 : period.front().index;
    if (!queue.push(end)) samples_dropped.fetch_add(1, std::memory_order_relaxed);
  });
  Sorter<LiveStream> sorter(&streams);
  auto track = [&] {
    return sorter.run([&](uint32_t i, const xt::Record& r) {
      trackers.on_record(rings[i].cpu, r);
      return true;
    });
  };
  // Silence watch, on thread 0 after each merge (and on this thread in the
  // final drain): records delivered to the trackers are the sign of life.
  // Xen writes scheduler records all the time, even on an idle host; only
  // classes no tracker reads coming in means the detector is blind too.
  uint64_t silences = 0;
  uint64_t seen_records = 0;
  auto last_life = clock::now();
  bool silent = false;
  auto watch_silence = [&] {
    const uint64_t n = sorter.stats().records;
    const auto now = clock::now();
    if (n != seen_records) {
      if (silent && opt_.log)
        std::fprintf(opt_.log, "vtrace: trace records again after %.1f s of silence\n",
                     std::chrono::duration<double>(now - last_life).count());
      seen_records = n;
      last_life = now;
      silent = false;
      return;
    }
    if (silent || opt_.silence_s <= 0 ||
        std::chrono::duration<double>(now - last_life).count() < opt_.silence_s)
      return;
    silent = true;
    ++silences;
    if (!opt_.log) return;
    // Records waiting in some channel: the merge is held by a CPU that sent
    // neither a record nor a quiet bound (its ring in a bogus state, or its
    // consumer stalled), not by tracing being off.
    int held_by = -1;
    bool waiting = false;
    for (size_t r = 0; r < channels.size(); ++r) {
      if (channels[r]->has_full() || streams[r].cur) {
        waiting = true;
      } else if (held_by < 0 || channels[r]->quiet_bound() < channels[held_by]->quiet_bound()) {
        held_by = int(r);
      }
    }
    if (waiting && held_by >= 0)
      std::fprintf(opt_.log,
                   "vtrace: records are arriving but none could be merged for %g s: CPU %u sent "
                   "neither a record nor a quiet bound (its ring is in a bogus state or its "
                   "consumer is stalled); no samples or verdicts until it does\n",
                   opt_.silence_s, rings[held_by].cpu);
    else
      std::fprintf(opt_.log,
                   "vtrace: no trace records from any CPU for %g s: tracing was turned off or "
                   "its event mask changed (by another tool, or after a bogus cons); no samples "
                   "or verdicts until records come back\n",
                   opt_.silence_s);
  };
  // The same class filter as the file path.
  for (LiveStream& s : streams) s.tok.drop = &Trackers::unused_classes();

  Tee tee;
  tee.file = opt_.record;
  Tee* teep = opt_.record ? &tee : nullptr;
  const uint32_t nthreads = std::max<size_t>(1, opt_.dom0_cpus.size());
  const uint64_t slack = uint64_t(opt_.slack_ms * hz / 1000.0);
  std::atomic<uint64_t> cpu_ns{0};
  std::atomic<bool> failed{false};
  std::string thread_err;
  std::atomic<bool> consumers_done{false};
  const auto deadline = opt_.seconds > 0
                            ? t_start + std::chrono::nanoseconds(uint64_t(opt_.seconds * 1e9))
                            : clock::time_point::max();

  auto consumer = [&](uint32_t i) {
    if (!opt_.dom0_cpus.empty()) {
      std::string e;
      if (!pin_to(opt_.dom0_cpus[i], &e)) {
        thread_err = e;
        failed = true;
        stop_ = true;
        return;
      }
    }
    const int fd = i == 0 ? session_->notify_fd() : -1;
    const int poll_ms = std::max(1, int(opt_.poll_ms));
    while (!stop_.load(std::memory_order_relaxed)) {
      if (fd >= 0) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, poll_ms) > 0) session_->host()->notify_ack();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(uint64_t(opt_.poll_ms * 1000)));
      }
      const uint64_t now = session_->host()->now_tsc();
      for (size_t r = i; r < rings.size(); r += nthreads) drain(rings[r], *channels[r], now, slack, teep);
      if (i == 0) {
        track();
        watch_silence();
      }
      if (clock::now() >= deadline || (opt_.external_stop && opt_.external_stop->load())) stop_ = true;
    }
    cpu_ns.fetch_add(uint64_t(thread_cpu_seconds() * 1e9));
  };

  auto classifier = [&] {
    std::vector<DomainSample> period;
    auto take = [&] {
      DomainSample s;
      while (queue.pop(s)) {
        if (s.domid == kPeriodEnd) {
          if (sink_) sink_(period);
          period.clear();
        } else {
          period.push_back(s);
        }
      }
    };
    auto next = clock::now();
    while (!consumers_done.load()) {
      next += std::chrono::seconds(1);
      while (clock::now() < next && !consumers_done.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      take();
    }
    take();
  };

  std::vector<std::thread> threads;
  for (uint32_t i = 0; i < nthreads; ++i) threads.emplace_back(consumer, i);
  std::thread cls(classifier);
  for (auto& t : threads) t.join();
  // The consumers are gone: this thread drains what is left, tracking as it
  // goes so that chunks come back (a full channel would leave records in
  // the rings), then closes the channels and finishes the merge. A merge
  // held by a CPU that sends neither records nor a quiet bound frees no
  // chunk: once a stalled round moves nothing, what is left stays in the
  // rings (counted) rather than this loop spinning for ever. (On a live
  // host Xen writes on after the last round: that is not counted.)
  const double main_cpu0 = thread_cpu_seconds();
  bool held = false;
  for (bool more = true; more;) {
    more = false;
    const uint64_t now = session_->host()->now_tsc();
    const uint64_t merged = sorter.stats().records;
    uint64_t drained = 0;
    for (size_t r = 0; r < rings.size(); ++r) {
      const uint64_t stalls = rings[r].stalls, bytes = rings[r].bytes;
      drain(rings[r], *channels[r], now, slack, teep);
      more |= rings[r].stalls != stalls;
      drained += rings[r].bytes - bytes;
    }
    track();
    watch_silence();
    if (more && drained == 0 && sorter.stats().records == merged) {
      more = false;
      held = true;
    }
  }
  uint64_t left_in_rings = 0;
  for (const LiveRing& r : rings) {
    const xt::RingRead rd = xt::ring_read(r.ring);
    if (held && rd.state == xt::RingState::kData) left_in_rings += rd.total();
  }
  for (auto& c : channels) c->close();
  while (track() == SortStatus::kWait) {
  }
  trackers.finish(EndRule::kTraceEnd);
  const double main_cpu = thread_cpu_seconds() - main_cpu0;
  consumers_done = true;
  cls.join();

  stats_ = RuntimeStats{};
  stats_.records = trackers.stats.records;
  stats_.samples_dropped = samples_dropped.load();
  stats_.late = sorter.stats().late;
  stats_.tsc_backwards = sorter.stats().tsc_backwards;
  stats_.silences = silences;
  stats_.left_in_rings = left_in_rings;
  stats_.consumer_cpu_s = double(cpu_ns.load()) * 1e-9 + main_cpu;
  stats_.wall_s = std::chrono::duration<double>(clock::now() - t_start).count();
  for (const LiveRing& r : rings) {
    stats_.bytes += r.bytes;
    stats_.bogus += r.bogus;
    stats_.resyncs += r.resyncs;
    stats_.discarded_bytes += r.discarded_bytes;
    stats_.stalls += r.stalls;
  }
  for (const LiveStream& s : streams) {
    stats_.dropped_classes += s.tok.dropped;
    stats_.bad_chunks += s.bad_chunks;
  }
  for (size_t c = 0; c < trackers.table.pcpus.size(); ++c) {
    const uint64_t lost = trackers.table.pcpus[c].lost_records;
    stats_.lost_records += lost;
    if (lost) stats_.lost_per_cpu.push_back({uint32_t(c), lost});
  }
  if (failed) {
    *err = thread_err;
    return false;
  }
  if (tee.failed || (opt_.record && std::fflush(opt_.record) != 0)) {
    *err = "--record: write failed (disk full?)";
    return false;
  }
  return true;
}

}  // namespace vt
