// Tokenizer: one CPU's raw trace bytes -> records.
//
// The same bytes come from a xentrace file window or from the readable part
// of a live t_buf ring. next_record() yields the records of [pos, end) in
// order, skipping Xen's TRC_TRACE_WRAP_BUFFER padding by its size and giving
// records without a TSC the TSC of the record before them. It stops with
// kBad, leaving `pos` on the offending record, when a header declares more
// bytes than remain. No allocation, no copy.
//
// An optional ClassFilter drops whole classes/subclasses that a consumer
// does not use before they are decoded, merged or dispatched (their TSCs
// still count as the stream's last TSC). A stream's first record is never
// dropped, so consumers still see when each CPU's data begins.
#pragma once

#include <array>

#include "xentrace/record.h"

namespace xt {

enum class TokenStatus { kRecord, kEnd, kBad };

// A set of class+subclass keys (event bits 12-27).
class ClassFilter {
 public:
  static uint32_t key(uint32_t event) { return (event >> 12) & 0xffff; }
  void add(uint32_t event) { bits_[key(event) >> 6] |= 1ull << (key(event) & 63); }
  bool has(uint32_t event) const { return (bits_[key(event) >> 6] >> (key(event) & 63)) & 1; }

 private:
  std::array<uint64_t, 1024> bits_{};
};

struct TokenizerState {
  const uint8_t* pos = nullptr;
  const uint8_t* end = nullptr;
  uint64_t last_tsc = 0;
  uint64_t wraps_skipped = 0;
  const ClassFilter* drop = nullptr;  // classes not to deliver
  uint64_t dropped = 0;
  bool delivered = false;  // a record was delivered (the first one is never dropped)
};

inline TokenStatus next_record(TokenizerState* s, Record* r) {
  for (;;) {
    const size_t avail = size_t(s->end - s->pos);
    if (avail == 0) return TokenStatus::kEnd;
    if (s->drop != nullptr && avail >= 4) {
      const uint32_t h = load_u32(s->pos);
      const uint32_t n = header_size(h);
      if (n <= avail && s->delivered && s->drop->has(h) &&
          header_event(h) != TRC_TRACE_WRAP_BUFFER) {  // a WRAP's TSC is stale
        if (header_has_tsc(h))
          s->last_tsc = uint64_t(load_u32(s->pos + 4)) | uint64_t(load_u32(s->pos + 8)) << 32;
        s->pos += n;
        ++s->dropped;
        continue;
      }
    }
    const uint32_t n = decode_record(s->pos, avail, s->last_tsc, r);
    if (n == 0) return TokenStatus::kBad;
    s->pos += n;
    if (r->event == TRC_TRACE_WRAP_BUFFER) {  // padding: its payload (and TSC, if any) is stale
      ++s->wraps_skipped;
      continue;
    }
    if (r->has_tsc) s->last_tsc = r->tsc;
    s->delivered = true;
    return TokenStatus::kRecord;
  }
}

}  // namespace xt
