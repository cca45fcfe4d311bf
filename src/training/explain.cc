#include "src/training/explain.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

namespace vt {

std::string explain_tree(const Model& m, size_t tree) {
  const ModelTree& t = m.trees[tree];
  size_t leaves = 0;
  for (int32_t l : t.left) leaves += l < 0;
  std::string s = "tree " + std::to_string(tree) + ": " + std::to_string(t.size()) + " nodes, " +
                  std::to_string(leaves) + " leaves, depth " + std::to_string(model_tree_depth(t)) + "\n";
  // Iterative depth-first walk: (node, depth, phase) with phase 0 = the
  // test or leaf line, 1 = the "else" line before the right subtree.
  struct Item {
    int32_t node;
    int depth;
    bool else_line;
  };
  std::vector<Item> stack{{0, 0, false}};
  char b[256];
  while (!stack.empty()) {
    const Item it = stack.back();
    stack.pop_back();
    std::string indent;
    for (int k = 0; k < it.depth; ++k) indent += "|  ";
    const size_t i = size_t(it.node);
    if (it.else_line) {
      s += indent + "else\n";
      continue;
    }
    if (t.left[i] < 0) {
      const bool normal = t.value[i] >= 0.5;
      if (t.samples.empty())
        std::snprintf(b, sizeof b, "%s (%.2f of windows normal)\n", normal ? "normal" : "FAULTY", t.value[i]);
      else
        std::snprintf(b, sizeof b, "%s (%.2f of %u windows normal)\n", normal ? "normal" : "FAULTY",
                      t.value[i], t.samples[i]);
      s += indent + b;
      continue;
    }
    std::snprintf(b, sizeof b, "if %s <= %.6g\n", m.features[size_t(t.feature[i])].c_str(),
                  double(t.threshold[i]));
    s += indent + b;
    stack.push_back({t.right[i], it.depth + 1, false});
    stack.push_back({t.right[i], it.depth, true});
    stack.push_back({t.left[i], it.depth + 1, false});
  }
  return s;
}

std::string explain_header(const Model& m) {
  char b[256];
  std::string s = "features (" + std::to_string(m.features.size()) + "):";
  for (const std::string& f : m.features) s += " " + f;
  s += "\n";
  std::snprintf(b, sizeof b,
                "window %d s, warm-up %d s; %zu trees; a second is faulty iff the fraction of trees voting "
                "normal <= %.6g; %d strikes\n",
                m.window.window, m.window.warmup, m.trees.size(), m.threshold, m.strikes);
  s += b;
  s += "training: " + nlohmann::json::parse(m.training_json).dump(2) + "\n";
  return s;
}

}  // namespace vt
