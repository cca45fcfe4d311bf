// Sorter: merges per-CPU record streams into one stream in TSC order.
//
// Each CPU's records are already in TSC order (Xen writes them under a
// per-CPU lock); records about one vCPU land on several CPUs (a wake is
// written on the waker's CPU), so trackers need the merged order. On equal
// TSCs the stream that delivered the last record goes on (as xenalyze
// does); otherwise the lower stream index goes first. A TSC lower than
// its stream's previous one is raised to it and counted (tsc_backwards). A
// record below what was already emitted (its stream broke its wait_bound
// promise: a CPU's clock or records in flight lagging by more than the
// live path's slack) is raised to the last emitted TSC and counted (late),
// as is every record of that stream until it catches up. So the output is
// monotonic whatever the streams do. Counted: Stat::records_merged,
// tsc_backwards, late.
//
// Streaming with memory bounded by the number of streams: one head record
// per stream. A stream may answer kWait ("nothing now; nothing earlier than
// wait_bound() will come"), as a live ring does; run() then emits only up to
// the smallest such bound and returns kWait, to be called again once the
// stream has more. A Stream provides:
//   xt::TokenStatus next(xt::Record*)  // kRecord, kEnd, kBad
//   bool waiting() const               // after kEnd: true if more may come
//   uint64_t wait_bound() const        // lower bound on future TSCs when waiting
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "src/util/stats.h"
#include "xentrace/record.h"
#include "xentrace/tokenizer.h"

namespace vt {

enum class SortStatus { kDone, kWait, kBad, kStopped };

template <class Stream>
class Sorter {
 public:
  explicit Sorter(std::vector<Stream>* streams) : streams_(*streams) {
    const size_t n = streams_.size();
    heads_.resize(n);
    state_.assign(n, kNeedNext);
    last_key_.assign(n, 0);
    heap_.reserve(n);
  }

  // Feeds sink(stream_index, record) in order. The sink returns false to
  // stop (kStopped). kBad: stream bad_stream() hit a malformed record; every
  // record before it in merged order was delivered.
  template <class Sink>
  SortStatus run(Sink&& sink) {
    refill();
    for (;;) {
      if (bad_ >= 0) return SortStatus::kBad;
      if (heap_.empty()) return any_waiting() ? SortStatus::kWait : SortStatus::kDone;
      const uint64_t limit = wait_limit();
      uint32_t s = heap_[0];
      if (heads_[s].tsc > limit) return SortStatus::kWait;
      pop_heap();
      // Emit from s while it stays first: runs of one CPU skip the heap.
      for (;;) {
        ++stats_[Stat::records_merged];
        last_out_ = heads_[s].tsc;
        if (!sink(s, static_cast<const xt::Record&>(heads_[s]))) {
          state_[s] = kNeedNext;
          return SortStatus::kStopped;
        }
        if (!fetch(s)) break;  // ended, waiting or bad
        if (!heap_.empty() && heads_[s].tsc > heads_[heap_[0]].tsc) {
          push_heap(s);
          break;
        }
        if (heads_[s].tsc > limit) {
          push_heap(s);
          break;
        }
      }
    }
  }

  const Stats& stats() const { return stats_; }
  int bad_stream() const { return bad_; }

 private:
  enum State : uint8_t { kNeedNext, kInHeap, kEnded, kWaiting };

  // Pulls a head for every stream that needs one (first call, or after kWait
  // or kStopped).
  void refill() {
    for (uint32_t i = 0; i < state_.size(); ++i) {
      if (state_[i] == kNeedNext || state_[i] == kWaiting) {
        if (state_[i] == kWaiting) --n_waiting_;
        if (fetch(i)) push_heap(i);
      }
    }
  }

  // Reads stream i's next record into heads_[i]; false if none is ready.
  [[gnu::always_inline]] bool fetch(uint32_t i) {
    const xt::TokenStatus st = streams_[i].next(&heads_[i]);
    if (st == xt::TokenStatus::kRecord) [[likely]] {
      const uint64_t t = heads_[i].tsc;
      if (t >= last_key_[i] && t >= last_out_) [[likely]] {
        last_key_[i] = t;
      } else {
        raise(i);
      }
      return true;
    }
    if (st == xt::TokenStatus::kBad) {
      bad_ = int(i);
      state_[i] = kEnded;
      return false;
    }
    if (streams_[i].waiting()) {
      state_[i] = kWaiting;
      ++n_waiting_;
    } else {
      state_[i] = kEnded;
    }
    return false;
  }

  // A head below its stream's previous TSC (that CPU went backwards) or
  // below what was emitted (late: the stream broke a wait bound; every
  // record of the lagging burst counts) is raised, each counted once.
  // last_key_ keeps the stream's own order, so a lagging CPU whose records
  // are in order is not called backwards.
  [[gnu::noinline]] void raise(uint32_t i) {
    uint64_t t = heads_[i].tsc;
    const bool backwards = t < last_key_[i];
    if (backwards) {
      t = last_key_[i];
      ++stats_[Stat::tsc_backwards];
    }
    last_key_[i] = t;
    if (t < last_out_) {
      t = last_out_;
      if (!backwards) ++stats_[Stat::late];
    }
    heads_[i].tsc = t;
  }

  bool any_waiting() const { return n_waiting_ != 0; }
  uint64_t wait_limit() const {
    uint64_t lim = std::numeric_limits<uint64_t>::max();
    if (n_waiting_ == 0) return lim;
    for (uint32_t i = 0; i < streams_.size(); ++i)
      if (state_[i] == kWaiting && streams_[i].wait_bound() < lim) lim = streams_[i].wait_bound();
    return lim;
  }

  bool before(uint32_t a, uint32_t b) const {
    return heads_[a].tsc < heads_[b].tsc || (heads_[a].tsc == heads_[b].tsc && a < b);
  }
  void push_heap(uint32_t s) {
    state_[s] = kInHeap;
    heap_.push_back(s);
    size_t i = heap_.size() - 1;
    while (i > 0) {
      size_t p = (i - 1) / 2;
      if (!before(heap_[i], heap_[p])) break;
      std::swap(heap_[i], heap_[p]);
      i = p;
    }
  }
  void pop_heap() {
    heap_[0] = heap_.back();
    heap_.pop_back();
    size_t i = 0, n = heap_.size();
    for (;;) {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < n && before(heap_[l], heap_[m])) m = l;
      if (r < n && before(heap_[r], heap_[m])) m = r;
      if (m == i) break;
      std::swap(heap_[i], heap_[m]);
      i = m;
    }
  }

  std::vector<Stream>& streams_;
  std::vector<xt::Record> heads_;
  std::vector<State> state_;
  std::vector<uint64_t> last_key_;
  std::vector<uint32_t> heap_;
  uint32_t n_waiting_ = 0;
  uint64_t last_out_ = 0;  // TSC of the last record emitted
  Stats stats_;
  int bad_ = -1;
};

}  // namespace vt
