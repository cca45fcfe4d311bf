#include "src/cli/detect_flags.h"

#include <CLI/CLI.hpp>
#include <string>

#include "src/detector/actions.h"
#include "src/detector/model.h"

namespace vt {

void add_detect_flags(CLI::App* cmd, DetectFlags* f, bool with_detect) {
  // --action is checked while the command line is parsed, by the library's
  // parser: its message is the one a bad spelling gets ("--action: ...").
  const CLI::Validator action(
      [](std::string& s) {
        ActionSpec a;
        const Status st = parse_action(s, &a);
        return st.ok() ? std::string() : st.message();
      },
      "", "action");
  if (with_detect)
    cmd->add_flag("--detect", f->detect,
                  "judge every domain each second and print verdict changes as JSON lines "
                  "(docs/detector.md)");
  // One file per occurrence (a TRACE after it stays a positional).
  cmd->add_option("--model", f->options.model_paths,
                  "model file; repeat it for one model per guest type (default: the default models, for PV "
                  "and for HVM/PVH guests)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--strikes", f->options.strikes,
                  "consecutive faulty seconds before a verdict (default: the model's)")
      ->check(CLI::Range(1, kMaxStrikes));
  cmd->add_option("--verdicts", f->options.verdicts_path,
                  "write verdict lines to FILE (default: stdout, in place of the samples)");
  cmd->add_option("--action", f->options.action, std::string("on a faulty verdict: ") + kActionSpellings)
      ->check(action)
      ->capture_default_str();
  cmd->add_flag("--dry-run", f->options.dry_run, "say what the action would do; do nothing");
  cmd->add_option("--boot-grace-s", f->options.boot_grace_s,
                  "a guest created while traced is unknown (booting) until it idles 5 s in a row, or this "
                  "many seconds after it first ran")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  cmd->add_flag(
      "--judge-dom0", f->options.judge_dom0,
      "also judge dom0 (no model was trained on the control domain; by default its verdict is unknown)");
  GuardOptions& g = f->options.guard;
  cmd->add_option("--min-age-s", g.min_age_s,
                  "act only on a domain judged for at least this many seconds (docs/detector.md)")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  cmd->add_option("--max-actions", g.max_actions,
                  "more actions than this within 60 s raise a host alarm that holds every action")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_option("--cooldown-s", g.cooldown_s, "act on a guest at most once in this many seconds")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  cmd->add_option("--never-act", g.never_act,
                  "never act on a domain whose name (or decimal domid) matches this glob; repeatable")
      ->allow_extra_args(false);
}

bool samples_on_stdout(const DetectFlags& f) {
  return !f.detect || (!f.options.verdicts_path.empty() && f.options.verdicts_path != "-");
}

Status open_detect(const DetectFlags& f, double period_s, DomainControl control, DomainQuery query,
                   DomainIdentity identity, std::unique_ptr<DetectStage>* out) {
  out->reset();
  if (!f.detect) return Status::Ok();
  if (period_s != 1.0) return Status::InvalidArgument("--detect judges 1 s periods: drop --period");
  DetectOptions d = f.options;
  d.control = std::move(control);
  d.query = std::move(query);
  d.wall_time = bool(identity);  // a live host: its verdicts happen now
  d.identity = std::move(identity);
  // The action's own checks first (its spelling, and whether it can be
  // carried out here), so that a refusal names the flag; the library's
  // messages name only the value.
  ActionRunner probe;
  probe.spec.dry_run = d.dry_run;
  probe.control = d.control;
  Status st = parse_action(d.action, &probe.spec);
  if (st.ok()) st = probe.check();
  if (!st.ok()) return st.with_context("--action");
  if (st = check_strikes(d.strikes); !st.ok()) return st.with_context("--strikes");
  auto det = std::make_unique<DetectStage>();
  st = det->open(d);
  // The action and strikes passed above: what open() can still refuse as a
  // bad argument is the set of models; and without --model, a missing
  // default model is for that flag to fix. Model and verdict file errors
  // name their file.
  if (st.code() == Status::Code::kInvalidArgument) return st.with_context("--model");
  if (st.code() == Status::Code::kUnavailable && d.model_paths.empty()) return st.with_context("--model");
  if (!st.ok()) return st;
  *out = std::move(det);
  return Status::Ok();
}

}  // namespace vt
