#include "src/source/file_source.h"

namespace vt {

Status FileSource::open(const std::string& path) {
  if (Status st = file_.open(path); !st.ok()) return st;
  open_memory(file_.data(), file_.size(), file_.path());
  const xt::DecodeStatus& d = file_.decode_status();
  if (!d.ok) input_fault_ = xt::Fault{size_, d.what + " at compressed byte " + std::to_string(d.in_offset)};
  if (const char* f = xt::undecoded_format(data_, size_))
    input_fault_ = xt::Fault{0, std::string("this is ") + f +
                                    " data, which vtrace does not decode (it reads zstd, gzip and xz): "
                                    "decompress it into a pipe, e.g. " +
                                    (std::string(f) == "bzip2" ? "bzcat" : std::string(f) + " -dc") +
                                    " FILE | vtrace summary -"};
  return Status::Ok();
}

void FileSource::open_memory(const uint8_t* data, uint64_t size, const std::string& name) {
  data_ = data;
  size_ = size;
  name_ = name;
  input_fault_.reset();
  cursor_ = xt::WindowCursor(data, size);
  streams_.clear();
  stream_index_.assign(xt::kMaxCpus, kNoStream);
  // Every CPU that has a window must be in the merge from the start: a CPU
  // found late could bring records older than what was merged already, and
  // windows may come in any order (several threads wrote them, or -M mode).
  // One pass over the headers (not the records) finds them.
  xt::WindowCursor scan(data, size);
  std::vector<bool> seen(xt::kMaxCpus, false);
  xt::Window w;
  while (scan.next(&w)) seen[w.cpu] = true;
  scan_fault_.reset();
  if (scan.has_fault()) scan_fault_ = scan.fault();
  for (uint32_t cpu = 0; cpu < xt::kMaxCpus; ++cpu) {
    if (!seen[cpu]) continue;
    stream_index_[cpu] = uint32_t(streams_.size());
    Stream s{this, cpu, {}, {}};
    s.tok.pos = s.tok.end = data_;
    streams_.push_back(std::move(s));
  }
}

bool FileSource::pull(uint32_t cpu) {
  xt::Window w;
  while (cursor_.next(&w)) {
    // The first pass saw every CPU the cursor can reach: both stop at the same fault.
    if (w.size == 0) continue;  // empty, or nothing whole left in a truncated one
    streams_[stream_index_[w.cpu]].queue.push_back(w);
    if (w.cpu == cpu) return true;
  }
  return false;
}

xt::TokenStatus FileSource::Stream::next_window(xt::TokenStatus st, xt::Record* r) {
  for (;;) {
    if (st == xt::TokenStatus::kRecord) {
      last = tok.pos - r->size;
      return st;
    }
    if (st == xt::TokenStatus::kBad) {
      fault_offset = uint64_t(tok.pos - src->data_);
      return st;
    }
    if (queue.empty() && !src->pull(cpu_id)) return xt::TokenStatus::kEnd;
    const xt::Window w = queue.front();
    queue.pop_front();
    tok.pos = src->data_ + w.data_offset;
    tok.end = tok.pos + w.size;
    st = xt::next_record(&tok, r);
  }
}

std::vector<std::pair<uint32_t, uint64_t>> FileSource::cpu_last_tsc() const {
  std::vector<std::pair<uint32_t, uint64_t>> r;
  for (const Stream& s : streams_) r.push_back({s.cpu_id, s.tok.last_tsc});
  return r;
}

void FileSource::Stream::add_stats(Stats* s) const {
  (*s)[Stat::records_filtered] += tok.dropped;
  (*s)[Stat::wrap_records] += tok.wraps_skipped;
}

Stats FileSource::stats() const {
  Stats s;
  s[Stat::windows] = cursor_.windows();
  return s;
}

Status FileSource::fault(int bad_stream) const {
  std::optional<xt::Fault> f;
  if (bad_stream >= 0) {
    const Stream& s = streams_[size_t(bad_stream)];
    f = xt::Fault{s.fault_offset, "record of CPU " + std::to_string(s.cpu_id) +
                                      " runs past the end of its window (corrupt header)"};
  } else if (scan_fault_.has_value()) {
    f = *scan_fault_;
  }
  // A cut compressed stream usually also cuts the image's last window; the
  // decoder's fault is the cause, so it comes with whatever the image shows.
  if (input_fault_.has_value()) {
    if (f)
      f->what += "; " + input_fault_->what;
    else
      f = *input_fault_;
  }
  return f ? Status::Corruption(describe(*f)) : Status::Ok();
}

std::string FileSource::describe(const xt::Fault& f) const {
  std::string where = name_ + ": byte " + std::to_string(f.offset);
  if (file_.codec() != xt::Codec::kNone && data_ == file_.data())
    where += std::string(" of the decoded ") + xt::codec_name(file_.codec()) + " data";
  return where + ": " + f.what;
}

}  // namespace vt
