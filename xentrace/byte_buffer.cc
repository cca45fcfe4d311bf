#include "xentrace/byte_buffer.h"

#include <sys/mman.h>

#include <cstring>

namespace xt {
namespace {

constexpr uint64_t kHugePage = 2u << 20;

uint64_t round_up(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

}  // namespace

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = o.data_;
    size_ = o.size_;
    capacity_ = o.capacity_;
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  return *this;
}

bool ByteBuffer::reserve(uint64_t n) {
  if (n <= capacity_) return true;
  // Whole huge pages, at least doubling: amortised growth with few remaps.
  const uint64_t cap = round_up(n > 2 * capacity_ ? n : 2 * capacity_, kHugePage);
  void* p = data_ == nullptr ? mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                             : mremap(data_, capacity_, cap, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) return false;
  madvise(p, cap, MADV_HUGEPAGE);  // a hint: without THP it is plain pages
  data_ = static_cast<uint8_t*>(p);
  capacity_ = cap;
  return true;
}

bool ByteBuffer::append(const uint8_t* p, uint64_t n) {
  if (n == 0) return true;
  if (!reserve(size_ + n)) return false;
  std::memcpy(data_ + size_, p, n);
  size_ += n;
  return true;
}

void ByteBuffer::release() {
  if (data_ != nullptr) munmap(data_, capacity_);
  data_ = nullptr;
  size_ = capacity_ = 0;
}

}  // namespace xt
