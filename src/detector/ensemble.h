// Batch evaluation of a tree ensemble over many domains at once: the
// runtime's inner loop.
//
// compile() lays every tree of a validated Model out in three contiguous
// arrays (structure of arrays: feature, threshold, child), breadth-first
// with the two children of a node adjacent, so a step is
//     node = child[node] + (x[feature[node]] > threshold[node])
// with no branch and no pointer. A leaf points at itself with threshold
// +inf, so each tree runs a fixed number of steps (its depth) for every
// domain, and blocks of 16 domains are interleaved so that their loads
// overlap. (Measured alternatives — stopping a block early once all its
// domains are on leaves, a domain-major copy of each block, 8-byte packed
// nodes — were all slower; docs/benchmarks.md.)
// Feature indices are rewritten to the build's feature ids, so the input is
// the full feature matrix whatever subset or order the model lists.
//
// score_batch() reads x in feature-major layout (x[f * stride + d], d < n)
// and writes for each domain the fraction of trees voting normal (votes /
// trees in double, the same value model_score and training compute). No
// allocation: the caller owns every buffer. Features must be finite
// (features.h guarantees it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "src/detector/model.h"

namespace vt {

struct FlatEnsemble {
  std::vector<uint32_t> feature;  // build feature id (0 for a leaf)
  std::vector<float> threshold;   // +inf for a leaf
  std::vector<uint32_t> child;    // left child (right = left + 1); a leaf: itself
  std::vector<uint8_t> vote;      // 1 if the node votes normal (meaningful at leaves)
  std::vector<uint32_t> root;     // per tree
  std::vector<uint32_t> depth;    // per tree: steps to reach any leaf
  size_t trees() const { return root.size(); }
};

FlatEnsemble compile(const Model& m);

// votes: scratch of at least n entries.
void score_batch(const FlatEnsemble& e, const float* x, size_t stride, size_t n, double* scores,
                 uint16_t* votes);

// One window, features in build order (kNumFeatures values): reference
// walk of the Model's own arrays, for tests and the offline path.
double model_score(const Model& m, const float* xrow);

}  // namespace vt
