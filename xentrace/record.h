// Xen trace records as the hypervisor writes them (Xen 4.17, <xen/trace.h>).
//
// A record is little-endian u32 words: a header (event id in bits 0-27, the
// number of payload words in bits 28-30, bit 31 set when a 64-bit TSC
// follows), then the TSC (low word first) if flagged, then 0..7 payload
// words. The tokenizer (tokenizer.h) decodes records into Record, which
// points into the caller's bytes (no copy, no allocation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" {
#include <xen/trace.h>
}

namespace xt {

constexpr uint32_t kMaxExtraWords = TRACE_EXTRA_MAX;
constexpr uint32_t kTscFlag = 1u << 31;
constexpr uint32_t kMinRecordBytes = 4;
constexpr uint32_t kMaxRecordBytes = 4 + 8 + 4 * kMaxExtraWords;  // 40

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);  // records are 4-aligned in practice; memcpy makes it legal anyway
  return v;
}

inline uint32_t header_event(uint32_t h) { return TRC_HD_TO_EVENT(h); }
inline uint32_t header_extra(uint32_t h) { return TRC_HD_EXTRA(h); }
inline bool header_has_tsc(uint32_t h) { return (h & kTscFlag) != 0; }
inline uint32_t header_size(uint32_t h) { return 4 + (header_has_tsc(h) ? 8 : 0) + 4 * header_extra(h); }

// One decoded record. `payload` points into the caller's bytes.
struct Record {
  uint32_t event = 0;    // 28-bit event id
  uint32_t n_extra = 0;  // payload words, 0..7
  bool has_tsc = false;
  uint64_t tsc = 0;  // the record's own TSC, or the previous record's on that CPU when absent
  const uint8_t* payload = nullptr;
  uint32_t size = 0;  // bytes, header included

  uint32_t word(uint32_t i) const { return i < n_extra ? load_u32(payload + 4 * i) : 0; }
  uint64_t word64(uint32_t i) const {  // two payload words, low first
    return uint64_t(word(i)) | (uint64_t(word(i + 1)) << 32);
  }
};

// Writes a record to `out` (room for header_size bytes) and returns its size.
inline uint32_t encode_record(uint8_t* out, uint32_t event, bool with_tsc, uint64_t tsc,
                              const uint32_t* extra, uint32_t n_extra) {
  uint32_t words[1 + 2 + kMaxExtraWords];
  uint32_t n = 0;
  words[n++] = (event & 0x0fffffffu) | (with_tsc ? kTscFlag : 0) | (n_extra << TRACE_EXTRA_SHIFT);
  if (with_tsc) {
    words[n++] = uint32_t(tsc);
    words[n++] = uint32_t(tsc >> 32);
  }
  for (uint32_t i = 0; i < n_extra; ++i) words[n++] = extra[i];
  std::memcpy(out, words, 4 * n);
  return 4 * n;
}

}  // namespace xt
