// libFuzzer target: the live path's consumer side against a hypervisor that
// misbehaves. The bytes are a script of operations on 1-3 per-CPU t_buf
// rings: records written by the simulated producer (Xen's protocol), raw
// bytes written anywhere in a ring's data, arbitrary prod and cons words
// (bogus ones included), drains into channels, and steps of the pipeline
// (sorter, sampler, trackers: pipeline.h) over the channels. A t_info area
// from the bytes goes through the parser as well.
//
// Checked on every drain, whatever the bytes: the consumer never writes a
// cons that is misaligned or out of range (Xen would stop tracing
// host-wide), never moves cons past prod, never writes cons when prod is
// bogus, moves cons by exactly the bytes it copied or skipped, and puts a
// bogus cons back on prod; the merged stream's TSCs never go down. Nothing
// may crash, hang or read out of bounds (ASan).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "src/pipeline/pipeline.h"
#include "src/sim/producer.h"
#include "src/source/live_source.h"
#include "xentrace/tbuf.h"

namespace {

struct Script {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(u8()) << (8 * i);
    return v;
  }
};

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_live: %s\n", what);
    std::abort();
  }
}

void parse_t_info_from(Script& s) {
  const uint32_t nr_cpus = 1 + s.u8() % 16;
  const size_t len = std::min<size_t>(s.u8(), s.n);
  std::vector<uint8_t> area(s.p, s.p + len);  // exact size: ASan sees any overrun
  s.p += len;
  s.n -= len;
  xt::TInfo ti;
  if (const vt::Status st = xt::parse_t_info(area.data(), area.size(), nr_cpus, &ti); !st.ok()) {
    check(!st.message().empty(), "parse_t_info failed without a reason");
    return;
  }
  for (uint32_t c = 0; c < nr_cpus; ++c)
    if (ti.has_buffer(c))
      for (uint32_t j = 0; j < ti.pages_per_cpu; ++j) (void)xt::t_info_mfn(area.data(), ti, c, j);
}

struct Cpu {
  std::vector<uint8_t> mem;
  vt::LiveRing ring;
  vt::sim::RingProducer producer;
  std::unique_ptr<vt::Channel> ch;
  uint64_t last_tsc = 0;  // of the last record written here with a TSC
};

// Drains one ring and checks what the consumer did to cons and to the
// quiet bound.
void drain_checked(Cpu& c, uint64_t now, uint64_t slack) {
  const xt::Ring& ring = c.ring.ring;
  const uint32_t ds = ring.data_size;
  const uint32_t cons0 = *ring.cons_word(), prod = *ring.prod_word();
  const uint64_t bytes0 = c.ring.bytes, discarded0 = c.ring.discarded_bytes, skipped0 = c.ring.skipped_bytes,
                 stalls0 = c.ring.stalls;
  const uint64_t quiet0 = c.ch->quiet_bound();
  vt::drain(c.ring, *c.ch, now, slack);
  const uint32_t cons1 = *ring.cons_word();
  const bool prod_ok = xt::ring_offset_valid(prod, ds), cons_ok = xt::ring_offset_valid(cons0, ds);
  if (!prod_ok) {
    check(cons1 == cons0, "wrote cons while prod was bogus");
    return;
  }
  if (!cons_ok || xt::ring_distance(prod, cons0, ds) > ds) {
    check(cons1 == prod, "a bogus cons or span was not resynchronised to prod");
    check(c.ring.discarded_bytes - discarded0 == (cons_ok ? xt::ring_distance(prod, cons0, ds) : 0),
          "the bytes a resynchronisation dropped were miscounted");
    return;
  }
  // Only what was readable, and exactly what was copied or skipped.
  const uint64_t moved = xt::ring_distance(cons1, cons0, ds);
  check(moved <= xt::ring_distance(prod, cons0, ds), "cons moved past prod");
  check(moved == (c.ring.bytes - bytes0) + (c.ring.skipped_bytes - skipped0),
        "cons moved by other than what was copied or skipped");
  if (c.ring.stalls != stalls0)
    check(c.ch->quiet_bound() == quiet0, "a quiet bound was published with records left in the ring");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Script s{data, size};
  parse_t_info_from(s);

  const uint8_t cfg = s.u8();
  const uint32_t ncpu = 1 + cfg % 3;
  const uint32_t pages = 1 + (cfg >> 2) % 2;
  std::vector<Cpu> cpus(ncpu);
  for (uint32_t i = 0; i < ncpu; ++i) {
    Cpu& c = cpus[i];
    c.mem.assign(pages * xt::kPageBytes, 0);
    c.ring.cpu = i;
    c.ring.ring = xt::Ring{c.mem.data(), xt::ring_data_size(pages)};
    c.ring.skip_until = (cfg & 0x10) ? s.u32() : 0;
    c.producer = vt::sim::RingProducer(c.ring.ring);
    c.ch = std::make_unique<vt::Channel>(i, 2);  // few chunks: the stall path too
  }

  std::vector<vt::LiveStream> streams(ncpu);
  for (uint32_t i = 0; i < ncpu; ++i) streams[i].ch = cpus[i].ch.get();
  vt::PipelineOptions po;
  po.samples.enabled = true;
  po.samples.cpu_hz = 1e6;
  po.samples.period_s = 0.01;
  po.filter = (cfg & 0x20) != 0;  // drop the classes no tracker reads
  vt::Pipeline<vt::LiveStream> pipeline(&streams, po);
  uint64_t last_tsc = 0;
  auto merge = [&] {
    return pipeline.step([&](uint32_t, const xt::Record& r) {
      check(r.tsc >= last_tsc, "merged TSCs went down");
      last_tsc = r.tsc;
    });
  };

  uint64_t tsc = 0;
  bool garbage = false;      // a stray prod/cons or raw bytes: anything may come out
  bool broke_bound = false;  // a record written below a quiet bound its CPU published
  for (int ops = 0; !s.empty() && ops < 4096; ++ops) {
    const uint8_t op = s.u8();
    Cpu& c = cpus[(op >> 3) % ncpu];
    const uint32_t ds = c.ring.ring.data_size;
    switch (op & 7) {
      case 0:
      case 1: {  // Xen writes a record
        const uint8_t h = s.u8();
        uint32_t extra[7];
        const uint32_t n_extra = h % 8;
        for (uint32_t k = 0; k < n_extra; ++k) extra[k] = s.u32();
        // Classes the trackers read (scheduler, PV, memory) and some they do not.
        static constexpr uint32_t kBase[8] = {
            TRC_GEN,           TRC_SCHED_MIN, TRC_SCHED_CLASS, TRC_SCHED_VERBOSE,
            TRC_HVM_ENTRYEXIT, TRC_PV_ENTRY,  TRC_PV_SUBCALL,  TRC_MEM};
        tsc += s.u8();
        const bool with_tsc = (h & 8) != 0;
        const uint64_t lost_records0 = c.producer.stats().lost_records_emitted;
        if (c.producer.write(kBase[h >> 5] | s.u8(), with_tsc, tsc, extra, n_extra, 0)) {
          // A LOST_RECORDS record written first carries this TSC; a record
          // without one takes the TSC before it.
          if (with_tsc || c.producer.stats().lost_records_emitted != lost_records0) c.last_tsc = tsc;
          if (c.last_tsc < c.ch->quiet_bound()) broke_bound = true;
        }
        break;
      }
      case 2:  // a stray prod, valid or not
        *c.ring.ring.prod_word() = (op & 0x40) ? s.u32() % (2 * ds) & ~3u : s.u32();
        garbage = true;
        break;
      case 3:  // a stray cons
        *c.ring.ring.cons_word() = (op & 0x40) ? s.u32() % (2 * ds) & ~3u : s.u32();
        garbage = true;
        break;
      case 4: {  // raw bytes over the data area
        garbage = true;
        const uint32_t at = s.u32() % ds;
        const uint32_t len = std::min<uint32_t>({s.u8(), uint32_t(s.n), ds - at});
        std::memcpy(c.mem.data() + xt::kTbufHeaderBytes + at, s.p, len);
        s.p += len;
        s.n -= len;
        break;
      }
      case 5:
      case 6: drain_checked(c, tsc + s.u8(), s.u8()); break;
      case 7: merge(); break;
    }
  }
  // Empty every ring (a drain can stall while the merge holds the chunks).
  for (int round = 0; round < 64; ++round) {
    bool left = false;
    for (Cpu& c : cpus) {
      drain_checked(c, ~0ull, 0);
      left |= xt::ring_read(c.ring.ring).state == xt::RingState::kData;
    }
    merge();
    if (!left) break;
  }
  for (Cpu& c : cpus) c.ch->close();
  const vt::SortStatus st = merge();
  check(st != vt::SortStatus::kWait, "closed channels still waiting");
  pipeline.finish(vt::EndRule::kTraceEnd);
  if (!garbage) {
    // Xen's protocol only: nothing lost on the way, nothing out of order.
    const vt::Stats ss = pipeline.stats();
    if (!broke_bound)
      check(ss[vt::Stat::late] == 0 && ss[vt::Stat::tsc_backwards] == 0,
            "late or backwards records from an honest host");
    if (!(cfg & 0x10)) {  // no backlog skipped
      uint64_t written = 0, read = ss[vt::Stat::records_merged];
      for (const Cpu& c : cpus) {
        const vt::sim::ProducerStats& p = c.producer.stats();
        written += p.written + p.lost_records_emitted + p.wraps;
        check(xt::ring_read(c.ring.ring).state == xt::RingState::kEmpty, "a ring was left with records");
      }
      for (const vt::LiveStream& ls : streams) {
        read += ls.tok.dropped + ls.tok.wraps_skipped;
        check(ls.bad_chunks == 0, "a record ran past a chunk from an honest host");
      }
      check(read == written, "records written and records read differ");
    }
  }
  for (vt::LiveStream& st2 : streams)
    if (st2.cur) st2.ch->give_back(st2.cur);
  return 0;
}
