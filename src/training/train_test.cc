// Training: determinism, partitions by experiment, the threshold rules
// recomputed independently, feature subsets, and bad training data.
#include "src/training/train.h"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>

#include "src/detector/ensemble.h"
#include "src/training/rng.h"
#include "src/training/roc.h"

namespace vt {
namespace {

// A Status that should be ok, with its message when it is not.
testing::AssertionResult ok(const Status& st) {
  if (st.ok()) return testing::AssertionSuccess();
  return testing::AssertionFailure() << st.message();
}

// Experiment e: one run of `rows` seconds; faulty runs stop making
// hypercalls (and run flat out) from the onset; noise everywhere, and an
// overlap so that the problem is not trivial.
Run make_run(Rng* rng, uint32_t exp, int rows, double onset) {
  Run r;
  r.exp = exp;
  r.label.exp_id = "e" + std::to_string(exp);
  r.label.run_id = r.label.exp_id + "-d1";
  r.label.domid = 1;
  r.label.workload = exp % 2 ? "net" : "compute";
  r.label.onset_s = onset;
  for (int t = 0; t < rows; ++t) {
    SecondRow s;
    s.index = uint64_t(t);
    s.t = t;
    s.span_s = 1;
    s.domid = 1;
    s.vcpus = 1;
    const bool f = !std::isnan(onset) && t >= onset;
    s.state_s[kRunning] = f ? 0.9 + 0.1 * rng->uniform() : 0.3 + 0.7 * rng->uniform();
    s.state_s[kBlocked] = 1 - s.state_s[kRunning];
    s.n[kHypercalls] = uint64_t(f ? 40 * rng->uniform() : 20 + 300 * rng->uniform());
    s.n[kExecCount] = uint64_t(50 * rng->uniform());
    r.rows.push_back(s);
  }
  return r;
}

Dataset make_dataset(uint64_t seed, int experiments) {
  Rng rng(seed);
  Dataset d;
  for (int e = 0; e < experiments; ++e) {
    d.experiments.push_back("e" + std::to_string(e));
    const int rows = 40 + 8 * (1 << (e % 6));  // experiments of different sizes
    d.runs.push_back(make_run(&rng, uint32_t(e), rows, e % 3 == 0 ? NAN : 15.5 + e % 7));
  }
  return d;
}

TrainParams small_params() {
  TrainParams p;
  p.trees = 8;
  p.cart.max_depth = 6;
  return p;
}

TEST(Train, SameSeedSameModelOtherSeedOtherModel) {
  const Dataset d = make_dataset(1, 12);
  Model a, b, c;
  TrainSummary s;
  TrainParams p = small_params();
  ASSERT_TRUE(ok(train_model(d, {}, p, "", &a, &s)));
  ASSERT_TRUE(ok(train_model(d, {}, p, "", &b, &s)));
  EXPECT_EQ(model_to_json(a), model_to_json(b));
  p.seed = 2;
  ASSERT_TRUE(ok(train_model(d, {}, p, "", &c, &s)));
  EXPECT_NE(model_to_json(a), model_to_json(c));
  EXPECT_EQ(a.trees.size(), 8u);
  EXPECT_EQ(a.strikes, 3);
}

TEST(Train, EachTreeTrainsOnWholeExperiments) {
  const Dataset d = make_dataset(3, 6);
  // Windows each experiment contributes (transition windows left out).
  Examples ex;
  make_examples(d, WindowConfig{}, &ex);
  std::vector<uint32_t> per_exp(6, 0);
  for (size_t i = 0; i < ex.size(); ++i)
    if (!ex.transition[i]) ++per_exp[d.runs[ex.run[i]].exp];
  TrainParams p = small_params();
  p.trees = 20;
  p.prune = PruneRule::kNone;
  Model m;
  TrainSummary s;
  ASSERT_TRUE(ok(train_model(d, {}, p, "", &m, &s)));
  // round(2/3 * 6) = 4 experiments per tree: the root's window count is the
  // sum over some 4 whole experiments.
  for (const ModelTree& t : m.trees) {
    bool found = false;
    for (unsigned mask = 0; mask < 64; ++mask) {
      if (__builtin_popcount(mask) != 4) continue;
      uint32_t sum = 0;
      for (int e = 0; e < 6; ++e)
        if (mask >> e & 1) sum += per_exp[size_t(e)];
      found |= sum == t.samples[0];
    }
    EXPECT_TRUE(found) << t.samples[0];
  }
}

TEST(Train, MissNoneThresholdIsTheLargestFaultyScore) {
  const Dataset d = make_dataset(5, 12);
  Model m;
  TrainSummary s;
  ASSERT_TRUE(ok(train_model(d, {}, small_params(), "", &m, &s)));
  Examples ex;
  make_examples(d, m.window, &ex);
  double max_faulty = -1;
  std::vector<double> score;
  std::vector<uint8_t> y;
  for (size_t i = 0; i < ex.size(); ++i) {
    if (ex.transition[i]) continue;
    const double sc = model_score(m, ex.row(i));
    if (ex.y[i]) max_faulty = std::max(max_faulty, sc);
    score.push_back(sc);
    y.push_back(ex.y[i]);
  }
  EXPECT_EQ(m.threshold, max_faulty);
  EXPECT_EQ(confusion_at(score, y, m.threshold).fn, 0u);
  EXPECT_EQ(s.train_auc, roc_curve(score, y).auc);
}

TEST(Train, FprThresholdIsTheLargestWithinTheTarget) {
  const Dataset d = make_dataset(7, 12);
  TrainParams p = small_params();
  p.rule = ThresholdRule::kFpr;
  p.target_fpr = 0.02;
  Model m;
  TrainSummary s;
  ASSERT_TRUE(ok(train_model(d, {}, p, "", &m, &s)));
  Examples ex;
  make_examples(d, m.window, &ex);
  std::vector<double> score, candidates;
  std::vector<uint8_t> y;
  for (size_t i = 0; i < ex.size(); ++i) {
    if (ex.transition[i]) continue;
    score.push_back(model_score(m, ex.row(i)));
    y.push_back(ex.y[i]);
  }
  EXPECT_LE(confusion_at(score, y, m.threshold).fpr(), 0.02);
  // The next larger score would exceed the target.
  double next = 2;
  for (double v : score)
    if (v > m.threshold) next = std::min(next, v);
  if (next < 2) {
    EXPECT_GT(confusion_at(score, y, next).fpr(), 0.02);
  }
}

TEST(Train, FeatureSubsetAndRunSubset) {
  const Dataset d = make_dataset(9, 12);
  TrainParams p = small_params();
  p.features = {kHypercallsPerS, kRunningFrac};
  Model m;
  TrainSummary s;
  ASSERT_TRUE(ok(train_model(d, {}, p, "", &m, &s)));
  EXPECT_EQ(m.features, (std::vector<std::string>{"hypercalls_per_s", "running_frac"}));
  for (const ModelTree& t : m.trees)
    for (int32_t f : t.feature) EXPECT_LT(f, 2);
  // Only runs 0..5: fewer windows.
  Model half;
  TrainSummary hs;
  ASSERT_TRUE(ok(train_model(d, {0, 1, 2, 3, 4, 5}, p, "", &half, &hs)));
  EXPECT_LT(hs.windows, s.windows);
}

TEST(Train, NoFaultyWindowsIsAnError) {
  Dataset d = make_dataset(11, 6);
  for (vt::Run& r : d.runs) r.label.onset_s = NAN;
  Model m;
  TrainSummary s;
  const Status st = train_model(d, {}, small_params(), "", &m, &s);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_EQ(st.message(), "the training data has no faulty windows: nothing to learn (label some faults)");
}

TEST(Train, RuleNames) {
  PruneRule pr;
  ThresholdRule tr;
  double fpr = 0;
  EXPECT_TRUE(ok(parse_prune_rule("train", &pr)));
  EXPECT_EQ(pr, PruneRule::kTrain);
  Status st = parse_prune_rule("all", &pr);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st.message(), "'all' is not one of cv, train, none");
  EXPECT_TRUE(ok(parse_threshold_rule("fpr:0.05", &tr, &fpr)));
  EXPECT_EQ(tr, ThresholdRule::kFpr);
  EXPECT_EQ(fpr, 0.05);
  EXPECT_FALSE(parse_threshold_rule("fpr:2", &tr, &fpr).ok());
  EXPECT_FALSE(parse_threshold_rule("fpr:", &tr, &fpr).ok());
  st = parse_threshold_rule("best", &tr, &fpr);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st.message(), "'best' is not miss-none or fpr:X with X in [0, 1]");
  // The names --help shows the defaults by.
  EXPECT_STREQ(prune_rule_name(PruneRule::kCv), "cv");
  EXPECT_EQ(threshold_rule_name(ThresholdRule::kMissNone, 0.01), "miss-none");
  EXPECT_EQ(threshold_rule_name(ThresholdRule::kFpr, 0.05), "fpr:0.05");
  bool oob = false;
  EXPECT_TRUE(ok(parse_threshold_basis("oob", &oob)));
  EXPECT_TRUE(oob);
  EXPECT_STREQ(threshold_basis_name(false), "train");
  EXPECT_EQ(parse_threshold_basis("everything", &oob).message(), "'everything' is not one of train, oob");
}

}  // namespace
}  // namespace vt
