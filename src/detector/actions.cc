#include "src/detector/actions.h"

#include <spawn.h>

#include <cerrno>
#include <cstring>
#include <sys/wait.h>

extern char** environ;

namespace vt {

const char* action_name(ActionKind k) {
  switch (k) {
    case ActionKind::kNone: return "none";
    case ActionKind::kPause: return "pause";
    case ActionKind::kShutdown: return "shutdown";
    case ActionKind::kDestroy: return "destroy";
    case ActionKind::kExec: return "exec";
  }
  return "?";
}

Status parse_action(const std::string& s, ActionSpec* out) {
  ActionSpec a;
  if (s == "none")
    a.kind = ActionKind::kNone;
  else if (s == "pause")
    a.kind = ActionKind::kPause;
  else if (s == "shutdown")
    a.kind = ActionKind::kShutdown;
  else if (s == "destroy")
    a.kind = ActionKind::kDestroy;
  else if (s.rfind("exec:", 0) == 0 && s.size() > 5)
    a.kind = ActionKind::kExec, a.command = s.substr(5);
  else
    return Status::InvalidArgument("'" + s + "' is not one of " + kActionSpellings);
  out->kind = a.kind;
  out->command = a.command;
  return Status::Ok();
}

Status ActionRunner::check() const {
  const bool needs_control = spec.kind == ActionKind::kPause || spec.kind == ActionKind::kShutdown ||
                             spec.kind == ActionKind::kDestroy;
  if (needs_control && !spec.dry_run && !control)
    return Status::InvalidArgument(std::string(action_name(spec.kind)) +
                                   " needs a live host (libxenctrl); on a trace only a dry run can show "
                                   "what it would do");
  return Status::Ok();
}

std::string ActionRunner::act(uint16_t domid, uint32_t generation, double t, double score) {
  reap(false);
  if (spec.kind == ActionKind::kNone) return "";
  if (domid == 0) {  // dom0 runs vtrace and every back end: never touched
    std::fprintf(log, "vtrace: not acting on domain 0 (dom0 is never paused, shut down or destroyed)\n");
    return "skipped: dom0";
  }
  const std::string what =
      spec.kind == ActionKind::kExec ? "run '" + spec.command + "' for" : std::string(action_name(spec.kind));
  if (spec.dry_run) {
    std::fprintf(log, "vtrace: dry run: would %s domain %u (t=%.3f s, score %.3f)\n", what.c_str(), domid, t,
                 score);
    return "dry-run";
  }
  if (spec.kind != ActionKind::kExec) {
    const Status st = control ? control(spec.kind, domid) : Status::Unavailable("no domain control");
    if (!st.ok()) {
      std::fprintf(log, "vtrace: %s domain %u failed: %s\n", action_name(spec.kind), domid,
                   st.message().c_str());
      return "failed: " + st.message();
    }
    return "done";
  }
  if (running.size() >= kMaxRunningActions) {
    std::fprintf(log, "vtrace: not running '%s' for domain %u: %zu actions still running\n",
                 spec.command.c_str(), domid, running.size());
    return "skipped: too many actions running";
  }
  char buf[64];
  std::vector<std::string> vars;
  vars.push_back("VTRACE_DOMID=" + std::to_string(domid));
  vars.push_back("VTRACE_GENERATION=" + std::to_string(generation));
  std::snprintf(buf, sizeof buf, "VTRACE_T=%.6f", t);
  vars.push_back(buf);
  std::snprintf(buf, sizeof buf, "VTRACE_SCORE=%.6f", score);
  vars.push_back(buf);
  vars.push_back("VTRACE_VERDICT=faulty");
  std::vector<char*> env;
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, "VTRACE_", 7) != 0) env.push_back(*e);
  for (std::string& v : vars) env.push_back(v.data());
  env.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", cmd = spec.command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid;
  const int rc = posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, env.data());
  if (rc != 0) {
    std::fprintf(log, "vtrace: cannot run '%s': %s\n", spec.command.c_str(), std::strerror(rc));
    return std::string("failed: ") + std::strerror(rc);
  }
  running.push_back(pid);
  return "started";
}

void ActionRunner::reap(bool wait) {
  for (size_t i = 0; i < running.size();) {
    int st = 0;
    const pid_t r = waitpid(running[i], &st, wait ? 0 : WNOHANG);
    if (r == 0) {
      ++i;
      continue;
    }
    if (r == running[i] && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
      if (WIFEXITED(st))
        std::fprintf(log, "vtrace: action '%s' exited with status %d\n", spec.command.c_str(),
                     WEXITSTATUS(st));
      else
        std::fprintf(log, "vtrace: action '%s' killed by signal %d\n", spec.command.c_str(),
                     WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    }
    if (r < 0 && errno == EINTR) continue;
    running.erase(running.begin() + long(i));
  }
}

}  // namespace vt
