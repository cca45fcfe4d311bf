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
#include <cstring>

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
  // Work on locals: stores through `r` could alias `s` and would force the
  // compiler to reload every field each time round.
  const uint8_t* pos = s->pos;
  const uint8_t* const end = s->end;
  uint64_t last = s->last_tsc;
  const ClassFilter* drop = s->delivered ? s->drop : nullptr;  // never a stream's first record
  uint64_t dropped = 0, wraps = 0;
  TokenStatus st;
  for (;;) {
    const size_t avail = size_t(end - pos);
    if (avail < 4) {
      st = avail == 0 ? TokenStatus::kEnd : TokenStatus::kBad;
      break;
    }
    const uint32_t h = load_u32(pos);
    const uint32_t n = header_size(h);
    if (n > avail) {
      st = TokenStatus::kBad;
      break;
    }
    const uint8_t* p = pos;
    pos += n;
    const uint32_t event = header_event(h);
    if (event == TRC_TRACE_WRAP_BUFFER) {  // padding: its payload (and TSC, if any) is stale
      ++wraps;
      continue;
    }
    const bool tsc = header_has_tsc(h);
    if (tsc) std::memcpy(&last, p + 4, 8);  // TSC low word first: a little-endian u64
    if (drop != nullptr && drop->has(h)) {
      ++dropped;
      continue;
    }
    r->event = event;
    r->n_extra = header_extra(h);
    r->has_tsc = tsc;
    r->tsc = last;
    r->payload = p + (tsc ? 12 : 4);
    r->size = n;
    st = TokenStatus::kRecord;
    break;
  }
  s->pos = pos;  // after the record returned, or on the one that overran
  s->last_tsc = last;
  s->dropped += dropped;
  s->wraps_skipped += wraps;
  if (st == TokenStatus::kRecord) s->delivered = true;
  return st;
}

}  // namespace xt
