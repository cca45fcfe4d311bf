// Detector model files (docs/detector.md): a versioned JSON document with
// the feature names, the window rules, the vote threshold, the strike count,
// every tree as flattened arrays (feature index, threshold, left, right,
// leaf value) and the training metadata.
//
// The loader trusts nothing: it checks the format tag and version, that the
// feature names are unique and known to this build (mapping them to the
// build's feature ids), that every array has the tree's size, that indices
// are in range and children come after their parent with exactly one parent
// each (so there is no cycle and no sharing), that thresholds and values
// are finite (values in [0, 1]), depths at most kMaxModelDepth, and the
// limits on counts. A bad file is kCorruption with one line "FILE: byte N:
// ..." (JSON syntax) or "FILE: trees[3].left[7]: ..." (the field at fault);
// an unreadable one kIoError naming it. It never reads out of bounds and
// never aborts.
//
// Semantics: tree node i with left[i] = -1 is a leaf; otherwise a window x
// goes to left[i] if x[features[feature[i]]] <= threshold[i], else to
// right[i]. A tree votes normal iff its leaf's value (the fraction of its
// training windows that were normal) is >= 0.5. The score is the fraction
// of trees voting normal; a judged second is faulty iff score <= threshold.
// `guest_types` lists the kinds of guest the model was trained on (pv, hvm;
// absent in a file: ["pv"], which every model before it judged): a domain
// of another type is not judged (verdict `unknown`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/detector/features.h"
#include "src/util/status.h"

namespace vt {

constexpr int kModelVersion = 1;
constexpr int kMaxModelDepth = 64;
constexpr size_t kMaxModelTrees = 10000;
constexpr size_t kMaxTreeNodes = 1u << 20;
constexpr size_t kMaxModelNodes = 1u << 24;  // all trees together (the evaluator's 32-bit indices)
constexpr int kMaxStrikes = 1000;            // strikes are 1..kMaxStrikes

struct ModelTree {
  std::vector<int32_t> feature;      // index into Model::features; -1 for a leaf
  std::vector<float> threshold;      // 0 for a leaf
  std::vector<int32_t> left, right;  // -1 for a leaf
  std::vector<double> value;         // fraction of training windows at the node that were normal
  std::vector<uint32_t> samples;     // training windows at the node (optional: empty)
  size_t size() const { return feature.size(); }
};

struct Model {
  std::vector<std::string> features;  // names, as in features.h
  std::vector<int> feature_ids;       // build feature id of each (filled by the loader)
  WindowConfig window;
  double threshold = 0.5;
  int strikes = 3;
  std::vector<GuestType> guest_types = {GuestType::kPv};  // never kUnknown; no duplicate
  std::vector<ModelTree> trees;
  std::string training_json = "{}";  // metadata object (compact JSON)
};

// Parses and validates; `name` prefixes messages.
Status parse_model(std::string_view text, const std::string& name, Model* m);
Status load_model(const std::string& path, Model* m);
// Checks a model built in memory (the trainer's output) by the loader's
// rules and fills feature_ids; kCorruption naming "model" and the field.
Status validate_model(Model* m);
std::string model_to_json(const Model& m);
// Writes through a temporary file renamed into place; kIoError naming the
// path.
Status save_model(const std::string& path, const Model& m);

// Depth of a (validated) tree, root depth 0.
int model_tree_depth(const ModelTree& t);

}  // namespace vt
