// LiveRuntime: the threads of `vtrace run` over a LiveSession.
//
//   consumer threads  one per dom0 CPU in --cpus, pinned there; thread i
//                     owns hypervisor rings i, i+n, ...; each poll it drains
//                     them into their Channels (live_source.h). Thread 0
//                     waits on VIRQ_TBUF (when it could be bound) and also
//                     wakes every poll interval, since the virq fires only
//                     at half full; thread 0 also runs the sorter and the
//                     trackers over all Channels, and says when no record
//                     has come from any CPU for silence_s (tracing off).
//   classifier thread wakes once a second, takes the samples the trackers
//                     closed (a Boost.Lockfree SPSC queue, never blocking
//                     the trackers: a full queue drops and counts) and
//                     hands each completed period to the classifier.
//
// No lock and no allocation per record anywhere on the way.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "src/samples/sample.h"
#include "src/source/live_source.h"
#include "src/trackers/trackers.h"

namespace vt {

struct RuntimeOptions {
  std::vector<uint32_t> dom0_cpus;  // consumer threads, pinned; empty: one unpinned thread
  double poll_ms = 10;
  double seconds = 0;       // wall seconds to run; 0: until stop()
  double period_s = 1.0;
  bool include_idle = false;
  double slack_ms = 1.0;    // records in flight when a ring was seen empty
  uint32_t chunks_per_cpu = 16;
  size_t sample_queue = 1 << 16;
  const std::atomic<bool>* external_stop = nullptr;  // e.g. set by SIGINT
  std::FILE* record = nullptr;  // also write everything drained here (xentrace format)
  // No record from any CPU for this long (wall seconds; 0: never) means the
  // detector is blind: tracing was turned off or the mask changed under us.
  // One line goes to `log` when it starts and one when records come back.
  double silence_s = 10;
  std::FILE* log = nullptr;
};

struct RuntimeStats {
  uint64_t records = 0;           // delivered to the trackers
  uint64_t dropped_classes = 0;   // read but filtered (classes no tracker reads)
  uint64_t bytes = 0;
  uint64_t lost_records = 0;      // reported by Xen in TRC_LOST_RECORDS
  uint64_t bogus = 0, resyncs = 0, stalls = 0;
  uint64_t discarded_bytes = 0;   // unread bytes dropped by resynchronisations (when known)
  uint64_t bad_chunks = 0;        // chunks cut short by a record running past what was written
  uint64_t samples_dropped = 0;   // classifier queue full
  uint64_t late = 0;              // below the merge's watermark (SorterStats::late)
  uint64_t tsc_backwards = 0;     // below their CPU's previous TSC
  uint64_t silences = 0;          // times no record came for RuntimeOptions::silence_s
  uint64_t left_in_rings = 0;     // bytes not read at exit because a CPU held the merge with chunks full
  double consumer_cpu_s = 0;      // CPU time of all consumer threads
  double wall_s = 0;
  std::vector<std::pair<uint32_t, uint64_t>> lost_per_cpu;
};

using PeriodSink = std::function<void(const std::vector<DomainSample>& period)>;

class LiveRuntime {
 public:
  LiveRuntime(LiveSession* session, const RuntimeOptions& o);

  // Called on the classifier thread with each completed period's samples.
  void set_period_sink(PeriodSink s) { sink_ = std::move(s); }
  // Runs until `seconds` elapsed or stop(); false with a reason if a thread
  // could not start or pin.
  bool run(std::string* err);
  void stop() { stop_.store(true); }
  RuntimeStats stats() const { return stats_; }
  const Trackers* trackers() const { return trackers_ready_ ? &*trackers_ : nullptr; }

 private:
  LiveSession* session_;
  RuntimeOptions opt_;
  PeriodSink sink_;
  std::atomic<bool> stop_{false};
  RuntimeStats stats_;
  std::optional<Trackers> trackers_;
  bool trackers_ready_ = false;
};

}  // namespace vt
