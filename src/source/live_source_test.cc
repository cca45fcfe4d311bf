// The live source against the simulated hypervisor: session setup and
// teardown, draining, bogus ring states, lost records.
#include "src/source/live_source.h"

#include <cstdio>
#include <cstring>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "src/sim/host.h"
#include "src/sorter/sorter.h"
#include "tests/support/temp_path.h"
#include "xentrace/events.h"

namespace {

using vt::sim::HostConfig;
using vt::sim::SimHost;

struct Rig {
  explicit Rig(uint32_t cpus = 2, uint32_t pages = 4, std::vector<uint32_t> offline = {}) {
    HostConfig c;
    c.nr_cpus = cpus;
    c.offline_cpus = offline;
    host = std::make_unique<SimHost>(c);
    vt::LiveOptions o;
    o.pages = pages;
    o.event_mask = 0x0ffff000;
    o.discard_backlog = false;  // these tests write records with hand-picked TSCs
    const vt::Status st = session.open(host.get(), o);
    EXPECT_TRUE(st.ok()) << st.message();
    for (auto& r : session.rings()) channels.push_back(std::make_unique<vt::Channel>(r.cpu, 8));
  }
  // Drains every ring, merges and counts records per event.
  std::map<uint32_t, uint64_t> pump(uint64_t now) {
    for (size_t i = 0; i < session.rings().size(); ++i) vt::drain(session.rings()[i], *channels[i], now, 0);
    std::vector<vt::LiveStream> streams(channels.size());
    for (size_t i = 0; i < channels.size(); ++i) streams[i].ch = channels[i].get();
    std::map<uint32_t, uint64_t> seen;
    vt::Sorter<vt::LiveStream> s(&streams);
    s.run([&](uint32_t, const xt::Record& r) {
      ++seen[r.event];
      return true;
    });
    for (auto& st : streams)
      if (st.cur) st.ch->give_back(st.cur);
    return seen;
  }
  std::unique_ptr<SimHost> host;
  vt::LiveSession session;
  std::vector<std::unique_ptr<vt::Channel>> channels;
};

TEST(LiveSession, SkipsCpusWithoutBufferAndRestoresTracingOnClose) {
  Rig rig(3, 4, {1});
  ASSERT_EQ(rig.session.rings().size(), 2u);
  EXPECT_EQ(rig.session.rings()[0].cpu, 0u);
  EXPECT_EQ(rig.session.rings()[1].cpu, 2u);
  EXPECT_EQ(rig.session.pages_per_cpu(), 4u);
  EXPECT_TRUE(rig.host->tracing());
  rig.session.close();
  EXPECT_FALSE(rig.host->tracing());  // we enabled it, nobody else reads: off again
}

// The masks in force at open are put back on close (the event mask read
// from the host, every CPU in the CPU mask), unless told to leave ours.
TEST(LiveSession, PutsTheMasksBackAsFound) {
  for (bool restore : {true, false}) {
    SCOPED_TRACE(restore ? "restore" : "--leave-masks");
    HostConfig c;
    c.nr_cpus = 4;
    SimHost host(c);
    ASSERT_TRUE(host.set_event_mask(0x0001f000).ok());  // an earlier tool's
    vt::LiveSession s;
    vt::LiveOptions o;
    o.trace_cpus = {0, 2};
    o.restore_masks = restore;
    const vt::Status st = s.open(&host, o);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(host.event_mask(), o.event_mask);
    EXPECT_FALSE(host.all_cpus_traced());
    s.close();
    EXPECT_EQ(host.event_mask(), restore ? 0x0001f000u : o.event_mask);
    EXPECT_EQ(host.all_cpus_traced(), restore);
  }
}

// Beside another consumer (it holds VIRQ_TBUF) the session refuses to
// start, naming it, and changes nothing on the host.
TEST(LiveSession, RefusesToStartBesideAnotherConsumer) {
  HostConfig c;
  SimHost host(c);
  host.take_notify_elsewhere("xentrace (pid 4242)");
  ASSERT_TRUE(host.set_event_mask(0x00021000).ok());
  vt::LiveSession s;
  const vt::Status st = s.open(&host, vt::LiveOptions{});
  EXPECT_EQ(st.code(), vt::Status::Code::kUnavailable);
  EXPECT_EQ(st.message(),
            "xentrace (pid 4242) already reads the trace buffers (it holds VIRQ_TBUF); a ring has one cons, "
            "so two readers take records from each other");
  EXPECT_EQ(s.other_consumer(), "xentrace (pid 4242)");
  EXPECT_FALSE(host.tracing());               // not enabled by us
  EXPECT_EQ(host.event_mask(), 0x00021000u);  // its mask kept
}

// The likely other consumer, from each process's comm.
TEST(LiveSession, FindsTheUsualTraceConsumersInProc) {
  const std::string proc = vt::test::temp_path("fake-proc");
  for (const char* d : {"", "/812", "/900", "/self"}) mkdir((proc + d).c_str(), 0755);
  auto comm = [&](const char* pid, const char* name) {
    std::FILE* f = std::fopen((proc + "/" + pid + "/comm").c_str(), "w");
    std::fputs(name, f);
    std::fclose(f);
  };
  comm("900", "bash\n");
  comm("self", "xentrace\n");  // not a pid: skipped
  std::remove((proc + "/812/comm").c_str());
  EXPECT_EQ(vt::find_trace_consumers(proc), "");
  comm("812", "xentrace\n");
  EXPECT_EQ(vt::find_trace_consumers(proc), "xentrace (pid 812)");
  EXPECT_EQ(vt::find_trace_consumers(proc + "/none"), "");
}

TEST(LiveSession, LeavesAnotherConsumersTracingAlone) {
  HostConfig c;
  SimHost host(c);
  host.take_notify_elsewhere();  // a running xentrace holds VIRQ_TBUF
  ASSERT_TRUE(host.set_event_mask(0x00021000).ok());
  vt::LiveSession s;
  vt::LiveOptions o;
  o.share_rings = true;  // --share-rings
  ASSERT_TRUE(s.open(&host, o).ok());
  EXPECT_TRUE(s.shared_with_another_consumer());
  EXPECT_EQ(host.event_mask(), 0x00021000u);  // its mask kept
  s.close();
  EXPECT_TRUE(host.tracing());  // still on for the other consumer
}

TEST(LiveSession, StartsCleanlyOnEveryCpuAtOnce) {
  // Records written before the session (older than the moment every ring
  // was emptied) are skipped even when they reach a ring late.
  HostConfig c;
  c.nr_cpus = 2;
  SimHost host(c);
  uint64_t now = 5000;
  host.set_clock([&] { return now; });
  vt::LiveSession s;
  vt::LiveOptions o;
  o.event_mask = 0x0ffff000;
  ASSERT_TRUE(s.open(&host, o).ok());
  EXPECT_EQ(s.rings()[0].skip_until, 5000u);
  const uint32_t w[2] = {1, 0};
  host.trace(0, TRC_SCHED_WAKE, 4000, w, 2, 0);  // older than the start
  host.trace(0, TRC_SCHED_BLOCK, 4500, w, 2, 0);
  host.trace(0, TRC_SCHED_WAKE, 6000, w, 2, 0);
  host.trace(1, TRC_SCHED_YIELD, 4900, w, 2, 0);
  std::vector<std::unique_ptr<vt::Channel>> ch;
  for (auto& r : s.rings()) ch.push_back(std::make_unique<vt::Channel>(r.cpu, 4));
  for (size_t i = 0; i < 2; ++i) vt::drain(s.rings()[i], *ch[i], 7000, 0);
  EXPECT_EQ(s.rings()[0].skipped_bytes, 40u);
  EXPECT_EQ(s.rings()[1].skipped_bytes, 20u);
  EXPECT_EQ(s.rings()[0].skip_until, 0u);     // passed the start on CPU 0
  EXPECT_EQ(s.rings()[1].skip_until, 5000u);  // not yet on CPU 1
  host.trace(1, TRC_SCHED_YIELD, 7500, w, 2, 0);
  for (size_t i = 0; i < 2; ++i) vt::drain(s.rings()[i], *ch[i], 8000, 0);  // both quiet up to 8000
  std::vector<vt::LiveStream> streams(2);
  for (size_t i = 0; i < 2; ++i) streams[i].ch = ch[i].get();
  std::vector<uint64_t> got;
  vt::Sorter<vt::LiveStream> sorter(&streams);
  sorter.run([&](uint32_t, const xt::Record& r) {
    got.push_back(r.tsc);
    return true;
  });
  EXPECT_EQ(got, (std::vector<uint64_t>{6000, 7500}));
  for (auto& r : s.rings()) EXPECT_EQ(xt::ring_read(r.ring).state, xt::RingState::kEmpty);
}

TEST(LiveSource, DrainDeliversEverythingInOrderAcrossCpus) {
  Rig rig;
  const uint32_t w[2] = {1, 0};
  for (uint64_t t = 0; t < 300; ++t) {
    ASSERT_TRUE(rig.host->trace(t % 2, TRC_SCHED_WAKE, 1000 + t, w, 2, 0));
  }
  std::vector<uint64_t> tscs;
  for (size_t i = 0; i < 2; ++i) vt::drain(rig.session.rings()[i], *rig.channels[i], 2000, 0);
  std::vector<vt::LiveStream> streams(2);
  for (size_t i = 0; i < 2; ++i) streams[i].ch = rig.channels[i].get();
  vt::Sorter<vt::LiveStream> s(&streams);
  EXPECT_EQ(s.run([&](uint32_t, const xt::Record& r) {
    tscs.push_back(r.tsc);
    return true;
  }),
            vt::SortStatus::kWait);  // live streams never end
  ASSERT_EQ(tscs.size(), 300u);
  for (size_t i = 0; i < tscs.size(); ++i) EXPECT_EQ(tscs[i], 1000 + i);
  for (auto& r : rig.session.rings()) EXPECT_EQ(xt::ring_read(r.ring).state, xt::RingState::kEmpty);
}

TEST(LiveSource, QuietBoundHoldsBackLaterRecords) {
  Rig rig;
  const uint32_t w[2] = {1, 0};
  rig.host->trace(0, TRC_SCHED_WAKE, 100, w, 2, 0);
  rig.host->trace(0, TRC_SCHED_WAKE, 500, w, 2, 0);
  // CPU 1 was seen empty when the host's clock read 300: records after 300 wait.
  vt::drain(rig.session.rings()[0], *rig.channels[0], 600, 0);
  vt::drain(rig.session.rings()[1], *rig.channels[1], 300, 0);
  std::vector<vt::LiveStream> streams(2);
  for (size_t i = 0; i < 2; ++i) streams[i].ch = rig.channels[i].get();
  std::vector<uint64_t> got;
  vt::Sorter<vt::LiveStream> s(&streams);
  auto sink = [&](uint32_t, const xt::Record& r) {
    got.push_back(r.tsc);
    return true;
  };
  s.run(sink);
  EXPECT_EQ(got, (std::vector<uint64_t>{100}));
  rig.host->trace(1, TRC_SCHED_WAKE, 400, w, 2, 0);
  vt::drain(rig.session.rings()[1], *rig.channels[1], 700, 0);
  s.run(sink);
  EXPECT_EQ(got, (std::vector<uint64_t>{100, 400, 500}));
}

TEST(LiveSource, BogusConsIsResynchronisedBogusProdNeverWritten) {
  Rig rig(1, 1);
  xt::Ring ring = rig.host->ring_for_test(0);
  const uint32_t w[2] = {1, 0};
  rig.host->trace(0, TRC_SCHED_WAKE, 10, w, 2, 0);
  vt::LiveRing& lr = rig.session.rings()[0];
  // A misaligned cons: reported, then cons = prod (a valid value).
  *ring.cons_word() = 6;
  vt::drain(lr, *rig.channels[0], 100, 0);
  EXPECT_EQ(lr.bogus, 1u);
  EXPECT_EQ(lr.resyncs, 1u);
  EXPECT_EQ(*ring.cons_word(), *ring.prod_word());
  // A prod out of range: reported; cons left exactly as it was.
  const uint32_t good_prod = *ring.prod_word();
  *ring.prod_word() = 2 * ring.data_size + 8;
  const uint32_t cons_before = *ring.cons_word();
  vt::drain(lr, *rig.channels[0], 100, 0);
  EXPECT_EQ(lr.bogus, 2u);
  EXPECT_EQ(*ring.cons_word(), cons_before);
  EXPECT_EQ(lr.last_bogus, xt::RingState::kBogusProd);
  // Both valid but more unread than the ring holds: the span is dropped and counted.
  *ring.prod_word() = good_prod;
  *ring.cons_word() = (good_prod + ring.data_size - 8) % (2 * ring.data_size);  // prod - cons = size + 8
  vt::drain(lr, *rig.channels[0], 100, 0);
  EXPECT_EQ(lr.last_bogus, xt::RingState::kBogusSpan);
  EXPECT_EQ(lr.discarded_bytes, ring.data_size + 8);
  EXPECT_EQ(*ring.cons_word(), good_prod);
  // Xen's producer state is back: consumption resumes.
  *ring.prod_word() = good_prod;
  rig.host->trace(0, TRC_SCHED_BLOCK, 20, w, 2, 0);
  auto seen = rig.pump(100);
  EXPECT_EQ(seen[TRC_SCHED_BLOCK], 1u);
}

TEST(LiveSource, LostRecordsAreReportedWhenTheConsumerIsLate) {
  Rig rig(1, 1);  // 4088 bytes
  const uint32_t w[2] = {1, 0};
  uint64_t written = 0;
  for (uint64_t i = 0; i < 1000; ++i) written += rig.host->trace(0, TRC_SCHED_WAKE, 10 + i, w, 2, 0);
  EXPECT_EQ(written, 4088u / 20);
  auto seen = rig.pump(5000);
  EXPECT_EQ(seen[TRC_SCHED_WAKE], written);
  EXPECT_EQ(seen[TRC_LOST_RECORDS], 0u);  // reported with the next record that fits
  rig.host->trace(0, TRC_SCHED_WAKE, 6000, w, 2, 0);
  seen = rig.pump(7000);
  EXPECT_EQ(seen[TRC_LOST_RECORDS], 1u);
  EXPECT_EQ(rig.host->stats(0).lost, 1000u - written);
}

// Garbage Xen never writes: a header whose payload runs past prod. The
// records before it are delivered, the chunk's rest is skipped and
// counted, and the next drain starts clean.
TEST(LiveSource, RecordRunningPastProdCutsItsChunkAndIsCounted) {
  Rig rig(1, 1);
  xt::Ring ring = rig.host->ring_for_test(0);
  const uint32_t w[2] = {1, 0};
  rig.host->trace(0, TRC_SCHED_WAKE, 10, w, 2, 0);  // 20 bytes at 0
  // By hand at 20: a header with a TSC and 7 words (40 bytes), then only 8
  // more bytes published.
  const uint32_t bad = TRC_SCHED_BLOCK | xt::kTscFlag | (7u << TRACE_EXTRA_SHIFT);
  std::memcpy(ring.base + xt::kTbufHeaderBytes + 20, &bad, 4);
  *ring.prod_word() = 32;
  vt::LiveRing& lr = rig.session.rings()[0];
  vt::drain(lr, *rig.channels[0], 100, 0);
  std::vector<vt::LiveStream> streams(1);
  streams[0].ch = rig.channels[0].get();
  vt::Sorter<vt::LiveStream> s(&streams);
  std::vector<uint32_t> events;
  auto sink = [&](uint32_t, const xt::Record& r) {
    events.push_back(r.event);
    return true;
  };
  s.run(sink);
  EXPECT_EQ(events, (std::vector<uint32_t>{TRC_SCHED_WAKE}));
  EXPECT_EQ(streams[0].bad_chunks, 1u);
  EXPECT_EQ(*ring.cons_word(), 32u);  // handed back: Xen goes on after it
  rig.host->trace(0, TRC_SCHED_SLEEP, 200, w, 2, 0);
  vt::drain(lr, *rig.channels[0], 300, 0);
  s.run(sink);
  EXPECT_EQ(events, (std::vector<uint32_t>{TRC_SCHED_WAKE, TRC_SCHED_SLEEP}));
  EXPECT_EQ(streams[0].bad_chunks, 1u);
  if (streams[0].cur) streams[0].ch->give_back(streams[0].cur);
}

TEST(LiveSource, ChunksSplitAtRecordBoundaries) {
  Rig rig(1, 256);  // a ring larger than one chunk
  const uint32_t w[3] = {7, 8, 9};
  uint64_t n = 0;
  for (uint64_t i = 0; i < 40000; ++i) n += rig.host->trace(0, TRC_SCHED_SWITCH_INFPREV, 10 + i, w, 3, 0);
  ASSERT_EQ(n, 40000u);  // 960,000 bytes: four chunks
  auto seen = rig.pump(100000);
  EXPECT_EQ(seen[TRC_SCHED_SWITCH_INFPREV], 40000u);
}

// Chunks are filled to the brim, so records of every size (12 to 40 bytes)
// are cut at every offset; the stream joins each to the next chunk's head.
// With two chunks in the channel the drain stalls, and then ends on a record
// boundary: the stream holds no half record after a drain, and another
// reader that takes the rest of the ring (as xentrace would) leaves the
// next drain's records whole. Every record comes out once, in order, with
// its TSC and payload as written, and nothing is counted bad.
TEST(LiveSource, RecordsCutBetweenChunksAreJoined) {
  Rig rig(1, 256);
  rig.channels[0] = std::make_unique<vt::Channel>(0, 2);
  vt::LiveRing& lr = rig.session.rings()[0];
  vt::LiveStream stream;
  stream.ch = rig.channels[0].get();
  uint64_t written = 0, got = 0, last_k = 0, taken_by_other = 0;
  bool ok = true;
  auto check = [&](const xt::Record& r) {
    // Record k: TSC 1000 + k, k % 8 payload words k, k + 1, ...
    const uint64_t k = r.tsc - 1000;
    ok &= (got == 0 || k > last_k) && r.n_extra == k % 8 && r.event == TRC_SCHED_SWITCH_INFPREV;
    for (uint32_t i = 0; i < r.n_extra; ++i) ok &= r.word(i) == uint32_t(k + i);
    last_k = k;
    ++got;
  };
  auto read_all = [&] {
    xt::Record r;
    while (stream.next(&r) == xt::TokenStatus::kRecord) check(r);
    if (stream.cur) {
      stream.ch->give_back(stream.cur);
      stream.cur = nullptr;
    }
    EXPECT_EQ(stream.held, 0u);  // every join completed within its drain
  };
  for (int round = 0; round < 12; ++round) {
    for (int i = 0; i < 21000; ++i, ++written) {  // 546 KB a round: two chunks and a bit; 1 MB ring
      uint32_t w[7];
      for (uint32_t j = 0; j < 7; ++j) w[j] = uint32_t(written + j);
      ASSERT_TRUE(rig.host->trace(0, TRC_SCHED_SWITCH_INFPREV, 1000 + written, w, uint32_t(written % 8), 0));
    }
    vt::drain(lr, *rig.channels[0], 1000 + written, 0);  // stalls once both chunks are full
    read_all();
    if (round == 5) {  // the rest of the ring goes to another reader
      const uint32_t bytes = rig.host->read_as_another_consumer(0);
      EXPECT_GT(bytes, 0u);
      taken_by_other = 1;
    }
  }
  for (int i = 0; i < 20; ++i) {  // the rest, a drain at a time
    vt::drain(lr, *rig.channels[0], 1000 + written, 0);
    read_all();
  }
  EXPECT_TRUE(ok);
  EXPECT_EQ(last_k, written - 1);
  EXPECT_LT(got, written);  // what the other reader took
  EXPECT_GT(got, written - 21000);
  EXPECT_EQ(stream.bad_chunks, 0u);
  EXPECT_GE(lr.stalls, 10u);
  EXPECT_EQ(taken_by_other, 1u);
}

}  // namespace

// The default mask admits every event of the scheduler, memory, PV and HVM
// classes that vtrace decodes (the other classes' events in the table, such
// as TRC_DOM0OP's, have scheduler-class twins) and drops HVM's emulated
// devices, by Xen's rule (class bits, then the subclass nibble).
TEST(LiveOptions, DefaultMaskAdmitsWhatVtraceDecodesAndNotEmulatedDevices) {
  size_t admitted = 0;
  for (const xt::EventInfo& e : xt::kEvents) {
    const uint32_t cls = e.id & 0x0fff0000u;
    if (cls != (TRC_SCHED & 0x0fff0000u) && cls != (TRC_MEM & 0x0fff0000u) && cls != (TRC_PV & 0x0fff0000u) &&
        cls != (TRC_HVM & 0x0fff0000u))
      continue;
    EXPECT_TRUE(xt::mask_admits(vt::kDefaultEventMask, e.id)) << std::hex << e.id << " " << e.name;
    ++admitted;
  }
  EXPECT_GT(admitted, 40u);
  EXPECT_FALSE(xt::mask_admits(vt::kDefaultEventMask, TRC_HVM_EMUL | 0x11));  // LAPIC_PIC_INTR
  EXPECT_TRUE(xt::mask_admits(TRC_ALL, TRC_HVM_EMUL | 0x11));
}

// One reader: a second reader advances CPU 0's cons between two drains.
// The drain after counts it and marks the channel not ours from the drain
// before (5000, slack 0) to now; further drains extend the span until
// reclaim_s (2 s at 2.4 GHz: 4.8e9 cycles) pass without another.
TEST(LiveRing, NoticesAConsItDidNotWrite) {
  Rig rig(1);
  vt::LiveRing& r = rig.session.rings()[0];
  vt::Channel& ch = *rig.channels[0];
  const uint32_t w[2] = {1, 0};
  rig.host->trace(0, TRC_SCHED_WAKE, 1000, w, 2, 0);
  rig.pump(5000);
  EXPECT_EQ(r.foreign, 0u);
  EXPECT_FALSE(ch.foreign_now());
  rig.host->trace(0, TRC_SCHED_WAKE, 6000, w, 2, 0);
  EXPECT_EQ(rig.host->read_as_another_consumer(0), 20u);  // its record: 4 + 8 (TSC) + 8 bytes
  rig.host->trace(0, TRC_SCHED_WAKE, 7000, w, 2, 0);
  EXPECT_EQ(rig.pump(8000)[TRC_SCHED_WAKE], 1u);  // the second record went to the other reader
  EXPECT_EQ(r.foreign, 1u);
  EXPECT_TRUE(ch.foreign_now());
  EXPECT_EQ(ch.foreign_from(), 5000u);
  EXPECT_EQ(ch.foreign_to(), 8000u);
  rig.pump(1000000000);  // no new foreign cons, but not reclaimed yet
  EXPECT_EQ(r.foreign, 1u);
  EXPECT_TRUE(ch.foreign_now());
  EXPECT_EQ(ch.foreign_to(), 1000000000u);
  rig.pump(8000 + 4800000001ull);  // 2 s after the foreign cons: ours again
  EXPECT_FALSE(ch.foreign_now());
  EXPECT_EQ(ch.foreign_to(), 1000000000u);  // the span ends with the last drain in it
  vt::Stats st;
  r.add_stats(&st);
  EXPECT_EQ(st[vt::Stat::foreign_cons], 1u);
}
