#include "xentrace/trace_writer.h"

#include <cstring>

#include "xentrace/trace_file.h"

namespace xt {

void append_window(std::vector<uint8_t>* out, uint32_t cpu, const uint8_t* data, uint32_t size) {
  const uint32_t header[3] = {kCpuChangeHeader, cpu, size};
  const size_t at = out->size();
  out->resize(at + sizeof header + size);
  std::memcpy(out->data() + at, header, sizeof header);
  if (size) std::memcpy(out->data() + at + sizeof header, data, size);
}

bool write_window(std::FILE* f, uint32_t cpu, const uint8_t* a, uint32_t a_len, const uint8_t* b,
                  uint32_t b_len) {
  const uint32_t header[3] = {kCpuChangeHeader, cpu, a_len + b_len};
  if (std::fwrite(header, sizeof header, 1, f) != 1) return false;
  if (a_len && std::fwrite(a, a_len, 1, f) != 1) return false;
  if (b_len && std::fwrite(b, b_len, 1, f) != 1) return false;
  return true;
}

}  // namespace xt
