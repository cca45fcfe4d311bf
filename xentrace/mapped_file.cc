#include "xentrace/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xt {

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    reset();
    data_ = o.data_;
    size_ = o.size_;
    mapped_ = o.mapped_;
    copy_ = std::move(o.copy_);
    if (!mapped_ && !copy_.empty()) data_ = copy_.data();
    path_ = std::move(o.path_);
    o.data_ = nullptr;
    o.size_ = 0;
    o.mapped_ = false;
  }
  return *this;
}

MappedFile::~MappedFile() { reset(); }

void MappedFile::reset() {
  if (mapped_ && data_ != nullptr) munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
  mapped_ = false;
  copy_.clear();
}

bool MappedFile::open(const std::string& path, std::string* err) {
  reset();
  path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    *err = path + ": cannot stat: " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    *err = path + ": is a directory";
    ::close(fd);
    return false;
  }
  if (S_ISREG(st.st_mode)) {
    size_ = uint64_t(st.st_size);
    if (size_ > 0) {
      void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (p == MAP_FAILED) {
        *err = path + ": cannot map: " + std::strerror(errno);
        ::close(fd);
        size_ = 0;
        return false;
      }
      madvise(p, size_, MADV_SEQUENTIAL);
      data_ = static_cast<const uint8_t*>(p);
      mapped_ = true;
    }
    ::close(fd);
    return true;
  }
  // A pipe or character device: read it all.
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = path + ": read failed: " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    copy_.insert(copy_.end(), buf, buf + n);
  }
  ::close(fd);
  data_ = copy_.empty() ? nullptr : copy_.data();
  size_ = copy_.size();
  return true;
}

}  // namespace xt
