// Deterministic random numbers for training (partitions, folds): splitmix64,
// our own, so that a seed gives the same model with any standard library
// (std:: distributions are implementation-defined). Not for cryptography.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace vt {

struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed) {}

  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (multiply-high; the bias is below 2^-32 for n < 2^32).
  uint64_t below(uint64_t n) { return uint64_t((unsigned __int128)next() * n >> 64); }
  // Uniform in [0, 1), 53 bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }

  // Fisher-Yates.
  template <class T>
  void shuffle(std::vector<T>* v) {
    for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[below(i)]);
  }
};

}  // namespace vt
