// Training the ensemble (docs/detector.md), after Vigilant:
//  * examples: the judged windows of every run (dataset.h), transition
//    windows left out unless keep_transition;
//  * `trees` trees (default 50); tree i draws its own random partition of
//    the experiments (rows of one experiment never straddle): a fraction
//    `train_fraction` (default 2/3, at least one experiment each side when
//    there are two or more) to grow and prune the tree on, the rest held out;
//  * each tree: CART (cart.h), pruned by `prune`:
//      cv    (default) the alpha of the weakest-link sequence with the fewest
//            misclassified windows under k-fold cross-validation by
//            experiment inside the tree's training part (Breiman's
//            geometric-mean alphas; ties go to the simpler tree);
//      train the paper's rule: best training accuracy, i.e. the smallest
//            subtree with the unpruned tree's training accuracy (alpha 0);
//      none  the grown tree;
//  * threshold (faulty iff score <= threshold), on the whole ensemble's
//    scores of the training windows:
//      miss-none (default, the paper's) the lowest threshold that misses no
//            faulty training window = the largest faulty window's score;
//      fpr:X the largest threshold (a training score, or -1) whose training
//            false-positive rate is <= X;
//  * reported, not used: the out-of-bag score of a training window, the
//    fraction of the trees that held its experiment out voting normal (the
//    whole ensemble's where none did): an honest estimate of AUC, TPR, FPR;
//  * seeded and deterministic: same data, parameters and seed, same model,
//    byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/detector/model.h"
#include "src/training/cart.h"
#include "src/training/dataset.h"
#include "src/util/status.h"

namespace vt {

enum class PruneRule { kCv, kTrain, kNone };
enum class ThresholdRule { kMissNone, kFpr };

struct TrainParams {
  int trees = 50;
  double train_fraction = 2.0 / 3.0;
  CartParams cart;
  PruneRule prune = PruneRule::kCv;
  int folds = 5;
  uint64_t seed = 1;
  ThresholdRule rule = ThresholdRule::kMissNone;
  double target_fpr = 0.01;
  // Scores the threshold rule reads: the whole ensemble's on its own
  // training windows (the paper's), or out-of-bag ones, which do not
  // flatter a small noisy data set.
  bool threshold_on_oob = false;
  int strikes = 3;  // 1..kMaxStrikes
  WindowConfig window;
  bool keep_transition = false;
  std::vector<int> features;  // build feature ids; empty: all
};

// The rules by name: "cv", "train", "none"; "miss-none", "fpr:X" (X in
// [0, 1]); "train", "oob". A bad name is kInvalidArgument naming it and the
// choices.
Status parse_prune_rule(const std::string& s, PruneRule* out);
const char* prune_rule_name(PruneRule r);
Status parse_threshold_rule(const std::string& s, ThresholdRule* rule, double* fpr);
// "miss-none", or "fpr:X" with X as %g.
std::string threshold_rule_name(ThresholdRule rule, double fpr);
Status parse_threshold_basis(const std::string& s, bool* on_oob);
const char* threshold_basis_name(bool on_oob);

struct TrainSummary {
  size_t windows = 0, faulty = 0, transition_left_out = 0;
  size_t oob_missing = 0;  // windows no tree held out
  double threshold = 0;
  double train_auc = 0, train_tpr = 0, train_fpr = 0;  // whole ensemble on the training windows
  double oob_auc = 0, oob_tpr = 0, oob_fpr = 0;        // out of bag, at the same threshold
  double mean_leaves = 0, mean_depth = 0;
  std::vector<double> alphas;  // chosen per tree
};

using Progress = std::function<void(int done, int total)>;

// Trains on the runs of `d` whose index is in `runs` (all when empty).
// `metadata` is merged into the model's training block (JSON object text).
// kCorruption when the windows cannot train a model (no faulty or no
// normal window).
Status train_model(const Dataset& d, const std::vector<uint32_t>& runs, const TrainParams& p,
                   const std::string& metadata, Model* out, TrainSummary* s,
                   const Progress& progress = nullptr);

}  // namespace vt
