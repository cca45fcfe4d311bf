// The detector's flags, shared by `vtrace replay --detect` and `vtrace run
// --detect`: which model, how many strikes, where verdicts go, what action,
// and what holds it (the guard: --min-age-s, --max-actions, --cooldown-s,
// --never-act).
#pragma once

#include <memory>
#include <string>

#include "src/detector/verdicts.h"
#include "src/util/status.h"

namespace CLI {
class App;
}

namespace vt {

// The flags bind to the library's options, whose initialisers are the
// defaults.
struct DetectFlags {
  bool detect = false;
  DetectOptions options;  // --model, --strikes, --verdicts, --action, --dry-run, the guard's
};

// Without `with_detect`, no --detect flag: the command always judges
// (`vtrace judge`) and sets f->detect itself.
void add_detect_flags(CLI::App* cmd, DetectFlags* f, bool with_detect = true);

// Whether the samples go to stdout: without --detect, or with the verdicts
// sent to a file (--verdicts FILE); else the verdict lines take it.
bool samples_on_stdout(const DetectFlags& f);

// Opens the detector when --detect was given (*out stays empty otherwise).
// kInvalidArgument for a bad flag, its message naming the flag; the
// model's or the verdict file's error otherwise. `control` carries out
// pause/shutdown/destroy on a live host, `query` says what the host
// knows of a domain before an action, and `identity` names the domains on
// the verdict lines, which then carry the wall-clock "time" too (all three
// empty in replay).
Status open_detect(const DetectFlags& f, double period_s, DomainControl control, DomainQuery query,
                   DomainIdentity identity, std::unique_ptr<DetectStage>* out);

}  // namespace vt
