#include "xentrace/record.h"

#include <gtest/gtest.h>

#include "tests/support/trace_builder.h"
#include "xentrace/events.h"
#include "xentrace/tokenizer.h"

namespace {

using vt::test::Rec;

TEST(Record, HeaderBitsFollowTraceH) {
  // 0x8002800f with 4 extra words: TSC flag, 4 << 28, INFNEXT.
  const uint32_t h = 0x80000000u | (4u << 28) | TRC_SCHED_SWITCH_INFNEXT;
  EXPECT_EQ(xt::header_event(h), uint32_t(TRC_SCHED_SWITCH_INFNEXT));
  EXPECT_EQ(xt::header_extra(h), 4u);
  EXPECT_TRUE(xt::header_has_tsc(h));
  EXPECT_EQ(xt::header_size(h), 4u + 8u + 16u);
  EXPECT_EQ(xt::header_size(0x70000000u), 4u + 28u);  // 7 words, no TSC
  EXPECT_EQ(xt::header_size(0xf0000000u), xt::kMaxRecordBytes);
}

// Through the tokenizer, the decoder that ships.
TEST(Record, EncodeDecodeRoundTripEverySize) {
  for (uint32_t n = 0; n <= 7; ++n) {
    for (bool tsc : {false, true}) {
      std::vector<uint32_t> words;
      for (uint32_t i = 0; i < n; ++i) words.push_back(0x1000 + i);
      std::vector<uint8_t> b = vt::test::bytes_of({Rec{0x00028004, 0x123456789abcull, words, tsc}});
      ASSERT_EQ(b.size(), 4 + (tsc ? 8u : 0u) + 4 * n);
      xt::TokenizerState s{b.data(), b.data() + b.size(), 77};
      xt::Record r;
      ASSERT_EQ(xt::next_record(&s, &r), xt::TokenStatus::kRecord);
      EXPECT_EQ(r.size, b.size());
      EXPECT_EQ(r.event, 0x00028004u);
      EXPECT_EQ(r.n_extra, n);
      EXPECT_EQ(r.has_tsc, tsc);
      EXPECT_EQ(r.tsc, tsc ? 0x123456789abcull : 77u);
      for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(r.word(i), 0x1000 + i);
      EXPECT_EQ(r.word(n), 0u);  // past the payload reads as 0, never out of bounds
      EXPECT_EQ(xt::next_record(&s, &r), xt::TokenStatus::kEnd);
      // One byte short of the declared size: not decoded, left where it starts.
      xt::TokenizerState cut{b.data(), b.data() + b.size() - 1};
      EXPECT_EQ(xt::next_record(&cut, &r), xt::TokenStatus::kBad);
      EXPECT_EQ(cut.pos, b.data());
    }
  }
}

TEST(Record, RunstateEncoding) {
  EXPECT_EQ(xt::runstate_change_event(xt::kRunning, xt::kBlocked), 0x00021021u);
  EXPECT_EQ(xt::runstate_change_event(xt::kRunnable, xt::kRunning), 0x00021101u);
  EXPECT_EQ(xt::runstate_change_event(xt::kBlocked, xt::kOffline), 0x00021231u);
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      const uint32_t e = xt::runstate_change_event(a, b);
      EXPECT_TRUE(xt::is_runstate_change(e));
      EXPECT_EQ(xt::runstate_old(e), a);
      EXPECT_EQ(xt::runstate_new(e), b);
    }
  EXPECT_FALSE(xt::is_runstate_change(TRC_SCHED_CONTINUE_RUNNING));
  EXPECT_FALSE(xt::is_runstate_change(0x00021003));
  EXPECT_EQ(xt::packed_domid(0x00050002), 5u);
  EXPECT_EQ(xt::packed_vcpu(0x00050002), 2u);
}

TEST(Record, MaskFollowsXenFilter) {
  // xenmon's 0x0012f00f admits every sched and mem event (class granularity).
  EXPECT_TRUE(xt::mask_admits(0x0012f00f, TRC_SCHED_SWITCH_INFCONT));
  EXPECT_TRUE(xt::mask_admits(0x0012f00f, TRC_MEM_POD_POPULATE));
  EXPECT_FALSE(xt::mask_admits(0x0002f000, TRC_PV_HYPERCALL_V2));
  EXPECT_TRUE(xt::mask_admits(0x00021000, 0x00021021));
  EXPECT_FALSE(xt::mask_admits(0x00021000, TRC_SCHED_WAKE));  // subclass 8 not in 1
}

TEST(Tokenizer, SkipsWrapPaddingAndInheritsTsc) {
  std::vector<uint8_t> b = vt::test::bytes_of({
      vt::test::wake(100, 1, 0),
      vt::test::wrap_padding(36),
      Rec{0x00028005, 0, {3, 4}, false},  // no TSC: gets 100
      vt::test::wrap_padding(4),
      vt::test::block(250, 1, 0),
  });
  xt::TokenizerState s{b.data(), b.data() + b.size()};
  xt::Record r;
  std::vector<std::pair<uint32_t, uint64_t>> got;
  while (xt::next_record(&s, &r) == xt::TokenStatus::kRecord) got.push_back({r.event, r.tsc});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (std::pair<uint32_t, uint64_t>{TRC_SCHED_WAKE, 100}));
  EXPECT_EQ(got[1], (std::pair<uint32_t, uint64_t>{TRC_SCHED_YIELD, 100}));
  EXPECT_EQ(got[2], (std::pair<uint32_t, uint64_t>{TRC_SCHED_BLOCK, 250}));
  EXPECT_EQ(s.wraps_skipped, 2u);
  EXPECT_EQ(s.last_tsc, 250u);  // the 36-byte WRAP's stale TSC was not taken
}

TEST(Tokenizer, StopsOnRecordOverrunningItsBytes) {
  std::vector<uint8_t> b = vt::test::bytes_of({vt::test::wake(1, 0, 0), vt::test::wake(2, 0, 0)});
  b.resize(b.size() - 4);  // cut the second record
  xt::TokenizerState s{b.data(), b.data() + b.size()};
  xt::Record r;
  EXPECT_EQ(xt::next_record(&s, &r), xt::TokenStatus::kRecord);
  EXPECT_EQ(xt::next_record(&s, &r), xt::TokenStatus::kBad);
  EXPECT_EQ(s.pos - b.data(), 20);  // left on the bad record
}

}  // namespace
