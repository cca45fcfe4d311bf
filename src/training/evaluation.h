// Offline evaluation of a model on a labelled dataset, through the runtime
// Detector itself (verdicts.h), run by run, so that the figures are those of
// `vtrace replay --detect`:
//  * every judged second's score and label (dataset.h's label rule); the
//    ROC, AUC and confusion at the threshold use them, transition windows
//    left out unless include_transition;
//  * detection latency per faulty run: t of the first "faulty" verdict at or
//    after the onset, minus the onset; missed if none. A domain already
//    faulty at the onset from an earlier (false) alarm, with no new verdict
//    after it, is not a detection: counted as `early`, latency undefined;
//  * false alarms: "faulty" verdicts on normal runs, per guest-hour of
//    judged time; and, separately, before the onset of faulty runs;
//  * the same per workload.
// leave_one_workload_out() trains one model per workload on every other
// workload's runs and evaluates it on the held-out workload; the pooled
// held-out scores give one ROC.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "src/detector/model.h"
#include "src/training/dataset.h"
#include "src/training/roc.h"
#include "src/training/train.h"
#include "src/util/status.h"

namespace vt {

struct RunResult {
  uint32_t run = 0;
  size_t judged = 0;     // judged seconds
  double watched_s = 0;  // judged seconds (normal runs) or judged seconds before the onset
  double latency = NAN;  // faulty runs: seconds from onset to verdict; NaN if missed
  bool early = false;    // already faulty at the onset
  int false_alarms = 0;  // faulty verdicts on a normal run / before the onset
};

struct GroupSummary {
  std::string name;
  size_t runs = 0, faulty_runs = 0, detected = 0, early = 0;
  size_t windows = 0, faulty_windows = 0;
  double auc = NAN;
  Confusion conf;
  double median_latency = NAN, max_latency = NAN;
  int false_alarms = 0;
  double normal_hours = 0;
  double false_alarms_per_hour() const { return normal_hours > 0 ? false_alarms / normal_hours : NAN; }
};

struct EvalResult {
  // Every judged second (transition ones included, flagged).
  std::vector<double> score;
  std::vector<uint8_t> faulty, transition;
  std::vector<uint32_t> run;
  std::vector<double> t;
  // On the seconds used for ROC (transition ones only if asked).
  std::vector<double> roc_score;
  std::vector<uint8_t> roc_faulty;
  std::vector<uint32_t> roc_run;
  Roc roc;
  double threshold = 0;
  int strikes = 0;
  std::vector<RunResult> runs;
  GroupSummary total;                   // all runs
  std::vector<GroupSummary> workloads;  // per workload, sorted by name
  int pre_onset_false_alarms = 0;
  double pre_onset_hours = 0;
};

struct EvalOptions {
  int strikes = 0;         // 0: the model's
  double threshold = NAN;  // NaN: the model's
  bool include_transition = false;
};

// Evaluates the runs in `runs` (all when empty).
EvalResult evaluate_model(const Model& m, const Dataset& d, const std::vector<uint32_t>& runs,
                          const EvalOptions& o);

// Fills total/workloads/roc from the per-second and per-run vectors (used
// by evaluate_model, and by leave-one-workload-out on pooled results).
void summarize(const Dataset& d, EvalResult* r);

struct LowoFold {
  std::string workload;
  TrainSummary train;
  EvalResult eval;
};

// kCorruption when the data set has fewer than two workloads, or a fold
// cannot be trained (train_model's message, after the workload left out).
Status leave_one_workload_out(
    const Dataset& d, const TrainParams& p, const EvalOptions& o, std::vector<LowoFold>* folds,
    EvalResult* pooled,
    const std::function<void(const std::string& workload, int done, int total)>& progress);

}  // namespace vt
