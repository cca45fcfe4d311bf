// Xen's trace buffers in memory (Xen 4.17): the t_info area and the per-CPU
// t_buf rings, consumer side.
//
// t_info (shared read-only): u16 tbuf_size (pages per CPU), u16
// mfn_offset[NR_CPUS] (offset of CPU c's MFN list in 32-bit words from the
// start of t_info, 0 = no buffer), then the u32 MFN lists.
//
// A CPU's ring is tbuf_size pages mapped contiguously: u32 cons, u32 prod,
// then data_size = pages*4096 - 8 bytes of records. prod and cons are byte
// offsets in [0, 2*data_size), multiples of 4; unread bytes = prod - cons
// (mod 2*data_size). Xen never overwrites unread data and pads the ring's
// tail with a WRAP record, so both readable spans hold whole records.
//
// ring_read() loads cons and prod once, orders the data reads after the prod
// load (acquire) and validates both. ring_release() issues a full fence and
// only then publishes a new cons, which it refuses to write unless it is
// aligned and in range: Xen turns tracing off host-wide on a bogus cons.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/util/status.h"

namespace xt {

constexpr uint32_t kPageBytes = 4096;
constexpr uint32_t kTbufHeaderBytes = 8;  // struct t_buf { u32 cons; u32 prod; }

inline uint32_t ring_data_size(uint32_t pages) { return pages * kPageBytes - kTbufHeaderBytes; }

// Words taken by t_info's header (tbuf_size + mfn_offset[nr_cpus_compiled]).
inline uint32_t t_info_first_list_word(uint32_t nr_cpus_compiled) {
  return (2 + 2 * nr_cpus_compiled + 3) / 4;
}

struct TInfo {
  uint32_t pages_per_cpu = 0;
  std::vector<uint16_t> mfn_offset;  // per CPU, for CPUs 0..nr_cpus-1; 0 = no buffer

  bool has_buffer(uint32_t cpu) const { return cpu < mfn_offset.size() && mfn_offset[cpu] != 0; }
};

// Parses a mapped t_info of `bytes` bytes for CPUs 0..nr_cpus-1. Rejects a
// zero size, offsets pointing into the header or lists running past the end
// (kCorruption naming the field). `nr_cpus` is what the consumer will read
// (physinfo's max_cpu_id + 1), not Xen's compile-time NR_CPUS.
vt::Status parse_t_info(const uint8_t* t_info, uint64_t bytes, uint32_t nr_cpus, TInfo* out);

// MFN j of CPU c's list (after a successful parse).
uint32_t t_info_mfn(const uint8_t* t_info, const TInfo& ti, uint32_t cpu, uint32_t j);

// One CPU's ring, at the start of its mapping.
struct Ring {
  uint8_t* base = nullptr;  // t_buf header
  uint32_t data_size = 0;
  uint32_t* cons_word() const { return reinterpret_cast<uint32_t*>(base); }
  uint32_t* prod_word() const { return reinterpret_cast<uint32_t*>(base + 4); }
  const uint8_t* data() const { return base + kTbufHeaderBytes; }
};

// kBogusSpan: both offsets valid but prod - cons exceeds data_size, which
// Xen's producer can never cause.
enum class RingState { kEmpty, kData, kBogusProd, kBogusCons, kBogusSpan };

struct RingRead {
  RingState state = RingState::kEmpty;
  uint32_t cons = 0, prod = 0;  // as loaded
  // Readable bytes: [first, first+first_len) then [second, second+second_len).
  const uint8_t* first = nullptr;
  uint32_t first_len = 0;
  const uint8_t* second = nullptr;
  uint32_t second_len = 0;
  uint32_t total() const { return first_len + second_len; }
};

inline bool ring_offset_valid(uint32_t off, uint32_t data_size) {
  return off % 4 == 0 && uint64_t(off) < 2 * uint64_t(data_size);
}
// (a - b) in the ring's 2*data_size space.
inline uint32_t ring_distance(uint32_t a, uint32_t b, uint32_t data_size) {
  return a >= b ? a - b : uint32_t(uint64_t(a) + 2 * uint64_t(data_size) - b);
}
inline uint32_t ring_advance(uint32_t off, uint32_t bytes, uint32_t data_size) {
  uint64_t v = uint64_t(off) + bytes;
  return uint32_t(v >= 2 * uint64_t(data_size) ? v - 2 * uint64_t(data_size) : v);
}

// Snapshot of what is readable now. Never writes.
RingRead ring_read(const Ring& ring);

// Hands `bytes` (from a ring_read() at cons `from`) back to the producer.
// Returns false, writing nothing, if the result would be a bogus cons.
bool ring_release(const Ring& ring, uint32_t from, uint32_t bytes);

// Sets cons = prod when prod is valid (discarding unread data); used to
// resynchronise after a bogus cons and for xentrace's -D.
bool ring_discard(const Ring& ring, uint32_t* discarded_bytes);

const char* ring_state_name(RingState s);

}  // namespace xt
