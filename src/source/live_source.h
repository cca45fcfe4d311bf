// Live source: a hypervisor's per-CPU trace rings, read while it writes them.
//
// LiveSession sets tracing up through a TraceHost and tears it down as it
// found it: it enables tracing and reads the real per-CPU size from t_info
// (Xen keeps the first size of the boot), sets the event and CPU masks, maps
// t_info read-only and every CPU's pages read-write (CPUs whose mfn_offset
// is 0 have no buffer and are skipped). If another consumer already owns
// the notification (xentrace, xenbaked), open() refuses (kUnavailable,
// naming the likely process: Xen's rings have one cons each, and two
// readers take records from each other) unless told to share them; a
// shared session changes no mask it was not asked to and leaves tracing
// enabled on close.
//
// One reader: drain() remembers the cons it left in each ring. A drain that
// finds another valid cons there (another reader advanced it) counts it and
// marks the ring's Channel "not ours" from the previous drain's time until
// `reclaim_s` of host time pass without one; the tracker blinds every
// domain over that span (live_runtime.h), so the detector judges none.
//
// Records travel from a ring to the tracker thread in Chunks over a
// Channel (one per hypervisor CPU): drain() copies whole records out of the
// ring into free chunks (a chunk may end inside a record whose rest opens
// the next chunk of the same drain; cons only ever moves to a record
// boundary), hands the bytes back to Xen with the full fence of
// ring_release(), and publishes a "quiet bound"
// when it emptied the ring: no record not yet drained can be older than
// that TSC. A Channel is two Boost.Lockfree SPSC queues (full, free) over a
// fixed pool of chunks: no lock, no allocation after setup. When no chunk
// is free the ring is left as it is (Xen counts losses if it fills), so a
// stalled tracker never blocks the consumer. LiveStream is the tracker
// side, a sorter stream that answers kWait with the quiet bound.
#pragma once

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "src/source/trace_host.h"
#include "src/util/mutex.h"
#include "src/util/stats.h"
#include "src/util/status.h"
#include "xentrace/tbuf.h"
#include "xentrace/tokenizer.h"

namespace vt {

// Scheduler, memory, PV and HVM classes, but not HVM's emulated devices:
// 0x003ab000. The HVM class tells an HVM or PVH guest's type and carries what
// the detector reads of it. Xen matches the class bits and the subclass
// nibble separately, for all classes at once (xen/common/trace.c); among
// these classes only TRC_HVM_EMUL uses subclass 4, so clearing that bit drops
// the emulated PIC/PIT records (thousands a second per HVM guest, never read)
// and nothing else.
constexpr uint32_t kDefaultEventMask = (TRC_SCHED | TRC_MEM | TRC_PV | TRC_HVM) & ~(TRC_HVM_EMUL & 0xf000u);
static_assert(kDefaultEventMask == 0x003ab000u);

// The most pages per CPU one may ask for (Xen's t_info keeps 16-bit offsets,
// and may allow fewer on a host with many CPUs).
constexpr uint32_t kMaxPages = 65535;

struct LiveOptions {
  uint32_t pages = 128;  // requested per CPU (Xen may keep an earlier size; at most kMaxPages)
  uint32_t event_mask = kDefaultEventMask;
  bool event_mask_given = false;     // --events: set it even if another consumer runs
  std::vector<uint32_t> trace_cpus;  // hypervisor CPUs to trace; empty: all
  bool discard_backlog = true;       // start from now, as xentrace -D
  // Read beside another consumer that holds VIRQ_TBUF (both lose records
  // to each other; domains are unknown while its cons moves) instead of
  // refusing to start.
  bool share_rings = false;
  // Put back, on close, the event mask in force at open and every CPU in
  // the CPU mask (Xen's only readable mask is the event one; the CPU mask
  // is all CPUs from boot), when the session set them. --leave-masks: no.
  bool restore_masks = true;
  // A ring is ours again after this many seconds of host time with no cons
  // moved by another reader (xentrace polls every 100 ms by default).
  double reclaim_s = 2;
};

// The likely other consumer of the trace buffers: "xentrace (pid 812)" for
// each process under `proc_dir` whose comm is xentrace, xenbaked or xenmon
// (comma-separated), or "" if none.
std::string find_trace_consumers(const std::string& proc_dir = "/proc");

struct LiveRing {
  uint32_t cpu = 0;
  xt::Ring ring;
  uint8_t* map = nullptr;
  uint64_t map_bytes = 0;
  // What the consumer saw.
  uint64_t bytes = 0, drains = 0, stalls = 0;
  uint64_t bogus = 0, resyncs = 0, discarded_bytes = 0;
  xt::RingState last_bogus = xt::RingState::kEmpty;
  // Records older than this TSC are skipped (0: none): the start of the
  // session, when every ring had been emptied.
  uint64_t skip_until = 0;
  uint64_t skipped_bytes = 0;
  // One reader: the cons this consumer last left (valid only after a
  // drain; a resync re-learns it), drains that found another one, and when.
  uint32_t left_cons = 0;
  bool left_valid = false;
  uint64_t foreign = 0;
  uint64_t last_drain_tsc = 0;    // now_tsc of the previous drain
  uint64_t foreign_last_tsc = 0;  // now_tsc of the last drain that found a foreign cons
  uint64_t reclaim_cycles = 0;    // LiveOptions::reclaim_s in cycles (set by the session)

  // Stat::ring_bytes, ring_drains, ring_stalls, bogus_ring_states, ...
  void add_stats(Stats* s) const;
};

// Takes the records older than r.skip_until off the front of a ring read
// (clearing skip_until once a newer one is seen); returns the bytes taken.
// The caller releases them.
uint32_t skip_old_records(LiveRing& r, xt::RingRead* rd);

class LiveSession {
 public:
  ~LiveSession() { close(); }
  Status open(TraceHost* host, const LiveOptions& o);
  // Restores what open() changed. Safe to call twice.
  void close();

  std::vector<LiveRing>& rings() { return rings_; }
  TraceHost* host() { return host_; }
  double tsc_hz() const { return hz_; }
  // The host's TSC when open() began reading (after its masks and buffers
  // were set): losses before it are not the session's.
  uint64_t reading_since() const { return reading_since_; }
  uint32_t pages_per_cpu() const { return t_info_.pages_per_cpu; }
  uint32_t event_mask() const { return mask_; }
  int notify_fd() const { return notify_fd_; }
  bool shared_with_another_consumer() const { return shared_; }
  // Who else reads (find_trace_consumers, or the host's own answer), set
  // when another consumer holds the notification.
  const std::string& other_consumer() const { return other_; }

 private:
  TraceHost* host_ = nullptr;
  const uint8_t* t_info_map_ = nullptr;
  uint32_t t_info_bytes_ = 0;
  xt::TInfo t_info_;
  std::vector<LiveRing> rings_;
  double hz_ = 0;
  uint32_t mask_ = 0;
  // What close() puts back (LiveOptions::restore_masks).
  bool restore_evt_ = false, restore_cpus_ = false;
  uint32_t found_mask_ = 0;
  uint32_t nr_cpus_ = 0;
  uint64_t reading_since_ = 0;
  int notify_fd_ = -1;
  bool shared_ = false;
  std::string other_;
  bool we_enabled_ = false;
  bool open_ = false;
};

constexpr uint32_t kChunkBytes = 256 * 1024;

struct Chunk {
  uint32_t len = 0;
  bool cut = false;  // filled to the brim with more behind it: may end inside a record
  uint8_t data[kChunkBytes];
};

class Channel {
 public:
  Channel(uint32_t cpu, uint32_t chunks);
  uint32_t cpu() const { return cpu_; }

  // Consumer side.
  Chunk* take_free();
  void keep_spare(Chunk* c) { spare_ = c; }  // taken but unused: reused next time
  void push_full(Chunk* c) { full_.push(c); }
  void publish_quiet(uint64_t tsc) { quiet_.store(tsc, std::memory_order_release); }
  // Tracker side.
  bool pop_full(Chunk** c) { return full_.pop(*c); }
  void give_back(Chunk* c) { free_.push(c); }
  uint64_t quiet_bound() const { return quiet_.load(std::memory_order_acquire); }
  bool has_full() const { return full_.read_available() > 0; }

  void close() { closed_.store(true, std::memory_order_release); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // One reader: while another reader moves this ring's cons, the host TSC
  // span [from, to] whose records may have gone to it (to grows each drain
  // until the ring is ours again; 0, 0: never). from is stored before to:
  // a reader that loads to, then from, may see an older from (a wider span,
  // harmless) or from > to (a new spell half published: skip it this time).
  void publish_foreign(uint64_t from, uint64_t to) {
    if (foreign_from_.load(std::memory_order_relaxed) != from)
      foreign_from_.store(from, std::memory_order_release);
    foreign_to_.store(to, std::memory_order_release);
  }
  void publish_ours() { foreign_now_.store(false, std::memory_order_release); }
  void publish_not_ours() { foreign_now_.store(true, std::memory_order_release); }
  uint64_t foreign_to() const { return foreign_to_.load(std::memory_order_acquire); }
  uint64_t foreign_from() const { return foreign_from_.load(std::memory_order_acquire); }
  bool foreign_now() const { return foreign_now_.load(std::memory_order_acquire); }

 private:
  uint32_t cpu_;
  std::vector<std::unique_ptr<Chunk>> pool_;
  boost::lockfree::spsc_queue<Chunk*> full_, free_;
  Chunk* spare_ = nullptr;  // consumer thread only
  std::atomic<uint64_t> quiet_{0};
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> foreign_from_{0}, foreign_to_{0};
  std::atomic<bool> foreign_now_{false};
};

// A xentrace-format copy of everything drained (vtrace run --record): one
// window per drain, written under a lock (per window, never per record).
struct Tee {
  Mutex lock;
  std::FILE* file VT_GUARDED_BY(lock) = nullptr;
  bool failed VT_GUARDED_BY(lock) = false;
};

// Copies everything readable from r's ring into ch's chunks and releases it.
// `now_tsc` is the host's TSC read before the ring; `slack` cycles are
// taken off it for records in flight when publishing the quiet bound.
void drain(LiveRing& r, Channel& ch, uint64_t now_tsc, uint64_t slack, Tee* tee = nullptr);

// The tracker's view of one Channel: a pipeline stream (pipeline.h).
struct LiveStream {
  Channel* ch = nullptr;
  Chunk* cur = nullptr;
  xt::TokenizerState tok;
  uint64_t bound = 0;
  uint64_t bad_chunks = 0;  // a chunk with a record overrunning it: the rest is skipped
  // The start of a record a cut chunk ended in (at most one record: 40 bytes).
  uint8_t part[4 + 8 + 4 * 7];
  uint32_t held = 0;

  xt::TokenStatus next(xt::Record* r);
  bool waiting() const { return !ch->closed() || ch->has_full(); }
  uint64_t wait_bound() const { return bound; }
  uint32_t cpu() const { return ch->cpu(); }
  void set_filter(const xt::ClassFilter* drop) { tok.drop = drop; }
  void add_stats(Stats* s) const;  // Stat::records_filtered, wrap_records, bad_chunks
};

}  // namespace vt
