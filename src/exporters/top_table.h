// The table of `vtrace top`: one row per domain per frame, in the style of
// xentop, as plain text; and what its interactive keys mean.
//
// Contract
//  * A frame covers one or more consecutive periods (`-d`): TopWindow adds
//    each closed period's samples (the pipeline's, as `vtrace replay` prints
//    them; nothing is recounted here) per (domid, generation) and take()
//    turns them into rows for the domains of the last period added (a
//    domain destroyed during the frame is gone) and starts afresh.
//  * A row's percentages are seconds in the state, summed over the
//    domain's vCPUs, over the seconds the domain was in the frame's
//    periods: like xentop's CPU(%), they exceed 100 for a domain with more
//    than one vCPU. Hypercalls per second are PV hypercall records and
//    HVM/PVH VMCALL exits (hypercalls_of) over the same seconds.
//  * The verdict and score come from the detector (the caller fills them):
//    the verdict is the word of the domain's last verdict line (normal,
//    faulty, recovered, unknown), empty before its first; the score is its
//    last judged second's, when a model scored it.
//  * format_top_table is a pure function: the header line and one line per
//    row, in the rows' order, each ending in a newline, no trailing blank.
//    An empty name prints as xentop users expect it: Domain-0 for domain 0,
//    else "-".
//  * sort_top_rows orders rows by a key: domid and name ascending; cpu,
//    runnable, blocked and hypercalls largest first; score lowest (most
//    suspect) first, unscored last; verdict by severity (faulty, unknown,
//    recovered, normal, none) then by score. `reverse` turns the key's
//    whole order round (unscored first, say); ties go by domid then
//    generation, ascending, either way.
//  * Keys (parse_top_keys, apply_top_key): bytes read from a terminal in
//    raw mode become keys, keys change the view's state; pure, so that the
//    terminal code (src/cli) only reads, calls and draws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "src/samples/sample.h"
#include "src/util/status.h"

namespace vt {

struct TopRow {
  uint16_t domid = 0;
  uint32_t generation = 0;
  std::string name;  // empty: not known (printed as Domain-0 for domain 0, else "-")
  uint32_t vcpus = 0;
  double cpu_pct = 0, runnable_pct = 0, blocked_pct = 0;  // summed over vCPUs: may exceed 100
  double hypercalls_per_s = 0;
  std::string verdict;  // the last verdict line's word; empty: none yet
  bool scored = false;  // a model scored its last judged second
  double score = 0;     // ... this: the fraction of trees voting normal
};

struct TopFrame {
  double t = 0;       // end of the frame's last period, seconds since trace start
  double span_s = 0;  // seconds of trace time the frame covers
  uint32_t periods = 0;
  std::vector<TopRow> rows;
};

// Sums periods into a frame.
class TopWindow {
 public:
  void add(const std::vector<DomainSample>& period);
  uint32_t periods() const { return periods_; }
  // The frame of the periods added since the last take(), at TSC rate hz;
  // the window is empty afterwards.
  TopFrame take(double hz);

 private:
  struct Acc {
    uint32_t vcpus = 0;       // the most it had in one period
    uint64_t cycles[3] = {};  // running, runnable, blocked
    uint64_t hypercalls = 0;
    double span_s = 0;        // seconds it was in the frame's periods
    uint64_t last_index = 0;  // the last period it was in
  };
  std::map<std::pair<uint16_t, uint32_t>, Acc> acc_;  // (domid, generation)
  uint32_t periods_ = 0;
  double span_s_ = 0, t_ = 0;
  uint64_t last_index_ = 0;
  bool any_ = false;  // a period with a domain in it was added
};

enum class TopSort : uint8_t { kDomid, kName, kCpu, kRunnable, kBlocked, kHypercalls, kVerdict, kScore };
inline constexpr int kNumTopSorts = 8;
const char* top_sort_name(TopSort s);  // "domid", "name", "cpu", ...
// kInvalidArgument "'x' is not one of domid, name, cpu, ..." otherwise.
Status parse_top_sort(const std::string& s, TopSort* out);

void sort_top_rows(std::vector<TopRow>* rows, TopSort key, bool reverse);

// The name the table prints for a domain.
std::string top_display_name(uint16_t domid, const std::string& name);

struct TopTableOptions {
  bool time_column = false;  // batch: each row starts with the frame's t
  bool full_names = true;    // false: names cut to the column (a terminal's width is limited)
};
std::string format_top_table(const TopFrame& f, const TopTableOptions& o);

// The interactive view's state.
struct TopUi {
  TopSort sort = TopSort::kDomid;
  bool reverse = false;
  size_t first_row = 0;  // scrolled past this many rows
  bool quit = false;
};

enum class TopKey : uint8_t {
  kQuit,      // q, Q, Esc, Ctrl-C
  kNextSort,  // s, S, >, right arrow
  kPrevSort,  // <, left arrow
  kReverse,   // r, R
  kUp,        // up arrow
  kDown,      // down arrow
  kPageUp,    // Page Up
  kPageDown,  // Page Down
  kHome,      // Home
};
// The keys in bytes read from the terminal; other bytes and sequences are
// left out. An Esc alone (not starting a sequence) is kQuit.
std::vector<TopKey> parse_top_keys(const std::string& bytes);
// `page`: the rows one screen shows (scrolling stops at the last row).
void apply_top_key(TopKey k, size_t rows, size_t page, TopUi* ui);

// The interactive screen as lines (no escape codes), each at most `width`
// columns: a title line naming the source, the frame's time, the domains
// and how many are faulty or unknown, the rows shown when not all fit, and
// the sort order; a line saying the keys; the table's header; as many rows
// as fit in `height` lines from ui.first_row, sorted by the ui's order.
// `frame` null: still waiting for the first frame (said on the title
// line).
std::vector<std::string> top_screen_lines(const TopFrame* frame, const TopUi& ui, const std::string& source,
                                          size_t height, size_t width);

}  // namespace vt
