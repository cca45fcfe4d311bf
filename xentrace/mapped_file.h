// A read-only view of a whole file: mmap for regular files, a copy for
// pipes and other streams ("-" is standard input). A zstd, gzip or xz file
// is decoded and the view is the decoded image; if its stream is truncated
// or corrupt, the view holds what was decoded before the fault and
// decode_status() says where it stopped. Copies and decoded images live in
// memory up to decode_memory_limit(), in a temporary file beyond it
// (ByteBuffer). Move-only; unmaps on destruction.
#pragma once

#include <cstdint>
#include <string>

#include "src/util/status.h"
#include "xentrace/byte_buffer.h"
#include "xentrace/decompress.h"

namespace xt {

// Bytes a copy or decoded image may take in memory: $VTRACE_DECODE_MEMORY
// (bytes, or with a K/M/G suffix: powers of 1024) if set, else a quarter
// of the memory available now, at least 64 MiB. kInvalidArgument if the
// variable is not a size.
vt::Status decode_memory_limit(uint64_t* limit);

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // kIoError with a one-line reason naming the path; a broken compressed
  // stream is not such a failure (see decode_status).
  vt::Status open(const std::string& path);

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  // The path as given, "stdin" for "-".
  const std::string& path() const { return path_; }
  Codec codec() const { return codec_; }
  const DecodeStatus& decode_status() const { return decode_; }

 private:
  void reset();
  void decode_if_compressed(uint64_t memory_limit);
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  bool mapped_ = false;
  ByteBuffer copy_;  // a pipe's bytes, or a decoded image
  std::string path_;
  Codec codec_ = Codec::kNone;
  DecodeStatus decode_;
};

}  // namespace xt
