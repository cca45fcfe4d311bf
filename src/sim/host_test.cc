// The simulated hypervisor's memory and trace call, checked the way a
// consumer sees them: through TraceHost and t_info, as on Xen.
#include "src/sim/host.h"

#include <gtest/gtest.h>
#include <set>

#include "xentrace/events.h"
#include "xentrace/tbuf.h"
#include "xentrace/tokenizer.h"

namespace {

using vt::sim::HostConfig;
using vt::sim::SimHost;

TEST(SimHost, TInfoHasXensLayout) {
  HostConfig c;
  c.nr_cpus = 4;
  c.nr_cpus_compiled = 256;
  c.offline_cpus = {2};
  SimHost h(c);
  vt::TraceInfo info;
  vt::Status st = h.enable(8, &info);
  ASSERT_TRUE(st.ok()) << st.message();
  // first list word = ceil((2 + 2*256)/4) = 129; words = 129 + 4*8 = 161 -> 1 page
  EXPECT_EQ(info.t_info_bytes, 4096u);
  const uint8_t* t = nullptr;
  st = h.map_t_info(info.t_info_mfn, info.t_info_bytes, &t);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_NE(t, nullptr);
  xt::TInfo ti;
  st = xt::parse_t_info(t, info.t_info_bytes, 4, &ti);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(ti.pages_per_cpu, 8u);
  EXPECT_EQ(ti.mfn_offset[0], 129u);
  EXPECT_EQ(ti.mfn_offset[1], 129u + 8u);
  EXPECT_EQ(ti.mfn_offset[2], 0u);  // offline at allocation: no buffer
  EXPECT_EQ(ti.mfn_offset[3], 129u + 24u);
  // Ring pages are not contiguous frames.
  std::vector<uint64_t> mfns;
  for (uint32_t j = 0; j < 8; ++j) mfns.push_back(xt::t_info_mfn(t, ti, 0, j));
  bool contiguous = true;
  for (size_t j = 1; j < mfns.size(); ++j) contiguous &= mfns[j] == mfns[j - 1] + 1;
  EXPECT_FALSE(contiguous);
  std::set<uint64_t> all;
  for (uint32_t cpu : {0u, 1u, 3u})
    for (uint32_t j = 0; j < 8; ++j) all.insert(xt::t_info_mfn(t, ti, cpu, j));
  EXPECT_EQ(all.size(), 24u);  // no frame shared
  h.unmap(t, info.t_info_bytes);
}

TEST(SimHost, SizeIsTakenOncePerBootAndClamped) {
  HostConfig c;
  c.nr_cpus = 2;
  SimHost h(c);
  vt::TraceInfo info;
  ASSERT_TRUE(h.enable(16, &info).ok());
  ASSERT_TRUE(h.enable(64, &info).ok());  // ignored, as xc_tbuf_enable ignores Xen's refusal
  const uint8_t* t = nullptr;
  vt::Status st = h.map_t_info(info.t_info_mfn, info.t_info_bytes, &t);
  ASSERT_TRUE(st.ok()) << st.message();
  xt::TInfo ti;
  st = xt::parse_t_info(t, info.t_info_bytes, 2, &ti);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(ti.pages_per_cpu, 16u);
  h.unmap(t, info.t_info_bytes);

  HostConfig big;
  big.nr_cpus = 256;
  SimHost h2(big);
  st = h2.enable(65535, &info);
  ASSERT_TRUE(st.ok()) << st.message();
  // (65535 - 129) / 255 = 256 pages: the mfn_offset limit
  EXPECT_EQ(h2.pages_per_cpu(), 256u);
}

TEST(SimHost, ProducerWritesThroughScatteredPagesConsumerReadsContiguously) {
  HostConfig c;
  c.nr_cpus = 1;
  SimHost h(c);
  vt::TraceInfo info;
  ASSERT_TRUE(h.enable(4, &info).ok());
  const uint8_t* t = nullptr;
  vt::Status st = h.map_t_info(info.t_info_mfn, info.t_info_bytes, &t);
  ASSERT_TRUE(st.ok()) << st.message();
  xt::TInfo ti;
  st = xt::parse_t_info(t, info.t_info_bytes, 1, &ti);
  ASSERT_TRUE(st.ok()) << st.message();
  std::vector<uint64_t> mfns;
  for (uint32_t j = 0; j < ti.pages_per_cpu; ++j) mfns.push_back(xt::t_info_mfn(t, ti, 0, j));
  uint8_t* map = nullptr;
  st = h.map_pages(mfns, &map);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_NE(map, nullptr);
  xt::Ring ring{map, xt::ring_data_size(4)};
  // Enough records to straddle every page boundary (16376 bytes hold 682).
  for (uint32_t i = 0; i < 600; ++i) {
    const uint32_t w[3] = {i, i * 7, i * 13};
    ASSERT_TRUE(h.trace(0, TRC_SCHED_SWITCH_INFPREV, 100 + i, w, 3, 0));
  }
  xt::RingRead rd = xt::ring_read(ring);
  ASSERT_EQ(rd.state, xt::RingState::kData);
  EXPECT_EQ(rd.total(), 600u * 24);
  xt::TokenizerState s{rd.first, rd.first + rd.first_len};
  xt::Record r;
  uint32_t n = 0;
  while (xt::next_record(&s, &r) == xt::TokenStatus::kRecord) {
    ASSERT_EQ(r.word(0), n);
    ASSERT_EQ(r.word(2), n * 13);
    ++n;
  }
  EXPECT_EQ(n, 600u);
  h.unmap(map, 4 * 4096);
  h.unmap(t, info.t_info_bytes);
}

TEST(SimHost, MasksFilterAsXenDoes) {
  HostConfig c;
  c.nr_cpus = 2;
  SimHost h(c);
  vt::TraceInfo info;
  const uint32_t w[2] = {1, 0};
  EXPECT_FALSE(h.trace(0, TRC_SCHED_WAKE, 1, w, 2, 0));  // not enabled yet
  ASSERT_TRUE(h.enable(4, &info).ok());
  ASSERT_TRUE(h.set_event_mask(TRC_SCHED_MIN).ok());
  EXPECT_FALSE(h.trace(0, TRC_SCHED_WAKE, 2, w, 2, 0));  // subclass 8 is not in 0x00021000
  EXPECT_TRUE(h.trace(0, xt::runstate_change_event(xt::kRunning, xt::kBlocked), 3, w, 1, 0));  // 0x00021021
  ASSERT_TRUE(h.set_event_mask(TRC_ALL).ok());
  ASSERT_TRUE(h.set_cpu_mask({1}).ok());
  EXPECT_FALSE(h.trace(0, TRC_SCHED_WAKE, 4, w, 2, 0));
  EXPECT_TRUE(h.trace(1, TRC_SCHED_WAKE, 5, w, 2, 0));
  const vt::Status st = h.set_cpu_mask({7});
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), vt::Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("CPU 7"), std::string::npos) << st.message();
  ASSERT_TRUE(h.disable().ok());
  EXPECT_FALSE(h.trace(1, TRC_SCHED_WAKE, 6, w, 2, 0));
}

// A consumer that writes a bad cons stops tracing on every CPU, as on Xen;
// enabling again (the toolstack's TBUFOP_enable) brings it back.
TEST(SimHost, BogusConsTurnsTracingOffEverywhere) {
  HostConfig c;
  c.nr_cpus = 2;
  SimHost h(c);
  vt::TraceInfo info;
  ASSERT_TRUE(h.enable(1, &info).ok());
  const uint32_t w[2] = {1, 0};
  ASSERT_TRUE(h.trace(1, TRC_SCHED_WAKE, 1, w, 2, 0));
  xt::Ring r0 = h.ring_for_test(0);
  *r0.cons_word() = 2;  // misaligned
  EXPECT_FALSE(h.trace(0, TRC_SCHED_WAKE, 2, w, 2, 0));
  EXPECT_FALSE(h.tracing());
  EXPECT_FALSE(h.trace(1, TRC_SCHED_WAKE, 3, w, 2, 0));  // the other CPU too
  EXPECT_EQ(h.stats(0).bogus, 1u);
  EXPECT_EQ(h.stats(1).bogus, 0u);
  EXPECT_EQ(*r0.prod_word(), 0u);  // nothing written on CPU 0
  *r0.cons_word() = 0;
  ASSERT_TRUE(h.enable(1, &info).ok());
  EXPECT_TRUE(h.trace(0, TRC_SCHED_WAKE, 4, w, 2, 0));
  EXPECT_EQ(h.stats(0).lost_records_emitted, 1u);  // the lost one is reported first
}

// The simulator's records are packed by the event table: field values in,
// Xen's words out; values that do not fit the event are a bug and abort.
TEST(SimPayload, PackedByTheEventTable) {
  uint32_t w[xt::kMaxExtraWords];
  ASSERT_EQ(vt::sim::pack_payload_or_abort(xt::runstate_change_event(xt::kBlocked, xt::kRunnable), {3, 1}, w),
            1u);
  EXPECT_EQ(w[0], xt::pack_dom_vcpu(3, 1));
  ASSERT_EQ(vt::sim::pack_payload_or_abort(TRC_LOST_RECORDS, {5, 7, 2, 0x123456789ull}, w), 4u);
  EXPECT_EQ(w[0], 5u);
  EXPECT_EQ(w[1], xt::pack_lost_vcpu(7, 2));
  EXPECT_EQ(w[2], 0x23456789u);
  EXPECT_EQ(w[3], 0x1u);
  EXPECT_DEATH(vt::sim::pack_payload_or_abort(TRC_SCHED_WAKE, {1}, w), "do not fit .*wake");
}

TEST(SimHost, OnlyOneConsumerOwnsTheNotification) {
  SimHost h(HostConfig{});
  EXPECT_GE(h.notify_fd(), 0);
  EXPECT_EQ(h.notify_fd(), -1);
  SimHost h2(HostConfig{});
  h2.take_notify_elsewhere();
  EXPECT_EQ(h2.notify_fd(), -1);
  EXPECT_TRUE(h2.notify_owned_elsewhere());
}

}  // namespace
