#include "src/cli/top_view.h"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>

#include "src/cli/named_option.h"
#include "src/detector/verdicts.h"

namespace vt {

void add_top_flags(CLI::App* cmd, TopOptions* o) {
  cmd->add_flag("-b,--batch", o->batch,
                "print frames one after another as text, as xentop -b does (also when stdout is not a "
                "terminal)");
  cmd->add_option("-i,--iterations", o->iterations, "stop after this many frames (0: no limit)")
      ->check(CLI::Range(0, INT_MAX))
      ->capture_default_str();
  cmd->add_option("-d,--delay", o->delay,
                  "seconds of trace time per frame (the pipeline's 1 s periods); a frame's figures cover "
                  "them all")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  std::string keys;
  for (int i = 0; i < kNumTopSorts; ++i) keys += std::string(i ? ", " : "") + top_sort_name(TopSort(i));
  add_named_option<TopSort>(cmd, "--sort", &o->sort, "order rows by " + keys + " (keys s, <, > change it)",
                            parse_top_sort, [](TopSort s) { return std::string(top_sort_name(s)); });
  cmd->add_flag("--reverse", o->reverse, "reverse the sort order (key r)");
}

namespace {

// Where SIGINT, SIGTERM and SIGHUP send a full-screen view: its stop.
std::atomic<bool>* g_top_stop = nullptr;
void on_stop_signal(int) {
  if (g_top_stop) g_top_stop->store(true);
}

}  // namespace

TopView::TopView(const TopOptions& o, std::atomic<bool>* stop, DomainNames names, bool paced)
    : opt_(o),
      stop_(stop),
      names_(std::move(names)),
      interactive_(!o.batch && isatty(STDOUT_FILENO)),
      paced_(paced && interactive_) {}

TopView::~TopView() { finish(); }

PeriodView TopView::view() {
  PeriodView v;
  v.start = [this](const std::string& source) { start(source); };
  v.period = [this](const std::vector<DomainSample>& p, const DetectStage* det, double hz) {
    period(p, det, hz);
  };
  v.finish = [this] { finish(); };
  return v;
}

void TopView::start(const std::string& source) {
  if (!interactive_ || ui_.joinable()) return;
  {
    MutexLock l(&mu_);
    source_ = source;
  }
  if (Status st = term_.enter(); !st.ok())
    std::fprintf(stderr, "vtrace: %s: keys are not read (Ctrl-C stops)\n", st.message().c_str());
  g_top_stop = stop_;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
  ui_ = std::thread([this] { ui_loop(); });
}

void TopView::finish() {
  ui_stop_.store(true);
  if (ui_.joinable()) ui_.join();
  term_.restore();
}

TopFrame TopView::frame(double hz, const DetectStage* det) {
  TopFrame f = window_.take(hz);
  for (TopRow& r : f.rows) {
    // NAME SOURCE: the one place a row's name comes from. Today nothing
    // sets `names` (vtrace reads no xenstore yet), so every row prints the
    // placeholder; domain identity (issue 15, item 1) fills it.
    if (names_) r.name = names_(r.domid);
    if (!det) continue;
    const Detector::Standing st = det->detector().standing(r.domid, r.generation);
    if (st.has_verdict) r.verdict = verdict_name(st.verdict);
    r.scored = st.scored;
    r.score = st.score;
  }
  return f;
}

void TopView::period(const std::vector<DomainSample>& p, const DetectStage* det, double hz) {
  periods_.claim();
  const bool enough = opt_.iterations > 0 && frames_ >= opt_.iterations;
  if (enough || quit_.load()) return;  // the run is stopping: what it still drains is not shown
  window_.add(p);
  if (int(window_.periods()) < opt_.delay) return;
  TopFrame f = frame(hz, det);
  ++frames_;
  if (interactive_) {
    MutexLock l(&mu_);
    latest_ = std::move(f);
    ++seq_;
  } else {
    sort_top_rows(&f.rows, opt_.sort, opt_.reverse);
    const std::string text = (printed_ ? "\n" : "") + format_top_table(f, TopTableOptions{true, true});
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    printed_ = true;
  }
  if (opt_.iterations > 0 && frames_ >= opt_.iterations) {
    stop_->store(true);
    return;
  }
  if (paced_) {  // a file: one frame per `delay` seconds, as live
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(opt_.delay);
    while (!quit_.load() && !stop_->load() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void TopView::ui_loop() {
  TopUi ui;
  ui.sort = opt_.sort;
  ui.reverse = opt_.reverse;
  TopFrame shown;
  bool have = false, dirty = true;
  uint64_t drawn = 0;
  std::string source;
  size_t rows = 0, cols = 0;
  while (!ui_stop_.load()) {
    {
      MutexLock l(&mu_);
      if (seq_ != drawn) {
        shown = latest_;
        drawn = seq_;
        have = dirty = true;
      }
      source = source_;
    }
    size_t h = 0, w = 0;
    Terminal::size(&h, &w);
    if (h != rows || w != cols) rows = h, cols = w, dirty = true;  // resized
    const size_t page = rows > 3 ? rows - 3 : 1;
    ui.first_row = std::min(ui.first_row, shown.rows.size() > page ? shown.rows.size() - page : 0);
    if (dirty) term_.draw(top_screen_lines(have ? &shown : nullptr, ui, source, rows, cols));
    dirty = false;
    for (TopKey k : parse_top_keys(term_.read_keys(100))) {
      apply_top_key(k, shown.rows.size(), page, &ui);
      dirty = true;
    }
    if (stop_->load() && !ui.quit) ui.quit = true;  // a signal, or the frames asked for
    if (ui.quit) {
      quit_.store(true);
      stop_->store(true);
      return;
    }
  }
}

}  // namespace vt
