#include "xentrace/tbuf.h"

#include <atomic>
#include <cstring>

namespace xt {

vt::Status parse_t_info(const uint8_t* t_info, uint64_t bytes, uint32_t nr_cpus, TInfo* out) {
  const uint64_t header_bytes = 2 + 2 * uint64_t(nr_cpus);
  if (bytes < header_bytes) {
    return vt::Status::Corruption("t_info: " + std::to_string(bytes) + " bytes cannot hold the header for " +
                                  std::to_string(nr_cpus) + " CPUs");
  }
  uint16_t pages;
  std::memcpy(&pages, t_info, 2);
  if (pages == 0) {
    return vt::Status::Corruption("t_info: tbuf_size is 0 pages (trace buffers not allocated)");
  }
  const uint64_t words = bytes / 4;
  const uint64_t first = t_info_first_list_word(nr_cpus);
  out->pages_per_cpu = pages;
  out->mfn_offset.assign(nr_cpus, 0);
  for (uint32_t c = 0; c < nr_cpus; ++c) {
    uint16_t off;
    std::memcpy(&off, t_info + 2 + 2 * c, 2);
    if (off == 0) continue;
    if (off < first) {
      return vt::Status::Corruption("t_info: mfn_offset[" + std::to_string(c) + "] = " + std::to_string(off) +
                                    " points into the header (lists start at word " + std::to_string(first) +
                                    ")");
    }
    if (uint64_t(off) + pages > words) {
      return vt::Status::Corruption("t_info: mfn_offset[" + std::to_string(c) + "] = " + std::to_string(off) +
                                    " + " + std::to_string(pages) + " pages runs past the " +
                                    std::to_string(words) + "-word area");
    }
    out->mfn_offset[c] = off;
  }
  return vt::Status::Ok();
}

uint32_t t_info_mfn(const uint8_t* t_info, const TInfo& ti, uint32_t cpu, uint32_t j) {
  uint32_t v;
  std::memcpy(&v, t_info + 4 * (uint64_t(ti.mfn_offset[cpu]) + j), 4);
  return v;
}

RingRead ring_read(const Ring& ring) {
  RingRead r;
  r.cons = std::atomic_ref<uint32_t>(*ring.cons_word()).load(std::memory_order_relaxed);
  // Data reads must not be hoisted above the prod load (Xen: xen_rmb()):
  // an acquire load (a plain load on x86, a barrier on ARM).
  r.prod = std::atomic_ref<uint32_t>(*ring.prod_word()).load(std::memory_order_acquire);
  const uint32_t size = ring.data_size;
  if (!ring_offset_valid(r.prod, size)) {
    r.state = RingState::kBogusProd;
    return r;
  }
  if (!ring_offset_valid(r.cons, size)) {
    r.state = RingState::kBogusCons;
    return r;
  }
  if (r.prod == r.cons) return r;  // kEmpty
  const uint32_t avail = ring_distance(r.prod, r.cons, size);
  if (avail > size) {
    r.state = RingState::kBogusSpan;
    return r;
  }
  const uint32_t start = r.cons < size ? r.cons : r.cons - size;
  const uint32_t end = r.prod < size ? r.prod : r.prod - size;
  r.state = RingState::kData;
  r.first = ring.data() + start;
  if (end > start) {
    r.first_len = end - start;
  } else {  // wraps, or exactly full (start == end)
    r.first_len = size - start;
    r.second = ring.data();
    r.second_len = end;
  }
  return r;
}

bool ring_release(const Ring& ring, uint32_t from, uint32_t bytes) {
  const uint32_t size = ring.data_size;
  if (!ring_offset_valid(from, size) || bytes % 4 != 0 || bytes > size) return false;
  const uint32_t next = ring_advance(from, bytes, size);
  // Every read of the released bytes completes before Xen may reuse them
  // (xen_mb(): a full fence, then the store, itself a release).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  std::atomic_ref<uint32_t>(*ring.cons_word()).store(next, std::memory_order_release);
  return true;
}

bool ring_discard(const Ring& ring, uint32_t* discarded_bytes) {
  const uint32_t size = ring.data_size;
  const uint32_t prod = std::atomic_ref<uint32_t>(*ring.prod_word()).load(std::memory_order_acquire);
  const uint32_t cons = std::atomic_ref<uint32_t>(*ring.cons_word()).load(std::memory_order_relaxed);
  if (!ring_offset_valid(prod, size)) return false;
  *discarded_bytes = ring_offset_valid(cons, size) ? ring_distance(prod, cons, size) : 0;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  std::atomic_ref<uint32_t>(*ring.cons_word()).store(prod, std::memory_order_release);
  return true;
}

const char* ring_state_name(RingState s) {
  switch (s) {
    case RingState::kEmpty: return "empty";
    case RingState::kData: return "data";
    case RingState::kBogusProd: return "bogus prod (misaligned or >= 2*data_size)";
    case RingState::kBogusCons: return "bogus cons (misaligned or >= 2*data_size)";
    case RingState::kBogusSpan: return "prod - cons exceeds the data size";
  }
  return "?";
}

}  // namespace xt
