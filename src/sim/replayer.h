// Replayer: a real trace's records written again into a SimHost's rings by
// Xen's producer protocol (SimHost::trace), from several threads, over and
// over, at a chosen rate or as fast as the threads go: the live path's load
// test with real records (issue 16 item 7). The scheduler model
// (simulator.h) makes records one at a time and tops out near 6 M records/s
// on one core; replaying stored ones costs little more than the ring write,
// so the consumer, not the producer, is what a run measures.
//
// Each trace CPU becomes the host CPU of the same number. Producer thread j
// owns the host CPUs j, j + threads, ... and writes them in steps of
// kStepNs of trace time (longer when the replay is paced much faster than
// the trace ran), and waits when it is kMaxAheadSteps ahead of the slowest
// thread: no CPU runs far ahead of the others (the consumer's merge would
// hold its records back and its rings would fill). Each pass over
// the trace is shifted past the previous pass's last TSC: every CPU's TSCs
// keep increasing and every vCPU keeps its behaviour. The host's clock
// (now_tsc) becomes the earliest point every thread has written up to.
//
// Loading keeps every record but Xen's own ring bookkeeping
// (TRC_LOST_RECORDS, TRC_TRACE_WRAP_BUFFER, xentrace's TRC_TRACE_CPU_CHANGE),
// packed into 32-bit words: about 16 bytes a record.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "src/sim/host.h"
#include "src/util/status.h"

namespace vt::sim {

struct ReplayTrace {
  // Per CPU id: words of [event | n_extra << 28 | long << 31] [TSC delta,
  // 1 word, or 2 when `long`] [n_extra payload words], deltas from the CPU's
  // previous record (the first's is 0: its TSC is cpu_first_tsc).
  std::vector<std::vector<uint32_t>> cpu_words;
  std::vector<uint64_t> cpu_records;
  std::vector<uint64_t> cpu_first_tsc;
  uint64_t records = 0;    // all CPUs, one pass
  uint64_t first_tsc = 0;  // the earliest record of any CPU
  uint64_t span_tsc = 0;   // last minus first, every CPU
};

// Reads `path` once (any form FileSource reads: a pipe too). Fails with the file source's
// error, or kInvalidArgument naming the file when it holds no record or
// breaks before its end (a replay of half a trace would look like a quiet
// host).
Status load_replay(const std::string& path, ReplayTrace* out);

struct ReplayOptions {
  uint32_t threads = 1;
  double records_per_s = 0;  // all threads together; 0: as fast as they go
  int pin_cpu = -1;          // every producer thread on this host CPU (-1: not pinned)
  uint32_t passes = 0;       // over the whole trace; 0: until stop()
};

class Replayer {
 public:
  // `host` must have at least as many CPUs as the trace's highest id + 1
  // (a CPU beyond it is skipped), and both must outlive the Replayer. The
  // host's clock is the replay's from here on (a session opened after this
  // reads from the trace's first record).
  Replayer(SimHost* host, const ReplayTrace* trace, const ReplayOptions& o);
  ~Replayer();

  void start();
  void stop();
  void join();
  // Every thread has written its passes (never, with passes 0).
  bool finished() const { return running_.load() == 0; }

  uint64_t records_written() const;  // admitted by the host (not lost, not filtered)
  uint64_t records_offered() const;  // every call of SimHost::trace
  uint64_t now_tsc() const;          // the host's clock (earliest point reached; a finished
                                     // thread holds nothing back)

  static constexpr uint64_t kStepNs = 200'000;        // trace time per pacing step, at least
  static constexpr uint64_t kMinStepWallNs = 50'000;  // wall time per paced step, at least
  static constexpr uint64_t kMaxAheadSteps = 4;       // how far a thread may run ahead of the slowest

 private:
  void run(uint32_t j);

  SimHost* host_;
  const ReplayTrace* trace_;
  ReplayOptions opt_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> running_{0};
  struct alignas(64) Progress {
    std::atomic<uint64_t> reached{0};  // trace TSC every CPU of the thread has been written up to
    std::atomic<uint64_t> written{0}, offered{0};
  };
  std::unique_ptr<Progress[]> progress_;
};

}  // namespace vt::sim
