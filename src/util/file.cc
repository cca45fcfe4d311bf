#include "src/util/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vt {

Status read_text_file(const std::string& path, std::string* out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::IoError(path + ": " + std::strerror(errno));
  out->clear();
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  const bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) return Status::IoError(path + ": read error");
  return Status::Ok();
}

}  // namespace vt
