#include "xentrace/tbuf.h"

#include <atomic>
#include <cstring>
#include <gtest/gtest.h>
#include <thread>
#include <vector>

#include "src/sim/producer.h"
#include "xentrace/events.h"
#include "xentrace/tokenizer.h"

namespace {

// A ring of `pages` pages in ordinary memory.
struct TestRing {
  explicit TestRing(uint32_t pages) : mem(pages * xt::kPageBytes, 0) {
    ring.base = mem.data();
    ring.data_size = xt::ring_data_size(pages);
  }
  std::vector<uint8_t> mem;
  xt::Ring ring;
};

// A record copied out of the ring (the ring bytes are reused once released).
struct Got {
  uint32_t event;
  uint64_t tsc;
  std::vector<uint32_t> w;
  uint32_t word(uint32_t i) const { return i < w.size() ? w[i] : 0; }
  uint64_t word64(uint32_t i) const { return uint64_t(word(i)) | uint64_t(word(i + 1)) << 32; }
};

// Reads everything readable, copies the records out, then releases the bytes.
std::vector<Got> drain(const xt::Ring& ring, uint64_t* tsc_state) {
  std::vector<Got> out;
  xt::RingRead rd = xt::ring_read(ring);
  if (rd.state != xt::RingState::kData) return out;
  for (auto [p, n] : {std::pair{rd.first, rd.first_len}, std::pair{rd.second, rd.second_len}}) {
    if (n == 0) continue;
    xt::TokenizerState s{p, p + n, *tsc_state};
    xt::Record r;
    while (xt::next_record(&s, &r) == xt::TokenStatus::kRecord) {
      Got g{r.event, r.tsc, {}};
      for (uint32_t i = 0; i < r.n_extra; ++i) g.w.push_back(r.word(i));
      out.push_back(std::move(g));
    }
    EXPECT_EQ(s.pos, p + n) << "a span must hold whole records";
    *tsc_state = s.last_tsc;
  }
  EXPECT_TRUE(xt::ring_release(ring, rd.cons, rd.total()));
  return out;
}

TEST(TInfo, ParsesXenLayout) {
  // NR_CPUS = 8 compiled, 3 CPUs read, CPU 1 offline at allocation, 2 pages each.
  const uint32_t first = xt::t_info_first_list_word(8);  // (2 + 16 + 3) / 4 = 5
  EXPECT_EQ(first, 5u);
  std::vector<uint32_t> words(first + 3 * 2, 0);
  auto* u16 = reinterpret_cast<uint16_t*>(words.data());
  u16[0] = 2;
  u16[1 + 0] = uint16_t(first);
  u16[1 + 1] = 0;
  u16[1 + 2] = uint16_t(first + 2 * 2);
  words[first] = 0x1000;
  words[first + 1] = 0x2000;
  words[first + 4] = 0x3000;
  words[first + 5] = 0x4000;
  xt::TInfo ti;
  const auto* p = reinterpret_cast<const uint8_t*>(words.data());
  vt::Status st = xt::parse_t_info(p, words.size() * 4, 3, &ti);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(ti.pages_per_cpu, 2u);
  EXPECT_TRUE(ti.has_buffer(0));
  EXPECT_FALSE(ti.has_buffer(1));
  EXPECT_EQ(xt::t_info_mfn(p, ti, 2, 1), 0x4000u);
  EXPECT_EQ(xt::t_info_mfn(p, ti, 0, 0), 0x1000u);

  // A list running past the area names the field.
  u16[1 + 2] = uint16_t(first + 5);
  st = xt::parse_t_info(p, words.size() * 4, 3, &ti);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), vt::Status::Code::kCorruption);
  EXPECT_NE(st.message().find("mfn_offset[2]"), std::string::npos) << st.message();
  u16[1 + 2] = 1;  // into the header
  st = xt::parse_t_info(p, words.size() * 4, 3, &ti);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("header"), std::string::npos) << st.message();
  u16[0] = 0;
  st = xt::parse_t_info(p, words.size() * 4, 3, &ti);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("tbuf_size"), std::string::npos) << st.message();
}

TEST(Ring, DataSizeIsNotAPowerOfTwo) {
  EXPECT_EQ(xt::ring_data_size(1), 4088u);
  EXPECT_EQ(xt::ring_data_size(32), 131064u);
}

TEST(Ring, ProducerWrapsWithPaddingAndConsumerSeesEveryRecord) {
  TestRing tr(1);  // 4088 data bytes
  vt::sim::RingProducer prod(tr.ring);
  uint64_t tsc_state = 0, seq = 0, expect = 0;
  // Records of 24 bytes (TSC + 3 words) do not divide 4088: laps end in padding.
  for (int lap = 0; lap < 50; ++lap) {
    for (int i = 0; i < 100; ++i) {
      uint32_t w[3] = {uint32_t(seq), 1, 2};
      ASSERT_TRUE(prod.write(TRC_SCHED_SWITCH_INFPREV, true, 1000 + seq, w, 3, 0));
      ++seq;
    }
    for (const Got& g : drain(tr.ring, &tsc_state)) EXPECT_EQ(g.word(0), expect++);
  }
  EXPECT_EQ(expect, seq);
  EXPECT_GT(prod.stats().wraps, 0u);
  EXPECT_EQ(prod.stats().lost, 0u);
}

TEST(Ring, FullRingLosesThenReportsLostRecords) {
  TestRing tr(1);
  vt::sim::RingProducer prod(tr.ring);
  uint32_t w[1] = {7};
  int written = 0;
  for (int i = 0; i < 1000; ++i)
    if (prod.write(TRC_SCHED_WAKE, true, 500 + i, w, 1, 0)) ++written;
  // 16-byte records: 4088/16 = 255 fit, the rest is lost.
  EXPECT_EQ(written, 255);
  EXPECT_EQ(prod.stats().lost, 745u);
  xt::RingRead rd = xt::ring_read(tr.ring);
  EXPECT_EQ(rd.state, xt::RingState::kData);
  EXPECT_EQ(rd.total(), 255u * 16);
  uint64_t tsc_state = 0;
  EXPECT_EQ(drain(tr.ring, &tsc_state).size(), 255u);

  // The next write is preceded by TRC_LOST_RECORDS [745, dom|vcpu<<16, first_tsc].
  ASSERT_TRUE(prod.write(TRC_SCHED_WAKE, true, 9000, w, 1, 3u | (1u << 16)));
  std::vector<Got> recs = drain(tr.ring, &tsc_state);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].event, uint32_t(TRC_LOST_RECORDS));
  EXPECT_EQ(recs[0].word(0), 745u);
  EXPECT_EQ(recs[0].word(1), 3u | (1u << 16));
  EXPECT_EQ(recs[0].word64(2), 500u + 255u);  // TSC of the first loss
  EXPECT_EQ(recs[0].tsc, 9000u);
  EXPECT_EQ(recs[1].event, uint32_t(TRC_SCHED_WAKE));
}

// Xen never writes through a bogus prod or cons: it takes the ring as full,
// so the record is lost (and reported once the offsets are sane again).
TEST(Ring, ProducerNeverWritesThroughBogusOffsets) {
  TestRing tr(1);
  vt::sim::RingProducer prod(tr.ring);
  const uint32_t size = tr.ring.data_size;
  uint32_t w[1] = {7};
  ASSERT_TRUE(prod.write(TRC_SCHED_WAKE, true, 100, w, 1, 0));  // 16 bytes: prod = 16
  for (uint32_t bad_cons : {6u, 2 * size, 0xfffffffcu}) {
    *tr.ring.cons_word() = bad_cons;
    const std::vector<uint8_t> before = tr.mem;
    EXPECT_FALSE(prod.write(TRC_SCHED_WAKE, true, 200, w, 1, 0)) << bad_cons;
    EXPECT_EQ(tr.mem, before) << "a byte was written with cons = " << bad_cons;
  }
  *tr.ring.cons_word() = 0;
  *tr.ring.prod_word() = 2 * size + 4;  // scribbled on
  const std::vector<uint8_t> before = tr.mem;
  EXPECT_FALSE(prod.write(TRC_SCHED_WAKE, true, 300, w, 1, 0));
  EXPECT_EQ(tr.mem, before);
  EXPECT_EQ(prod.stats().bogus, 4u);
  EXPECT_EQ(prod.stats().lost, 4u);
  // Each offset sane, but prod - cons = size + 8: no room either.
  *tr.ring.prod_word() = 16;
  *tr.ring.cons_word() = 2 * size + 16 - (size + 8);
  const std::vector<uint8_t> before_span = tr.mem;
  EXPECT_FALSE(prod.write(TRC_SCHED_WAKE, true, 350, w, 1, 0));
  EXPECT_EQ(tr.mem, before_span);
  EXPECT_EQ(prod.stats().bogus, 4u);
  EXPECT_EQ(prod.stats().lost, 5u);

  // Sane again: the five losses come first, then the record.
  *tr.ring.cons_word() = 0;
  ASSERT_TRUE(prod.write(TRC_SCHED_WAKE, true, 400, w, 1, 0));
  uint64_t tsc_state = 0;
  std::vector<Got> recs = drain(tr.ring, &tsc_state);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].event, uint32_t(TRC_LOST_RECORDS));
  EXPECT_EQ(recs[1].word(0), 5u);
  EXPECT_EQ(recs[1].word64(2), 200u);  // TSC of the first loss
  EXPECT_EQ(recs[2].tsc, 400u);
}

TEST(Ring, HighWaterCrossedOnceOnTheWayUp) {
  TestRing tr(1);
  vt::sim::RingProducer prod(tr.ring);
  uint32_t w[1] = {0};
  int crossings = 0, at = -1;
  for (int i = 0; i < 200; ++i) {
    bool hw = false;
    prod.write(TRC_SCHED_WAKE, true, i, w, 1, 0, &hw);
    if (hw) {
      ++crossings;
      at = i;
    }
  }
  EXPECT_EQ(crossings, 1);
  EXPECT_EQ(at, 127);  // 128 * 16 = 2048 >= 4088 / 2
}

TEST(Ring, BogusOffsetsAreReportedAndNeverWritten) {
  TestRing tr(1);
  const uint32_t size = tr.ring.data_size;
  auto set = [&](uint32_t cons, uint32_t prod) {
    *tr.ring.cons_word() = cons;
    *tr.ring.prod_word() = prod;
  };
  set(0, 6);
  EXPECT_EQ(xt::ring_read(tr.ring).state, xt::RingState::kBogusProd);
  set(0, 2 * size);
  EXPECT_EQ(xt::ring_read(tr.ring).state, xt::RingState::kBogusProd);
  set(2 * size + 4, 8);
  EXPECT_EQ(xt::ring_read(tr.ring).state, xt::RingState::kBogusCons);
  set(0, size + 8);  // more unread than the ring holds
  EXPECT_EQ(xt::ring_read(tr.ring).state, xt::RingState::kBogusSpan);
  // Full: prod - cons == size, positions equal, two spans.
  set(16, size + 16);
  xt::RingRead rd = xt::ring_read(tr.ring);
  EXPECT_EQ(rd.state, xt::RingState::kData);
  EXPECT_EQ(rd.total(), size);
  EXPECT_EQ(rd.first_len, size - 16);
  EXPECT_EQ(rd.second_len, 16u);

  // Release refuses to produce a bogus cons.
  set(8, 8);
  EXPECT_FALSE(xt::ring_release(tr.ring, 8, 6));
  EXPECT_FALSE(xt::ring_release(tr.ring, 2 * size, 4));
  EXPECT_EQ(*tr.ring.cons_word(), 8u);
  EXPECT_TRUE(xt::ring_release(tr.ring, 2 * size - 4, 8));
  EXPECT_EQ(*tr.ring.cons_word(), 4u);  // wrapped modulo 2*size

  // Resynchronise after a bogus cons: cons = prod (valid).
  set(3, 40);
  uint32_t dropped = 0;
  EXPECT_TRUE(xt::ring_discard(tr.ring, &dropped));
  EXPECT_EQ(*tr.ring.cons_word(), 40u);
  set(0, 7);
  EXPECT_FALSE(xt::ring_discard(tr.ring, &dropped));
  EXPECT_EQ(*tr.ring.cons_word(), 0u);
}

// A producer thread and a consumer thread on one ring: every record arrives
// once, in order, intact. Run under ThreadSanitizer in CI.
TEST(Ring, ConcurrentProducerAndConsumer) {
  TestRing tr(2);
  vt::sim::RingProducer prod(tr.ring);
  constexpr uint32_t kRecords = 200000;
  std::atomic<bool> done{false};
  std::thread producer([&] {
    uint32_t seq = 0;
    while (seq < kRecords) {
      uint32_t w[3] = {seq, ~seq, seq * 3};
      if (prod.write(TRC_SCHED_SWITCH_INFPREV, true, seq, w, 3, 0)) ++seq;
    }
    done.store(true, std::memory_order_release);
  });
  uint32_t next = 0, lost_seen = 0;
  uint64_t tsc_state = 0;
  for (;;) {
    const bool finished = done.load(std::memory_order_acquire);
    for (const Got& r : drain(tr.ring, &tsc_state)) {
      if (r.event == uint32_t(TRC_LOST_RECORDS)) {
        lost_seen += r.word(0);
        continue;
      }
      ASSERT_EQ(r.word(0), next);
      ASSERT_EQ(r.word(1), ~next);
      ASSERT_EQ(r.word(2), next * 3);
      ++next;
    }
    if (finished && xt::ring_read(tr.ring).state == xt::RingState::kEmpty) break;
  }
  producer.join();
  EXPECT_EQ(next, kRecords);
  EXPECT_EQ(uint64_t(lost_seen), prod.stats().lost - prod.pending_lost());
}

}  // namespace
