// CART: splits chosen by Gini as computed by hand, the stopping rules, the
// threshold convention, and cost-complexity pruning against a brute-force
// search over every pruned subtree. (The comparison with scikit-learn is
// tools/detector/sklearn_check.py, run by ctest.)
#include "src/training/cart.h"

#include <cmath>
#include <functional>
#include <gtest/gtest.h>
#include <limits>

#include "src/training/rng.h"

namespace vt {
namespace {

std::vector<uint32_t> all_rows(size_t n) {
  std::vector<uint32_t> r(n);
  for (uint32_t i = 0; i < n; ++i) r[i] = i;
  return r;
}

TEST(Cart, OneFeaturePerfectSplitAtTheMidpoint) {
  const float x[] = {1, 2, 3, 4};
  const uint8_t y[] = {0, 0, 1, 1};
  CartParams p;
  p.min_leaf = 1;
  const Tree t = grow_tree(x, 1, y, all_rows(4), {0}, p);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.feature[0], 0);
  EXPECT_EQ(t.threshold[0], 2.5f);
  EXPECT_EQ(t.left[0], 1);
  EXPECT_TRUE(t.leaf(1) && t.leaf(2));
  EXPECT_TRUE(t.votes_normal(1));
  EXPECT_FALSE(t.votes_normal(2));
  EXPECT_EQ(t.n[0], 4u);
  EXPECT_EQ(t.n_faulty[2], 2u);
}

TEST(Cart, PicksTheLowerGiniByHand) {
  // 10 rows, y = 0 0 0 0 1 0 1 1 1 1. Sorted by feature 0 the labels read
  // 0 0 1 0 0 | 1 1 0 1 1: best cut after 5, sum n*gini = 5*2*.8*.2 * 2 = 3.2.
  // Sorted by feature 1: 0 0 0 | 1 0 1 1 0 1 1: best cut after 3,
  // 0 + 7*2*(2/7)*(5/7) = 20/7 = 2.857. Both cuts misclassify 2 rows; Gini
  // prefers feature 1, between its values 3 and 4.
  const float x[] = {1, 1, 2, 2, 4, 3, 5, 5, 3, 4, 8, 8, 6, 6, 7, 7, 9, 9, 10, 10};
  const uint8_t y[] = {0, 0, 0, 0, 1, 0, 1, 1, 1, 1};
  CartParams p;
  p.min_leaf = 1;
  p.max_depth = 1;
  const Tree t = grow_tree(x, 2, y, all_rows(10), {0, 1}, p);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.feature[0], 1);
  EXPECT_EQ(t.threshold[0], 3.5f);
  EXPECT_EQ(t.n[1], 3u);
  EXPECT_EQ(t.n_faulty[1], 0u);
  EXPECT_EQ(t.n[2], 7u);
  EXPECT_EQ(t.n_faulty[2], 5u);
  // With feature 0 alone: its cut after the 5th value (5 | 6, at 5.5).
  const Tree t0 = grow_tree(x, 2, y, all_rows(10), {0}, p);
  EXPECT_EQ(t0.feature[0], 0);
  EXPECT_EQ(t0.threshold[0], 5.5f);
  EXPECT_EQ(t0.n_faulty[1], 1u);
}

TEST(Cart, TiesGoToTheFirstFeatureAndLowestCut) {
  // Both features separate perfectly: feature 0 is chosen.
  const float x[] = {1, 10, 2, 20, 3, 30, 4, 40};
  const uint8_t y[] = {0, 0, 1, 1};
  CartParams p;
  p.min_leaf = 1;
  Tree t = grow_tree(x, 2, y, all_rows(4), {0, 1}, p);
  EXPECT_EQ(t.feature[0], 0);
  t = grow_tree(x, 2, y, all_rows(4), {1, 0}, p);  // the order given decides
  EXPECT_EQ(t.feature[0], 1);
  EXPECT_EQ(t.threshold[0], 25.0f);
}

TEST(Cart, StoppingRules) {
  const float x[] = {1, 2, 3, 4, 5, 6, 7, 8};
  const uint8_t y[] = {0, 1, 0, 1, 0, 1, 0, 1};
  CartParams p;
  p.min_leaf = 1;
  p.max_depth = 2;
  Tree t = grow_tree(x, 1, y, all_rows(8), {0}, p);
  EXPECT_LE(t.depth(), 2);
  p.max_depth = 30;
  p.min_leaf = 3;
  t = grow_tree(x, 1, y, all_rows(8), {0}, p);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_GE(t.n[i], 3u);
  p.min_leaf = 5;  // 8 < 2 * 5: no split
  t = grow_tree(x, 1, y, all_rows(8), {0}, p);
  EXPECT_EQ(t.size(), 1u);
  // Constant feature: no cut between distinct values exists.
  const float c[] = {3, 3, 3, 3};
  const uint8_t yc[] = {0, 1, 0, 1};
  p.min_leaf = 1;
  t = grow_tree(c, 1, yc, all_rows(4), {0}, p);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.votes_normal(0));  // an even split votes normal
}

TEST(Cart, ThresholdBetweenAdjacentFloatsKeepsTheLowerValueLeft) {
  const float a = 1.0f, b = std::nextafter(1.0f, 2.0f);
  const float x[] = {a, b};
  const uint8_t y[] = {0, 1};
  CartParams p;
  p.min_leaf = 1;
  const Tree t = grow_tree(x, 1, y, all_rows(2), {0}, p);
  ASSERT_EQ(t.size(), 3u);
  // The double midpoint is not a float; the largest float below it is a.
  EXPECT_EQ(t.threshold[0], a);
  EXPECT_TRUE(tree_votes_normal(t, &a));
  EXPECT_FALSE(tree_votes_normal(t, &b));
}

TEST(Cart, ChildrenAreAdjacentAndAfterTheirParent) {
  Rng rng(3);
  std::vector<float> x(600 * 3);
  std::vector<uint8_t> y(600);
  for (size_t i = 0; i < 600; ++i) {
    for (int f = 0; f < 3; ++f) x[i * 3 + f] = float(rng.uniform());
    y[i] = (x[i * 3] + x[i * 3 + 1] > 1.0f) ^ (rng.uniform() < 0.1);
  }
  CartParams p;
  p.min_leaf = 2;
  const Tree t = grow_tree(x.data(), 3, y.data(), all_rows(600), {0, 1, 2}, p);
  ASSERT_GT(t.size(), 20u);
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.leaf(i)) continue;
    EXPECT_GT(size_t(t.left[i]), i);
    EXPECT_EQ(t.n[i], t.n[size_t(t.left[i])] + t.n[size_t(t.left[i]) + 1]);
    EXPECT_EQ(t.n_faulty[i], t.n_faulty[size_t(t.left[i])] + t.n_faulty[size_t(t.left[i]) + 1]);
  }
}

// Weakest link on a tree built by hand. Root: 100 windows, 40 faulty.
//   node 1 (60, 10): children 3 (30, 0), 4 (30, 10)
//   node 2 (40, 30): children 5 (20, 20), 6 (20, 10)
// R (errors / 100): root .40; 1: .10; 2: .10; 3: 0; 4: .10; 5: 0; 6: .10.
// g(1) = (.10 - .10) / 1 = 0 and g(2) = (.10 - .10) / 1 = 0: both collapse at
// alpha 0 (their splits change no vote). Then g(root) = (.40 - .20) / 1 = .20.
Tree hand_tree() {
  Tree t;
  t.feature = {0, 0, 0, -1, -1, -1, -1};
  t.threshold = {0, 0, 0, 0, 0, 0, 0};
  t.left = {1, 3, 5, -1, -1, -1, -1};
  t.n = {100, 60, 40, 30, 30, 20, 20};
  t.n_faulty = {40, 10, 30, 0, 10, 20, 10};
  return t;
}

TEST(Pruning, WeakestLinkByHand) {
  Tree t = hand_tree();
  const std::vector<double> a = compute_pruning(&t);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], 0);
  EXPECT_NEAR(a[1], 0.20, 1e-12);
  EXPECT_EQ(t.collapse_alpha[1], 0);
  EXPECT_EQ(t.collapse_alpha[2], 0);
  EXPECT_NEAR(t.collapse_alpha[0], 0.20, 1e-12);
  EXPECT_EQ(prune_tree(t, 0).size(), 3u);
  EXPECT_EQ(prune_tree(t, 0.19).size(), 3u);
  EXPECT_EQ(prune_tree(t, 0.20).size(), 1u);
}

// Every pruned subtree of t rooted at i: (errors as R, leaves).
void enumerate(const Tree& t, size_t i, std::vector<std::pair<double, size_t>>* out) {
  const double r = double(std::min(t.n_faulty[i], t.n[i] - t.n_faulty[i])) / t.n[0];
  out->push_back({r, 1});
  if (t.leaf(i)) return;
  std::vector<std::pair<double, size_t>> l, rr;
  enumerate(t, size_t(t.left[i]), &l);
  enumerate(t, size_t(t.left[i]) + 1, &rr);
  for (auto& a : l)
    for (auto& b : rr) out->push_back({a.first + b.first, a.second + b.second});
}

TEST(Pruning, MatchesBruteForceOverAllSubtrees) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Rng rng(seed);
    const size_t n = 300;
    std::vector<float> x(n * 2);
    std::vector<uint8_t> y(n);
    for (size_t i = 0; i < n; ++i) {
      x[i * 2] = float(rng.uniform());
      x[i * 2 + 1] = float(rng.uniform());
      y[i] = (x[i * 2] > 0.6f) ^ (rng.uniform() < 0.25);
    }
    CartParams p;
    p.max_depth = 4;  // at most 15 internal nodes: the subtrees can be listed
    p.min_leaf = 3;
    Tree t = grow_tree(x.data(), 2, y.data(), all_rows(n), {0, 1}, p);
    const std::vector<double> alphas = compute_pruning(&t);
    std::vector<std::pair<double, size_t>> subtrees;
    enumerate(t, 0, &subtrees);
    for (size_t k = 0; k < alphas.size(); ++k) {
      for (double alpha :
           {alphas[k], k + 1 < alphas.size() ? (alphas[k] + alphas[k + 1]) / 2 : alphas[k] * 2}) {
        double best = std::numeric_limits<double>::infinity();
        for (auto& s : subtrees) best = std::min(best, s.first + alpha * double(s.second));
        size_t smallest = SIZE_MAX;
        for (auto& s : subtrees)
          if (s.first + alpha * double(s.second) <= best + 1e-12) smallest = std::min(smallest, s.second);
        const Tree pr = prune_tree(t, alpha);
        double r = 0;
        for (size_t i = 0; i < pr.size(); ++i)
          if (pr.leaf(i)) r += double(std::min(pr.n_faulty[i], pr.n[i] - pr.n_faulty[i])) / t.n[0];
        EXPECT_NEAR(r + alpha * double(pr.leaves()), best, 1e-12) << "seed " << seed << " alpha " << alpha;
        EXPECT_EQ(pr.leaves(), smallest) << "seed " << seed << " alpha " << alpha;
      }
    }
    EXPECT_EQ(prune_tree(t, alphas.back()).size(), 1u);
    for (size_t k = 1; k < alphas.size(); ++k) EXPECT_GT(alphas[k], alphas[k - 1]);
    // pruned_leaf walks the same subtree as prune_tree builds.
    for (size_t i = 0; i < n; ++i) {
      const double alpha = alphas[alphas.size() / 2];
      const Tree pr = prune_tree(t, alpha);
      EXPECT_EQ(t.votes_normal(pruned_leaf(t, &x[i * 2], alpha)), tree_votes_normal(pr, &x[i * 2]));
    }
  }
}

}  // namespace
}  // namespace vt
