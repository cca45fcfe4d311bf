// vtrace top's table: a frame's text from hand-made rows, exactly; the sort
// orders; a frame's figures from the pipeline's samples; the keys; the
// interactive screen's lines.
#include "src/exporters/top_table.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace vt {
namespace {

TopRow row(uint16_t domid, const std::string& name, uint32_t vcpus, double cpu, double rbl, double blk,
           double hc, const std::string& verdict, bool scored, double score) {
  TopRow r;
  r.domid = domid;
  r.name = name;
  r.vcpus = vcpus;
  r.cpu_pct = cpu;
  r.runnable_pct = rbl;
  r.blocked_pct = blk;
  r.hypercalls_per_s = hc;
  r.verdict = verdict;
  r.scored = scored;
  r.score = score;
  return r;
}

TopFrame hand_made() {
  TopFrame f;
  f.t = 27;
  f.rows = {row(0, "", 2, 12.5, 0.4, 187.1, 1234.4, "normal", true, 1.0),
            row(5, "web-frontend-01", 1, 100, 0, 0, 0, "faulty", true, 0.12),
            row(7, "", 4, 250, 12, 138, 20000.6, "", false, 0)};
  return f;
}

TEST(TopTable, BatchFrameFromHandMadeRows) {
  EXPECT_EQ(
      format_top_table(hand_made(), TopTableOptions{true, true}),
      " TIME(s) DOMID NAME             VCPUS  CPU(%) RUNNABLE(%) BLOCKED(%) HYPERCALLS/s VERDICT   SCORE\n"
      "    27.0     0 Domain-0             2    12.5         0.4      187.1         1234 normal    1.000\n"
      "    27.0     5 web-frontend-01      1   100.0         0.0        0.0            0 faulty    0.120\n"
      "    27.0     7 -                    4   250.0        12.0      138.0        20001 -             -\n");
}

// Without the time column (the screen: the title line says the time); a
// long name cut to its column on the screen, whole in batch frames.
TEST(TopTable, NamesAndTheTimeColumn) {
  TopFrame f;
  f.t = 3;
  f.rows = {row(12, "a-very-long-domain-name", 1, 1, 2, 97, 50, "unknown", false, 0)};
  EXPECT_EQ(format_top_table(f, TopTableOptions{false, false}),
            "DOMID NAME             VCPUS  CPU(%) RUNNABLE(%) BLOCKED(%) HYPERCALLS/s VERDICT   SCORE\n"
            "   12 a-very-long-doma     1     1.0         2.0       97.0           50 unknown       -\n");
  EXPECT_EQ(
      format_top_table(f, TopTableOptions{false, true}).substr(89),
      "   12 a-very-long-domain-name     1     1.0         2.0       97.0           50 unknown       -\n");
  // No rows: the header alone.
  f.rows.clear();
  EXPECT_EQ(
      format_top_table(f, TopTableOptions{true, true}),
      " TIME(s) DOMID NAME             VCPUS  CPU(%) RUNNABLE(%) BLOCKED(%) HYPERCALLS/s VERDICT   SCORE\n");
  EXPECT_EQ(top_display_name(0, ""), "Domain-0");
  EXPECT_EQ(top_display_name(3, ""), "-");
  EXPECT_EQ(top_display_name(0, "dom0"), "dom0");
}

std::string order(std::vector<TopRow> rows, TopSort key, bool reverse = false) {
  sort_top_rows(&rows, key, reverse);
  std::string s;
  for (const TopRow& r : rows) s += std::to_string(r.domid) + (r.generation ? "g" : "") + " ";
  return s;
}

TEST(TopTable, SortOrders) {
  std::vector<TopRow> rows = {
      row(4, "db", 1, 50, 5, 40, 300, "normal", true, 0.9),
      row(0, "", 2, 10, 1, 180, 900, "normal", true, 1.0),
      row(9, "cache", 1, 99, 0, 0, 0, "faulty", true, 0.1),
      row(2, "web", 2, 150, 20, 30, 100, "recovered", true, 0.7),
      row(6, "", 1, 0, 0, 100, 5, "", false, 0),
      row(3, "batch", 1, 99, 9, 0, 5, "unknown", false, 0),
      row(8, "app", 1, 10, 1, 89, 900, "faulty", true, 0.3),
  };
  EXPECT_EQ(order(rows, TopSort::kDomid), "0 2 3 4 6 8 9 ");
  EXPECT_EQ(order(rows, TopSort::kDomid, true), "9 8 6 4 3 2 0 ");
  // Names as printed: "-" and Domain-0 sort with the rest.
  EXPECT_EQ(order(rows, TopSort::kName), "6 0 8 3 9 4 2 ");
  // Largest first; equal figures by domid.
  EXPECT_EQ(order(rows, TopSort::kCpu), "2 3 9 4 0 8 6 ");
  EXPECT_EQ(order(rows, TopSort::kCpu, true), "6 0 8 4 3 9 2 ");
  EXPECT_EQ(order(rows, TopSort::kRunnable), "2 3 4 0 8 6 9 ");
  EXPECT_EQ(order(rows, TopSort::kBlocked), "0 6 8 4 2 3 9 ");
  EXPECT_EQ(order(rows, TopSort::kHypercalls), "0 8 4 2 3 6 9 ");
  // Most suspect first: faulty (lowest score first), unknown, recovered, normal, none yet.
  EXPECT_EQ(order(rows, TopSort::kVerdict), "9 8 3 2 4 0 6 ");
  // Lowest score first, unscored last.
  EXPECT_EQ(order(rows, TopSort::kScore), "9 8 2 4 0 3 6 ");
  EXPECT_EQ(order(rows, TopSort::kScore, true), "3 6 0 4 2 8 9 ");  // the whole order turned round
  // Two generations of one id: the older first.
  TopRow again = rows[0];
  again.generation = 1;
  EXPECT_EQ(order({again, rows[0]}, TopSort::kCpu), "4 4g ");
}

TEST(TopTable, SortKeysByName) {
  for (int i = 0; i < kNumTopSorts; ++i) {
    TopSort k = TopSort::kDomid;
    ASSERT_TRUE(parse_top_sort(top_sort_name(TopSort(i)), &k).ok());
    EXPECT_EQ(k, TopSort(i));
  }
  TopSort k = TopSort::kCpu;
  const Status st = parse_top_sort("memory", &k);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "'memory' is not one of domid, name, cpu, runnable, blocked, hypercalls, verdict, score");
  EXPECT_EQ(k, TopSort::kCpu);
}

DomainSample sample(uint64_t index, uint16_t domid, uint32_t gen, uint32_t vcpus, uint64_t run, uint64_t rbl,
                    uint64_t blk, uint64_t hc, uint64_t vmcall = 0, double span = 1) {
  DomainSample s;
  s.index = index;
  s.start_s = double(index);
  s.span_s = span;
  s.domid = domid;
  s.generation = gen;
  s.vcpus = vcpus;
  s.d.cycles[kRunning] = run;
  s.d.cycles[kRunnable] = rbl;
  s.d.cycles[kBlocked] = blk;
  s.d.n[kHypercalls] = hc;
  s.d.n[kExitsVmcall] = vmcall;
  return s;
}

// A frame of one period and one of two: percentages of the seconds the
// domain was there, summed over vCPUs; hypercalls with VMCALL exits; a
// domain gone by the frame's last period is not in it.
TEST(TopWindow, FiguresFromThePeriodsSamples) {
  const double hz = 1000;  // cycles are milliseconds
  TopWindow w;
  w.add({sample(0, 0, 0, 2, 300, 10, 1690, 40), sample(0, 3, 0, 4, 3500, 500, 0, 7, 3)});
  EXPECT_EQ(w.periods(), 1u);
  TopFrame f = w.take(hz);
  EXPECT_EQ(w.periods(), 0u);
  EXPECT_EQ(f.t, 1.0);
  EXPECT_EQ(f.span_s, 1.0);
  ASSERT_EQ(f.rows.size(), 2u);
  EXPECT_EQ(f.rows[0].domid, 0);
  EXPECT_DOUBLE_EQ(f.rows[0].cpu_pct, 30.0);
  EXPECT_DOUBLE_EQ(f.rows[0].runnable_pct, 1.0);
  EXPECT_DOUBLE_EQ(f.rows[0].blocked_pct, 169.0);
  EXPECT_DOUBLE_EQ(f.rows[0].hypercalls_per_s, 40.0);
  EXPECT_EQ(f.rows[1].vcpus, 4u);
  EXPECT_DOUBLE_EQ(f.rows[1].cpu_pct, 350.0);  // four vCPUs: more than 100, as xentop
  EXPECT_DOUBLE_EQ(f.rows[1].hypercalls_per_s, 10.0);
  EXPECT_TRUE(f.rows[1].verdict.empty());
  EXPECT_FALSE(f.rows[1].scored);

  // Two periods in one frame (-d 2); domain 3 leaves after the first, 5
  // comes in the second, 7's id is reused (a new generation).
  w.add({sample(1, 0, 0, 2, 100, 0, 900, 10), sample(1, 3, 0, 1, 1000, 0, 0, 0),
         sample(1, 7, 0, 1, 500, 0, 500, 1)});
  w.add({sample(2, 0, 0, 2, 300, 0, 700, 30, 0, 0.5), sample(2, 5, 0, 1, 250, 0, 250, 4, 0, 0.5),
         sample(2, 7, 1, 1, 100, 0, 400, 1, 0, 0.5)});
  f = w.take(hz);
  EXPECT_EQ(f.t, 2.5);  // the second period is a short last one
  EXPECT_EQ(f.span_s, 1.5);
  EXPECT_EQ(f.periods, 2u);
  ASSERT_EQ(f.rows.size(), 3u);
  EXPECT_EQ(f.rows[0].domid, 0);
  EXPECT_DOUBLE_EQ(f.rows[0].cpu_pct, 400.0 / 1.5 / 10);  // 0.4 s running in 1.5 s
  EXPECT_DOUBLE_EQ(f.rows[0].hypercalls_per_s, 40 / 1.5);
  EXPECT_EQ(f.rows[1].domid, 5);
  EXPECT_DOUBLE_EQ(f.rows[1].cpu_pct, 50.0);  // its own half second
  EXPECT_EQ(f.rows[2].domid, 7);
  EXPECT_EQ(f.rows[2].generation, 1u);
  EXPECT_DOUBLE_EQ(f.rows[2].cpu_pct, 20.0);  // the new domain's alone
  // An empty period still counts toward the frame; a window with nothing is an empty frame.
  w.add({});
  EXPECT_EQ(w.periods(), 1u);
  EXPECT_TRUE(w.take(hz).rows.empty());
}

TEST(TopKeys, BytesToKeys) {
  using K = TopKey;
  EXPECT_EQ(parse_top_keys("q"), std::vector<K>{K::kQuit});
  EXPECT_EQ(parse_top_keys("Q"), std::vector<K>{K::kQuit});
  EXPECT_EQ(parse_top_keys("\x03"), std::vector<K>{K::kQuit});  // Ctrl-C
  EXPECT_EQ(parse_top_keys("\x1b"), std::vector<K>{K::kQuit});  // Esc alone
  EXPECT_EQ(parse_top_keys("sS><rR"), (std::vector<K>{K::kNextSort, K::kNextSort, K::kNextSort, K::kPrevSort,
                                                      K::kReverse, K::kReverse}));
  EXPECT_EQ(parse_top_keys("\x1b[A\x1b[B\x1b[C\x1b[D"),
            (std::vector<K>{K::kUp, K::kDown, K::kNextSort, K::kPrevSort}));
  EXPECT_EQ(parse_top_keys("\x1bOA\x1b[5~\x1b[6~\x1b[H\x1b[1~"),
            (std::vector<K>{K::kUp, K::kPageUp, K::kPageDown, K::kHome, K::kHome}));
  EXPECT_TRUE(parse_top_keys("xyz\x1b[2~\x1b[1;5C").size() == 1u);  // Ctrl-Right is a right arrow
  EXPECT_TRUE(parse_top_keys("\x1b[").empty());                     // cut short: nothing
  EXPECT_TRUE(parse_top_keys("\x1a").empty());                      // Ctrl-Z: ignored
}

TEST(TopKeys, KeysChangeTheView) {
  TopUi ui;
  apply_top_key(TopKey::kPrevSort, 0, 10, &ui);
  EXPECT_EQ(ui.sort, TopSort::kScore);  // wraps around
  apply_top_key(TopKey::kNextSort, 0, 10, &ui);
  apply_top_key(TopKey::kNextSort, 0, 10, &ui);
  EXPECT_EQ(ui.sort, TopSort::kName);
  apply_top_key(TopKey::kReverse, 0, 10, &ui);
  EXPECT_TRUE(ui.reverse);
  // 25 rows, 10 a screen: scrolling stops at row 15 (the last screen) and at 0.
  apply_top_key(TopKey::kPageDown, 25, 10, &ui);
  EXPECT_EQ(ui.first_row, 10u);
  apply_top_key(TopKey::kPageDown, 25, 10, &ui);
  EXPECT_EQ(ui.first_row, 15u);
  apply_top_key(TopKey::kDown, 25, 10, &ui);
  EXPECT_EQ(ui.first_row, 15u);
  apply_top_key(TopKey::kUp, 25, 10, &ui);
  EXPECT_EQ(ui.first_row, 14u);
  apply_top_key(TopKey::kPageUp, 25, 10, &ui);
  EXPECT_EQ(ui.first_row, 4u);
  apply_top_key(TopKey::kPageUp, 25, 10, &ui);
  EXPECT_EQ(ui.first_row, 0u);
  apply_top_key(TopKey::kUp, 25, 10, &ui);
  EXPECT_EQ(ui.first_row, 0u);
  apply_top_key(TopKey::kDown, 5, 10, &ui);  // all fit: no scrolling
  EXPECT_EQ(ui.first_row, 0u);
  EXPECT_FALSE(ui.quit);
  apply_top_key(TopKey::kQuit, 5, 10, &ui);
  EXPECT_TRUE(ui.quit);
}

TEST(TopScreen, TitleTableAndWhatFits) {
  TopUi ui;
  ui.sort = TopSort::kVerdict;
  TopFrame f = hand_made();
  std::vector<std::string> lines = top_screen_lines(&f, ui, "simulated Xen", 24, 200);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "vtrace top - simulated Xen - t 27 s - 3 domains: 1 faulty, 0 unknown - sort: verdict");
  EXPECT_EQ(lines[1], "keys: s > < sort by the next or previous column, r reverse, arrows scroll, q quit");
  EXPECT_EQ(lines[2].substr(0, 10), "DOMID NAME");
  EXPECT_EQ(lines[3].substr(0, 21), "    5 web-frontend-01");  // faulty first
  EXPECT_EQ(lines[4].substr(0, 14), "    0 Domain-0");
  EXPECT_EQ(lines[5].substr(0, 7), "    7 -");
  // Five lines of 30 columns: two rows, from the second, said on the title.
  ui.first_row = 1;
  ui.reverse = true;
  lines = top_screen_lines(&f, ui, "simulated Xen", 5, 30);
  ASSERT_EQ(lines.size(), 5u);
  for (const std::string& l : lines) EXPECT_LE(l.size(), 30u) << l;
  EXPECT_EQ(lines[3], "    0 Domain-0             2  ");
  EXPECT_EQ(lines[4], "    5 web-frontend-01      1  ");
  lines = top_screen_lines(&f, ui, "x", 5, 400);
  EXPECT_EQ(
      lines[0],
      "vtrace top - x - t 27 s - 3 domains: 1 faulty, 0 unknown - rows 2-3 of 3 - sort: verdict, reversed");
  // Before the first frame.
  lines = top_screen_lines(nullptr, TopUi(), "Xen (libxenctrl)", 24, 200);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "vtrace top - Xen (libxenctrl) - waiting for the first second - sort: domid");
}

}  // namespace
}  // namespace vt
