#include "src/sim/producer.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "xentrace/record.h"

namespace vt::sim {
namespace {

uint32_t physical(uint32_t off, uint32_t size) { return off < size ? off : off - size; }

}  // namespace

uint32_t pack_payload_or_abort(uint32_t event, std::initializer_list<uint64_t> values,
                               uint32_t out[xt::kMaxExtraWords]) {
  const int n = xt::pack_payload(event, values, out);
  if (n < 0) {
    const char* name = xt::event_name(event);
    std::fprintf(stderr,
                 "vtrace sim: %zu values do not fit the fields of event %#x (%s) in xentrace/events.h\n",
                 values.size(), event, name ? name : "not in the table");
    std::abort();
  }
  return uint32_t(n);
}

void RingProducer::put(uint32_t& prod, uint32_t event, bool with_tsc, uint64_t tsc, const uint32_t* extra,
                       uint32_t n_extra) {
  const uint32_t size = ring_.data_size;
  uint8_t* p = ring_.base + xt::kTbufHeaderBytes + physical(prod, size);
  uint32_t bytes;
  if (extra != nullptr) {
    bytes = xt::encode_record(p, event, with_tsc, tsc, extra, n_extra);
  } else {  // WRAP padding: header (and TSC) only; the payload stays stale, as in Xen
    bytes = xt::encode_record(p, event, with_tsc, tsc, nullptr, 0) + 4 * n_extra;
    const uint32_t h = (event & 0x0fffffffu) | (with_tsc ? xt::kTscFlag : 0) | (n_extra << TRACE_EXTRA_SHIFT);
    std::memcpy(p, &h, 4);
  }
  // Publish only after the bytes (Xen: smp_wmb() before updating prod).
  prod = xt::ring_advance(prod, bytes, size);
  std::atomic_ref<uint32_t>(*ring_.prod_word()).store(prod, std::memory_order_release);
}

void RingProducer::put_wrap(uint32_t& prod, uint32_t bytes, uint64_t tsc) {
  // Up to 32 bytes: no TSC, (bytes-4)/4 words. 36 bytes: a TSC and 6 words.
  const bool with_tsc = bytes > 4 + 4 * xt::kMaxExtraWords;
  const uint32_t n_extra = (bytes - 4 - (with_tsc ? 8 : 0)) / 4;
  put(prod, TRC_TRACE_WRAP_BUFFER, with_tsc, tsc, nullptr, n_extra);
  ++stats_.wraps;
}

bool RingProducer::lose(uint64_t tsc) {
  if (lost_now_++ == 0) lost_first_tsc_ = tsc;
  ++stats_.lost;
  return false;
}

bool RingProducer::write(uint32_t event, bool with_tsc, uint64_t tsc, const uint32_t* extra, uint32_t n_extra,
                         uint32_t current, bool* highwater) {
  const uint32_t size = ring_.data_size;
  uint32_t prod = std::atomic_ref<uint32_t>(*ring_.prod_word()).load(std::memory_order_relaxed);
  // The consumer's full fence before it stores cons pairs with this acquire:
  // no byte it may still read is overwritten.
  const uint32_t cons = std::atomic_ref<uint32_t>(*ring_.cons_word()).load(std::memory_order_acquire);
  if (!xt::ring_offset_valid(prod, size) || !xt::ring_offset_valid(cons, size)) {
    ++stats_.bogus;  // Xen takes the ring as full: the record is lost
    return lose(tsc);
  }
  const uint32_t unread = xt::ring_distance(prod, cons, size);
  // More unread than the ring holds (an inconsistent cons) leaves no room.
  const uint32_t free_bytes = unread > size ? 0 : size - unread;
  const uint32_t rec_bytes = 4 + (with_tsc ? 8 : 0) + 4 * n_extra;

  // The common case: nothing lost to report, no padding needed, room enough.
  if (lost_now_ == 0 && rec_bytes <= size - physical(prod, size) && rec_bytes <= free_bytes) {
    put(prod, event, with_tsc, tsc, extra, n_extra);
    ++stats_.written;
    const bool crossed = unread < size / 2 && unread + rec_bytes >= size / 2;
    if (crossed) ++stats_.highwater_crossings;
    if (highwater != nullptr) *highwater = crossed;
    return true;
  }

  // Dry run: what must be written, including padding and the lost record.
  uint32_t to_wrap = size - physical(prod, size);
  uint32_t total = 0;
  if (lost_now_ != 0) {
    if (kLostRecordBytes > to_wrap) {
      total += to_wrap;
      to_wrap = size;
    }
    total += kLostRecordBytes;
    to_wrap -= kLostRecordBytes;
    if (to_wrap == 0) to_wrap = size;
  }
  if (rec_bytes > to_wrap) total += to_wrap;
  total += rec_bytes;
  if (total > free_bytes) return lose(tsc);

  const bool below = unread < size / 2;
  if (lost_now_ != 0) {
    uint32_t tail = size - physical(prod, size);
    if (kLostRecordBytes > tail) put_wrap(prod, tail, tsc);
    uint32_t words[xt::kMaxExtraWords];
    const uint32_t n = pack_payload_or_abort(
        TRC_LOST_RECORDS, {lost_now_, xt::lost_domid(current), xt::lost_vcpu(current), lost_first_tsc_},
        words);
    put(prod, TRC_LOST_RECORDS, true, tsc, words, n);
    ++stats_.lost_records_emitted;
    lost_now_ = 0;
  }
  const uint32_t tail = size - physical(prod, size);
  if (rec_bytes > tail) put_wrap(prod, tail, tsc);
  put(prod, event, with_tsc, tsc, extra, n_extra);
  ++stats_.written;

  const uint32_t after = xt::ring_distance(prod, cons, size);
  const bool crossed = below && after >= size / 2;
  if (crossed) ++stats_.highwater_crossings;
  if (highwater != nullptr) *highwater = crossed;
  return true;
}

}  // namespace vt::sim
