// CART classification trees (Breiman et al. 1984) for the detector: binary
// splits "x[f] <= threshold" chosen by Gini impurity, grown to a maximum
// depth with a minimum number of windows per leaf, then minimal
// cost-complexity pruning.
//
// Conventions (docs/detector.md; chosen to match scikit-learn's
// DecisionTreeClassifier where it has one, so the two can be cross-checked):
//  * class 1 = faulty, 0 = normal; a node votes normal iff at least half of
//    its training windows are normal (an even split votes normal, as
//    sklearn's argmax picks the first class).
//  * a node is a leaf when it is pure, when depth == max_depth (root depth
//    0), when it has fewer than 2 * min_leaf windows, or when no split leaves
//    min_leaf windows on each side between two distinct values. Otherwise it
//    is split, even with zero gain.
//  * the split minimises n_left * gini_left + n_right * gini_right over all
//    allowed features and every cut between two consecutive distinct values;
//    among equal scores the first found wins (features in the order given,
//    cuts in increasing value). sklearn breaks such ties at random.
//  * the threshold is the largest float <= the midpoint (in double) of the
//    two values: for float inputs "x <= threshold" then decides exactly as
//    sklearn's double midpoint does.
//  * pruning: R(t) = misclassified training windows at t / windows at the
//    root; the weakest-link sequence gives each internal node the alpha at
//    which it collapses; the subtree for alpha keeps the nodes whose
//    collapse alpha is above alpha (the smallest minimiser of
//    R(T) + alpha * leaves(T)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vt {

struct CartParams {
  int max_depth = 12;  // 1..30
  int min_leaf = 5;    // >= 1
};

// Flattened tree. Node 0 is the root; children come after their parent and
// are adjacent (right = left + 1).
struct Tree {
  std::vector<int32_t> feature;        // column of x; -1 for a leaf
  std::vector<float> threshold;        // go left iff x[feature] <= threshold
  std::vector<int32_t> left;           // -1 for a leaf
  std::vector<uint32_t> n;             // training windows reaching the node
  std::vector<uint32_t> n_faulty;      // faulty ones among them
  std::vector<double> collapse_alpha;  // weakest-link alpha (filled by compute_pruning)

  size_t size() const { return feature.size(); }
  bool leaf(size_t i) const { return left[i] < 0; }
  int32_t right(size_t i) const { return left[i] < 0 ? -1 : left[i] + 1; }
  double normal_fraction(size_t i) const { return n[i] ? double(n[i] - n_faulty[i]) / n[i] : 1.0; }
  bool votes_normal(size_t i) const { return 2 * uint64_t(n_faulty[i]) <= n[i]; }
  int depth() const;
  size_t leaves() const;
};

// Grows a tree on rows `rows` of the row-major matrix x (stride columns per
// row), labels y (1 = faulty), using only the columns in `features`.
Tree grow_tree(const float* x, int stride, const uint8_t* y, const std::vector<uint32_t>& rows,
               const std::vector<int>& features, const CartParams& p);

// The leaf a row reaches.
size_t tree_leaf(const Tree& t, const float* xrow);
inline bool tree_votes_normal(const Tree& t, const float* xrow) { return t.votes_normal(tree_leaf(t, xrow)); }

// Fills collapse_alpha and returns the weakest-link sequence
// 0 = alpha_0 < alpha_1 < ... < alpha_K (alpha_K collapses the root).
std::vector<double> compute_pruning(Tree* t);
// The leaf a row reaches in the subtree for `alpha` (compute_pruning first).
size_t pruned_leaf(const Tree& t, const float* xrow, double alpha);
// The subtree for alpha, renumbered (compute_pruning first).
Tree prune_tree(const Tree& t, double alpha);

}  // namespace vt
