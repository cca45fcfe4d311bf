// Registers the detector's commands: train, eval, explain, judge
// (docs/detector.md).
// Each prints one line on stderr and exits 1 on bad input (dataset, model),
// 2 on a bad flag (commands.h: report). Flags whose values are names are
// checked while the command line is parsed, by the library's parsers; the
// defaults --help shows are those of the library's structs.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "src/cli/command_registry.h"
#include "src/cli/commands.h"
#include "src/cli/detect_flags.h"
#include "src/cli/named_option.h"
#include "src/detector/model.h"
#include "src/detector/verdicts.h"
#include "src/training/dataset.h"
#include "src/training/evaluation.h"
#include "src/training/explain.h"
#include "src/training/replay_csv.h"
#include "src/training/train.h"
#include "src/util/file.h"

namespace vt {
namespace {

using json = nlohmann::json;

struct TrainFlags {
  std::vector<std::string> data;
  std::string out, root, features, note;
  std::string roc_csv, roc_svg;
  TrainParams p;
  bool lowo = false, quiet = false;
  Format format = Format::kTable;
  GuestType guest_type = GuestType::kUnknown;  // all
};

struct EvalFlags {
  std::string model;
  std::vector<std::string> data;
  std::string root, roc_csv, roc_svg, scores;
  Format format = Format::kTable;
  EvalOptions o;
  GuestType guest_type = GuestType::kUnknown;  // all
};

struct JudgeFlags {
  std::string table;
  DetectFlags detect;
};

struct ExplainFlags {
  std::string model;
  int tree = -1;  // all
};

// The formats train and eval print (no CSV).
Status parse_report_format(const std::string& s, Format* f) {
  if (parse_format(s, f).ok() && *f != Format::kCsv) return Status::Ok();
  return Status::InvalidArgument("'" + s + "' is not one of table, json");
}

std::string fmt(const char* f, double v) {
  if (std::isnan(v)) return "n/a";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

json num(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

json group_json(const GroupSummary& g) {
  return {{"workload", g.name},
          {"runs", g.runs},
          {"faulty_runs", g.faulty_runs},
          {"detected", g.detected},
          {"early", g.early},
          {"windows", g.windows},
          {"faulty_windows", g.faulty_windows},
          {"auc", num(g.auc)},
          {"tp", g.conf.tp},
          {"fp", g.conf.fp},
          {"tn", g.conf.tn},
          {"fn", g.conf.fn},
          {"tpr", g.conf.tpr()},
          {"fpr", g.conf.fpr()},
          {"median_latency_s", num(g.median_latency)},
          {"max_latency_s", num(g.max_latency)},
          {"false_alarms", g.false_alarms},
          {"normal_guest_hours", g.normal_hours},
          {"false_alarms_per_guest_hour", num(g.false_alarms_per_hour())}};
}

json eval_json(const Dataset& d, const EvalResult& r) {
  json runs = json::array();
  for (const RunResult& rr : r.runs) {
    const RunLabel& l = d.runs[rr.run].label;
    runs.push_back({{"run_id", l.run_id},
                    {"exp_id", l.exp_id},
                    {"domid", l.domid},
                    {"workload", l.workload},
                    {"fault", l.fault},
                    {"onset_s", num(l.onset_s)},
                    {"judged_seconds", rr.judged},
                    {"latency_s", num(rr.latency)},
                    {"early", rr.early},
                    {"false_alarms", rr.false_alarms}});
  }
  json wl = json::array();
  for (const GroupSummary& g : r.workloads) wl.push_back(group_json(g));
  return {{"auc", num(r.roc.auc)},
          {"threshold", num(r.threshold)},
          {"strikes", r.strikes},
          {"roc_windows", r.roc_score.size()},
          {"judged_seconds", r.score.size()},
          {"total", group_json(r.total)},
          {"pre_onset_false_alarms", r.pre_onset_false_alarms},
          {"pre_onset_guest_hours", r.pre_onset_hours},
          {"workloads", wl},
          {"runs", runs}};
}

void print_eval_table(std::FILE* o, const Dataset& d, const EvalResult& r, bool lowo) {
  const GroupSummary& g = r.total;
  std::fprintf(o, "ROC over %zu judged seconds (%zu faulty)%s: AUC %s\n", g.windows, g.faulty_windows,
               r.roc_score.size() < r.score.size() ? ", transition seconds left out" : "",
               fmt("%.4f", r.roc.auc).c_str());
  if (lowo)
    std::fprintf(o, "at each fold's threshold: ");
  else
    std::fprintf(o, "at threshold %s (faulty iff score <= it): ", fmt("%.4f", r.threshold).c_str());
  std::fprintf(o, "TPR %.4f FPR %.4f (TP %llu FP %llu TN %llu FN %llu)\n", g.conf.tpr(), g.conf.fpr(),
               (unsigned long long)g.conf.tp, (unsigned long long)g.conf.fp, (unsigned long long)g.conf.tn,
               (unsigned long long)g.conf.fn);
  std::fprintf(o,
               "strike rule (%d): %zu of %zu faulty runs detected, latency median %s s, max %s s; %zu "
               "already flagged before the onset (not counted)\n",
               r.strikes, g.detected, g.faulty_runs, fmt("%.1f", g.median_latency).c_str(),
               fmt("%.1f", g.max_latency).c_str(), g.early);
  std::fprintf(o,
               "false alarms: %d on normal runs over %.2f guest-hours (%s per guest-hour); %d before "
               "the onset of faulty runs over %.2f guest-hours\n\n",
               g.false_alarms, g.normal_hours, fmt("%.2f", g.false_alarms_per_hour()).c_str(),
               r.pre_onset_false_alarms, r.pre_onset_hours);
  std::fprintf(o, "%-14s %5s %6s %8s %7s %7s %7s %9s %9s %11s %9s\n", lowo ? "held out" : "workload", "runs",
               "faulty", "seconds", "AUC", "TPR", "FPR", "detected", "median_s", "false_alarm", "per_hour");
  for (const GroupSummary& w : r.workloads)
    std::fprintf(o, "%-14s %5zu %6zu %8zu %7s %7s %7s %5zu/%-3zu %9s %11d %9s\n", w.name.c_str(), w.runs,
                 w.faulty_runs, w.windows, fmt("%.4f", w.auc).c_str(),
                 w.faulty_windows ? fmt("%.4f", w.conf.tpr()).c_str() : "n/a",
                 w.windows > w.faulty_windows ? fmt("%.4f", w.conf.fpr()).c_str() : "n/a", w.detected,
                 w.faulty_runs, fmt("%.1f", w.median_latency).c_str(), w.false_alarms,
                 fmt("%.2f", w.false_alarms_per_hour()).c_str());
  bool any = false;
  for (const RunResult& rr : r.runs) {
    const RunLabel& l = d.runs[rr.run].label;
    if (!l.faulty()) continue;
    if (!any)
      std::fprintf(o, "\n%-16s %-10s %-12s %9s %10s %s\n", "faulty run", "workload", "fault", "onset_s",
                   "latency_s", "");
    any = true;
    std::fprintf(o, "%-16s %-10s %-12s %9.2f %10s %s\n", l.run_id.c_str(), l.workload.c_str(),
                 l.fault.c_str(), l.onset_s,
                 !std::isnan(rr.latency) ? fmt("%.2f", rr.latency).c_str()
                 : rr.early              ? "early"
                                         : "missed",
                 rr.early ? "(flagged before the onset and still faulty at it: not a detection)" : "");
  }
}

Status write_outputs(const Dataset& d, const EvalResult& r, const std::string& roc_csv,
                     const std::string& roc_svg, const std::string& scores, const std::string& title) {
  if (!roc_csv.empty())
    if (Status st = write_roc_csv(roc_csv, r.roc); !st.ok()) return st;
  if (!roc_svg.empty())
    if (Status st = write_roc_svg(roc_svg, r.roc, title, r.threshold); !st.ok()) return st;
  if (!scores.empty()) {
    std::FILE* f = std::fopen(scores.c_str(), "w");
    if (!f) return Status::IoError(scores + ": cannot write");
    std::fprintf(f, "run_id,exp_id,domid,workload,t,score,faulty,transition\n");
    for (size_t i = 0; i < r.score.size(); ++i) {
      const RunLabel& l = d.runs[r.run[i]].label;
      std::fprintf(f, "%s,%s,%u,%s,%.0f,%.17g,%d,%d\n", l.run_id.c_str(), l.exp_id.c_str(), l.domid,
                   l.workload.c_str(), r.t[i], r.score[i], r.faulty[i], r.transition[i]);
    }
    if (std::fclose(f) != 0) return Status::IoError(scores + ": write failed");
  }
  return Status::Ok();
}

Status load_data(const std::vector<std::string>& files, const std::string& root, GuestType type, Dataset* d) {
  DatasetOptions o;
  o.root = root;
  o.guest_type = type;
  const Status st = load_dataset(files, o, d);
  if (d->skipped_invalid)
    std::fprintf(stderr, "vtrace: left out %u runs labelled valid = false\n", d->skipped_invalid);
  if (d->skipped_type)
    std::fprintf(stderr, "vtrace: left out %u runs whose guests are not %s\n", d->skipped_type,
                 guest_type_name(type));
  return st;
}

// --guest-type all|pv|hvm
void add_guest_type_flag(CLI::App* cmd, GuestType* t) {
  add_named_option<GuestType>(
      cmd, "--guest-type", t,
      "only the runs of this guest type, as their records say: pv, hvm (HVM and PVH) or all",
      [](const std::string& s, GuestType* out) {
        if (s == "all") return *out = GuestType::kUnknown, Status::Ok();
        if (parse_guest_type(s, out)) return Status::Ok();
        return Status::InvalidArgument("'" + s + "' is not one of all, pv, hvm");
      },
      [](GuestType x) { return std::string(x == GuestType::kUnknown ? "all" : guest_type_name(x)); });
}

// "running_frac,hypercalls_per_s": build feature ids, each once.
Status parse_features(const std::string& list, std::vector<int>* ids) {
  ids->clear();
  for (size_t pos = 0; pos <= list.size();) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    const std::string name = list.substr(pos, comma - pos);
    const int id = feature_by_name(name);
    if (id < 0) return Status::InvalidArgument("'" + name + "' is not a feature (see docs/detector.md)");
    if (std::find(ids->begin(), ids->end(), id) != ids->end())
      return Status::InvalidArgument("'" + name + "' listed twice");
    ids->push_back(id);
    pos = comma + 1;
  }
  return Status::Ok();
}

Progress progress_printer(bool quiet, const std::string& what) {
  if (quiet) return nullptr;
  const bool tty = isatty(2);
  return [tty, what](int done, int total) {
    if (tty) {
      std::fprintf(stderr, "\rvtrace: %s: tree %d/%d", what.c_str(), done, total);
      if (done == total) std::fprintf(stderr, "\n");
    } else if (done % 10 == 0 || done == total) {
      std::fprintf(stderr, "vtrace: %s: tree %d/%d\n", what.c_str(), done, total);
    }
  };
}

int cmd_train(TrainFlags& f) {
  f.p.features.clear();
  if (!f.features.empty())
    if (Status st = parse_features(f.features, &f.p.features); !st.ok())
      return report(st.with_context("--features"));
  if (f.out.empty() && !f.lowo)
    return report(Status::InvalidArgument("train: give --out MODEL (or --leave-one-workload-out)"));
  Dataset d;
  if (Status st = load_data(f.data, f.root, f.guest_type, &d); !st.ok()) return report(st);
  const bool as_json = f.format == Format::kJson;
  std::FILE* o = stdout;
  json out = json::object();
  if (f.lowo) {
    std::vector<LowoFold> folds;
    EvalResult pooled;
    EvalOptions eo;
    auto prog = progress_printer(f.quiet, "leave-one-workload-out");
    const Status st =
        leave_one_workload_out(d, f.p, eo, &folds, &pooled, [&](const std::string&, int done, int total) {
          if (prog) prog(done, total);
        });
    if (!st.ok()) return report(st);
    if (as_json) {
      json fj = json::array();
      for (const LowoFold& lf : folds)
        fj.push_back({{"held_out", lf.workload},
                      {"threshold", lf.eval.threshold},
                      {"oob_auc", num(lf.train.oob_auc)},
                      {"eval", eval_json(d, lf.eval)}});
      out["leave_one_workload_out"] = {{"folds", fj}, {"pooled", eval_json(d, pooled)}};
    } else {
      std::fprintf(o, "leave-one-workload-out: %zu folds, each trained on the other workloads' runs\n",
                   folds.size());
      print_eval_table(o, d, pooled, true);
      std::fprintf(o, "\n");
    }
    if (Status st = write_outputs(d, pooled, f.roc_csv, f.roc_svg, "",
                                  "ROC, leave-one-workload-out (pooled held-out seconds)");
        !st.ok())
      return report(st);
  }
  if (!f.out.empty()) {
    json meta;
    meta["datasets"] = f.data;
    if (!f.note.empty()) meta["note"] = f.note;
    Model m;
    TrainSummary s;
    if (Status st = train_model(d, {}, f.p, meta.dump(), &m, &s, progress_printer(f.quiet, "training"));
        !st.ok())
      return report(st);
    // A threshold below every score flags no window: a model that never says
    // faulty is not written.
    if (m.threshold < 0)
      return report(Status::Corruption(
          "no threshold meets " + threshold_rule_name(f.p.rule, f.p.target_fpr) + " on the " +
          (f.p.threshold_on_oob ? "out-of-bag" : "training") + " scores: the model would flag nothing (" +
          f.out + " not written; give it more experiments, or another --threshold-rule)"));
    if (Status st = save_model(f.out, m); !st.ok()) return report(st);
    if (as_json) {
      out["model"] = {{"path", f.out},
                      {"trees", m.trees.size()},
                      {"windows", s.windows},
                      {"faulty_windows", s.faulty},
                      {"threshold", m.threshold},
                      {"train_auc", num(s.train_auc)},
                      {"train_tpr", s.train_tpr},
                      {"train_fpr", s.train_fpr},
                      {"oob_auc", num(s.oob_auc)},
                      {"oob_tpr", s.oob_tpr},
                      {"oob_fpr", s.oob_fpr},
                      {"mean_leaves", s.mean_leaves}};
    } else {
      std::fprintf(
          o,
          "trained %zu trees on %zu windows (%zu faulty; %zu transition windows left out) from %zu runs "
          "in %zu experiments\n"
          "mean %.1f leaves, depth %.1f; threshold %.4f (%s)\n"
          "training windows, whole ensemble: AUC %s, TPR %.4f, FPR %.4f\n"
          "training windows, out of bag:     AUC %s, TPR %.4f, FPR %.4f\nwrote %s\n",
          m.trees.size(), s.windows, s.faulty, s.transition_left_out, d.runs.size(), d.experiments.size(),
          s.mean_leaves, s.mean_depth, m.threshold, threshold_rule_name(f.p.rule, f.p.target_fpr).c_str(),
          fmt("%.4f", s.train_auc).c_str(), s.train_tpr, s.train_fpr, fmt("%.4f", s.oob_auc).c_str(),
          s.oob_tpr, s.oob_fpr, f.out.c_str());
    }
  }
  if (as_json) std::fprintf(o, "%s\n", out.dump(2).c_str());
  return kExitOk;
}

int cmd_eval(const EvalFlags& f) {
  Model m;
  if (Status st = load_model(f.model, &m); !st.ok()) return report(st);
  Dataset d;
  if (Status st = load_data(f.data, f.root, f.guest_type, &d); !st.ok()) return report(st);
  const EvalResult r = evaluate_model(m, d, {}, f.o);
  std::string title = "ROC of " + f.model + " on";
  for (const std::string& x : f.data) title += " " + x;
  if (Status st = write_outputs(d, r, f.roc_csv, f.roc_svg, f.scores, title); !st.ok()) return report(st);
  if (f.format == Format::kJson) {
    json j = eval_json(d, r);
    j["model"] = f.model;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("model %s: %zu trees, %d strikes; data: %zu runs in %zu experiments\n", f.model.c_str(),
                m.trees.size(), r.strikes, d.runs.size(), d.experiments.size());
    print_eval_table(stdout, d, r, false);
  }
  return kExitOk;
}

// A per-second table through the detector, one second (every domain's
// row) at a time, as `replay --detect` feeds the trace's samples.
int cmd_judge(JudgeFlags f) {
  f.detect.detect = true;
  std::unique_ptr<DetectStage> det;
  // A table has no host to act on: pause/shutdown/destroy only as a dry run.
  if (Status st = open_detect(f.detect, 1.0, DomainControl{}, DomainQuery{}, DomainIdentity{}, &det);
      !st.ok())
    return report(st);
  const bool in = f.table == "-";
  const std::string name = in ? "standard input" : f.table;
  std::string text;
  if (Status st = read_text_file(in ? "/dev/stdin" : f.table, &text); !st.ok())
    return report(in ? st.with_context(name) : st);
  std::vector<SecondRow> rows;
  if (Status st = parse_replay_csv(text, name, &rows); !st.ok()) return report(st);
  for (size_t i = 0, j; i < rows.size(); i = j) {
    for (j = i; j < rows.size() && rows[j].t == rows[i].t; ++j) {
    }
    if (j < rows.size() && rows[j].t < rows[i].t) {
      det->finish();  // what was judged so far stays written
      return report(Status::Corruption(name + ": data row " + std::to_string(j + 1) + ": t " +
                                       fmt("%.0f", rows[j].t) + " after " + fmt("%.0f", rows[i].t) +
                                       " (the seconds must come in order, as vtrace writes them)"));
    }
    det->on_rows(&rows[i], j - i);
  }
  det->finish();
  return kExitOk;
}

int cmd_explain(const ExplainFlags& f) {
  Model m;
  if (Status st = load_model(f.model, &m); !st.ok()) return report(st);
  if (f.tree >= int(m.trees.size()))
    return report(Status::InvalidArgument("--tree: " + std::to_string(f.tree) + " is not a tree of " +
                                          f.model + " (0.." + std::to_string(m.trees.size() - 1) + ")"));
  std::printf("%s", explain_header(m).c_str());
  for (size_t t = 0; t < m.trees.size(); ++t)
    if (f.tree < 0 || size_t(f.tree) == t) std::printf("\n%s", explain_tree(m, t).c_str());
  return kExitOk;
}

}  // namespace

void add_detector_commands(CLI::App* app, Commands* out) {
  auto tf = std::make_shared<TrainFlags>();
  TrainParams& p = tf->p;
  CLI::App* train = app->add_subcommand("train", "train the detector's tree ensemble on labelled datasets");
  train->add_option("DATA", tf->data, "labels CSV files (docs/dataset.md)")->required();
  train->add_option("--out", tf->out, "model file to write (JSON)");
  train->add_option("--root", tf->root,
                    "base of relative paths in the labels (default: each labels file's folder)");
  train->add_option("--trees", p.trees, "trees in the ensemble")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  train->add_option("--seed", p.seed, "random seed (partitions, folds)")->capture_default_str();
  train
      ->add_option("--train-fraction", p.train_fraction,
                   "fraction of the experiments each tree trains on (the rest is held out)")
      ->check(CLI::Range(0.05, 1.0))
      ->capture_default_str();
  train->add_option("--max-depth", p.cart.max_depth, "maximum tree depth")
      ->check(CLI::Range(1, 30))
      ->capture_default_str();
  train->add_option("--min-leaf", p.cart.min_leaf, "minimum windows per leaf")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  add_named_option<PruneRule>(
      train, "--prune", &p.prune,
      "cv (k-fold cross-validation), train (the paper's: best training accuracy) or none", parse_prune_rule,
      [](PruneRule r) { return std::string(prune_rule_name(r)); });
  train->add_option("--folds", p.folds, "folds for --prune cv")
      ->check(CLI::Range(2, 100))
      ->capture_default_str();
  // Two values (the rule and its false-positive rate), parsed into the
  // params by the library's parser as the flag is parsed; its message is a
  // bad rule's.
  train
      ->add_option_function<std::string>(
          "--threshold-rule",
          [tf](const std::string& s) {
            if (Status st = parse_threshold_rule(s, &tf->p.rule, &tf->p.target_fpr); !st.ok())
              throw CLI::ValidationError("--threshold-rule", st.message());
          },
          "miss-none (the paper's: lowest threshold with no missed faulty training window) or fpr:X")
      ->type_name("RULE")
      ->default_function([tf] { return threshold_rule_name(tf->p.rule, tf->p.target_fpr); })
      ->capture_default_str();
  add_named_option<bool>(
      train, "--threshold-on", &p.threshold_on_oob,
      "scores the rule reads: train (the paper's: the ensemble on its training windows) or "
      "oob (out-of-bag: each window scored by the trees that held its experiment out)",
      parse_threshold_basis, [](bool oob) { return std::string(threshold_basis_name(oob)); });
  train
      ->add_option("--strikes", p.strikes,
                   "consecutive faulty seconds before a verdict (stored in the model)")
      ->check(CLI::Range(1, kMaxStrikes))
      ->capture_default_str();
  train->add_option("--window", p.window.window, "seconds averaged")
      ->check(CLI::Range(1, kMaxWindow))
      ->capture_default_str();
  train->add_option("--warmup", p.window.warmup, "first seconds of a domain not judged")
      ->check(CLI::Range(0, kMaxWarmup))
      ->capture_default_str();
  train->add_option("--features", tf->features, "comma-separated feature names (default: all)");
  train->add_flag("--keep-transition", p.keep_transition, "also train on windows that straddle the onset");
  train->add_flag("--leave-one-workload-out", tf->lowo,
                  "evaluate by training on all workloads but one and testing on it, for each workload");
  train->add_option("--roc-csv", tf->roc_csv, "with --leave-one-workload-out: pooled ROC as CSV");
  train->add_option("--roc-svg", tf->roc_svg, "with --leave-one-workload-out: pooled ROC as SVG");
  train->add_option("--note", tf->note, "free text stored in the model's training metadata");
  add_named_option<Format>(train, "--format", &tf->format, "table or json", parse_report_format, format_name);
  train->add_flag("--quiet", tf->quiet, "no progress on stderr");
  add_guest_type_flag(train, &tf->guest_type);
  out->push_back({train, [tf] { return cmd_train(*tf); }});

  auto ef = std::make_shared<EvalFlags>();
  CLI::App* eval = app->add_subcommand("eval", "evaluate a model on labelled datasets");
  eval->add_option("MODEL", ef->model, "model file")->required();
  eval->add_option("DATA", ef->data, "labels CSV files (docs/dataset.md)")->required();
  eval->add_option("--root", ef->root, "base of relative paths in the labels");
  eval->add_option("--strikes", ef->o.strikes,
                   "consecutive faulty seconds before a verdict (default: the model's)")
      ->check(CLI::Range(1, kMaxStrikes));
  eval->add_option("--threshold", ef->o.threshold, "vote threshold (default: the model's)")
      ->check(CLI::Range(-1.0, 1.0));
  eval->add_flag("--include-transition", ef->o.include_transition,
                 "count seconds whose window straddles the onset in the ROC");
  eval->add_option("--roc-csv", ef->roc_csv, "write the ROC points as CSV");
  eval->add_option("--roc-svg", ef->roc_svg, "write the ROC plot as SVG");
  eval->add_option("--scores", ef->scores, "write every judged second's score and label as CSV");
  add_named_option<Format>(eval, "--format", &ef->format, "table or json", parse_report_format, format_name);
  add_guest_type_flag(eval, &ef->guest_type);
  out->push_back({eval, [ef] { return cmd_eval(*ef); }});

  auto jf = std::make_shared<JudgeFlags>();
  CLI::App* judge = app->add_subcommand(
      "judge",
      "judge a per-second table (vtrace replay or run --format csv) as replay --detect judges a trace");
  judge->add_option("TABLE", jf->table, "per-domain CSV table (- for standard input)")->required();
  add_detect_flags(judge, &jf->detect, false);
  out->push_back({judge, [jf] { return cmd_judge(*jf); }});

  auto xf = std::make_shared<ExplainFlags>();
  CLI::App* explain = app->add_subcommand("explain", "print a model's trees as nested threshold tests");
  explain->add_option("MODEL", xf->model, "model file")->required();
  explain->add_option("--tree", xf->tree, "only this tree (default: all)")
      ->check(CLI::Range(0, int(kMaxModelTrees) - 1));
  out->push_back({explain, [xf] { return cmd_explain(*xf); }});
}

}  // namespace vt
