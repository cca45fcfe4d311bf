// `vtrace top`'s side of a run: turns the periods the run's pipeline and
// detector produce (PeriodView, commands.h: the same live or file reading
// `vtrace run` and `vtrace replay` use) into frames of the table
// (src/exporters/top_table.h), and shows them: as batch text on stdout
// (-b, or stdout not a terminal), or full-screen on the terminal
// (terminal.h), redrawn on each frame and on each key.
//
// Contract
//  * A frame every `delay` periods (1 s each), its figures over them; the
//    verdict and score of each domain as the detector stands after the
//    frame's last period. After `iterations` frames (0: no limit), or when
//    the user quits, *stop is set and later periods are passed over.
//  * Batch: each frame is the table with the time column (TIME(s): the end
//    of the frame, seconds since the trace's start), sorted by --sort; a
//    blank line between frames; flushed per frame.
//  * Full-screen: the periods' thread hands each frame over under a mutex;
//    a thread of the view's own reads keys (top_table.h: parse_top_keys),
//    sorts and draws. `paced` (a trace file, which is read at full speed):
//    the reading waits `delay` wall seconds after each frame, so that the
//    frames can be seen. SIGINT, SIGTERM and SIGHUP stop the run; the
//    terminal is restored on every way out (terminal.h).
//  * Domain names: `names` (the DomainNames the detector's guard matches
//    --never-act against) is the one source; unset or "" prints xentop's
//    placeholder (top_display_name).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "src/cli/commands.h"
#include "src/cli/terminal.h"
#include "src/detector/action_guard.h"
#include "src/exporters/top_table.h"
#include "src/samples/sample.h"
#include "src/util/mutex.h"
#include "src/util/thread_annotations.h"

namespace CLI {
class App;
}

namespace vt {

class DetectStage;

struct TopOptions {
  bool batch = false;
  int iterations = 0;  // frames; 0: no limit
  int delay = 1;       // periods (seconds of trace time) per frame
  TopSort sort = TopSort::kDomid;
  bool reverse = false;
};

// -b/--batch, -i/--iterations, -d/--delay, --sort, --reverse.
void add_top_flags(CLI::App* cmd, TopOptions* o);

class TopView {
 public:
  TopView(const TopOptions& o, std::atomic<bool>* stop, DomainNames names, bool paced);
  ~TopView();
  TopView(const TopView&) = delete;
  TopView& operator=(const TopView&) = delete;

  // Callbacks bound to this view, for run_live or replay_to_view.
  PeriodView view();

 private:
  void start(const std::string& source);
  void period(const std::vector<DomainSample>& p, const DetectStage* det, double hz);
  void finish();
  TopFrame frame(double hz, const DetectStage* det) VT_REQUIRES(periods_);
  void ui_loop();

  const TopOptions opt_;
  std::atomic<bool>* stop_;
  const DomainNames names_;
  const bool interactive_;
  const bool paced_;

  // The periods' thread (the classifier live, the reader for a file).
  ThreadRole periods_;
  TopWindow window_ VT_GUARDED_BY(periods_);
  int frames_ VT_GUARDED_BY(periods_) = 0;
  bool printed_ VT_GUARDED_BY(periods_) = false;  // batch: a frame was printed

  // Full-screen: the periods' thread hands frames to the view's thread.
  Terminal term_;
  std::thread ui_;
  std::atomic<bool> ui_stop_{false};
  std::atomic<bool> quit_{false};  // the user quit: the periods still coming are not shown
  Mutex mu_;
  TopFrame latest_ VT_GUARDED_BY(mu_);
  uint64_t seq_ VT_GUARDED_BY(mu_) = 0;  // frames handed over
  std::string source_ VT_GUARDED_BY(mu_);
};

}  // namespace vt
