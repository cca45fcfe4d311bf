// A read-only view of a whole file: mmap for regular files, a heap copy for
// pipes and other streams. Move-only; unmaps on destruction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xt {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // Returns false with a one-line reason (naming the path) in *err.
  bool open(const std::string& path, std::string* err);

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  void reset();
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint8_t> copy_;
  std::string path_;
};

}  // namespace xt
