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
// The streams end at the first fault; fault() then says where, with the
// file name and byte offset, after the merge has delivered everything
// before it. A compressed file (zstd, gzip, xz) is read as its decoded
// image, and offsets are bytes of that image; a broken compressed stream is
// a fault at the end of what it decoded to. The pipeline (src/pipeline)
// merges and tracks the streams: read_trace.h is the way in.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "src/util/stats.h"
#include "src/util/status.h"
#include "xentrace/mapped_file.h"
#include "xentrace/trace_file.h"

namespace vt {

class FileSource {
 public:
  // Maps `path` ("-": standard input), decoding it if compressed. Fails
  // only when it cannot be read at all (kIoError naming the path;
  // kInvalidArgument for a bad VTRACE_DECODE_MEMORY).
  Status open(const std::string& path);
  // Reads an image already in memory (the caller keeps it alive).
  void open_memory(const uint8_t* data, uint64_t size, const std::string& name);

  // One CPU's records, a sorter stream (sorter.h).
  struct Stream {
    FileSource* src;
    uint32_t cpu_id;
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
    uint32_t cpu() const { return cpu_id; }
    void set_filter(const xt::ClassFilter* drop) { tok.drop = drop; }
    void add_stats(Stats* s) const;
    // File offset of the record last returned.
    uint64_t record_offset() const { return uint64_t(last - src->data_); }
  };

  // One per CPU, ascending; fixed after open.
  std::vector<Stream>& streams() { return streams_; }

  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }
  // Each CPU seen and the TSC of its last record read, dropped ones too.
  std::vector<std::pair<uint32_t, uint64_t>> cpu_last_tsc() const;
  // Stat::windows so far.
  Stats stats() const;

  // After the merge ended: the fault that ended it, if any (kCorruption,
  // "name: byte N: what"; "name: byte N of the decoded zstd data: what").
  // `bad_stream` is the stream the sorter found malformed (-1: none).
  Status fault(int bad_stream) const;

 private:
  std::string describe(const xt::Fault& f) const;

  // Reads windows until `cpu` has one queued; false if the file (or its
  // valid part) ended first.
  bool pull(uint32_t cpu);

  xt::MappedFile file_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string name_;
  xt::WindowCursor cursor_{nullptr, 0};
  std::optional<xt::Fault> scan_fault_;   // the first pass met this fault: the run stops there too
  std::optional<xt::Fault> input_fault_;  // the compressed stream broke: the image ends here
  std::vector<Stream> streams_;           // one per CPU, ascending; fixed after open
  std::vector<uint32_t> stream_index_;    // CPU -> index in streams_, or kNoStream
  static constexpr uint32_t kNoStream = 0xffffffffu;
};

}  // namespace vt
