#include "src/training/evaluation.h"

#include <algorithm>
#include <map>
#include <set>

#include "src/detector/verdicts.h"

namespace vt {

EvalResult evaluate_model(const Model& m, const Dataset& d, const std::vector<uint32_t>& runs,
                          const EvalOptions& o) {
  EvalResult r;
  std::vector<uint32_t> todo = runs;
  if (todo.empty())
    for (uint32_t i = 0; i < d.runs.size(); ++i) todo.push_back(i);
  std::vector<Verdict> verdicts;
  std::vector<Judgement> judged;
  for (uint32_t ri : todo) {
    const Run& run = d.runs[ri];
    const RunLabel& l = run.label;
    // A fresh detector per run: each run is one domain's history.
    Detector det(m, o.strikes, o.threshold);
    r.threshold = det.threshold();
    r.strikes = det.strikes();
    RunResult rr;
    rr.run = ri;
    bool faulty_state = false, at_onset_faulty = false, onset_passed = false;
    for (const SecondRow& row : run.rows) {
      if (l.faulty() && !onset_passed && row.t + row.span_s >= l.onset_s) {
        onset_passed = true;
        at_onset_faulty = faulty_state;  // from verdicts before this second
      }
      judged.clear();
      det.on_rows(&row, 1, &verdicts, &judged);
      for (const Judgement& j : judged) {
        r.score.push_back(j.score);
        r.faulty.push_back(window_faulty(l, j.t));
        r.transition.push_back(window_transition(l, j.t, m.window.window));
        r.run.push_back(ri);
        r.t.push_back(j.t);
        ++rr.judged;
        const double end = j.t + row.span_s;
        if (!l.faulty())
          rr.watched_s += row.span_s;
        else if (end <= l.onset_s)
          rr.watched_s += row.span_s;
      }
      for (const Verdict& v : verdicts) {
        if (v.kind == VerdictKind::kFaulty) {
          if (!l.faulty() || v.t < l.onset_s)
            ++rr.false_alarms;
          else if (std::isnan(rr.latency))
            rr.latency = v.t - l.onset_s;
          faulty_state = true;
        } else if (v.kind == VerdictKind::kRecovered) {
          faulty_state = false;
        }
      }
    }
    // An alarm raised before the onset and still standing at it is not a
    // detection: counted apart, latency left undefined.
    if (l.faulty() && std::isnan(rr.latency) && at_onset_faulty) rr.early = true;
    r.runs.push_back(rr);
  }
  for (size_t i = 0; i < r.score.size(); ++i) {
    if (r.transition[i] && !o.include_transition) continue;
    r.roc_score.push_back(r.score[i]);
    r.roc_faulty.push_back(r.faulty[i]);
    r.roc_run.push_back(r.run[i]);
  }
  summarize(d, &r);
  return r;
}

namespace {

void fill_group(const Dataset& d, const EvalResult& r, const std::set<uint32_t>& runs, GroupSummary* g) {
  std::vector<double> s;
  std::vector<uint8_t> y;
  for (size_t i = 0; i < r.roc_score.size(); ++i)
    if (runs.count(r.roc_run[i])) s.push_back(r.roc_score[i]), y.push_back(r.roc_faulty[i]);
  g->windows = s.size();
  g->faulty_windows = size_t(std::count(y.begin(), y.end(), 1));
  g->auc = roc_curve(s, y).auc;
  g->conf = confusion_at(s, y, r.threshold);
  std::vector<double> lat;
  for (const RunResult& rr : r.runs) {
    if (!runs.count(rr.run)) continue;
    ++g->runs;
    if (d.runs[rr.run].label.faulty()) {
      ++g->faulty_runs;
      if (!std::isnan(rr.latency)) ++g->detected, lat.push_back(rr.latency);
      g->early += rr.early;
    } else {
      g->false_alarms += rr.false_alarms;
      g->normal_hours += rr.watched_s / 3600.0;
    }
  }
  if (!lat.empty()) {
    std::sort(lat.begin(), lat.end());
    const size_t k = lat.size();
    g->median_latency = k % 2 ? lat[k / 2] : (lat[k / 2 - 1] + lat[k / 2]) / 2;
    g->max_latency = lat.back();
  }
}

}  // namespace

void summarize(const Dataset& d, EvalResult* r) {
  r->roc = roc_curve(r->roc_score, r->roc_faulty);
  std::set<uint32_t> all;
  std::map<std::string, std::set<uint32_t>> by_workload;
  r->pre_onset_false_alarms = 0;
  r->pre_onset_hours = 0;
  for (const RunResult& rr : r->runs) {
    all.insert(rr.run);
    by_workload[d.runs[rr.run].label.workload].insert(rr.run);
    if (d.runs[rr.run].label.faulty()) {
      r->pre_onset_false_alarms += rr.false_alarms;
      r->pre_onset_hours += rr.watched_s / 3600.0;
    }
  }
  r->total = GroupSummary();
  r->total.name = "all";
  fill_group(d, *r, all, &r->total);
  r->workloads.clear();
  for (const auto& [name, runs] : by_workload) {
    GroupSummary g;
    g.name = name;
    fill_group(d, *r, runs, &g);
    r->workloads.push_back(g);
  }
}

Status leave_one_workload_out(const Dataset& d, const TrainParams& p, const EvalOptions& o,
                              std::vector<LowoFold>* folds, EvalResult* pooled,
                              const std::function<void(const std::string&, int, int)>& progress) {
  std::map<std::string, std::vector<uint32_t>> by_workload;
  for (uint32_t i = 0; i < d.runs.size(); ++i) by_workload[d.runs[i].label.workload].push_back(i);
  if (by_workload.size() < 2)
    return Status::Corruption(
        "leave-one-workload-out needs at least two workloads (the labels' 'workload' column)");
  folds->clear();
  *pooled = EvalResult();
  for (const auto& [name, held] : by_workload) {
    std::vector<uint32_t> rest;
    std::set<uint32_t> h(held.begin(), held.end());
    for (uint32_t i = 0; i < d.runs.size(); ++i)
      if (!h.count(i)) rest.push_back(i);
    LowoFold f;
    f.workload = name;
    Model m;
    const std::string wl = name;
    const Status st = train_model(d, rest, p, "", &m, &f.train, [&](int done, int total) {
      if (progress) progress(wl, done, total);
    });
    if (!st.ok()) return st.with_context("leaving out workload '" + name + "'");
    f.eval = evaluate_model(m, d, held, o);
    // Pool the held-out seconds and runs.
    for (size_t i = 0; i < f.eval.score.size(); ++i) {
      pooled->score.push_back(f.eval.score[i]);
      pooled->faulty.push_back(f.eval.faulty[i]);
      pooled->transition.push_back(f.eval.transition[i]);
      pooled->run.push_back(f.eval.run[i]);
      pooled->t.push_back(f.eval.t[i]);
    }
    for (size_t i = 0; i < f.eval.roc_score.size(); ++i) {
      pooled->roc_score.push_back(f.eval.roc_score[i]);
      pooled->roc_faulty.push_back(f.eval.roc_faulty[i]);
      pooled->roc_run.push_back(f.eval.roc_run[i]);
    }
    for (const RunResult& rr : f.eval.runs) pooled->runs.push_back(rr);
    pooled->strikes = f.eval.strikes;
    folds->push_back(std::move(f));
  }
  // Scores pool into one ROC; decisions do not (each fold has its own
  // threshold): the pooled confusion is the sum of the folds' confusions,
  // and each workload's row is its own fold's result.
  pooled->threshold = NAN;
  summarize(d, pooled);
  pooled->total.conf = Confusion();
  pooled->workloads.clear();
  for (const LowoFold& f : *folds) {
    pooled->total.conf.tp += f.eval.total.conf.tp;
    pooled->total.conf.fp += f.eval.total.conf.fp;
    pooled->total.conf.tn += f.eval.total.conf.tn;
    pooled->total.conf.fn += f.eval.total.conf.fn;
    GroupSummary g = f.eval.total;
    g.name = f.workload;
    pooled->workloads.push_back(g);
  }
  return Status::Ok();
}

}  // namespace vt
