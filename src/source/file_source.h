// File source: a xentrace file as per-CPU record streams for the sorter.
//
// A first pass over the window headers (not the records) finds every CPU,
// so that all of them are in the merge from the start. Then one
// WindowCursor reads the headers again, in file order, as the streams need
// them; each window goes to its CPU's queue and that CPU's stream tokenizes
// it in place (mmap, no copy). Memory is bounded by the window descriptors
// between two windows of one CPU (about one xentrace pass), whatever the
// file size.
//
// run() feeds every record in TSC order to a sink and stops at the first
// fault, reporting it with the file name and byte offset; every record
// before the fault is delivered first. A compressed file (zstd, gzip, xz)
// is read as its decoded image, and offsets are bytes of that image; a
// broken compressed stream is a fault at the end of what it decoded to.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "src/sorter/sorter.h"
#include "xentrace/mapped_file.h"
#include "xentrace/trace_file.h"

namespace vt {

struct FileResult {
  uint64_t records = 0;  // delivered
  uint64_t dropped = 0;  // read but not delivered (filtered classes)
  uint64_t wraps_skipped = 0;
  uint64_t tsc_backwards = 0;
  uint64_t windows = 0;
  bool stopped = false;  // the sink asked to stop
  bool has_fault = false;
  xt::Fault fault;
};

class FileSource {
 public:
  // Maps `path` ("-": standard input), decoding it if compressed. Fails
  // only when it cannot be read at all (one line in *err).
  bool open(const std::string& path, std::string* err);
  // Reads an image already in memory (the caller keeps it alive).
  void open_memory(const uint8_t* data, uint64_t size, const std::string& name);

  // sink(uint32_t cpu, const xt::Record&) -> bool (false stops the run).
  // Records of the classes in `drop` are read but not delivered.
  template <class Sink>
  FileResult run(Sink&& sink, const xt::ClassFilter* drop = nullptr);

  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }
  // File offset of the record being delivered (valid inside the sink).
  uint64_t current_offset() const { return streams_[current_].record_offset(); }
  // After run(): each CPU seen and the TSC of its last record, dropped ones too.
  std::vector<std::pair<uint32_t, uint64_t>> cpu_last_tsc() const;

  // "name: byte N: what"; "name: byte N of the decoded zstd data: what".
  std::string describe(const xt::Fault& f) const;

 private:
  struct Stream {
    FileSource* src;
    uint32_t cpu;
    xt::TokenizerState tok;
    std::deque<xt::Window> queue;  // windows read by the cursor, not yet tokenized
    uint64_t fault_offset = 0;
    const uint8_t* last = nullptr;  // start of the record last returned

    // The hot path inline; the next window out of line.
    xt::TokenStatus next(xt::Record* r) {
      const xt::TokenStatus st = xt::next_record(&tok, r);
      if (st == xt::TokenStatus::kRecord) [[likely]] {
        last = tok.pos - r->size;
        return st;
      }
      return next_window(st, r);
    }
    xt::TokenStatus next_window(xt::TokenStatus st, xt::Record* r);
    bool waiting() const { return false; }  // a file never has more later
    uint64_t wait_bound() const { return 0; }
    uint64_t record_offset() const { return uint64_t(last - src->data_); }
  };

  // Reads windows until `cpu` has one queued; false if the file (or its
  // valid part) ended first.
  bool pull(uint32_t cpu);

  xt::MappedFile file_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string name_;
  xt::WindowCursor cursor_{nullptr, 0};
  std::optional<xt::Fault> scan_fault_;  // the first pass met this fault: the run stops there too
  std::optional<xt::Fault> input_fault_;  // the compressed stream broke: the image ends here
  std::vector<Stream> streams_;         // one per CPU, ascending; fixed after open
  std::vector<uint32_t> stream_index_;  // CPU -> index in streams_, or kNoStream
  const xt::ClassFilter* drop_ = nullptr;
  uint32_t current_ = 0;
  static constexpr uint32_t kNoStream = 0xffffffffu;
};

template <class Sink>
FileResult FileSource::run(Sink&& sink, const xt::ClassFilter* drop) {
  drop_ = drop;
  for (Stream& s : streams_) s.tok.drop = drop;
  FileResult res;
  Sorter<Stream> sorter(&streams_);
  const SortStatus st = sorter.run([&](uint32_t i, const xt::Record& r) {
    current_ = i;
    return sink(streams_[i].cpu, r);
  });
  res.records = sorter.stats().records;
  res.tsc_backwards = sorter.stats().tsc_backwards;
  res.windows = cursor_.windows();
  for (const Stream& s : streams_) {
    res.wraps_skipped += s.tok.wraps_skipped;
    res.dropped += s.tok.dropped;
  }
  res.stopped = st == SortStatus::kStopped;
  if (st == SortStatus::kBad) {
    const Stream& s = streams_[sorter.bad_stream()];
    res.has_fault = true;
    res.fault = {s.fault_offset, "record of CPU " + std::to_string(s.cpu) +
                                     " runs past the end of its window (corrupt header)"};
  } else if (scan_fault_.has_value() && !res.stopped) {
    res.has_fault = true;
    res.fault = *scan_fault_;
  }
  // A cut compressed stream usually also cuts the image's last window; the
  // decoder's fault is the cause, so it comes with whatever the image shows.
  if (input_fault_.has_value() && !res.stopped) {
    if (res.has_fault) {
      res.fault.what += "; " + input_fault_->what;
    } else {
      res.has_fault = true;
      res.fault = *input_fault_;
    }
  }
  return res;
}

}  // namespace vt
