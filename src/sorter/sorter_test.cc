#include "src/sorter/sorter.h"

#include <deque>
#include <gtest/gtest.h>

#include "tests/support/trace_builder.h"

namespace {

using vt::test::Rec;

// A stream over hand-built records; `more` makes it a live stream that
// answers kWait (with `bound`) when empty.
struct VecStream {
  std::vector<uint8_t> bytes;
  xt::TokenizerState tok;
  bool more = false;
  uint64_t bound = 0;

  explicit VecStream(const std::vector<Rec>& recs) : bytes(vt::test::bytes_of(recs)) { rewind(); }
  void rewind() { tok = {bytes.data(), bytes.data() + bytes.size()}; }
  void append(const std::vector<Rec>& recs) {
    const size_t done = size_t(tok.pos - bytes.data());
    const uint64_t last = tok.last_tsc;
    std::vector<uint8_t> b = vt::test::bytes_of(recs);
    bytes.insert(bytes.end(), b.begin(), b.end());
    tok = {bytes.data() + done, bytes.data() + bytes.size(), last};
  }
  xt::TokenStatus next(xt::Record* r) { return xt::next_record(&tok, r); }
  bool waiting() const { return more; }
  uint64_t wait_bound() const { return bound; }
};

std::vector<std::pair<uint32_t, uint64_t>> drain(vt::Sorter<VecStream>& s, vt::SortStatus* st) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  *st = s.run([&](uint32_t i, const xt::Record& r) {
    out.push_back({i, r.tsc});
    return true;
  });
  return out;
}

TEST(Sorter, MergesByTscAcrossStreams) {
  std::vector<VecStream> v;
  v.emplace_back(
      std::vector<Rec>{vt::test::wake(10, 1, 0), vt::test::wake(40, 1, 0), vt::test::wake(50, 1, 0)});
  v.emplace_back(
      std::vector<Rec>{vt::test::wake(20, 2, 0), vt::test::wake(30, 2, 0), vt::test::wake(60, 2, 0)});
  v.emplace_back(std::vector<Rec>{});
  vt::Sorter<VecStream> s(&v);
  vt::SortStatus st;
  auto out = drain(s, &st);
  EXPECT_EQ(st, vt::SortStatus::kDone);
  std::vector<std::pair<uint32_t, uint64_t>> want = {{0, 10}, {1, 20}, {1, 30}, {0, 40}, {0, 50}, {1, 60}};
  EXPECT_EQ(out, want);
}

TEST(Sorter, TiesStayWithTheStreamThatJustDelivered) {
  // xenalyze's rule: p0@100, then p1@150, p1@200, p1@200, p0@200, p0@200, p1@250, p0@300.
  std::vector<VecStream> v;
  v.emplace_back(std::vector<Rec>{vt::test::wake(100, 1, 0), vt::test::wake(200, 1, 0),
                                  vt::test::wake(200, 1, 0), vt::test::wake(300, 1, 0)});
  v.emplace_back(std::vector<Rec>{vt::test::wake(150, 2, 0), vt::test::wake(200, 2, 0),
                                  vt::test::wake(200, 2, 0), vt::test::wake(250, 2, 0)});
  vt::Sorter<VecStream> s(&v);
  vt::SortStatus st;
  auto out = drain(s, &st);
  std::vector<std::pair<uint32_t, uint64_t>> want = {{0, 100}, {1, 150}, {1, 200}, {1, 200},
                                                     {0, 200}, {0, 200}, {1, 250}, {0, 300}};
  EXPECT_EQ(out, want);
}

TEST(Sorter, BackwardsTscIsRaisedAndCounted) {
  std::vector<VecStream> v;
  v.emplace_back(
      std::vector<Rec>{vt::test::wake(100, 1, 0), vt::test::wake(90, 1, 0), vt::test::wake(110, 1, 0)});
  vt::Sorter<VecStream> s(&v);
  vt::SortStatus st;
  auto out = drain(s, &st);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].second, 100u);
  EXPECT_EQ(s.stats()[vt::Stat::tsc_backwards], 1u);
}

TEST(Sorter, WaitingStreamHoldsBackLaterRecordsUntilItCatchesUp) {
  std::vector<VecStream> v;
  v.emplace_back(std::vector<Rec>{vt::test::wake(10, 1, 0), vt::test::wake(50, 1, 0)});
  v.emplace_back(std::vector<Rec>{vt::test::wake(20, 2, 0)});
  v[1].more = true;
  v[1].bound = 30;  // nothing earlier than 30 will come from stream 1
  vt::Sorter<VecStream> s(&v);
  vt::SortStatus st;
  auto out = drain(s, &st);
  EXPECT_EQ(st, vt::SortStatus::kWait);
  std::vector<std::pair<uint32_t, uint64_t>> want = {{0, 10}, {1, 20}};
  EXPECT_EQ(out, want);  // 50 is held: stream 1 may still deliver 30..49

  v[1].append({vt::test::wake(40, 2, 0)});
  v[1].bound = 45;
  out = drain(s, &st);
  want = {{1, 40}};
  EXPECT_EQ(out, want);
  EXPECT_EQ(st, vt::SortStatus::kWait);

  v[1].more = false;  // stream 1 ends
  out = drain(s, &st);
  want = {{0, 50}};
  EXPECT_EQ(out, want);
  EXPECT_EQ(st, vt::SortStatus::kDone);
}

// A stream that breaks its promise (a CPU lagging by more than the slack)
// cannot send the output back in time: its records come out at the last
// emitted TSC, each counted as late until the stream catches up; only a
// record below the stream's own previous one counts as backwards.
TEST(Sorter, RecordBelowAnEarlierBoundIsRaisedAndCountedLate) {
  std::vector<VecStream> v;
  v.emplace_back(std::vector<Rec>{vt::test::wake(10, 1, 0), vt::test::wake(100, 1, 0)});
  v.emplace_back(std::vector<Rec>{vt::test::wake(20, 2, 0)});
  v[1].more = true;
  v[1].bound = 60;
  vt::Sorter<VecStream> s(&v);
  vt::SortStatus st;
  auto out = drain(s, &st);
  std::vector<std::pair<uint32_t, uint64_t>> want = {{0, 10}, {1, 20}};
  EXPECT_EQ(out, want);
  v[1].append({vt::test::wake(40, 2, 0)});  // 40 < 60, the bound it gave
  v[1].bound = 200;
  out = drain(s, &st);
  want = {{1, 40}, {0, 100}};  // 40 broke the promise, but nothing after 20 had gone out
  EXPECT_EQ(out, want);
  EXPECT_EQ(s.stats()[vt::Stat::late], 0u);

  // 100 is out; stream 1 lags with 70 and 80 (in its own order), then
  // goes back to 60 on its own clock, then catches up.
  v[1].append({vt::test::wake(70, 2, 0), vt::test::wake(80, 2, 0), vt::test::wake(60, 2, 0),
               vt::test::wake(150, 2, 0)});
  v[1].more = false;
  out = drain(s, &st);
  want = {{1, 100}, {1, 100}, {1, 100}, {1, 150}};
  EXPECT_EQ(out, want);
  EXPECT_EQ(st, vt::SortStatus::kDone);
  EXPECT_EQ(s.stats()[vt::Stat::late], 2u);
  EXPECT_EQ(s.stats()[vt::Stat::tsc_backwards], 1u);
}

TEST(Sorter, StopsAtABadRecordAfterDeliveringEverythingEarlier) {
  std::vector<VecStream> v;
  v.emplace_back(std::vector<Rec>{vt::test::wake(10, 1, 0), vt::test::wake(30, 1, 0)});
  v.emplace_back(std::vector<Rec>{vt::test::wake(20, 2, 0), vt::test::wake(40, 2, 0)});
  v[1].bytes.resize(v[1].bytes.size() - 4);  // cut stream 1's second record
  v[1].rewind();
  vt::Sorter<VecStream> s(&v);
  vt::SortStatus st;
  auto out = drain(s, &st);
  EXPECT_EQ(st, vt::SortStatus::kBad);
  EXPECT_EQ(s.bad_stream(), 1);
  std::vector<std::pair<uint32_t, uint64_t>> want = {{0, 10}, {1, 20}};
  EXPECT_EQ(out, want);
}

TEST(Sorter, SinkCanStopAndResume) {
  std::vector<VecStream> v;
  v.emplace_back(
      std::vector<Rec>{vt::test::wake(10, 1, 0), vt::test::wake(20, 1, 0), vt::test::wake(30, 1, 0)});
  vt::Sorter<VecStream> s(&v);
  int n = 0;
  EXPECT_EQ(s.run([&](uint32_t, const xt::Record&) { return ++n < 2; }), vt::SortStatus::kStopped);
  vt::SortStatus st;
  auto out = drain(s, &st);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second, 30u);
}

TEST(Sorter, ManyStreamsStayOrdered) {
  std::vector<VecStream> v;
  for (uint32_t c = 0; c < 37; ++c) {
    std::vector<Rec> recs;
    for (uint64_t k = 0; k < 50; ++k) recs.push_back(vt::test::wake(k * 37 + (c * 7) % 37, c, 0));
    v.emplace_back(recs);
  }
  vt::Sorter<VecStream> s(&v);
  vt::SortStatus st;
  auto out = drain(s, &st);
  ASSERT_EQ(out.size(), 37u * 50);
  for (size_t i = 1; i < out.size(); ++i) ASSERT_LE(out[i - 1].second, out[i].second);
}

}  // namespace
