#include "src/training/train.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "src/detector/ensemble.h"
#include "src/training/rng.h"
#include "src/training/roc.h"

namespace vt {

namespace {

struct PruneName {
  PruneRule rule;
  const char* name;
};
constexpr PruneName kPruneNames[] = {
    {PruneRule::kCv, "cv"}, {PruneRule::kTrain, "train"}, {PruneRule::kNone, "none"}};
// Scores the threshold rule reads, by TrainParams::threshold_on_oob.
constexpr const char* kBasisNames[] = {"train", "oob"};

}  // namespace

Status parse_prune_rule(const std::string& s, PruneRule* out) {
  std::string names;
  for (const PruneName& p : kPruneNames) {
    if (s == p.name) {
      *out = p.rule;
      return Status::Ok();
    }
    names += std::string(names.empty() ? "" : ", ") + p.name;
  }
  return Status::InvalidArgument("'" + s + "' is not one of " + names);
}

const char* prune_rule_name(PruneRule r) {
  for (const PruneName& p : kPruneNames)
    if (p.rule == r) return p.name;
  return "?";
}

Status parse_threshold_rule(const std::string& s, ThresholdRule* rule, double* fpr) {
  if (s == "miss-none") {
    *rule = ThresholdRule::kMissNone;
    return Status::Ok();
  }
  if (s.rfind("fpr:", 0) == 0) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str() + 4, &end);
    if (end != s.c_str() + 4 && *end == 0 && v >= 0 && v <= 1) {
      *rule = ThresholdRule::kFpr;
      *fpr = v;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("'" + s + "' is not miss-none or fpr:X with X in [0, 1]");
}

std::string threshold_rule_name(ThresholdRule rule, double fpr) {
  if (rule == ThresholdRule::kMissNone) return "miss-none";
  char b[64];
  std::snprintf(b, sizeof b, "fpr:%g", fpr);
  return b;
}

Status parse_threshold_basis(const std::string& s, bool* on_oob) {
  for (bool oob : {false, true}) {
    if (s == kBasisNames[oob]) {
      *on_oob = oob;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("'" + s + "' is not one of " + kBasisNames[0] + ", " + kBasisNames[1]);
}

const char* threshold_basis_name(bool on_oob) { return kBasisNames[on_oob]; }

namespace {

using json = nlohmann::json;

ModelTree to_model_tree(const Tree& t, const std::vector<int>& model_index_of) {
  ModelTree m;
  const size_t n = t.size();
  m.feature.resize(n);
  m.threshold.resize(n);
  m.left.resize(n);
  m.right.resize(n);
  m.value.resize(n);
  m.samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const bool leaf = t.leaf(i);
    m.feature[i] = leaf ? -1 : model_index_of[size_t(t.feature[i])];
    m.threshold[i] = leaf ? 0.0f : t.threshold[i];
    m.left[i] = leaf ? -1 : t.left[i];
    m.right[i] = leaf ? -1 : t.left[i] + 1;
    m.value[i] = t.normal_fraction(i);
    m.samples[i] = t.n[i];
  }
  return m;
}

// Pruning alpha for one tree by k-fold cross-validation over experiments.
double cv_alpha(const Examples& ex, const std::vector<uint32_t>& exp_of, const std::vector<uint32_t>& rows,
                const std::vector<int>& features, const TrainParams& p, Tree* full, Rng* rng) {
  const std::vector<double> alphas = compute_pruning(full);
  if (alphas.size() < 2) return 0.0;
  std::vector<double> beta(alphas.size());
  for (size_t k = 0; k < alphas.size(); ++k)
    beta[k] = k + 1 < alphas.size() ? std::sqrt(alphas[k] * alphas[k + 1]) : alphas[k];
  std::vector<uint32_t> exps;
  for (uint32_t r : rows) exps.push_back(exp_of[r]);
  std::sort(exps.begin(), exps.end());
  exps.erase(std::unique(exps.begin(), exps.end()), exps.end());
  const size_t k_folds = std::min<size_t>(size_t(p.folds), exps.size());
  if (k_folds < 2) return 0.0;
  rng->shuffle(&exps);
  std::map<uint32_t, size_t> fold_of;
  for (size_t i = 0; i < exps.size(); ++i) fold_of[exps[i]] = i % k_folds;
  std::vector<uint64_t> errors(beta.size(), 0);
  std::vector<uint32_t> in, out;
  for (size_t fold = 0; fold < k_folds; ++fold) {
    in.clear();
    out.clear();
    for (uint32_t r : rows) (fold_of[exp_of[r]] == fold ? out : in).push_back(r);
    Tree t = grow_tree(ex.x.data(), kNumFeatures, ex.y.data(), in, features, p.cart);
    compute_pruning(&t);
    for (uint32_t r : out)
      for (size_t k = 0; k < beta.size(); ++k) {
        const size_t leaf = pruned_leaf(t, ex.row(r), beta[k]);
        errors[k] += t.votes_normal(leaf) == bool(ex.y[r]);
      }
  }
  size_t best = 0;
  for (size_t k = 1; k < beta.size(); ++k)
    if (errors[k] <= errors[best]) best = k;  // ties: the simpler tree
  return beta[best];
}

}  // namespace

Status train_model(const Dataset& d, const std::vector<uint32_t>& runs, const TrainParams& p,
                   const std::string& metadata, Model* out, TrainSummary* s, const Progress& progress) {
  *s = TrainSummary();
  std::vector<uint8_t> use_run(d.runs.size(), runs.empty() ? 1 : 0);
  for (uint32_t r : runs) use_run[r] = 1;
  Examples all;
  make_examples(d, p.window, &all);
  // Keep the selected runs' windows (and drop transition windows).
  Examples ex;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!use_run[all.run[i]]) continue;
    if (all.transition[i] && !p.keep_transition) {
      ++s->transition_left_out;
      continue;
    }
    ex.x.insert(ex.x.end(), all.row(i), all.row(i) + kNumFeatures);
    ex.y.push_back(all.y[i]);
    ex.transition.push_back(all.transition[i]);
    ex.run.push_back(all.run[i]);
    ex.t.push_back(all.t[i]);
  }
  const size_t n = ex.size();
  s->windows = n;
  for (uint8_t y : ex.y) s->faulty += y;
  if (s->faulty == 0 || s->faulty == n)
    return Status::Corruption(
        s->faulty == 0 ? "the training data has no faulty windows: nothing to learn (label some faults)"
                       : "the training data has no normal windows");
  std::vector<int> features = p.features;
  if (features.empty())
    for (int f = 0; f < kNumFeatures; ++f) features.push_back(f);
  std::vector<int> model_index_of(kNumFeatures, -1);
  for (size_t i = 0; i < features.size(); ++i) model_index_of[size_t(features[i])] = int(i);

  std::vector<uint32_t> exp_of(n);
  std::vector<uint32_t> exps;
  for (size_t i = 0; i < n; ++i) exp_of[i] = d.runs[ex.run[i]].exp, exps.push_back(exp_of[i]);
  std::sort(exps.begin(), exps.end());
  exps.erase(std::unique(exps.begin(), exps.end()), exps.end());
  const size_t n_exp = exps.size();
  size_t n_train = size_t(std::lround(p.train_fraction * double(n_exp)));
  n_train = std::clamp<size_t>(n_train, 1, n_exp >= 2 ? n_exp - 1 : 1);

  Rng rng(p.seed);
  Model m;
  for (int f : features) m.features.push_back(feature_info(f).name);
  m.window = p.window;
  m.strikes = p.strikes;
  // The guest types the model will judge: those of the runs it learns from.
  m.guest_types.clear();
  std::vector<uint8_t> has_type(kNumGuestTypes, 0);
  for (size_t r = 0; r < d.runs.size(); ++r)
    if (use_run[r]) has_type[size_t(run_guest_type(d.runs[r]))] = 1;
  for (GuestType t : {GuestType::kPv, GuestType::kHvm})
    if (has_type[size_t(t)]) m.guest_types.push_back(t);
  if (m.guest_types.empty())
    return Status::Corruption(
        "no training run's guest type is known (no PV or HVM records: was the trace's event mask "
        "narrower than the scheduler, PV and HVM classes?)");
  std::vector<uint32_t> oob_votes(n, 0), oob_trees(n, 0);
  std::vector<uint8_t> in_train(d.experiments.size(), 0);
  std::vector<uint32_t> rows;
  double leaves = 0, depth = 0;
  for (int ti = 0; ti < p.trees; ++ti) {
    std::vector<uint32_t> order = exps;
    rng.shuffle(&order);
    std::fill(in_train.begin(), in_train.end(), 0);
    for (size_t k = 0; k < n_train; ++k) in_train[order[k]] = 1;
    rows.clear();
    for (uint32_t i = 0; i < n; ++i)
      if (in_train[exp_of[i]] || n_exp < 2) rows.push_back(i);
    Tree full = grow_tree(ex.x.data(), kNumFeatures, ex.y.data(), rows, features, p.cart);
    Tree t;
    double alpha = 0;
    switch (p.prune) {
      case PruneRule::kNone: t = full; break;
      case PruneRule::kTrain:
        compute_pruning(&full);
        t = prune_tree(full, 0.0);
        break;
      case PruneRule::kCv:
        alpha = cv_alpha(ex, exp_of, rows, features, p, &full, &rng);
        t = prune_tree(full, alpha);
        break;
    }
    s->alphas.push_back(alpha);
    leaves += double(t.leaves());
    depth += t.depth();
    if (n_exp >= 2)
      for (uint32_t i = 0; i < n; ++i)
        if (!in_train[exp_of[i]]) ++oob_trees[i], oob_votes[i] += tree_votes_normal(t, ex.row(i));
    m.trees.push_back(to_model_tree(t, model_index_of));
    if (progress) progress(ti + 1, p.trees);
  }
  s->mean_leaves = leaves / p.trees;
  s->mean_depth = depth / p.trees;
  m.threshold = 0;  // set below; validate first so feature_ids exist for scoring
  if (Status st = validate_model(&m); !st.ok()) return st;
  // Scores of the training windows: the whole ensemble's (the paper's
  // "training data"), and out-of-bag (only the trees that held the window's
  // experiment out; the whole ensemble's where none did), an honest estimate.
  std::vector<double> score(n), oob(n);
  for (size_t i = 0; i < n; ++i) {
    score[i] = model_score(m, ex.row(i));
    if (oob_trees[i]) {
      oob[i] = double(oob_votes[i]) / double(oob_trees[i]);
    } else {
      ++s->oob_missing;
      oob[i] = score[i];
    }
  }
  const std::vector<double>& basis = p.threshold_on_oob ? oob : score;
  std::vector<double> faulty_scores, normal_scores;
  for (size_t i = 0; i < n; ++i) (ex.y[i] ? faulty_scores : normal_scores).push_back(basis[i]);
  if (p.rule == ThresholdRule::kMissNone) {
    m.threshold = *std::max_element(faulty_scores.begin(), faulty_scores.end());
  } else {
    // Largest candidate h (a score value, or -1 for "never") with
    // #(normal <= h) / #normal <= target.
    std::sort(normal_scores.begin(), normal_scores.end());
    std::vector<double> cand = basis;
    std::sort(cand.begin(), cand.end());
    cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
    m.threshold = -1;
    for (double h : cand) {
      const size_t fp =
          size_t(std::upper_bound(normal_scores.begin(), normal_scores.end(), h) - normal_scores.begin());
      if (double(fp) <= p.target_fpr * double(normal_scores.size())) m.threshold = h;
    }
  }
  const Confusion c = confusion_at(score, ex.y, m.threshold);
  const Confusion co = confusion_at(oob, ex.y, m.threshold);
  s->threshold = m.threshold;
  s->train_auc = roc_curve(score, ex.y).auc;
  s->train_tpr = c.tpr();
  s->train_fpr = c.fpr();
  s->oob_auc = roc_curve(oob, ex.y).auc;
  s->oob_tpr = co.tpr();
  s->oob_fpr = co.fpr();

  json meta = json::object();
  std::map<std::string, size_t> origins, workloads;
  std::vector<uint8_t> exp_used(d.experiments.size(), 0);
  size_t n_runs = 0, faulty_runs = 0;
  for (size_t r = 0; r < d.runs.size(); ++r) {
    if (!use_run[r]) continue;
    ++n_runs;
    faulty_runs += d.runs[r].label.faulty();
    ++origins[d.runs[r].label.origin.empty() ? "unspecified" : d.runs[r].label.origin];
    ++workloads[d.runs[r].label.workload];
  }
  bool synthetic_only = origins.size() == 1 && origins.count("synthetic");
  meta["synthetic_only"] = synthetic_only;
  if (synthetic_only)
    meta["warning"] =
        "trained on synthetic per-second rows (tools/detector/synth-dataset), not on traces of real "
        "failures: a placeholder until lab data exists";
  meta["origins"] = origins;
  meta["workloads"] = workloads;
  meta["runs"] = n_runs;
  meta["faulty_runs"] = faulty_runs;
  meta["experiments"] = n_exp;
  meta["windows"] = n;
  meta["faulty_windows"] = s->faulty;
  meta["transition_windows_left_out"] = s->transition_left_out;
  meta["params"] = {{"trees", p.trees},
                    {"seed", p.seed},
                    {"train_fraction", p.train_fraction},
                    {"max_depth", p.cart.max_depth},
                    {"min_leaf", p.cart.min_leaf},
                    {"prune", prune_rule_name(p.prune)},
                    {"folds", p.folds},
                    {"threshold_rule", p.rule == ThresholdRule::kMissNone ? "miss-none" : "fpr"},
                    {"target_fpr", p.target_fpr},
                    {"threshold_on", threshold_basis_name(p.threshold_on_oob)},
                    {"keep_transition", p.keep_transition}};
  meta["training_fit"] = {{"auc", s->train_auc}, {"tpr", s->train_tpr}, {"fpr", s->train_fpr}};
  meta["out_of_bag"] = {{"auc", s->oob_auc},
                        {"tpr", s->oob_tpr},
                        {"fpr", s->oob_fpr},
                        {"windows_without_oob_trees", s->oob_missing}};
  meta["mean_leaves"] = s->mean_leaves;
  meta["mean_depth"] = s->mean_depth;
  if (!metadata.empty()) {
    json extra = json::parse(metadata, nullptr, false);
    if (extra.is_object())
      for (auto it = extra.begin(); it != extra.end(); ++it) meta[it.key()] = it.value();
  }
  m.training_json = meta.dump();
  if (Status st = validate_model(&m); !st.ok()) return st;
  *out = std::move(m);
  return Status::Ok();
}

}  // namespace vt
