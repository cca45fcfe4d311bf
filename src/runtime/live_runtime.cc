#include "src/runtime/live_runtime.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sys/eventfd.h>
#include <thread>
#include <utility>

namespace vt {
namespace {

constexpr uint16_t kPeriodEnd = 0xffff;  // marks the end of a period in the sample queue
// The host's domain info is added to periods that ended at most this long
// before it was read (seconds of host time): a state change it shows is
// then at most one period early.
constexpr double kHostStateAgeS = 1.0;

uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

Status pin_to(uint32_t cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
    return Status::Unavailable("cannot pin a consumer thread to CPU " + std::to_string(cpu) + " (" +
                               std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " online here)");
  return Status::Ok();
}

}  // namespace

LiveRuntime::LiveRuntime(LiveSession* session, const RuntimeOptions& o)
    : session_(session),
      opt_(o),
      hz_(session->tsc_hz()),
      slack_cycles_(uint64_t(o.slack_ms * session->tsc_hz() / 1000.0)),
      rings_(session->rings()),
      last_life_(Clock::now()),
      queue_(o.sample_queue) {
  // Constructors are outside the analysis: no thread runs yet.
  streams_.resize(rings_.size());
  foreign_seen_.assign(rings_.size(), 0);
  const size_t nthreads = std::max<size_t>(1, opt_.dom0_cpus.size());
  for (size_t i = 0; i < nthreads; ++i) consumer_slots_.push_back(std::make_unique<ConsumerSlot>());
  for (size_t i = 0; i < rings_.size(); ++i) {
    channels_.push_back(std::make_unique<Channel>(rings_[i].cpu, opt_.chunks_per_cpu));
    streams_[i].ch = channels_.back().get();
  }
  if (opt_.record) {
    MutexLock l(&tee_.lock);
    tee_.file = opt_.record;
    teep_ = &tee_;
  }
  PipelineOptions po = opt_.pipeline;  // the same class filter as the file path
  po.samples.enabled = true;
  po.samples.cpu_hz = hz_;
  po.reading_since = session->reading_since();
  pipeline_ = std::make_unique<Pipeline<LiveStream>>(&streams_, po);
  // Tracker -> classifier: the samples, without their per-vCPU detail
  // (which stays on the tracker thread), then an end-of-period mark.
  pipeline_->set_sample_sink([this](const std::vector<DomainSample>& period) {
    for (DomainSample s : period) {
      s.vcpu = nullptr;
      s.n_vcpu = 0;
      if (!queue_.push(s)) samples_dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    tracker_.claim();  // the sampler calls this from the tracker's step()
    DomainSample end;
    end.domid = kPeriodEnd;
    if (!period.empty())  // the period's end as a TSC: how much newer the host's state will be
      end.index = pipeline_->trackers().first_tsc() + uint64_t((period[0].start_s + period[0].span_s) * hz_);
    if (!queue_.push(end)) samples_dropped_.fetch_add(1, std::memory_order_relaxed);
    wake_classifier();
  });
}

LiveRuntime::~LiveRuntime() = default;

void LiveRuntime::wake_classifier() {
  const uint64_t one = 1;
  if (classifier_fd_ >= 0) (void)!write(classifier_fd_, &one, sizeof one);
}

void LiveRuntime::fail(Status st) {
  MutexLock l(&error_mu_);
  if (error_.ok()) error_ = std::move(st);
  failed_ = true;
  stop_ = true;
}

// Spans applied before the records are merged, so that a period closed by
// this step already knows (one noticed after its period closed is late for
// that period only).
SortStatus LiveRuntime::track() {
  watch_readers();
  return pipeline_->step();
}

void LiveRuntime::watch_readers() {
  int cpu = -1;
  for (size_t i = 0; i < channels_.size(); ++i) {
    const Channel& ch = *channels_[i];
    const uint64_t to = ch.foreign_to();
    if (to > foreign_seen_[i]) {
      const uint64_t from = ch.foreign_from();
      if (from <= to) {  // else half published: next step
        pipeline_->trackers().table.blind_all(from, to);
        foreign_seen_[i] = to;
      }
    }
    if (cpu < 0 && ch.foreign_now()) cpu = int(ch.cpu());
  }
  const auto now = Clock::now();
  if (cpu >= 0 && !shared_) {
    shared_ = true;
    shared_since_ = now;
    ++shared_spells_;
    if (opt_.log)
      std::fprintf(opt_.log,
                   "vtrace: another reader moved CPU %d's ring cons: it takes records from the trace "
                   "buffers (xentrace? xenbaked?); every domain is unknown until the rings are ours "
                   "again\n",
                   cpu);
  } else if (cpu < 0 && shared_) {
    shared_ = false;
    if (opt_.log)
      std::fprintf(opt_.log,
                   "vtrace: the trace buffers are ours again after %.1f s; domains are judged again once "
                   "their window holds no shared second\n",
                   std::chrono::duration<double>(now - shared_since_).count());
  }
}

// Consumer i's rings' counters and CPU time so far, for the tracker to add up.
void LiveRuntime::publish_consumer(uint32_t i, uint64_t cpu_ns) {
  Stats s;
  for (size_t r = i; r < rings_.size(); r += consumer_slots_.size()) rings_[r].add_stats(&s);
  ConsumerSlot& slot = *consumer_slots_[i];
  MutexLock l(&slot.mu);
  slot.rings = s;
  slot.cpu_ns = cpu_ns;
}

// The statistics so far: the pipeline's, every consumer's last slot, the
// runtime's own; and whether the detector is blind.
void LiveRuntime::publish_progress() {
  LiveProgress p;
  p.stats = pipeline_->stats();
  for (const auto& slot : consumer_slots_) {
    MutexLock l(&slot->mu);
    p.stats += slot->rings;
    p.stats[Stat::consumer_cpu_ns] += slot->cpu_ns;
  }
  p.stats[Stat::samples_dropped] = samples_dropped_.load(std::memory_order_relaxed);
  p.stats[Stat::domain_info_failures] = domain_info_failures_.load(std::memory_order_relaxed);
  p.stats[Stat::silences] = silences_;
  p.stats[Stat::wall_ns] =
      uint64_t(std::chrono::duration<double, std::nano>(Clock::now() - t_start_).count());
  p.blind = silent_;
  MutexLock l(&progress_mu_);
  progress_ = p;
}

LiveProgress LiveRuntime::progress() {
  MutexLock l(&progress_mu_);
  return progress_;
}

// Records delivered to the trackers are the sign of life: Xen writes
// scheduler records all the time, even on an idle host; only classes no
// tracker reads coming in means the detector is blind too.
void LiveRuntime::watch_silence() {
  const uint64_t n = pipeline_->records_merged();
  const auto now = Clock::now();
  if (n != seen_records_) {
    if (silent_ && opt_.log)
      std::fprintf(opt_.log, "vtrace: trace records again after %.1f s of silence\n",
                   std::chrono::duration<double>(now - last_life_).count());
    seen_records_ = n;
    last_life_ = now;
    silent_ = false;
    return;
  }
  if (silent_ || opt_.silence_s <= 0 ||
      std::chrono::duration<double>(now - last_life_).count() < opt_.silence_s)
    return;
  silent_ = true;
  ++silences_;
  if (!opt_.log) return;
  // Records waiting in some channel: the merge is held by a CPU that sent
  // neither a record nor a quiet bound (its ring in a bogus state, or its
  // consumer stalled), not by tracing being off.
  int held_by = -1;
  bool waiting = false;
  for (size_t r = 0; r < channels_.size(); ++r) {
    if (channels_[r]->has_full() || streams_[r].cur) {
      waiting = true;
    } else if (held_by < 0 || channels_[r]->quiet_bound() < channels_[size_t(held_by)]->quiet_bound()) {
      held_by = int(r);
    }
  }
  if (waiting && held_by >= 0)
    std::fprintf(opt_.log,
                 "vtrace: records are arriving but none could be merged for %g s: CPU %u sent "
                 "neither a record nor a quiet bound (its ring is in a bogus state or its "
                 "consumer is stalled); no samples or verdicts until it does\n",
                 opt_.silence_s, rings_[size_t(held_by)].cpu);
  else
    std::fprintf(opt_.log,
                 "vtrace: no trace records from any CPU for %g s: tracing was turned off or "
                 "its event mask changed (by another tool, or after a bogus cons); no samples "
                 "or verdicts until records come back\n",
                 opt_.silence_s);
}

// Once, and again each time the advice doubles: Xen keeps the first size of
// a boot, so this can only say what to start with next time.
void LiveRuntime::advise_pages() {
  const double rate = double(advice_rate_.load(std::memory_order_relaxed));  // bytes/s
  const double pages = session_->pages_per_cpu();
  const double need = 2 * rate * (kRingHoldMs / 1e3) / 4096;  // half a ring holds kRingHoldMs
  if (need <= pages || !opt_.log) return;
  const uint32_t want = uint32_t(std::min(need + 1, double(kMaxPages) + 1));
  if (advised_pages_ && want < 2 * advised_pages_) return;
  advised_pages_ = want;
  std::fprintf(
      opt_.log,
      "vtrace: a CPU writes %.2f MB/s of trace records: half of its %.0f-page ring fills in %.0f ms; ",
      rate / 1e6, pages, pages * 4096 / 2 / rate * 1e3);
  if (want > kMaxPages)
    std::fprintf(
        opt_.log,
        "no --pages holds %.0f ms (at most %u; Xen may allow fewer): expect lost records under load\n",
        kRingHoldMs, kMaxPages);
  else
    std::fprintf(opt_.log, "--pages %u would hold %.0f ms (Xen keeps the first size of a boot)\n", want,
                 kRingHoldMs);
  std::fflush(opt_.log);
}

void LiveRuntime::consumer(uint32_t i) {
  if (!opt_.dom0_cpus.empty()) {
    if (Status st = pin_to(opt_.dom0_cpus[i]); !st.ok()) return fail(std::move(st));
  }
  const uint32_t nthreads = uint32_t(std::max<size_t>(1, opt_.dom0_cpus.size()));
  const int fd = i == 0 ? session_->notify_fd() : wake_fds_[i];
  // Nothing to wake this consumer when a ring passes half full (no virq, or
  // no eventfd to pass it on): it polls at least every kPollWithoutVirqMs.
  const double every_ms = fd >= 0 ? opt_.poll_ms : std::min(opt_.poll_ms, kPollWithoutVirqMs);
  // The next wait: the poll interval on a quiet host, shorter when this
  // consumer's busiest ring fills kWakeBatchBytes sooner (a half-full ring
  // of a busy host is megabytes, which the trackers would read cold).
  double wait_ms = every_ms;
  auto last_wake = Clock::now(), window_start = last_wake;
  std::vector<uint64_t> window_bytes;  // per ring of this consumer: its bytes when the window began
  for (size_t r = i; r < rings_.size(); r += nthreads) window_bytes.push_back(rings_[r].bytes);
  uint64_t windows = 0;
  const auto every =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt_.progress_s));
  auto next_publish = Clock::now();
  auto be_tracker = [this, every] {  // consumer 0, after each poll
    tracker_.claim();
    track();
    watch_silence();
    advise_pages();
    if (Clock::now() >= next_progress_) {
      next_progress_ = Clock::now() + every;
      publish_progress();
    }
  };
  while (!stop_.load(std::memory_order_relaxed)) {
    // Consumer 0 is also the tracker, which gives every channel its chunks
    // back: it wakes as often as the busiest consumer wants to.
    if (i == 0)
      for (uint32_t j = 1; j < nthreads; ++j)
        wait_ms = std::min(wait_ms, double(wait_us_[j].load(std::memory_order_relaxed)) / 1e3);
    if (fd >= 0) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, std::max(1, int(wait_ms))) > 0) {
        uint64_t n = 1;
        if (i == 0) {
          session_->host()->notify_ack();
          for (int w : wake_fds_)
            if (w >= 0) (void)!write(w, &n, sizeof n);
        } else {
          (void)!read(fd, &n, sizeof n);
        }
      }
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(uint64_t(wait_ms * 1000)));
    }
    const uint64_t now = session_->host()->now_tsc();
    uint64_t busiest = 0;  // bytes drained from one ring
    bool stalled = false;  // a ring's drain found its channel full
    for (size_t r = i; r < rings_.size(); r += nthreads) {
      const uint64_t before = rings_[r].bytes, stalls = rings_[r].stalls;
      drain(rings_[r], *channels_[r], now, slack_cycles_, teep_);
      busiest = std::max(busiest, rings_[r].bytes - before);
      stalled |= rings_[r].stalls != stalls;
    }
    const auto woke = Clock::now();
    const double since_ms = std::chrono::duration<double, std::milli>(woke - last_wake).count();
    last_wake = woke;
    // A stalled drain left records in Xen's ring, past half full perhaps,
    // where no second VIRQ_TBUF comes: it tries again as soon as the
    // tracker can have freed chunks, not a poll interval later.
    wait_ms = stalled   ? std::min(kMinWaitMs, every_ms)
              : busiest ? std::clamp(kWakeBatchBytes * since_ms / double(busiest),
                                     std::min(kMinWaitMs, every_ms), every_ms)
                        : every_ms;
    wait_us_[i].store(uint32_t(wait_ms * 1e3), std::memory_order_relaxed);
    // The pages advice, from each ring's bytes over whole windows of
    // kRateWindowS (a wake's own rate is a burst's, and the first window
    // holds what was written before the start).
    if (woke - window_start >= std::chrono::duration<double>(kRateWindowS)) {
      const double window_s = std::chrono::duration<double>(woke - window_start).count();
      uint64_t most = 0;
      size_t k = 0;
      for (size_t r = i; r < rings_.size(); r += nthreads, ++k) {
        most = std::max(most, rings_[r].bytes - window_bytes[k]);
        window_bytes[k] = rings_[r].bytes;
      }
      if (windows++ > 0) {  // the busiest ring's rate, for the tracker's advice
        uint64_t rate = uint64_t(double(most) / window_s), had = advice_rate_.load(std::memory_order_relaxed);
        while (rate > had && !advice_rate_.compare_exchange_weak(had, rate, std::memory_order_relaxed)) {
        }
      }
      window_start = woke;
    }
    if (Clock::now() >= next_publish) {
      next_publish = Clock::now() + every;
      publish_consumer(i, thread_cpu_ns());
    }
    if (i == 0) be_tracker();
    if (Clock::now() >= deadline_ || (opt_.external_stop && opt_.external_stop->load())) stop_ = true;
  }
  const uint64_t one = 1;  // the others may be waiting out a whole poll interval
  for (int w : wake_fds_)
    if (w >= 0) (void)!write(w, &one, sizeof one);
  consumer_cpu_ns_.fetch_add(thread_cpu_ns());
}

void LiveRuntime::classifier() {
  classifier_.claim();
  auto take = [this] {
    classifier_.claim();
    DomainSample s;
    bool listed = false, have_list = false;
    uint64_t listed_tsc = 0;
    while (queue_.pop(s)) {
      if (s.domid == kPeriodEnd) {
        if (opt_.domain_info && !listed) {  // once per wake: the host's state now
          listed = true;
          listed_tsc = session_->host()->now_tsc();
          have_list = session_->host()->list_domains(&host_domains_).ok();
          if (have_list) directory_.refresh(session_->host(), host_domains_, opt_.log);
        }
        // Only to a period that ended shortly before the list: an older
        // one (a backlog, a simulator running faster than the wall clock)
        // keeps what its trace says, or a pause would be reported long
        // before it began.
        const bool recent = s.index != 0 && listed_tsc <= s.index + uint64_t(kHostStateAgeS * hz_);
        if (have_list && recent)
          apply_host_domains(host_domains_, &period_);
        else if (opt_.domain_info && !have_list)
          domain_info_failures_.fetch_add(1, std::memory_order_relaxed);
        if (sink_ && !failed_.load()) sink_(period_);  // a failed run judges nothing
        period_.clear();
      } else {
        period_.push_back(s);
      }
    }
  };
  auto tell = [this] {
    if (progress_sink_ && !failed_.load()) progress_sink_(progress());
  };
  const auto every =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt_.progress_s));
  // Asleep until the tracker closes a period (the progress is then told
  // with it, at most every half interval) or a progress interval passes
  // with no period: one wake-up a second on a host with 1 s periods.
  auto told = Clock::now(), last_period = told;
  while (!consumers_done_.load()) {
    // (Half an interval of grace after a period: the next one comes about
    // an interval later, and must not race the progress for the wake-up.)
    const auto now = Clock::now(), due = std::max(told + every, last_period + every + every / 2);
    if (now >= due) {
      take();
      tell();
      told = now;
      continue;
    }
    if (classifier_fd_ < 0) {
      std::this_thread::sleep_for(std::min<Clock::duration>(due - now, std::chrono::milliseconds(20)));
      continue;
    }
    const double left_ms = std::chrono::duration<double, std::milli>(due - now).count();
    pollfd p{classifier_fd_, POLLIN, 0};
    if (poll(&p, 1, std::max(1, int(std::ceil(left_ms)))) <= 0) continue;
    uint64_t n;
    (void)!read(classifier_fd_, &n, sizeof n);
    take();
    last_period = Clock::now();
    if (last_period - told >= every / 2) {
      tell();
      told = last_period;
    }
  }
  take();
  tell();  // the final figures (run() published them before it let this thread go)
}

// The consumers are gone: this thread drains what is left, tracking as it
// goes so that chunks come back (a full channel would leave records in the
// rings), then closes the channels and finishes the merge. A merge held by
// a CPU that sends neither records nor a quiet bound frees no chunk: once a
// stalled round moves nothing, what is left stays in the rings (counted)
// rather than this loop spinning for ever. (On a live host Xen writes on
// after the last round: that is not counted.)
void LiveRuntime::final_drain() {
  bool held = false;
  for (bool more = true; more;) {
    more = false;
    const uint64_t now = session_->host()->now_tsc();
    const uint64_t merged = pipeline_->records_merged();
    uint64_t drained = 0;
    for (size_t r = 0; r < rings_.size(); ++r) {
      const uint64_t stalls = rings_[r].stalls, bytes = rings_[r].bytes;
      drain(rings_[r], *channels_[r], now, slack_cycles_, teep_);
      more |= rings_[r].stalls != stalls;
      drained += rings_[r].bytes - bytes;
    }
    track();
    watch_silence();
    if (more && drained == 0 && pipeline_->records_merged() == merged) {
      more = false;
      held = true;
    }
  }
  uint64_t left = 0;
  for (const LiveRing& r : rings_) {
    const xt::RingRead rd = xt::ring_read(r.ring);
    if (held && rd.state == xt::RingState::kData) left += rd.total();
  }
  for (auto& c : channels_) c->close();
  while (track() == SortStatus::kWait) {
  }
  pipeline_->finish(EndRule::kTraceEnd);
  advise_pages();  // a rate the consumers measured after the tracker's last poll
  stats_ = pipeline_->stats();
  stats_[Stat::left_in_rings] = left;
  stats_[Stat::silences] = silences_;
  stats_[Stat::shared_spells] = shared_spells_;
}

Status LiveRuntime::run() {
  const auto t_start = Clock::now();
  t_start_ = t_start;
  deadline_ = opt_.seconds > 0 ? t_start + std::chrono::nanoseconds(uint64_t(opt_.seconds * 1e9))
                               : Clock::time_point::max();
  // What Xen charges dom0 over the run (all of dom0: vtrace's threads, its
  // hypercalls and event channels, and dom0 being scheduled for them), read
  // before the classifier starts and after it stops: the host handle is
  // the classifier's.
  HostDomain dom0_before, dom0_after;
  const bool dom0_known = session_->host()->domain_info(0, &dom0_before).ok() && dom0_before.exists;
  const uint32_t nthreads = uint32_t(std::max<size_t>(1, opt_.dom0_cpus.size()));
  wake_fds_.assign(nthreads, -1);
  wait_us_ = std::make_unique<std::atomic<uint32_t>[]>(nthreads);
  for (uint32_t i = 0; i < nthreads; ++i) wait_us_[i].store(uint32_t(opt_.poll_ms * 1e3));
  if (session_->notify_fd() >= 0)  // without the virq every consumer sleeps its poll interval
    for (uint32_t i = 1; i < nthreads; ++i) wake_fds_[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  classifier_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::vector<std::thread> threads;
  for (uint32_t i = 0; i < nthreads; ++i) threads.emplace_back(&LiveRuntime::consumer, this, i);
  std::thread cls(&LiveRuntime::classifier, this);
  for (auto& t : threads) t.join();
  for (int& w : wake_fds_)
    if (w >= 0) close(std::exchange(w, -1));
  const uint64_t main_cpu0 = thread_cpu_ns();
  tracker_.claim();  // the consumers are joined: this thread is the tracker now
  final_drain();
  const uint64_t main_cpu = thread_cpu_ns() - main_cpu0;
  for (const LiveRing& r : rings_) r.add_stats(&stats_);
  stats_[Stat::samples_dropped] = samples_dropped_.load();
  stats_[Stat::domain_info_failures] = domain_info_failures_.load();
  stats_[Stat::consumer_cpu_ns] = consumer_cpu_ns_.load() + main_cpu;
  stats_[Stat::wall_ns] = uint64_t(std::chrono::duration<double, std::nano>(Clock::now() - t_start).count());
  {
    MutexLock l(&progress_mu_);
    progress_.stats = stats_;
    progress_.blind = silent_;
  }
  consumers_done_ = true;
  wake_classifier();
  cls.join();
  if (classifier_fd_ >= 0) close(std::exchange(classifier_fd_, -1));
  if (dom0_known && session_->host()->domain_info(0, &dom0_after).ok() && dom0_after.exists &&
      dom0_after.cpu_ns >= dom0_before.cpu_ns)
    stats_[Stat::dom0_cpu_ns] = dom0_after.cpu_ns - dom0_before.cpu_ns;
  {
    MutexLock l(&error_mu_);
    if (!error_.ok()) return error_;
  }
  bool write_failed;
  {
    MutexLock l(&tee_.lock);
    write_failed = tee_.failed;
  }
  if (write_failed || (opt_.record && std::fflush(opt_.record) != 0))
    return Status::IoError("write failed (disk full?)");
  return Status::Ok();
}

void apply_host_domains(const std::vector<HostDomain>& host, std::vector<DomainSample>* period) {
  for (DomainSample& s : *period) {
    auto it = std::lower_bound(host.begin(), host.end(), uint32_t(s.domid),
                               [](const HostDomain& h, uint32_t d) { return h.domid < d; });
    DomainState st = DomainState::kDying;  // gone from the host
    uint8_t reason = xt::kNoShutdown;
    if (it != host.end() && it->domid == s.domid && it->exists) {
      st = it->dying                                                   ? DomainState::kDying
           : it->shutdown && it->shutdown_reason == xt::kShutdownCrash ? DomainState::kCrashed
           : it->shutdown                                              ? DomainState::kShutdown
           : it->paused                                                ? DomainState::kPaused
                                                                       : DomainState::kActive;
      if (it->shutdown) reason = it->shutdown_reason;
      s.host_hvm = it->hvm ? 1 : 0;
    }
    if (st > s.state) s.state = st;
    if (s.shutdown_reason == xt::kNoShutdown) s.shutdown_reason = reason;
  }
}

}  // namespace vt
