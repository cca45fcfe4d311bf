#include "bench/replicate.h"

#include <cstring>

#include "xentrace/trace_file.h"

namespace vt::bench {

std::vector<uint8_t> replicate_trace(const uint8_t* file, uint64_t size, uint32_t copies,
                                     uint64_t* records_per_copy) {
  xt::WindowCursor cur(file, size);
  xt::Window w;
  while (cur.next(&w)) {
  }
  if (cur.has_fault()) return {};
  // Span of the trace's TSCs, and its record count.
  uint64_t lo = ~0ull, hi = 0, records = 0;
  for (uint64_t pos = 0; pos < size;) {
    const uint32_t wsize = xt::load_u32(file + pos + 8);
    xt::TokenizerState tok{file + pos + 12, file + pos + 12 + wsize};
    xt::Record r;
    while (xt::next_record(&tok, &r) == xt::TokenStatus::kRecord) {
      ++records;
      if (r.has_tsc) lo = std::min(lo, r.tsc), hi = std::max(hi, r.tsc);
    }
    pos += 12 + wsize;
  }
  *records_per_copy = records;
  const uint64_t shift = hi - lo + 1000;
  std::vector<uint8_t> out;
  out.reserve(size * copies);
  for (uint32_t k = 0; k < copies; ++k) {
    const size_t base = out.size();
    out.insert(out.end(), file, file + size);
    // Shift every TSC (and LOST_RECORDS' first_tsc) of this copy in place.
    for (uint64_t pos = 0; pos < size;) {
      const uint32_t wsize = xt::load_u32(file + pos + 8);
      uint8_t* p = out.data() + base + pos + 12;
      uint8_t* end = p + wsize;
      while (p < end) {
        const uint32_t h = xt::load_u32(p);
        const uint32_t n = xt::header_size(h);
        if (xt::header_has_tsc(h)) {
          uint64_t t;
          std::memcpy(&t, p + 4, 8);
          t += shift * k;
          std::memcpy(p + 4, &t, 8);
          if (xt::header_event(h) == TRC_LOST_RECORDS && xt::header_extra(h) >= 4) {
            std::memcpy(&t, p + 20, 8);
            t += shift * k;
            std::memcpy(p + 20, &t, 8);
          }
        }
        p += n;
      }
      pos += 12 + wsize;
    }
  }
  return out;
}

}  // namespace vt::bench
