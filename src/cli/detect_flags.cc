#include "src/cli/detect_flags.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "src/cli/commands.h"

namespace vt {

void add_detect_flags(CLI::App* cmd, DetectFlags* f) {
  cmd->add_flag("--detect", f->detect,
                "judge every domain each second and print verdict changes as JSON lines "
                "(docs/detector.md)");
  cmd->add_option("--model", f->model, "model file (default: the default model)");
  cmd->add_option("--strikes", f->strikes, "consecutive faulty seconds before a verdict (default: the model's, 3)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--verdicts", f->verdicts,
                  "write verdict lines to FILE (default: stdout, in place of the samples)");
  cmd->add_option("--action", f->action, "on a faulty verdict: none, pause, shutdown, destroy or exec:CMD")
      ->default_val("none");
  cmd->add_flag("--dry-run", f->dry_run, "say what the action would do; do nothing");
}

bool open_detect(const DetectFlags& f, double period_s, DomainControl control,
                 std::unique_ptr<DetectStage>* out, int* exit_code) {
  out->reset();
  if (!f.detect) return true;
  if (period_s != 1.0) {
    std::fprintf(stderr, "vtrace: --detect judges 1 s periods: drop --period\n");
    *exit_code = kExitUsage;
    return false;
  }
  DetectOptions d;
  d.model_path = f.model;
  d.strikes = f.strikes;
  d.verdicts_path = f.verdicts;
  d.action = f.action;
  d.dry_run = f.dry_run;
  d.control = std::move(control);
  auto det = std::make_unique<DetectStage>();
  std::string err;
  bool usage = false;
  if (!det->open(d, &err, &usage)) {
    std::fprintf(stderr, "vtrace: %s\n", err.c_str());
    *exit_code = usage ? kExitUsage : kExitBadInput;
    return false;
  }
  *out = std::move(det);
  return true;
}

}  // namespace vt
