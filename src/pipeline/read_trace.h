// read_trace: the one way to read a trace file. Everything that reads a
// xentrace file (summary, replay, dump, the data-set loader, benchmarks,
// tests, the fuzz target) goes through a TraceReader:
//
//   TraceReader r(options);
//   Status st = r.open(path);              // "-": standard input; zstd/gzip/xz decoded
//   r.set_sample_sink(...);                // per-period samples (options.samples.enabled)
//   Status fault = r.run();                // every record, in TSC order, then the end
//   r.trackers(), r.stats()
//
// run() reads the whole trace through the pipeline (pipeline.h). A fault in
// the file (a corrupt header, a cut window, a broken compressed stream)
// stops it after every record before the fault has been tracked; run()
// returns it as kCorruption naming the file and byte offset. The trace is
// then finished (its open intervals closed by the end rule, its last short
// period emitted) only if finish_after_fault is set; a complete trace always
// is. Before finishing, the trackers learn each CPU's last TSC, dropped
// records included (xenalyze's end rule counts them).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "src/pipeline/pipeline.h"
#include "src/source/file_source.h"
#include "src/util/stats.h"
#include "src/util/status.h"

namespace vt {

struct ReadOptions {
  PipelineOptions pipeline;
  EndRule end = EndRule::kTraceEnd;
  bool finish_after_fault = false;  // --keep-going: close the trace where the fault cut it
};

// Sees each record before the trackers apply it: its CPU, its byte offset
// in the (decoded) file, and the trackers' state so far.
using RecordObserver =
    std::function<void(uint32_t cpu, uint64_t offset, const xt::Record& r, const Trackers& t)>;

class TraceReader {
 public:
  explicit TraceReader(const ReadOptions& o) : opt_(o) {}

  // Fails only when the trace cannot be read at all (one line naming it).
  Status open(const std::string& path) { return src_.open(path); }
  // An image already in memory (the caller keeps it alive).
  void open_memory(const uint8_t* data, uint64_t size, const std::string& name) {
    src_.open_memory(data, size, name);
  }
  void set_sample_sink(SampleSink sink) { sink_ = std::move(sink); }
  void set_record_observer(RecordObserver f) { observer_ = std::move(f); }

  // Reads the trace once; ok, or the fault that cut it short.
  Status run();

  // After run().
  const Trackers& trackers() const;
  Stats stats() const { return stats_; }
  const std::string& name() const { return src_.name(); }
  uint64_t size() const { return src_.size(); }

 private:
  ReadOptions opt_;
  FileSource src_;
  SampleSink sink_;
  RecordObserver observer_;
  std::unique_ptr<Pipeline<FileSource::Stream>> pipe_;
  Stats stats_;
};

}  // namespace vt
