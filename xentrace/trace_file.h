// xentrace files: the on-disk format written by Xen's xentrace.
//
// There is no file header. The file is a sequence of windows; each is a
// TRC_TRACE_CPU_CHANGE record (header 0x2001f003, no TSC, payload [cpu,
// window_size]) followed by window_size bytes of raw records copied from
// that CPU's ring. Windows of different CPUs interleave in the order
// xentrace read them.
//
// WindowCursor walks the window headers once, in file order, and stops at
// the first structural fault, which it reports with its byte offset. A
// window cut short by the end of the file keeps its complete records (the
// fault is still reported). Never reads out of bounds.
#pragma once

#include <cstdint>
#include <string>

#include "xentrace/tokenizer.h"

namespace xt {

constexpr uint32_t kCpuChangeHeader = 0x2001f003u;  // TRC_TRACE_CPU_CHANGE, 2 words, no TSC
constexpr uint32_t kWindowHeaderBytes = 12;
constexpr uint32_t kMaxCpus = 4096;  // Xen's NR_CPUS is at most 4095

struct Fault {
  uint64_t offset = 0;
  std::string what;
};

struct Window {
  uint64_t header_offset = 0;
  uint32_t cpu = 0;
  uint64_t data_offset = 0;  // records start here
  uint32_t size = 0;         // bytes of whole records (less than declared if truncated)
};

class WindowCursor {
 public:
  WindowCursor(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}

  // The next window, or false at the end of the file or at a fault.
  bool next(Window* w);

  bool has_fault() const { return has_fault_; }
  const Fault& fault() const { return fault_; }
  uint64_t position() const { return pos_; }
  uint64_t windows() const { return windows_; }

 private:
  void fail(uint64_t off, std::string what);

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  uint64_t windows_ = 0;
  bool has_fault_ = false;
  bool done_ = false;
  Fault fault_;
};

}  // namespace xt
