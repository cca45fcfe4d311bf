#include "xentrace/trace_file.h"

#include <cstdio>

namespace xt {
namespace {

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// End of the last complete record in [begin, end): a window cut short by the
// end of the file keeps the records that fit.
uint64_t last_complete_record_end(const uint8_t* data, uint64_t begin, uint64_t end) {
  uint64_t pos = begin;
  while (end - pos >= 4) {
    const uint32_t n = header_size(load_u32(data + pos));
    if (n > end - pos) break;
    pos += n;
  }
  return pos;
}

}  // namespace

void WindowCursor::fail(uint64_t off, std::string what) {
  has_fault_ = true;
  done_ = true;
  fault_ = Fault{off, std::move(what)};
}

bool WindowCursor::next(Window* w) {
  if (done_) return false;
  if (size_ == 0) {
    fail(0, "empty file: a xentrace file starts with a CPU-change record");
    return false;
  }
  if (pos_ == size_) {
    done_ = true;
    return false;
  }
  const uint64_t pos = pos_;
  if (size_ - pos < kWindowHeaderBytes) {
    fail(pos, "truncated window header: " + std::to_string(size_ - pos) + " of 12 bytes");
    return false;
  }
  const uint32_t h = load_u32(data_ + pos);
  if (h != kCpuChangeHeader) {
    if (pos == 0)
      fail(0, "not a xentrace file: starts with " + hex32(h) + ", expected a CPU-change record (0x2001f003)");
    else
      fail(pos, "expected a CPU-change record (0x2001f003), found " + hex32(h) +
                    " (previous window size wrong, or corrupt file)");
    return false;
  }
  const uint32_t cpu = load_u32(data_ + pos + 4);
  const uint32_t wsize = load_u32(data_ + pos + 8);
  if (cpu >= kMaxCpus) {
    fail(pos,
         "window names CPU " + std::to_string(int32_t(cpu)) + ", outside 0.." + std::to_string(kMaxCpus - 1));
    return false;
  }
  if (wsize % 4 != 0) {
    fail(pos, "window size " + std::to_string(wsize) + " is not a multiple of 4");
    return false;
  }
  const uint64_t body = pos + kWindowHeaderBytes;
  w->header_offset = pos;
  w->cpu = cpu;
  w->data_offset = body;
  ++windows_;
  if (wsize > size_ - body) {
    const uint64_t end = last_complete_record_end(data_, body, size_);
    w->size = uint32_t(end - body);
    pos_ = size_;
    fail(pos, "truncated file: window of CPU " + std::to_string(cpu) + " declares " + std::to_string(wsize) +
                  " bytes, only " + std::to_string(size_ - body) + " remain");
    return true;  // its complete records are still good
  }
  w->size = wsize;
  pos_ = body + wsize;
  return true;
}

}  // namespace xt
