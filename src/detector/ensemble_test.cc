// Batch evaluator: scores by hand on a small model, the flattened layout,
// and agreement with the reference walk of the model's own arrays on
// random models and inputs (block and tail paths).
#include "src/detector/ensemble.h"

#include <cmath>
#include <gtest/gtest.h>

#include "src/training/rng.h"

namespace vt {
namespace {

// Tree A: hypercalls_per_s <= 10 ? FAULTY : normal.
// Tree B: running_frac <= 0.9 ? normal : (hypercalls_per_s <= 50 ? FAULTY : normal).
Model hand_model() {
  Model m;
  m.features = {"running_frac", "hypercalls_per_s"};
  m.threshold = 0.5;
  ModelTree a;
  a.feature = {1, -1, -1};
  a.threshold = {10, 0, 0};
  a.left = {1, -1, -1};
  a.right = {2, -1, -1};
  a.value = {0.5, 0.0, 1.0};
  ModelTree b;
  b.feature = {0, -1, 1, -1, -1};
  b.threshold = {0.9f, 0, 50, 0, 0};
  b.left = {1, -1, 3, -1, -1};
  b.right = {2, -1, 4, -1, -1};
  b.value = {0.6, 1.0, 0.5, 0.2, 0.9};
  m.trees = {a, b};
  const Status st = validate_model(&m);
  EXPECT_TRUE(st.ok()) << st.message();
  return m;
}

TEST(Evaluator, ScoresByHand) {
  const Model m = hand_model();
  const FlatEnsemble e = compile(m);
  // Domains (running_frac, hypercalls_per_s) and the votes by hand:
  //  (0.5, 5):   A faulty, B normal        -> 1/2
  //  (0.95, 5):  A faulty, B faulty        -> 0
  //  (0.95, 20): A normal, B faulty        -> 1/2
  //  (0.95, 60): A normal, B normal        -> 1
  //  (0.9, 10):  A faulty (10 <= 10), B normal (0.9 <= 0.9) -> 1/2
  const float run[] = {0.5f, 0.95f, 0.95f, 0.95f, 0.9f};
  const float hc[] = {5, 5, 20, 60, 10};
  const double want[] = {0.5, 0, 0.5, 1, 0.5};
  const size_t n = 5;
  std::vector<float> x(size_t(kNumFeatures) * n, 0.0f);
  for (size_t d = 0; d < n; ++d) {
    x[size_t(kRunningFrac) * n + d] = run[d];
    x[size_t(kHypercallsPerS) * n + d] = hc[d];
  }
  double scores[n];
  uint16_t votes[n];
  score_batch(e, x.data(), n, n, scores, votes);
  for (size_t d = 0; d < n; ++d) {
    EXPECT_EQ(scores[d], want[d]) << d;
    float row[kNumFeatures] = {};
    row[kRunningFrac] = run[d];
    row[kHypercallsPerS] = hc[d];
    EXPECT_EQ(model_score(m, row), want[d]) << d;
  }
}

TEST(Evaluator, FlatLayout) {
  const FlatEnsemble e = compile(hand_model());
  ASSERT_EQ(e.trees(), 2u);
  EXPECT_EQ(e.root[0], 0u);
  EXPECT_EQ(e.root[1], 3u);
  EXPECT_EQ(e.depth[0], 1u);
  EXPECT_EQ(e.depth[1], 2u);
  for (size_t i = 0; i < e.feature.size(); ++i) {
    if (std::isinf(e.threshold[i])) {
      EXPECT_EQ(e.child[i], i);  // a leaf points at itself
    } else {
      EXPECT_GT(e.child[i], i);
      EXPECT_LT(e.child[i] + 1, e.feature.size());
    }
  }
  EXPECT_EQ(e.feature[0], uint32_t(kHypercallsPerS));  // build feature ids
  EXPECT_EQ(e.feature[3], uint32_t(kRunningFrac));
}

// A random tree of the given depth over all features.
ModelTree random_tree(Rng* rng, int depth) {
  ModelTree t;
  struct Item {
    int32_t node;
    int depth;
  };
  auto add = [&] {
    t.feature.push_back(-1), t.threshold.push_back(0), t.left.push_back(-1), t.right.push_back(-1);
    t.value.push_back(rng->uniform());
    return int32_t(t.feature.size() - 1);
  };
  std::vector<Item> stack{{add(), 0}};
  while (!stack.empty()) {
    const Item it = stack.back();
    stack.pop_back();
    if (it.depth >= depth || (it.depth > 1 && rng->uniform() < 0.25)) continue;
    const int32_t l = add(), r = add();
    t.feature[size_t(it.node)] = int32_t(rng->below(kNumFeatures));
    t.threshold[size_t(it.node)] = float(rng->uniform());
    t.left[size_t(it.node)] = l;
    t.right[size_t(it.node)] = r;
    stack.push_back({r, it.depth + 1});
    stack.push_back({l, it.depth + 1});
  }
  return t;
}

TEST(Evaluator, AgreesWithTheReferenceWalkOnRandomModels) {
  Rng rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    Model m;
    for (int f = 0; f < kNumFeatures; ++f) m.features.push_back(feature_info(int(kNumFeatures - 1 - f)).name);
    const int trees = 1 + int(rng.below(60));
    for (int t = 0; t < trees; ++t) m.trees.push_back(random_tree(&rng, 1 + int(rng.below(12))));
    const Status st = validate_model(&m);
    ASSERT_TRUE(st.ok()) << st.message();
    const FlatEnsemble e = compile(m);
    const size_t n = 1 + rng.below(70);  // blocks of 16 and a tail
    const size_t stride = n + rng.below(5);
    std::vector<float> x(size_t(kNumFeatures) * stride);
    for (float& v : x) v = float(rng.uniform());
    std::vector<double> scores(n);
    std::vector<uint16_t> votes(n);
    score_batch(e, x.data(), stride, n, scores.data(), votes.data());
    for (size_t d = 0; d < n; ++d) {
      float row[kNumFeatures];
      for (int f = 0; f < kNumFeatures; ++f) row[f] = x[size_t(f) * stride + d];
      ASSERT_EQ(scores[d], model_score(m, row)) << "trial " << trial << " domain " << d;
    }
  }
}

}  // namespace
}  // namespace vt
