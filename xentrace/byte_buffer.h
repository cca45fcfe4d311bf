// ByteBuffer: a growable byte array for trace images that are not a file
// mapping (decoded compressed files, pipes).
//
// Unlike std::vector it never zero-fills room it is about to overwrite,
// grows by remapping instead of copying, and asks for transparent huge
// pages: a 35 MB decoded trace then takes a few dozen page faults instead
// of thousands, and the tokenizer misses the TLB less.
//
// Past `memory_limit` bytes it moves into an unlinked file in $TMPDIR
// (else /var/tmp) and grows there, so that a trace bigger than memory
// lives in the page cache, which the kernel can write back, rather than
// in anonymous memory that would wake the OOM killer (in dom0, of all
// places). The file's blocks are reserved as it grows: a full disk is a
// failed reserve(), never a SIGBUS later. Move-only.
#pragma once

#include <cstdint>
#include <string>

namespace xt {

class ByteBuffer {
 public:
  explicit ByteBuffer(uint64_t memory_limit = UINT64_MAX) : limit_(memory_limit) {}
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
  bool spilled() const { return fd_ >= 0; }  // lives in a temporary file
  // Why the last reserve() failed, e.g. "/var/tmp: No space left on device".
  const std::string& error() const { return error_; }

  // Room for at least n bytes in all, the first size() kept; false (and
  // nothing changed) if neither memory nor the temporary file can hold it.
  bool reserve(uint64_t n);
  // n <= capacity(): the bytes in [size(), n) are whatever was written there.
  void set_size(uint64_t n) { size_ = n; }
  bool append(const uint8_t* p, uint64_t n);
  void release();

 private:
  bool grow(uint64_t cap);  // to exactly cap bytes
  bool spill(uint64_t cap);
  bool grow_file(uint64_t cap);

  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;
  uint64_t limit_ = UINT64_MAX;
  int fd_ = -1;
  std::string error_;
};

}  // namespace xt
