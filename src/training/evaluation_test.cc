// Offline evaluation: latency, false alarms per guest-hour, ROC and the
// per-workload breakdown on runs whose outcome is worked out by hand.
#include "src/training/evaluation.h"

#include <gtest/gtest.h>

namespace vt {
namespace {

// hypercalls_per_s <= 10 ? FAULTY : normal; window 1, no warm-up, 3 strikes.
Model stump() {
  Model m;
  m.features = {"hypercalls_per_s"};
  m.window = {1, 0};
  m.threshold = 0.5;
  m.strikes = 3;
  ModelTree t;
  t.feature = {0, -1, -1};
  t.threshold = {10, 0, 0};
  t.left = {1, -1, -1};
  t.right = {2, -1, -1};
  t.value = {0.5, 0.0, 1.0};
  m.trees = {t};
  const Status st = validate_model(&m);
  EXPECT_TRUE(st.ok()) << st.message();
  return m;
}

Run run(const std::string& id, const std::string& workload, double onset, const std::vector<uint64_t>& hc) {
  Run r;
  r.label.run_id = id;
  r.label.exp_id = id;
  r.label.workload = workload;
  r.label.onset_s = onset;
  for (size_t t = 0; t < hc.size(); ++t) {
    SecondRow s;
    s.index = t;
    s.t = double(t);
    s.span_s = 1;
    s.domid = 1;
    s.n[kHypercalls] = hc[t];
    s.n[kPvOther] = 1;  // a PV guest's records: the model judges it
    r.rows.push_back(s);
  }
  return r;
}

TEST(Evaluate, LatencyFalseAlarmsAndAucByHand) {
  Dataset d;
  // Faulty run: onset 20.3; hypercalls stop from second 21 (second 20 is
  // mixed and still busy). Faulty votes at 21, 22, 23: verdict at 24,
  // latency 24 - 20.3 = 3.7 s.
  std::vector<uint64_t> f(40, 100);
  for (size_t t = 21; t < 40; ++t) f[t] = 0;
  d.runs.push_back(run("f", "net", 20.3, f));
  // Normal run: one hour, hypercalls stop for seconds 40..42 only: one
  // false alarm (verdict at 43) in 3600 judged seconds = 1 per guest-hour.
  std::vector<uint64_t> n(3600, 100);
  n[40] = n[41] = n[42] = 0;
  d.runs.push_back(run("n", "compute", NAN, n));
  d.runs[1].exp = 1;
  d.experiments = {"f", "n"};
  const EvalResult r = evaluate_model(stump(), d, {}, EvalOptions{});
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_NEAR(r.runs[0].latency, 3.7, 1e-9);
  EXPECT_FALSE(r.runs[0].early);
  EXPECT_EQ(r.runs[0].false_alarms, 0);
  EXPECT_TRUE(std::isnan(r.runs[1].latency));
  EXPECT_EQ(r.runs[1].false_alarms, 1);
  EXPECT_DOUBLE_EQ(r.total.normal_hours, 1.0);
  EXPECT_DOUBLE_EQ(r.total.false_alarms_per_hour(), 1.0);
  EXPECT_EQ(r.total.detected, 1u);
  EXPECT_NEAR(r.total.median_latency, 3.7, 1e-9);
  // Judged: 40 + 3600 seconds; second 20 of the faulty run is a transition
  // window (its second holds the onset), left out of the ROC.
  EXPECT_EQ(r.score.size(), 3640u);
  EXPECT_EQ(r.roc_score.size(), 3639u);
  // ROC: 19 faulty seconds (21..39) all score 0; normal seconds: 20 + 3600,
  // of which 3 score 0 (ties: half a pair each). AUC = 1 - 3 * 0.5 / 3620.
  EXPECT_EQ(r.roc.positives, 19u);
  EXPECT_EQ(r.roc.negatives, 3620u);
  EXPECT_DOUBLE_EQ(r.roc.auc, 1.0 - 1.5 / 3620.0);
  EXPECT_EQ(r.total.conf.tp, 19u);
  EXPECT_EQ(r.total.conf.fp, 3u);
  // Per workload.
  ASSERT_EQ(r.workloads.size(), 2u);
  EXPECT_EQ(r.workloads[0].name, "compute");
  EXPECT_EQ(r.workloads[0].false_alarms, 1);
  EXPECT_EQ(r.workloads[1].name, "net");
  EXPECT_EQ(r.workloads[1].detected, 1u);
  EXPECT_EQ(r.workloads[1].auc, 1.0);
}

TEST(Evaluate, AlarmBeforeTheOnsetCountsAsAFalseAlarmAndEarly) {
  Dataset d;
  std::vector<uint64_t> f(30, 0);  // faulty-looking from the start
  d.runs.push_back(run("f", "idle", 10.0, f));
  d.experiments = {"f"};
  const EvalResult r = evaluate_model(stump(), d, {}, EvalOptions{});
  EXPECT_EQ(r.runs[0].false_alarms, 1);  // verdict at 3, before the onset
  EXPECT_TRUE(r.runs[0].early);
  EXPECT_TRUE(std::isnan(r.runs[0].latency));  // not a detection
  EXPECT_EQ(r.total.detected, 0u);
  EXPECT_EQ(r.total.early, 1u);
  EXPECT_EQ(r.pre_onset_false_alarms, 1);
}

TEST(Evaluate, LeaveOneWorkloadOutTrainsWithoutTheHeldOutWorkload) {
  // Two workloads, each with faulty and normal runs.
  Dataset d;
  for (int e = 0; e < 8; ++e) {
    std::vector<uint64_t> hc(60);
    for (size_t t = 0; t < hc.size(); ++t) hc[t] = (e % 2 && t >= 30) ? 2 : 100 + 7 * ((t * 13 + e) % 11);
    vt::Run r = run("r" + std::to_string(e), e < 4 ? "net" : "compute", e % 2 ? 30.0 : NAN, hc);
    r.exp = uint32_t(e);
    d.experiments.push_back(r.label.exp_id);
    d.runs.push_back(r);
  }
  TrainParams p;
  p.trees = 4;
  std::vector<LowoFold> folds;
  EvalResult pooled;
  const Status st = leave_one_workload_out(d, p, EvalOptions{}, &folds, &pooled, nullptr);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(folds.size(), 2u);
  EXPECT_EQ(folds[0].workload, "compute");
  // Each fold evaluates only its own workload's runs, trained on the other's.
  for (const RunResult& rr : folds[0].eval.runs) EXPECT_EQ(d.runs[rr.run].label.workload, "compute");
  // 55 judged seconds per run; 4 transition windows (t = 30..33) per faulty run.
  EXPECT_EQ(folds[0].train.windows + folds[1].train.windows, 8u * 55u - 4u * 4u);
  EXPECT_EQ(pooled.runs.size(), 8u);
  EXPECT_EQ(pooled.roc.auc, 1.0);
}

}  // namespace
}  // namespace vt
