// libFuzzer target: arbitrary bytes as a xentrace file, through
// read_trace: the window cursor, the per-CPU tokenizers, the sorter, the
// sampler and the trackers (with and without the class filter); bytes that
// start like a zstd, gzip or xz file also through the decoder, and its
// output through the same stages.
// Nothing may crash, hang or read out of bounds, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "src/pipeline/read_trace.h"
#include "xentrace/decompress.h"

namespace {

// Reads the bytes through read_trace; returns what it counted, and sets
// *complete when the trace had no fault.
vt::Stats read(const uint8_t* data, size_t size, bool filtered, bool* complete) {
  vt::ReadOptions o;
  o.pipeline.samples.enabled = true;
  o.pipeline.samples.cpu_hz = 1e6;  // short periods: exercise sampling on tiny inputs
  o.pipeline.samples.period_s = 0.01;
  o.pipeline.filter = filtered;
  o.end = filtered ? vt::EndRule::kXenalyze : vt::EndRule::kTraceEnd;
  o.finish_after_fault = true;
  vt::TraceReader r(o);
  r.open_memory(data, size, "fuzz");
  uint64_t rows = 0;
  r.set_sample_sink([&](const std::vector<vt::DomainSample>& s) { rows += s.size(); });
  const vt::Status fault = r.run();
  if (!fault.ok() && fault.message().empty()) std::abort();  // a fault always says where
  *complete = fault.ok();
  return r.stats();
}

void run_stages(const uint8_t* data, size_t size) {
  bool all_complete = false, some_complete = false;
  const vt::Stats all = read(data, size, false, &all_complete), some = read(data, size, true, &some_complete);
  if (all[vt::Stat::records_filtered] != 0) std::abort();
  // The filter drops records, never loses one: over a whole trace the
  // filtered run merges what the unfiltered one does, less what it dropped.
  // (A fault ends the merge at a point in merged time that depends on what
  // the tokenizers skipped on the way, so cut traces are not compared.)
  if (all_complete != some_complete) std::abort();
  if (all_complete &&
      some[vt::Stat::records_merged] + some[vt::Stat::records_filtered] != all[vt::Stat::records_merged])
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  run_stages(data, size);
  const xt::Codec c = xt::detect_codec(data, size);
  if (c != xt::Codec::kNone) {
    xt::ByteBuffer image;
    xt::decompress(c, data, size, &image, 16 << 20);  // a bomb stops at 16 MB
    run_stages(image.data(), image.size());
  }
  return 0;
}
