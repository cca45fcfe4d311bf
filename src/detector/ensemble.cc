#include "src/detector/ensemble.h"

#include <limits>

namespace vt {

FlatEnsemble compile(const Model& m) {
  FlatEnsemble e;
  const float inf = std::numeric_limits<float>::infinity();
  for (const ModelTree& t : m.trees) {
    const uint32_t base = uint32_t(e.feature.size());
    e.root.push_back(base);
    e.depth.push_back(uint32_t(model_tree_depth(t)));
    // Breadth-first renumbering with adjacent children.
    std::vector<uint32_t> queue{0};
    std::vector<uint32_t> flat_of{base};  // flat index of queue[k]
    size_t next = 1;
    e.feature.push_back(0), e.threshold.push_back(inf), e.child.push_back(base), e.vote.push_back(0);
    for (size_t k = 0; k < queue.size(); ++k) {
      const uint32_t src = queue[k];
      const uint32_t dst = flat_of[k];
      e.vote[dst] = t.value[src] >= 0.5;
      if (t.left[src] < 0) continue;  // leaf: itself, +inf, already set
      const uint32_t l = base + uint32_t(next);
      next += 2;
      e.feature[dst] = uint32_t(m.feature_ids[size_t(t.feature[src])]);
      e.threshold[dst] = t.threshold[src];
      e.child[dst] = l;
      for (int side = 0; side < 2; ++side) {
        queue.push_back(uint32_t(side ? t.right[src] : t.left[src]));
        flat_of.push_back(l + uint32_t(side));
        e.feature.push_back(0), e.threshold.push_back(inf), e.child.push_back(l + uint32_t(side)),
            e.vote.push_back(0);
      }
    }
  }
  return e;
}

void score_batch(const FlatEnsemble& e, const float* x, size_t stride, size_t n, double* scores,
                 uint16_t* votes) {
  for (size_t d = 0; d < n; ++d) votes[d] = 0;
  const uint32_t* feature = e.feature.data();
  const float* threshold = e.threshold.data();
  const uint32_t* child = e.child.data();
  const uint8_t* vote = e.vote.data();
  constexpr size_t kBlock = 16;
  for (size_t ti = 0; ti < e.trees(); ++ti) {
    const uint32_t root = e.root[ti], depth = e.depth[ti];
    size_t d0 = 0;
    for (; d0 + kBlock <= n; d0 += kBlock) {
      uint32_t node[kBlock];
      for (size_t j = 0; j < kBlock; ++j) node[j] = root;
      for (uint32_t s = 0; s < depth; ++s)
        for (size_t j = 0; j < kBlock; ++j) {
          const uint32_t k = node[j];
          node[j] = child[k] + (x[size_t(feature[k]) * stride + d0 + j] > threshold[k]);
        }
      for (size_t j = 0; j < kBlock; ++j) votes[d0 + j] += vote[node[j]];
    }
    for (size_t d = d0; d < n; ++d) {
      uint32_t k = root;
      for (uint32_t s = 0; s < depth; ++s) k = child[k] + (x[size_t(feature[k]) * stride + d] > threshold[k]);
      votes[d] += vote[k];
    }
  }
  // votes / trees, divided (not multiplied by a reciprocal) so that a score
  // equals the same fraction computed anywhere else.
  const double trees = double(e.trees() ? e.trees() : 1);
  for (size_t d = 0; d < n; ++d) scores[d] = double(votes[d]) / trees;
}

double model_score(const Model& m, const float* xrow) {
  size_t normal = 0;
  for (const ModelTree& t : m.trees) {
    size_t i = 0;
    while (t.left[i] >= 0) {
      const float v = xrow[m.feature_ids[size_t(t.feature[i])]];
      i = size_t(v <= t.threshold[i] ? t.left[i] : t.right[i]);
    }
    normal += t.value[i] >= 0.5;
  }
  return m.trees.empty() ? 0.0 : double(normal) / double(m.trees.size());
}

}  // namespace vt
