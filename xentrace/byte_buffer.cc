#include "xentrace/byte_buffer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>

namespace xt {
namespace {

constexpr uint64_t kHugePage = 2u << 20;

uint64_t round_up(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

std::string temp_dir() {
  const char* d = std::getenv("TMPDIR");
  return d != nullptr && *d != '\0' ? d : "/var/tmp";
}

// An unlinked file in `dir`, or -1 with errno set.
int open_unlinked(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
  std::string name = dir + "/vtrace-image-XXXXXX";  // no O_TMPFILE on this file system
  fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd >= 0) unlink(name.c_str());
  return fd;
}

}  // namespace

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = o.data_;
    size_ = o.size_;
    capacity_ = o.capacity_;
    limit_ = o.limit_;
    fd_ = o.fd_;
    error_ = std::move(o.error_);
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
    o.fd_ = -1;
  }
  return *this;
}

bool ByteBuffer::reserve(uint64_t n) {
  if (n <= capacity_) return true;
  // Whole huge pages, at least doubling: amortised growth with few remaps;
  // if that much cannot be had, just enough.
  uint64_t want = round_up(n, kHugePage);
  uint64_t doubled = round_up(n > 2 * capacity_ ? n : 2 * capacity_, kHugePage);
  // In memory while n fits under the limit, even if whole huge pages do not.
  if (fd_ < 0 && n <= limit_) {
    want = std::min(want, limit_);
    doubled = std::min(doubled, limit_);
  }
  return grow(doubled) || (want < doubled && grow(want));
}

bool ByteBuffer::grow(uint64_t cap) {
  if (fd_ >= 0) return grow_file(cap);
  if (cap > limit_) return spill(cap);
  void* p = data_ == nullptr ? mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                             : mremap(data_, capacity_, cap, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) {
    if (errno == ENOMEM) return spill(cap);  // short of memory before the limit: the file, then
    error_ = std::string("memory: ") + std::strerror(errno);
    return false;
  }
  madvise(p, cap, MADV_HUGEPAGE);  // a hint: without THP it is plain pages
  data_ = static_cast<uint8_t*>(p);
  capacity_ = cap;
  return true;
}

bool ByteBuffer::spill(uint64_t cap) {
  const std::string dir = temp_dir();
  const int fd = open_unlinked(dir);
  if (fd < 0) {
    error_ = dir + ": " + std::strerror(errno);
    return false;
  }
  const int e = posix_fallocate(fd, 0, off_t(cap));
  void* p = e == 0 ? mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (p == MAP_FAILED) {
    error_ = dir + ": " + std::strerror(e != 0 ? e : errno);
    ::close(fd);
    return false;
  }
  if (size_ > 0) std::memcpy(p, data_, size_);
  if (data_ != nullptr) munmap(data_, capacity_);
  data_ = static_cast<uint8_t*>(p);
  capacity_ = cap;
  fd_ = fd;
  return true;
}

bool ByteBuffer::grow_file(uint64_t cap) {
  const int e = posix_fallocate(fd_, off_t(capacity_), off_t(cap - capacity_));
  if (e != 0) {
    error_ = temp_dir() + ": " + std::strerror(e);
    return false;
  }
  void* p = mremap(data_, capacity_, cap, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) {
    error_ = std::string("memory: ") + std::strerror(errno);
    return false;
  }
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
  if (fd_ >= 0) ::close(fd_);
  data_ = nullptr;
  size_ = capacity_ = 0;
  fd_ = -1;
}

}  // namespace xt
