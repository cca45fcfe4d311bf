// `vtrace explain`: a model's trees as nested threshold tests with feature
// names, in the manner of Vigilant's Fig. 3:
//
//   tree 0: 7 nodes, depth 2
//   if hypercalls_per_s <= 12.5
//   |  if running_frac <= 0.41
//   |  |  normal (0.97 of 130 windows normal)
//   |  else
//   |  |  FAULTY (0.02 of 540 windows normal)
//   else
//   |  normal (1.00 of 4000 windows normal)
//
// A leaf says its vote (normal iff value >= 0.5), its value and, when the
// model records it, the number of training windows that reached it.
#pragma once

#include <string>

#include "src/detector/model.h"

namespace vt {

std::string explain_tree(const Model& m, size_t tree);
// The header block: features, window, threshold, strikes, training metadata.
std::string explain_header(const Model& m);

}  // namespace vt
