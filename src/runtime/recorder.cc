#include "src/runtime/recorder.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "src/runtime/live_runtime.h"
#include "xentrace/trace_writer.h"

namespace vt {
namespace {

void count(const uint8_t* p, uint32_t n, Stats* st) {
  xt::TokenizerState tok{p, p + n};
  xt::Record r;
  while (xt::next_record(&tok, &r) == xt::TokenStatus::kRecord) {
    ++(*st)[Stat::records_read];
    if (r.event == TRC_LOST_RECORDS) (*st)[Stat::lost_records] += r.word(0);
  }
}

}  // namespace

Status record_trace(LiveSession* s, std::FILE* out, double seconds, double poll_ms,
                    const std::atomic<bool>* stop, Stats* st) {
  using clock = std::chrono::steady_clock;
  const auto deadline = seconds > 0 ? clock::now() + std::chrono::nanoseconds(uint64_t(seconds * 1e9))
                                    : clock::time_point::max();
  const int fd = s->notify_fd();
  bool last = false;
  while (!last) {
    last = clock::now() >= deadline || (stop && stop->load());
    if (!last) {
      if (fd >= 0) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, std::max(1, int(poll_ms))) > 0) s->host()->notify_ack();
      } else {
        std::this_thread::sleep_for(
            std::chrono::microseconds(uint64_t(std::min(poll_ms, kPollWithoutVirqMs) * 1000)));
      }
    }
    for (LiveRing& r : s->rings()) {  // increasing CPU order: one pass
      xt::RingRead rd = xt::ring_read(r.ring);
      if (const uint32_t old = skip_old_records(r, &rd)) {
        xt::ring_release(r.ring, rd.cons, old);
        rd.cons = xt::ring_advance(rd.cons, old, r.ring.data_size);
        if (rd.total() == 0) continue;
      }
      if (rd.state == xt::RingState::kBogusProd) {
        ++(*st)[Stat::bogus_ring_states];
        continue;
      }
      if (rd.state == xt::RingState::kBogusCons || rd.state == xt::RingState::kBogusSpan) {
        ++(*st)[Stat::bogus_ring_states];
        uint32_t dropped;
        if (xt::ring_discard(r.ring, &dropped)) {
          ++(*st)[Stat::ring_resyncs];
          (*st)[Stat::resync_dropped_bytes] += dropped;
        }
        continue;
      }
      if (rd.state != xt::RingState::kData) continue;
      if (!xt::write_window(out, r.cpu, rd.first, rd.first_len, rd.second, rd.second_len))
        return Status::IoError("write failed (disk full?)");
      count(rd.first, rd.first_len, st);
      if (rd.second_len) count(rd.second, rd.second_len, st);
      xt::ring_release(r.ring, rd.cons, rd.total());
      (*st)[Stat::ring_bytes] += rd.total();
      ++(*st)[Stat::windows];
    }
  }
  if (std::fflush(out) != 0) return Status::IoError("write failed (disk full?)");
  return Status::Ok();
}

}  // namespace vt
