// Bench support: a long realistic trace made of N back-to-back copies of a
// real one, each copy's TSCs shifted past the previous copy's last TSC, so
// the per-CPU streams stay ordered and every vCPU keeps its behaviour.
#pragma once

#include <cstdint>
#include <vector>

namespace vt::bench {

// Returns the image, or an empty vector if `file` is not a clean trace.
std::vector<uint8_t> replicate_trace(const uint8_t* file, uint64_t size, uint32_t copies,
                                     uint64_t* records_per_copy);

}  // namespace vt::bench
