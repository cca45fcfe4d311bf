#include "src/source/file_source.h"

namespace vt {

bool FileSource::open(const std::string& path, std::string* err) {
  if (!file_.open(path, err)) return false;
  open_memory(file_.data(), file_.size(), path);
  return true;
}

void FileSource::open_memory(const uint8_t* data, uint64_t size, const std::string& name) {
  data_ = data;
  size_ = size;
  name_ = name;
  cursor_ = xt::WindowCursor(data, size);
  have_peeked_ = false;
  streams_.clear();
  stream_index_.assign(xt::kMaxCpus, kNoStream);
  // Discover the first pass now, so the sorter starts with those CPUs.
  pull(xt::kMaxCpus);
}

FileSource::Stream& FileSource::stream_for(uint32_t cpu) {
  uint32_t& idx = stream_index_[cpu];
  if (idx == kNoStream) {
    idx = uint32_t(streams_.size());
    Stream s{this, cpu, {}, {}};
    s.tok.pos = s.tok.end = data_;
    s.tok.drop = drop_;
    streams_.push_back(std::move(s));
  }
  return streams_[idx];
}

bool FileSource::pull(uint32_t cpu) {
  bool found = false;
  uint32_t last_cpu = 0;
  for (;;) {
    xt::Window w;
    if (have_peeked_) {
      w = peeked_;
      have_peeked_ = false;
    } else if (!cursor_.next(&w)) {
      return found;
    }
    // A pass lists CPUs in increasing order; a lower or equal one starts the next.
    if (found && w.cpu <= last_cpu) {
      peeked_ = w;
      have_peeked_ = true;
      return true;
    }
    last_cpu = w.cpu;
    if (w.size > 0) stream_for(w.cpu).queue.push_back(w);
    if (w.cpu == cpu || (cpu == xt::kMaxCpus && !found)) found = true;
  }
}

xt::TokenStatus FileSource::Stream::next(xt::Record* r) {
  for (;;) {
    const xt::TokenStatus st = xt::next_record(&tok, r);
    if (st == xt::TokenStatus::kRecord) {
      last = tok.pos - r->size;
      return st;
    }
    if (st == xt::TokenStatus::kBad) {
      fault_offset = uint64_t(tok.pos - src->data_);
      return st;
    }
    if (queue.empty() && !src->pull(cpu)) return xt::TokenStatus::kEnd;
    if (queue.empty()) continue;  // the pass ended without a window of ours
    const xt::Window w = queue.front();
    queue.pop_front();
    tok.pos = src->data_ + w.data_offset;
    tok.end = tok.pos + w.size;
  }
}

std::vector<std::pair<uint32_t, uint64_t>> FileSource::cpu_last_tsc() const {
  std::vector<std::pair<uint32_t, uint64_t>> r;
  for (const Stream& s : streams_) r.push_back({s.cpu, s.tok.last_tsc});
  return r;
}

std::string FileSource::describe(const xt::Fault& f) const {
  return name_ + ": byte " + std::to_string(f.offset) + ": " + f.what;
}

}  // namespace vt
