// Throughput of the file pipeline's stages on real Xen 4.17 traces,
// replicated to ~100 MB in memory (bench/replicate.h). Items = records.
//   SequentialRead: every byte read once as u64 words, no parsing: what
//                memory bandwidth alone allows one core
//   HeaderWalk:  bare walk of record headers, the floor for any decoder
//   HeaderWalkTwoLanes: the same over two windows at once (two independent
//                chains of loads), the most a single core gains by overlapping
//   WindowScan:  the pass over window headers alone that the file source
//                makes before merging (items: records, to compare)
//   TokenizeFiltered: each window tokenized in file order with the
//                trackers' class filter, no merge
//   TokenizeSort: per-CPU tokenizers merged by the sorter, no tracking
//                (*_filtered: with the trackers' class filter)
//   Pipeline:    tokenizer + sorter + trackers (what `vtrace summary` does)
//   PipelineSamples: the same with 1 s samples (what `vtrace replay` does)
#include <benchmark/benchmark.h>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bench/replicate.h"
#include "src/pipeline/read_trace.h"
#include "src/sorter/sorter.h"
#include "xentrace/mapped_file.h"
#include "xentrace/trace_file.h"

namespace {

struct Image {
  std::vector<uint8_t> bytes;
  uint64_t records = 0;
};

const Image& image(const std::string& name) {
  static std::map<std::string, Image> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  xt::MappedFile f;
  if (!f.open(std::string(VTRACE_TEST_DATA) + "/" + name).ok()) std::abort();
  Image img;
  uint64_t per = 0;
  const uint32_t copies = uint32_t(100e6 / double(f.size())) + 1;
  img.bytes = vt::bench::replicate_trace(f.data(), f.size(), copies, &per);
  img.records = per * copies;
  return cache[name] = std::move(img);
}

// The file source's streams merged by the sorter, no tracking.
template <class Sink>
void run_sorted(const Image& img, Sink&& sink, const xt::ClassFilter* drop) {
  vt::FileSource src;
  src.open_memory(img.bytes.data(), img.bytes.size(), "bench");
  for (vt::FileSource::Stream& s : src.streams()) s.set_filter(drop);
  vt::Sorter<vt::FileSource::Stream> sorter(&src.streams());
  sorter.run([&](uint32_t i, const xt::Record& r) {
    sink(src.streams()[i].cpu(), r);
    return true;
  });
}

void SequentialRead(benchmark::State& st, const char* name) {
  const Image& img = image(name);
  for (auto _ : st) {
    uint64_t x = 0;
    const uint8_t* d = img.bytes.data();
    for (size_t i = 0; i + 8 <= img.bytes.size(); i += 8) {
      uint64_t v;
      std::memcpy(&v, d + i, 8);
      x += v;
    }
    benchmark::DoNotOptimize(x);
  }
  st.SetItemsProcessed(int64_t(st.iterations() * img.records));
  st.SetBytesProcessed(int64_t(st.iterations() * img.bytes.size()));
}

void HeaderWalk(benchmark::State& st, const char* name) {
  const Image& img = image(name);
  for (auto _ : st) {
    uint64_t n = 0, x = 0;
    const uint8_t* d = img.bytes.data();
    for (uint64_t pos = 0; pos < img.bytes.size();) {
      const uint32_t w = xt::load_u32(d + pos + 8);
      for (uint64_t p = pos + 12, e = p + w; p < e;) {
        const uint32_t h = xt::load_u32(d + p);
        x ^= h;
        p += xt::header_size(h);
        ++n;
      }
      pos += 12 + w;
    }
    benchmark::DoNotOptimize(x);
    benchmark::DoNotOptimize(n);
  }
  st.SetItemsProcessed(int64_t(st.iterations() * img.records));
}

void HeaderWalkTwoLanes(benchmark::State& st, const char* name) {
  const Image& img = image(name);
  const uint8_t* d = img.bytes.data();
  std::vector<std::pair<uint64_t, uint64_t>> windows;  // [begin, end) of each window's records
  xt::WindowCursor c(d, img.bytes.size());
  for (xt::Window w; c.next(&w);) windows.push_back({w.data_offset, w.data_offset + w.size});
  auto walk = [d](uint64_t p, uint64_t e, uint64_t* n) {  // one lane
    for (; p < e; ++*n) p += xt::header_size(xt::load_u32(d + p));
  };
  for (auto _ : st) {
    uint64_t n = 0, x = 0;
    size_t i = 0;
    for (; i + 1 < windows.size(); i += 2) {
      uint64_t p = windows[i].first, q = windows[i + 1].first;
      const uint64_t pe = windows[i].second, qe = windows[i + 1].second;
      while (p < pe && q < qe) {  // both chains in flight
        const uint32_t h = xt::load_u32(d + p), g = xt::load_u32(d + q);
        x ^= h ^ g;
        p += xt::header_size(h);
        q += xt::header_size(g);
        n += 2;
      }
      walk(p, pe, &n);
      walk(q, qe, &n);
    }
    if (i < windows.size()) walk(windows[i].first, windows[i].second, &n);
    benchmark::DoNotOptimize(x);
    benchmark::DoNotOptimize(n);
    if (n != img.records) st.SkipWithError("walked a different number of records");
  }
  st.SetItemsProcessed(int64_t(st.iterations() * img.records));
}

void WindowScan(benchmark::State& st, const char* name) {
  const Image& img = image(name);
  for (auto _ : st) {
    xt::WindowCursor c(img.bytes.data(), img.bytes.size());
    xt::Window w;
    uint64_t cpus = 0;
    while (c.next(&w)) cpus |= 1ull << (w.cpu & 63);
    benchmark::DoNotOptimize(cpus);
  }
  st.SetItemsProcessed(int64_t(st.iterations() * img.records));
}

void TokenizeSort(benchmark::State& st, const char* name, bool filtered) {
  const Image& img = image(name);
  const xt::ClassFilter* drop = filtered ? &vt::Trackers::unused_classes() : nullptr;
  for (auto _ : st) {
    uint64_t x = 0;
    run_sorted(
        img, [&](uint32_t cpu, const xt::Record& r) { x += r.event + cpu; }, drop);
    benchmark::DoNotOptimize(x);
  }
  st.SetItemsProcessed(int64_t(st.iterations() * img.records));
}

// Each window tokenized with the trackers' class filter, in file order, no
// merge: the tokenizer's share of Pipeline.
void TokenizeFiltered(benchmark::State& st, const char* name) {
  const Image& img = image(name);
  const xt::ClassFilter& drop = vt::Trackers::unused_classes();
  std::vector<xt::TokenizerState> cpus(xt::kMaxCpus);
  for (auto _ : st) {
    uint64_t x = 0;
    for (xt::TokenizerState& t : cpus) t = xt::TokenizerState{};
    xt::WindowCursor c(img.bytes.data(), img.bytes.size());
    for (xt::Window w; c.next(&w);) {
      xt::TokenizerState& t = cpus[w.cpu];
      t.drop = &drop;
      t.pos = img.bytes.data() + w.data_offset;
      t.end = t.pos + w.size;
      for (xt::Record r; xt::next_record(&t, &r) == xt::TokenStatus::kRecord;) x += r.event;
    }
    benchmark::DoNotOptimize(x);
  }
  st.SetItemsProcessed(int64_t(st.iterations() * img.records));
}

// What `vtrace summary` (or, with samples, `vtrace replay`) does: the
// trace through read_trace.
void Pipeline(benchmark::State& st, const char* name, bool samples) {
  const Image& img = image(name);
  for (auto _ : st) {
    vt::ReadOptions o;
    o.pipeline.samples.cpu_hz = 2.445406e9;  // the bundled traces' host (tests/data/README.md)
    o.pipeline.samples.enabled = samples;
    o.end = samples ? vt::EndRule::kTraceEnd : vt::EndRule::kXenalyze;
    vt::TraceReader r(o);
    r.open_memory(img.bytes.data(), img.bytes.size(), "bench");
    uint64_t rows = 0;
    r.set_sample_sink([&](const std::vector<vt::DomainSample>& s) { rows += s.size(); });
    if (!r.run().ok()) st.SkipWithError("fault");
    benchmark::DoNotOptimize(rows);
    benchmark::DoNotOptimize(r.trackers().table.vcpus.data());
  }
  st.SetItemsProcessed(int64_t(st.iterations() * img.records));
}

constexpr const char* kAll = "xen417-dom0-all-10s.xtr";
constexpr const char* kSched = "xen417-busy-guest-sched-10s.xtr";

BENCHMARK_CAPTURE(SequentialRead, dom0_all, kAll)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(SequentialRead, busy_guest_sched, kSched)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(HeaderWalk, dom0_all, kAll)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(HeaderWalk, busy_guest_sched, kSched)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(HeaderWalkTwoLanes, dom0_all, kAll)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(HeaderWalkTwoLanes, busy_guest_sched, kSched)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(WindowScan, dom0_all, kAll)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(WindowScan, busy_guest_sched, kSched)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TokenizeFiltered, dom0_all, kAll)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TokenizeFiltered, busy_guest_sched, kSched)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TokenizeSort, dom0_all, kAll, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TokenizeSort, busy_guest_sched, kSched, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TokenizeSort, dom0_all_filtered, kAll, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TokenizeSort, busy_guest_sched_filtered, kSched, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Pipeline, dom0_all, kAll, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Pipeline, busy_guest_sched, kSched, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Pipeline, dom0_all_samples, kAll, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Pipeline, busy_guest_sched_samples, kSched, true)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
