// The runtime detector: per-second samples in, verdict changes out.
//
// Contract
//  * Input: each 1 s period's DomainSamples (the pipeline's sample sink,
//    period_s = 1) or, offline, SecondRows; any number of domains per call.
//    Domains are keyed by (domid, generation): a new generation is a new
//    domain with a fresh history.
//  * Each call: every row goes through the domain's window (features.h:
//    5 s mean, first 5 s of a domain not judged, windows containing a
//    blinded second not judged); all judged domains are then scored in one
//    batch (ensemble.h: flattened trees over a feature-major matrix). No
//    allocation once the number of domains has been seen (first sight of a
//    domain and growth of the batch allocate).
//  * score = fraction of trees voting normal; a judged second votes faulty
//    iff score <= threshold (the model's unless overridden).
//  * Strike rule, per domain: the first judged second emits "normal"; after
//    `strikes` consecutive faulty votes (default the model's, 3) the domain
//    becomes "faulty"; a faulty domain becomes "recovered" (and is then
//    watched as normal again) after `strikes` consecutive normal votes.
//    Unjudged seconds (blinded) leave the counts as they are; a restarted
//    history (gap, new generation) clears them.
//  * Guest type (features.h): each domain's PV and HVM records so far say
//    what it is. A detector holds one model per guest type at most (the
//    models' guest_types are disjoint, their windows equal); a domain is
//    judged by the model of its type, with that model's threshold and
//    strikes. A second that would be judged while no model takes the
//    domain's type (or it is not known yet) is not scored: the domain
//    becomes "unknown" (emitted once, strike counts cleared) until its type
//    is one a model judges, when its next judged second emits "normal". A
//    domain whose type changes to one another model judges starts afresh
//    under it: strikes cleared, its next judged second emits "normal".
//    Live, the host's domain info says the type (HVM/PVH or PV) and that
//    wins over the records (a trace whose mask left the HVM class out
//    still has an HVM guest's hypercall subcalls, which look PV).
//  * Another reader of the rings (a row blinded with kBlindSharedRings):
//    the domain becomes "unknown" too (reason "another reader of the
//    rings"; strike counts and judged seconds cleared); once its rows are
//    clean and a window holds none of those rows, its next judged second
//    emits "normal".
//  * Lost records (a row blinded with kBlindLost) make the domain
//    "unknown" the same way (reason "records lost"): too little evidence
//    is never judged normal.
//  * Domain state (DomainState, sample.h): a row whose domain is paused,
//    shut down, crashed or dying is not judged; the state is emitted once
//    as a verdict of its own ("paused", "shutdown" with the guest's reason,
//    "crashed" at once, without strikes, "dying"; a crash or shutdown
//    followed by the destroy in one second gives both lines). Its strikes
//    and window are cleared: when it runs again (unpaused, a cancelled
//    save) its history restarts, the first seconds unjudged as for a new
//    domain, and its next judged second emits "normal". A change in the
//    number of vCPUs that are up (xl vcpu-set) restarts the history too,
//    with an "unknown" line (reason "vCPUs changed") if it had been judged.
//    A restored or rebooted guest is a new domain (DOM_ADD: a new domid or
//    generation).
//  * Domain 0 is "unknown" (reason "dom0 is not judged") unless
//    set_judge_dom0: it runs vtrace and every back end, no model was
//    trained on it (the data sets label guests only), and a busy dom0
//    driving guests' I/O drew a faulty verdict in the lab's soak.
//  * A guest the trace saw created (DOM_ADD: booted, rebooted or restored
//    while traced) is booting: "unknown" (reason "booting"), never judged,
//    until kBootIdleS seconds in a row in which its vCPUs were blocked at
//    least as long as they ran (its kernel idles: a boot's waits for
//    devices are shorter) or boot_grace_s after it first ran,
//    whichever comes first; its history then restarts. A kernel booting on
//    a busy host runs for long stretches with few hypercalls, as a spinning
//    one does (the lab's lifecycle runs: tests/lifecycle).
//  * Output: verdict changes only; within a call, the lines of rows not
//    judged (state, unknown) in input order, then the judged ones. t is the
//    end of the judged second (start + span), seconds since trace start:
//    the earliest time the verdict could be known.
//  * Verdict lines (verdict_json): one JSON object per line,
//      {"t": 83.000, "domid": 5, "generation": 0, "verdict": "faulty",
//       "guest_type": "pv", "score": 0.12}
//    plus "action" and "action_result" when an action was due ("held",
//    with "held": the guard's reason, when action_guard.h held it); an
//    unknown verdict has no score, and "reason" when the cause is not its
//    type. The guest type says which model judged. A host alarm
//    (action_guard.h) is a line of its own, before the verdict that raised
//    it.
//  * Other models (SIGHUP, replace_models): every domain keeps its window,
//    state, strike counts and judged age, and goes on under the new model
//    of its type; the window cannot change.
//  * Not thread-safe: one thread (the classifier thread) owns a Detector.
//
// DetectStage bundles what `vtrace replay --detect` and the live classifier
// need: model lookup and loading, the Detector, the verdict file and the
// action runner (actions.h). See docs/detector.md for the wiring.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/detector/action_guard.h"
#include "src/detector/actions.h"
#include "src/detector/ensemble.h"
#include "src/detector/features.h"
#include "src/detector/model.h"
#include "src/samples/sample.h"
#include "src/util/domain_id.h"
#include "src/util/stats.h"
#include "src/util/status.h"

namespace vt {

// The last four are the domain's state (DomainState, sample.h), never
// judged: "shutdown" carries the guest's reason ("poweroff", "reboot",
// "suspend", ...), "crashed" is a shutdown for a crash.
// How long a guest created while traced may stay "booting" at most, and
// how many seconds in a row it must idle to be past its boot.
constexpr double kDefaultBootGraceS = 300;
constexpr uint32_t kBootIdleS = 5;

enum class VerdictKind : uint8_t {
  kNormal,
  kFaulty,
  kRecovered,
  kUnknown,
  kPaused,
  kShutdown,
  kCrashed,
  kDying
};
const char* verdict_name(VerdictKind k);

struct Verdict {
  double t = 0;  // end of the judged second, seconds since trace start
  uint16_t domid = 0;
  uint32_t generation = 0;
  VerdictKind kind = VerdictKind::kNormal;
  double score = 0;                      // fraction of trees voting normal (not for kUnknown)
  GuestType type = GuestType::kUnknown;  // what its records say it is
  uint32_t judged_s = 0;                 // judged seconds of its history so far (this one included)
  const char* reason = nullptr;  // kUnknown for a cause other than its type; kShutdown, kCrashed: the guest's
};

// Every judged second (for evaluation and tests).
struct Judgement {
  double t = 0;  // start of the judged second, as in the row
  uint16_t domid = 0;
  uint32_t generation = 0;
  double score = 0;
};

// One line, without the newline. action/result/held are left out when
// empty; `time` (the wall clock, RFC 3339 UTC, live only) goes after "t",
// the domain's name and UUID (live only) after "generation".
std::string verdict_json(const Verdict& v, const std::string& action = "", const std::string& result = "",
                         const std::string& held = "", const DomainId* id = nullptr,
                         const std::string& time = "");
// The wall clock now in RFC 3339 UTC with milliseconds,
// "2026-12-07T17:40:01.123Z".
std::string rfc3339_now();

// A domain's name and UUID when the source knows them (live: the host's
// domain info and xenstore, runtime/domain_directory.h); nullptr otherwise.
using DomainIdentity = std::function<const DomainId*(uint16_t domid)>;

class Detector {
 public:
  // strikes <= 0: the model's; threshold NaN: the model's. The model must be
  // validated (load_model / validate_model).
  explicit Detector(const Model& m, int strikes = 0, double threshold = NAN);
  // One model per guest type: check_model_set(models) must have passed.
  explicit Detector(const std::vector<Model>& models, int strikes = 0, double threshold = NAN);
  // The longest a guest created while traced stays "booting" (above).
  void set_boot_grace(double seconds) { boot_grace_s_ = seconds; }
  // Whether dom0 is judged (above); by default it is "unknown".
  void set_judge_dom0(bool on) { judge_dom0_ = on; }

  // Judges on with other models (SIGHUP): every domain keeps its history,
  // state, strike counts and judged age, and goes on under the new model of
  // its type (none: its next judged second is unknown). The models must be
  // a set (check_model_set) with this detector's window.
  void replace_models(const std::vector<Model>& models, int strikes = 0, double threshold = NAN);
  const WindowConfig& window() const { return window_; }

  void on_samples(const std::vector<DomainSample>& period, double hz, std::vector<Verdict>* out);
  void on_rows(const SecondRow* rows, size_t n, std::vector<Verdict>* out,
               std::vector<Judgement>* judged = nullptr);

  // A domain's standing after the last call, for the metrics and `vtrace
  // top`: faulty iff its last verdict was faulty (the strike rule's state,
  // not one second's vote); `scored` when a model judged its last judged
  // second, `score` that second's; `verdict` the kind of its last verdict
  // line (`has_verdict`: it had one). A domain never seen, or of another
  // generation: none of them.
  struct Standing {
    bool faulty = false;
    bool scored = false;
    double score = 0;
    bool has_verdict = false;
    VerdictKind verdict = VerdictKind::kNormal;
  };
  Standing standing(uint16_t domid, uint32_t generation) const;

  // The first model's (evaluation reads a one-model detector's).
  int strikes() const { return parts_[0].strikes; }
  double threshold() const { return parts_[0].threshold; }
  size_t domains() const { return slots_.size(); }
  // Domains scored in the last call (the host's judged guests this second).
  size_t scored_last() const { return scored_last_; }

 private:
  enum class State : uint8_t { kUnjudged, kNormal, kFaulty, kUnknown, kStopped };
  struct Slot {
    bool seen = false;
    uint32_t generation = 0;
    DomainWindow w;
    State state = State::kUnjudged;
    VerdictKind stopped = VerdictKind::kNormal;  // kStopped: the state verdict last emitted
    uint8_t shutdown_told = xt::kNoShutdown;     // the shutdown reason last emitted
    uint32_t vcpus_up = 0;                       // in its last active row (0: not known)
    bool booted = false;                         // a guest created while traced is past its boot
    uint32_t idle_run = 0;                       // ... its idle seconds in a row, while booting
    double boot_t0 = -1;                         // ... the start of its first running second
    uint32_t faulty_run = 0, normal_run = 0;
    uint32_t judged = 0;       // seconds scored since its history (re)started
    uint64_t pv = 0, hvm = 0;  // its PV and HVM records so far (the type's evidence)
    int8_t host_hvm = -1;      // the host's word on its type, which wins (-1: none)
    GuestType type() const {
      return host_hvm >= 0 ? (host_hvm ? GuestType::kHvm : GuestType::kPv) : guest_type_of(pv, hvm);
    }
    uint32_t part = kNone;  // the model that judged its last second
    bool scored = false;    // a model scored its last judged second
    double score = 0;       // ... this
    // The kind of its last verdict line, if it had one.
    bool has_verdict = false;
    VerdictKind verdict = VerdictKind::kNormal;
  };
  // Remembers each domain's last verdict (Standing) from a call's output.
  void note_verdicts(const std::vector<Verdict>& out);
  // One model and its batch: a feature-major matrix of capacity cap_ columns.
  struct Part {
    FlatEnsemble ens;
    int strikes = 0;
    double threshold = 0;
    std::vector<float> x;
    std::vector<double> scores;
    std::vector<uint16_t> votes;
    size_t ncol = 0;
  };

  void set_models(const std::vector<Model>& models, int strikes, double threshold);

  std::vector<Part> parts_;
  uint32_t part_of_type_[kNumGuestTypes];  // kNone: no model judges the type
  WindowConfig window_;
  size_t scored_last_ = 0;
  double boot_grace_s_ = kDefaultBootGraceS;
  bool judge_dom0_ = false;
  std::vector<uint32_t> slot_of_;             // domid -> slot, kNone
  std::vector<std::unique_ptr<Slot>> slots_;  // stable addresses
  std::vector<SecondRow> rows_;               // on_samples' conversion buffer
  size_t cap_ = 0;
  // The judged seconds of a call, in input order: slot, row, the model and
  // the column in its matrix (part kNone: not scored, no model takes the
  // domain's type).
  std::vector<uint32_t> batch_slot_;
  std::vector<const SecondRow*> batch_row_;
  std::vector<uint32_t> batch_part_;
  std::vector<uint32_t> batch_col_;

  // A row of a domain that is not active: its state verdicts, its history
  // cleared.
  void on_stopped(Slot& s, const SecondRow& r, std::vector<Verdict>* out);
  // Clears strikes and the window: the next row starts a new history.
  static void restart(Slot& s) {
    s.w.used = false;
    s.faulty_run = s.normal_run = s.judged = 0;
    s.scored = false;
  }
};

// Models a Detector can hold together: at least one, each guest type judged
// by one model at most, the same window and warm-up. kInvalidArgument naming
// `names[i]` (the models' files) otherwise.
Status check_model_set(const std::vector<Model>& models, const std::vector<std::string>& names);

// Where the default model is: $VTRACE_MODEL if set; for a vtrace in its
// build tree, <source>/src/detector/models/default.json; for an installed one,
// <exe>/../share/vtrace/models/default.json, then
// VTRACE_DATADIR/models/default.json. Empty (and *searched lists the
// places) if none exists.
std::string default_model_path(std::string* searched);
// The default models: default_model_path() (PV guests) and, when the
// folder has it, default-hvm.json beside it (HVM and PVH guests). Empty if
// there is no default model; $VTRACE_MODEL names the one model to use.
std::vector<std::string> default_model_paths(std::string* searched);

struct DetectOptions {
  std::vector<std::string> model_paths;  // one per guest type at most; empty: default_model_paths()
  int strikes = 0;                       // 0: the model's; else 1..kMaxStrikes
  std::string verdicts_path;             // empty or "-": stdout
  // A spelling parse_action takes; the default does nothing.
  std::string action = action_name(ActionKind::kNone);
  bool dry_run = false;
  DomainControl control;  // live path: pause/shutdown/destroy
  GuardOptions guard;     // what holds an action (action_guard.h)
  DomainQuery query;      // live path: is the domain still there, the same, running
  // Live path: names and UUIDs for the verdict lines and --never-act, and
  // the wall-clock "time" on every line.
  DomainIdentity identity;
  bool wall_time = false;
  double boot_grace_s = kDefaultBootGraceS;  // --boot-grace-s
  bool judge_dom0 = false;                   // --judge-dom0
  // With no verdicts_path: false writes no verdict lines at all (vtrace
  // top shows the verdicts in its table, which has stdout).
  bool lines_on_stdout = true;
};

// 0 (the model's) or 1..kMaxStrikes; kInvalidArgument naming the value.
Status check_strikes(int strikes);

class DetectStage {
 public:
  // Checks the action and strikes (check_strikes; kInvalidArgument naming
  // the value), loads the models (kUnavailable when there is no default
  // model; a model file's kIoError or kCorruption; kInvalidArgument when
  // they are not a set, check_model_set), opens the verdict file for
  // appending (kIoError). One line, naming no command-line flag.
  Status open(const DetectOptions& o);
  // Feeds one period; writes verdict lines and runs the actions the guard
  // lets through (host alarms as lines of their own).
  void on_samples(const std::vector<DomainSample>& period, double hz);
  // The same for one second of a per-second table (`vtrace judge`).
  void on_rows(const SecondRow* rows, size_t n);
  // Stat::actions_taken, actions_held, host_alarms.
  const Stats& stats() const { return stats_; }
  // A running stage takes new settings and models (SIGHUP; the host's hooks
  // stay as open() set them): the models are loaded and checked as open()
  // does, and must have the running models' window; a refusal is one line
  // naming the file (kInvalidArgument, a model's own error) and changes
  // nothing. Else every domain keeps its history and strikes (Detector::
  // replace_models), the guard its history; the strikes, action, dry run,
  // boot grace and guard options are the new ones; a verdict file is reopened
  // (appending: a rotated log starts a new file); its path stays.
  Status reload(const DetectOptions& o);
  // Waits for running actions, flushes the verdict file.
  void finish();
  ~DetectStage();

  const std::vector<Model>& models() const { return models_; }
  const Detector& detector() const { return *det_; }

 private:
  std::vector<Model> models_;
  std::unique_ptr<Detector> det_;
  ActionRunner actions_;
  ActionGuard guard_;
  Stats stats_;
  std::FILE* out_ = nullptr;
  bool own_out_ = false;
  std::string out_path_;  // the verdict file's, when own_out_
  DomainIdentity identity_;
  bool wall_time_ = false;
  std::vector<Verdict> verdicts_;

  // Writes verdicts_ and runs the actions due (on_samples, on_rows).
  void emit();
};

}  // namespace vt
