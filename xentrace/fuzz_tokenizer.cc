// libFuzzer target: arbitrary bytes as a xentrace file, through the window
// cursor, the per-CPU tokenizers, the sorter and the trackers (with samples
// and with the class filter); bytes that start like a zstd, gzip or xz
// file also through the decoder, and its output through the same stages.
// Nothing may crash, hang or read out of bounds, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "src/source/file_source.h"
#include "src/trackers/trackers.h"
#include "xentrace/decompress.h"

namespace {

void run_stages(const uint8_t* data, size_t size) {
  for (bool filtered : {false, true}) {
    vt::FileSource src;
    src.open_memory(data, size, "fuzz");
    vt::TrackerOptions o;
    o.cpu_hz = 1e6;  // short periods: exercise sampling on tiny inputs
    o.period_s = 0.01;
    o.samples = true;
    vt::Trackers t(o);
    uint64_t rows = 0;
    t.set_sample_sink([&](const std::vector<vt::DomainSample>& s) { rows += s.size(); });
    src.run(
        [&](uint32_t cpu, const xt::Record& r) {
          t.on_record(cpu, r);
          return true;
        },
        filtered ? &vt::Trackers::unused_classes() : nullptr);
    for (auto [cpu, tsc] : src.cpu_last_tsc()) t.note_pcpu_last(cpu, tsc);
    t.finish(filtered ? vt::EndRule::kXenalyze : vt::EndRule::kTraceEnd);
  }
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
