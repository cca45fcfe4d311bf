// LiveRuntime: the threads of `vtrace run` over a LiveSession, each with a
// named role and the state it owns marked for the compiler
// (src/util/thread_annotations.h; checked by clang's -Wthread-safety).
//
//   consumer i   one per dom0 CPU in dom0_cpus, pinned there; owns
//                hypervisor rings i, i+n, ... (their LiveRing counters) and
//                the producing side of their Channels; each poll it drains
//                them (live_source.h). Consumer 0 waits on VIRQ_TBUF (when it
//                could be bound) and passes it on to the others; every
//                consumer also wakes each poll interval, since the virq
//                fires only when a ring passes half full.
//   tracker      played by consumer 0 after each poll, and by the thread
//                that called run() once the consumers are joined (the final
//                drain): owns the streams and the Pipeline (sorter,
//                trackers, sampler), the silence watch, which says when
//                no record has come from any CPU for silence_s (tracing
//                off: the detector is blind), and the reader watch: while
//                a Channel says another reader moves its ring's cons
//                (live_source.h), every domain's samples over that span are
//                blinded (kBlindSharedRings: the detector says `unknown`),
//                with one line when it starts and one when it ends.
//   classifier   wakes once a second, takes the samples the tracker closed
//                (a Boost.Lockfree SPSC queue, never blocking the tracker:
//                a full queue drops and counts) and hands each completed
//                period to the period sink (the detector), then the run's
//                progress so far to the progress sink (the metrics).
//                Before that, with domain_info, it reads the host's domain
//                info (one list_domains per wake) into the samples' state
//                (apply_host_domains): a paused, shut down or dying domain
//                the trace cannot show yet is not judged.
//
// Progress (the statistics so far, and whether the silence watch finds the
// detector blind) is published once every progress_s: each consumer copies
// its rings' counters and its CPU time into its own slot under a mutex, the
// tracker adds them to the pipeline's into one LiveProgress under another,
// and the classifier copies that out. A lock per thread per second; none
// per record.
//
// No lock and no allocation per record anywhere on the way. run() may be
// called once.
#pragma once

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "src/pipeline/pipeline.h"
#include "src/runtime/domain_directory.h"
#include "src/samples/sample.h"
#include "src/source/live_source.h"
#include "src/util/mutex.h"
#include "src/util/stats.h"
#include "src/util/status.h"
#include "src/util/thread_annotations.h"

namespace vt {

// Without VIRQ_TBUF (not bound: another reader holds it) nothing says a ring
// passed half full, so the consumers wake at least this often whatever the
// poll interval (the default before the virq woke every consumer).
constexpr double kPollWithoutVirqMs = 10;
// A consumer whose busiest ring fills faster wakes when about this much is
// in it (one chunk), but not more often than every kMinWaitMs: batches stay
// small enough for the trackers to read warm (docs/benchmarks.md).
constexpr double kWakeBatchBytes = 256 * 1024;
constexpr double kMinWaitMs = 1;
// Half a ring should hold this long of its CPU's records (VIRQ_TBUF fires at
// half full; a dom0 vCPU may wait that long to run): a ring that fills
// faster gets one line naming the --pages that would (advise_pages).
constexpr double kRingHoldMs = 50;
constexpr double kRateWindowS = 1;  // the rate it is judged on: bytes over whole windows

struct RuntimeOptions {
  std::vector<uint32_t> dom0_cpus;  // consumer threads, pinned; empty: one unpinned thread
  // The slow timer: VIRQ_TBUF wakes the consumers when a ring passes half
  // full, so this only bounds how late a quiet ring's records reach the
  // trackers, and so how late a 1 s period closes (docs/benchmarks.md: CPU
  // against poll interval). Each wake-up of a dom0 thread costs dom0 a
  // vCPU wake and the trace its records: a quiet host sees one a second,
  // as with xenbaked (docs/xenmon.md).
  double poll_ms = 1000;
  double seconds = 0;  // wall seconds to run; 0: until external_stop
  // The pipeline's options: periods, idle domain, HVM vendor (its samples
  // are always on, at the host's TSC rate).
  PipelineOptions pipeline;
  double slack_ms = 1.0;  // how far records in flight may lag the host's clock
  uint32_t chunks_per_cpu = 16;
  size_t sample_queue = 1 << 16;
  const std::atomic<bool>* external_stop = nullptr;  // e.g. set by SIGINT
  std::FILE* record = nullptr;                       // also write everything drained here (xentrace format)
  // No record from any CPU for this long (wall seconds; 0: never) means the
  // detector is blind: tracing was turned off or the mask changed under us.
  // One line goes to `log` when it starts and one when records come back.
  double silence_s = 10;
  std::FILE* log = nullptr;
  // How often (wall seconds) the progress is published and the classifier
  // wakes.
  double progress_s = 1.0;
  // Read the host's domain info each wake (TraceHost::list_domains).
  bool domain_info = true;
};

// What the host says now, added to a period's samples: each sample takes
// the graver of its trace state and the host's (active < paused <
// shutdown < crashed < dying; the host's shutdown reason when the trace has
// none); a domain the host no longer lists is dying; the host's word on
// the guest type (host_hvm) too. `host` in domid order.
// The period ended a moment ago, so at a transition the host's state may
// be a period early (never judged: harmless) but never late.
void apply_host_domains(const std::vector<HostDomain>& host, std::vector<DomainSample>* period);

// The run so far, as the progress sink sees it.
struct LiveProgress {
  Stats stats;         // every stage's counters so far (wall_ns: since run())
  bool blind = false;  // the silence watch finds no record coming in (silence_s)
};

using PeriodSink = std::function<void(const std::vector<DomainSample>& period)>;
using ProgressSink = std::function<void(const LiveProgress& progress)>;

class LiveRuntime {
 public:
  LiveRuntime(LiveSession* session, const RuntimeOptions& o);
  ~LiveRuntime();

  // Called on the classifier thread with each completed period's samples.
  // Set before run().
  void set_period_sink(PeriodSink s) { sink_ = std::move(s); }
  // Called on the classifier thread every progress_s, after the periods
  // that came in, and once more at the end of the run. Set before run().
  void set_progress_sink(ProgressSink s) { progress_sink_ = std::move(s); }
  // Who the domains are (names, UUIDs), refreshed with the domain info:
  // for the sinks only (they run on the classifier thread, its owner).
  const DomainDirectory& directory() const { return directory_; }
  // Runs until `seconds` elapsed or external_stop. Fails when a consumer
  // could not be pinned (kUnavailable; the first such failure; no period
  // reaches the sink after it: the command line checks the CPUs with
  // check_cpus_allowed() before it starts anything) or the recording could
  // not be written (kIoError). The statistics cover the run either way.
  Status run();
  // After run(): every stage's counters, the rings', and the runtime's own
  // (Stat::samples_dropped, silences, shared_spells, left_in_rings,
  // consumer_cpu_ns, wall_ns).
  const Stats& stats() const { return stats_; }

 private:
  using Clock = std::chrono::steady_clock;

  void consumer(uint32_t i);
  void classifier();
  void wake_classifier();  // classifier_fd_, below
  SortStatus track() VT_REQUIRES(tracker_);
  void watch_silence() VT_REQUIRES(tracker_);
  void watch_readers() VT_REQUIRES(tracker_);
  void final_drain() VT_REQUIRES(tracker_);
  void fail(Status st) VT_EXCLUDES(error_mu_);
  void publish_consumer(uint32_t i, uint64_t cpu_ns);
  void publish_progress() VT_REQUIRES(tracker_);
  void advise_pages() VT_REQUIRES(tracker_);
  LiveProgress progress() VT_EXCLUDES(progress_mu_);

  ThreadRole tracker_;
  ThreadRole classifier_;

  LiveSession* session_;
  const RuntimeOptions opt_;
  const double hz_;
  const uint64_t slack_cycles_;
  // Consumer i owns rings i, i+n, ... (their counters) by index, which the
  // analysis cannot express: the tracker reads them only after the join.
  std::vector<LiveRing>& rings_;
  // Ring i's consumer pushes full chunks, the tracker gives them back: SPSC.
  std::vector<std::unique_ptr<Channel>> channels_;
  Tee tee_;
  Tee* teep_ = nullptr;

  std::vector<LiveStream> streams_ VT_GUARDED_BY(tracker_);
  std::unique_ptr<Pipeline<LiveStream>> pipeline_ VT_PT_GUARDED_BY(tracker_);
  // Silence watch.
  uint64_t seen_records_ VT_GUARDED_BY(tracker_) = 0;
  Clock::time_point last_life_ VT_GUARDED_BY(tracker_);
  bool silent_ VT_GUARDED_BY(tracker_) = false;
  uint64_t silences_ VT_GUARDED_BY(tracker_) = 0;
  // Reader watch: per channel, the end of the last foreign span applied.
  std::vector<uint64_t> foreign_seen_ VT_GUARDED_BY(tracker_);
  bool shared_ VT_GUARDED_BY(tracker_) = false;
  Clock::time_point shared_since_ VT_GUARDED_BY(tracker_);
  uint64_t shared_spells_ VT_GUARDED_BY(tracker_) = 0;

  // Tracker -> classifier; entries with domid kPeriodEnd close a period.
  boost::lockfree::spsc_queue<DomainSample> queue_;
  std::atomic<uint64_t> samples_dropped_{0};
  PeriodSink sink_;  // set before run(), then the classifier's
  std::vector<DomainSample> period_ VT_GUARDED_BY(classifier_);
  std::vector<HostDomain> host_domains_ VT_GUARDED_BY(classifier_);
  DomainDirectory directory_;  // the classifier's (directory())
  std::atomic<uint64_t> domain_info_failures_{0};

  // Progress: each consumer's rings and CPU time (slot i: consumer i's),
  // then the whole, published by the tracker.
  struct ConsumerSlot {
    Mutex mu;
    Stats rings VT_GUARDED_BY(mu);
    uint64_t cpu_ns VT_GUARDED_BY(mu) = 0;
  };
  std::vector<std::unique_ptr<ConsumerSlot>> consumer_slots_;
  Clock::time_point t_start_;
  Clock::time_point next_progress_ VT_GUARDED_BY(tracker_);  // the epoch: publish at the first poll
  Mutex progress_mu_;
  LiveProgress progress_ VT_GUARDED_BY(progress_mu_);
  ProgressSink progress_sink_;  // set before run(), then the classifier's

  // Consumer i > 0 waits on wake_fds_[i] (an eventfd) for at most the poll
  // interval; consumer 0 writes them all when VIRQ_TBUF fires, since the
  // ring past half full may be any consumer's. Set in run() before the
  // threads start, closed after they are joined.
  std::vector<int> wake_fds_;
  // Each consumer's next wait (µs), which consumer 0 (the tracker) takes the
  // least of.
  std::unique_ptr<std::atomic<uint32_t>[]> wait_us_;
  // The highest rate (bytes/s over a kRateWindowS window) of any ring, and
  // the --pages the tracker last advised for it (advise_pages).
  std::atomic<uint64_t> advice_rate_{0};
  uint32_t advised_pages_ VT_GUARDED_BY(tracker_) = 0;

  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};  // a thread failed: the sink gets nothing more
  std::atomic<bool> consumers_done_{false};
  // The tracker writes this eventfd when it closes a period (and run() when
  // the consumers are done): the classifier sleeps on it instead of waking
  // on a timer, each of whose wake-ups a dom0 vCPU, and so the trace, would
  // pay for (issue 16: vtrace's own records). -1: no eventfd, it polls.
  int classifier_fd_ = -1;
  std::atomic<uint64_t> consumer_cpu_ns_{0};
  Clock::time_point deadline_;
  Mutex error_mu_;
  Status error_ VT_GUARDED_BY(error_mu_);  // the first thread failure
  Stats stats_;
};

}  // namespace vt
