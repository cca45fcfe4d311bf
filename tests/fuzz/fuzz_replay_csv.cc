// libFuzzer target: arbitrary bytes as a `vtrace replay --format csv` file
// (what `vtrace train` and `eval` read through a labels file), through the
// parser and, when it accepts them, through the per-domain windows that
// make the classifier's features. Nothing may crash, hang or read out of
// bounds; a rejection always says why, and every judged window's features
// are finite (the parser admits only non-negative numbers up to 1e12 and
// 64-bit counts, and a tree cannot place a NaN or an infinity sensibly).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "src/detector/features.h"
#include "src/training/replay_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<vt::SecondRow> rows;
  if (const vt::Status st = vt::parse_replay_csv(text, "fuzz.csv", &rows); !st.ok()) {
    // A rejection always says why, and bytes can only be malformed.
    if (st.message().empty() || st.code() != vt::Status::Code::kCorruption) std::abort();
    return 0;
  }
  const vt::WindowConfig c{3, 1};  // short: judged windows from a few rows
  std::map<uint32_t, vt::DomainWindow> windows;
  float out[vt::kNumFeatures];
  for (const vt::SecondRow& r : rows) {
    vt::DomainWindow& w = windows[r.domid];
    if (vt::push_row(&w, c, r, out) != vt::Push::kJudged) continue;
    for (int f = 0; f < vt::kNumFeatures; ++f) {
      if (!std::isfinite(out[f])) {
        std::fprintf(stderr, "feature %s is not finite\n", vt::feature_info(f).name);
        std::abort();
      }
    }
  }
  return 0;
}
