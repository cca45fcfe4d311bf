// ByteBuffer: a growable byte array in anonymous memory, for trace images
// that are not a file mapping (decoded compressed files, pipes).
//
// Unlike std::vector it never zero-fills room it is about to overwrite,
// grows by remapping instead of copying, and asks for transparent huge
// pages: a 35 MB decoded trace then takes a few dozen page faults instead
// of thousands, and the tokenizer misses the TLB less. Move-only.
#pragma once

#include <cstdint>

namespace xt {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(ByteBuffer&& o) noexcept { *this = static_cast<ByteBuffer&&>(o); }
  ByteBuffer& operator=(ByteBuffer&& o) noexcept;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() { release(); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  uint64_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }

  // Room for at least n bytes in all, the first size() kept; false (and
  // nothing changed) if the memory cannot be had.
  bool reserve(uint64_t n);
  // n <= capacity(): the bytes in [size(), n) are whatever was written there.
  void set_size(uint64_t n) { size_ = n; }
  bool append(const uint8_t* p, uint64_t n);
  void release();

 private:
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;
};

}  // namespace xt
