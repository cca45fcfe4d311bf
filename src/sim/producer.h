// The hypervisor's side of one CPU's t_buf ring, following Xen 4.17's
// producer protocol, for the simulated hypervisor and the ring tests.
//
// write() behaves as Xen's trace call on one CPU: it never overwrites unread
// bytes (a record that does not fit is counted as lost, and the TSC of the
// first loss kept); the next record that fits is preceded by a
// TRC_LOST_RECORDS record [count, domid | vcpu << 16, first_tsc lo, hi];
// when a record (or the lost-records record) would run past the end of the
// data area, the tail is filled with a TRC_TRACE_WRAP_BUFFER record; the
// record bytes are written before prod is published (release). It reports a
// crossing of the 50% high-water mark, when Xen would raise VIRQ_TBUF. A
// prod or cons that is misaligned or out of range (a consumer wrote a bad
// cons, or the page was scribbled on) is never written through: the record
// is lost and counted in `bogus`, and the host turns tracing off, as Xen
// does ("trc#N: bogus prod/cons", tb_init_done = 0). Sane offsets that
// claim more unread bytes than the ring holds leave no room either: the
// record is lost (tracing stays on; Xen's check looks at each offset alone).
// One producer per ring (Xen holds a per-CPU lock with interrupts off).
#pragma once

#include <cstdint>
#include <initializer_list>

#include "xentrace/events.h"
#include "xentrace/tbuf.h"

namespace vt::sim {

constexpr uint32_t kLostRecordBytes = 4 + 8 + 4 * xt::kWords<TRC_LOST_RECORDS>;  // header + TSC + 4 words

// xt::pack_payload for the simulator's own writers: packs `values` into
// `out` by the event table and returns the number of words. Values that do
// not fit the event's fields are a bug in the caller: it aborts, naming
// the event.
uint32_t pack_payload_or_abort(uint32_t event, std::initializer_list<uint64_t> values,
                               uint32_t out[xt::kMaxExtraWords]);

struct ProducerStats {
  uint64_t written = 0;  // records written, not counting WRAP/LOST
  uint64_t lost = 0;     // records dropped for lack of space
  uint64_t lost_records_emitted = 0;
  uint64_t wraps = 0;
  uint64_t highwater_crossings = 0;
  uint64_t bogus = 0;  // writes that found prod or cons bogus
};

class RingProducer {
 public:
  RingProducer() = default;
  explicit RingProducer(xt::Ring ring) : ring_(ring) {}

  // Writes one record. `current` is the vCPU running on this CPU, packed as
  // TRC_LOST_RECORDS wants it (domid | vcpu << 16). Returns false if the
  // record was lost. *highwater is set when this write crossed 50% full.
  bool write(uint32_t event, bool with_tsc, uint64_t tsc, const uint32_t* extra, uint32_t n_extra,
             uint32_t current, bool* highwater = nullptr);

  const ProducerStats& stats() const { return stats_; }
  // XEN_SYSCTL_TBUFOP_disable clears the lost-record counter.
  void clear_lost() { lost_now_ = 0; }
  uint64_t pending_lost() const { return lost_now_; }
  const xt::Ring& ring() const { return ring_; }

 private:
  void put(uint32_t& prod, uint32_t event, bool with_tsc, uint64_t tsc, const uint32_t* extra,
           uint32_t n_extra);
  void put_wrap(uint32_t& prod, uint32_t bytes, uint64_t tsc);
  bool lose(uint64_t tsc);  // counts a lost record (reported with the next one written); false

  xt::Ring ring_;
  uint64_t lost_now_ = 0;  // losses not yet reported by a TRC_LOST_RECORDS record
  uint64_t lost_first_tsc_ = 0;
  ProducerStats stats_;
};

}  // namespace vt::sim
