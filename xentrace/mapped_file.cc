#include "xentrace/mapped_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>

namespace xt {

namespace {

// MemAvailable (free memory plus what the kernel can reclaim, the page
// cache included), else free memory.
uint64_t available_memory() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  uint64_t kb;
  while (f >> key >> kb) {
    if (key == "MemAvailable:") return kb * 1024;
    f.ignore(64, '\n');
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
}

}  // namespace

vt::Status decode_memory_limit(uint64_t* limit) {
  const char* v = std::getenv("VTRACE_DECODE_MEMORY");
  if (v == nullptr || *v == '\0') {
    *limit = std::max<uint64_t>(available_memory() / 4, uint64_t(64) << 20);
    return vt::Status::Ok();
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v, &end, 10);
  uint64_t unit = 1;
  if (end != v && (*end == 'K' || *end == 'k'))
    unit = uint64_t(1) << 10, ++end;
  else if (end != v && (*end == 'M' || *end == 'm'))
    unit = uint64_t(1) << 20, ++end;
  else if (end != v && (*end == 'G' || *end == 'g'))
    unit = uint64_t(1) << 30, ++end;
  if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n > UINT64_MAX / unit) {
    return vt::Status::InvalidArgument(std::string("VTRACE_DECODE_MEMORY: '") + v +
                                       "' is not a size (bytes, or a number with K, M or G)");
  }
  *limit = n * unit;
  return vt::Status::Ok();
}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    reset();
    data_ = o.data_;
    size_ = o.size_;
    mapped_ = o.mapped_;
    copy_ = std::move(o.copy_);
    path_ = std::move(o.path_);
    codec_ = o.codec_;
    decode_ = std::move(o.decode_);
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
  copy_.release();
  codec_ = Codec::kNone;
  decode_ = {};
}

vt::Status MappedFile::open(const std::string& path) {
  reset();
  uint64_t limit;
  if (vt::Status st = decode_memory_limit(&limit); !st.ok()) return st;
  copy_ = ByteBuffer(limit);
  const bool is_stdin = path == "-";
  path_ = is_stdin ? "stdin" : path;
  // Closes fd and says why, errno read before the close can change it.
  auto fail = [this](int fd, const std::string& what) {
    const vt::Status st = vt::Status::IoError(path_ + ": " + what);
    if (fd >= 0) ::close(fd);
    return st;
  };
  int fd = is_stdin ? ::dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(-1, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) return fail(fd, std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return fail(fd, "is a directory");
  if (S_ISREG(st.st_mode)) {
    size_ = uint64_t(st.st_size);
    if (size_ > 0) {
      void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (p == MAP_FAILED) {
        size_ = 0;
        return fail(fd, std::string("cannot map: ") + std::strerror(errno));
      }
      madvise(p, size_, MADV_SEQUENTIAL);
      data_ = static_cast<const uint8_t*>(p);
      mapped_ = true;
    }
    ::close(fd);
    decode_if_compressed(limit);
    return vt::Status::Ok();
  }
  // A pipe or character device: read it all.
  for (;;) {
    if (!copy_.reserve(copy_.size() + (1 << 20)))
      return fail(
          fd, "no room to hold it past " + std::to_string(copy_.size()) + " bytes (" + copy_.error() + ")");
    const ssize_t n = ::read(fd, copy_.data() + copy_.size(), copy_.capacity() - copy_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(fd, std::string("read failed: ") + std::strerror(errno));
    if (n == 0) break;
    copy_.set_size(copy_.size() + uint64_t(n));
  }
  ::close(fd);
  data_ = copy_.empty() ? nullptr : copy_.data();
  size_ = copy_.size();
  decode_if_compressed(limit);
  return vt::Status::Ok();
}

void MappedFile::decode_if_compressed(uint64_t memory_limit) {
  codec_ = detect_codec(data_, size_);
  if (codec_ == Codec::kNone) return;
  ByteBuffer image(memory_limit);
  decode_ = decompress(codec_, data_, size_, &image);
  if (mapped_) munmap(const_cast<uint8_t*>(data_), size_);
  mapped_ = false;
  copy_ = std::move(image);
  data_ = copy_.empty() ? nullptr : copy_.data();
  size_ = copy_.size();
}

}  // namespace xt
