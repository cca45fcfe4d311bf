// libFuzzer target: arbitrary bytes as a model file, through the loader and,
// when it accepts them, through compile(), the batch evaluator, the
// reference walk, explain and the writer (whose output must load again).
// Nothing may crash, hang, read out of bounds or abort, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "src/detector/ensemble.h"
#include "src/detector/model.h"
#include "src/training/explain.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vt::Model m;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const vt::Status st = vt::parse_model(text, "fuzz", &m); !st.ok()) {
    // A rejection always says why, and bytes can only be malformed.
    if (st.message().empty() || st.code() != vt::Status::Code::kCorruption) std::abort();
    return 0;
  }
  const vt::FlatEnsemble e = vt::compile(m);
  constexpr size_t kDomains = 3;
  std::vector<float> x(size_t(vt::kNumFeatures) * kDomains);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) - 2.5f;
  double scores[kDomains];
  uint16_t votes[kDomains];
  vt::score_batch(e, x.data(), kDomains, kDomains, scores, votes);
  // The batch evaluator and the reference walk agree.
  float row[vt::kNumFeatures];
  for (size_t d = 0; d < kDomains; ++d) {
    for (int f = 0; f < vt::kNumFeatures; ++f) row[f] = x[size_t(f) * kDomains + d];
    if (vt::model_score(m, row) != scores[d]) std::abort();
  }
  for (size_t t = 0; t < m.trees.size() && t < 4; ++t) (void)vt::explain_tree(m, t);
  (void)vt::explain_header(m);
  vt::Model again;
  if (!vt::parse_model(vt::model_to_json(m), "rewritten", &again).ok()) std::abort();
  return 0;
}
