// What the detector does to a guest declared faulty. Opt-in: the default is
// none. Spellings (kActionSpellings): none, pause, shutdown, destroy,
// exec:CMD.
//
//  * pause / shutdown / destroy need a DomainControl, supplied by the live
//    path (libxenctrl: xc_domain_pause, xc_domain_shutdown, xc_domain_destroy).
//    Without one (replay) they are allowed only as a dry run.
//  * exec:CMD runs "/bin/sh -c CMD" without waiting (the classifier must not
//    stall), with VTRACE_DOMID, VTRACE_GENERATION, VTRACE_T, VTRACE_SCORE and
//    VTRACE_VERDICT in its environment (values never spliced into CMD).
//    Finished commands are reaped on later calls; finish() waits for the
//    rest. At most kMaxRunningActions run at once; more are skipped and said.
//  * dry run: nothing is done; one line on the log says what would be.
//  * domain 0 is never acted on (it runs vtrace and the back ends).
//
// act() returns the outcome for the verdict line: "dry-run", "started",
// "done", "skipped: ..." or "failed: ..." (empty for none).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "src/util/status.h"

namespace vt {

enum class ActionKind { kNone, kPause, kShutdown, kDestroy, kExec };
const char* action_name(ActionKind k);

struct ActionSpec {
  ActionKind kind = ActionKind::kNone;
  std::string command;  // for kExec
  bool dry_run = false;
};

// Every spelling parse_action takes, for messages and help.
inline constexpr const char* kActionSpellings = "none, pause, shutdown, destroy, exec:CMD";

// "none", "pause", "shutdown", "destroy", "exec:CMD" (CMD not empty). Sets
// kind and command; dry_run is left as it is. kInvalidArgument otherwise,
// naming the spelling.
Status parse_action(const std::string& s, ActionSpec* out);

// Carries out pause/shutdown/destroy on a live host; a failure says why.
using DomainControl = std::function<Status(ActionKind, uint16_t domid)>;

constexpr size_t kMaxRunningActions = 16;

struct ActionRunner {
  ActionSpec spec;
  DomainControl control;  // empty in replay
  std::FILE* log = stderr;
  std::vector<pid_t> running;

  // Whether `spec` can be carried out here: kInvalidArgument (one line why
  // not) for pause/shutdown/destroy without a control, unless a dry run.
  Status check() const;
  std::string act(uint16_t domid, uint32_t generation, double t, double score);
  // Reaps finished commands (all of them, waiting, if `wait`); reports
  // failures on the log.
  void reap(bool wait);
};

}  // namespace vt
