#include "src/exporters/top_table.h"

#include <algorithm>
#include <cstdio>

namespace vt {

void TopWindow::add(const std::vector<DomainSample>& period) {
  ++periods_;
  if (period.empty()) return;
  const DomainSample& first = period.front();
  span_s_ += first.span_s;
  t_ = first.start_s + first.span_s;
  last_index_ = first.index;
  any_ = true;
  for (const DomainSample& s : period) {
    Acc& a = acc_[{s.domid, s.generation}];
    a.vcpus = std::max(a.vcpus, s.vcpus);
    a.cycles[0] += s.d.cycles[kRunning];
    a.cycles[1] += s.d.cycles[kRunnable];
    a.cycles[2] += s.d.cycles[kBlocked];
    a.hypercalls += hypercalls_of(s.d);
    a.span_s += s.span_s;
    a.last_index = s.index;
  }
}

TopFrame TopWindow::take(double hz) {
  TopFrame f;
  f.t = t_;
  f.span_s = span_s_;
  f.periods = periods_;
  for (const auto& [key, a] : acc_) {
    if (!any_ || a.last_index != last_index_ || a.span_s <= 0) continue;  // gone before the frame's end
    TopRow r;
    r.domid = key.first;
    r.generation = key.second;
    r.vcpus = a.vcpus;
    const double per = 100.0 / a.span_s;
    r.cpu_pct = seconds(a.cycles[0], hz) * per;
    r.runnable_pct = seconds(a.cycles[1], hz) * per;
    r.blocked_pct = seconds(a.cycles[2], hz) * per;
    r.hypercalls_per_s = double(a.hypercalls) / a.span_s;
    f.rows.push_back(std::move(r));
  }
  *this = TopWindow();
  return f;
}

const char* top_sort_name(TopSort s) {
  switch (s) {
    case TopSort::kDomid: return "domid";
    case TopSort::kName: return "name";
    case TopSort::kCpu: return "cpu";
    case TopSort::kRunnable: return "runnable";
    case TopSort::kBlocked: return "blocked";
    case TopSort::kHypercalls: return "hypercalls";
    case TopSort::kVerdict: return "verdict";
    case TopSort::kScore: return "score";
  }
  return "?";
}

Status parse_top_sort(const std::string& s, TopSort* out) {
  std::string all;
  for (int i = 0; i < kNumTopSorts; ++i) {
    const TopSort k = TopSort(i);
    if (s == top_sort_name(k)) {
      *out = k;
      return Status::Ok();
    }
    all += std::string(i ? ", " : "") + top_sort_name(k);
  }
  return Status::InvalidArgument("'" + s + "' is not one of " + all);
}

std::string top_display_name(uint16_t domid, const std::string& name) {
  if (!name.empty()) return name;
  return domid == 0 ? "Domain-0" : "-";
}

namespace {

// Most severe first; no verdict yet last.
int verdict_rank(const std::string& v) {
  if (v == "faulty") return 0;
  if (v == "unknown") return 1;
  if (v == "recovered") return 2;
  if (v == "normal") return 3;
  return v.empty() ? 5 : 4;
}

// Lowest score first, unscored last.
int compare_scores(const TopRow& a, const TopRow& b) {
  if (a.scored != b.scored) return a.scored ? -1 : 1;
  if (!a.scored || a.score == b.score) return 0;
  return a.score < b.score ? -1 : 1;
}

template <class T>
int compare(const T& a, const T& b) {
  return a < b ? -1 : b < a ? 1 : 0;
}

// < 0: a goes first under the key's own order.
int compare_by(TopSort key, const TopRow& a, const TopRow& b) {
  switch (key) {
    case TopSort::kDomid: return compare(a.domid, b.domid);
    case TopSort::kName: return compare(top_display_name(a.domid, a.name), top_display_name(b.domid, b.name));
    case TopSort::kCpu: return compare(b.cpu_pct, a.cpu_pct);
    case TopSort::kRunnable: return compare(b.runnable_pct, a.runnable_pct);
    case TopSort::kBlocked: return compare(b.blocked_pct, a.blocked_pct);
    case TopSort::kHypercalls: return compare(b.hypercalls_per_s, a.hypercalls_per_s);
    case TopSort::kVerdict:
      if (int c = compare(verdict_rank(a.verdict), verdict_rank(b.verdict)); c != 0) return c;
      return compare_scores(a, b);
    case TopSort::kScore: return compare_scores(a, b);
  }
  return 0;
}

}  // namespace

void sort_top_rows(std::vector<TopRow>* rows, TopSort key, bool reverse) {
  std::stable_sort(rows->begin(), rows->end(), [&](const TopRow& a, const TopRow& b) {
    const int c = compare_by(key, a, b);
    if (c != 0) return reverse ? c > 0 : c < 0;
    if (a.domid != b.domid) return a.domid < b.domid;
    return a.generation < b.generation;
  });
}

namespace {

constexpr size_t kNameWidth = 16;
constexpr char kKeysLine[] =
    "keys: s > < sort by the next or previous column, r reverse, arrows scroll, q quit";

// At most `width` bytes, not cutting a UTF-8 character in two.
std::string cut(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  size_t n = width;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return s.substr(0, n);
}

std::string table_line(const TopTableOptions& o, const char* t, const char* domid, const std::string& name,
                       const char* rest) {
  std::string line;
  if (o.time_column) line += std::string(t) + " ";
  line += domid;
  line += " ";
  std::string n = o.full_names ? name : cut(name, kNameWidth);
  if (n.size() < kNameWidth) n.append(kNameWidth - n.size(), ' ');
  line += n;
  line += rest;
  line += "\n";
  return line;
}

}  // namespace

std::string format_top_table(const TopFrame& f, const TopTableOptions& o) {
  char rest[160];
  std::snprintf(rest, sizeof rest, " %5s %7s %11s %10s %12s %-9s %5s", "VCPUS", "CPU(%)", "RUNNABLE(%)",
                "BLOCKED(%)", "HYPERCALLS/s", "VERDICT", "SCORE");
  std::string out = table_line(o, " TIME(s)", "DOMID", "NAME", rest);
  char t[32];
  std::snprintf(t, sizeof t, "%8.1f", f.t);
  for (const TopRow& r : f.rows) {
    char score[16] = "    -";
    if (r.scored) std::snprintf(score, sizeof score, "%5.3f", r.score);
    std::snprintf(rest, sizeof rest, " %5u %7.1f %11.1f %10.1f %12.0f %-9s %5s", r.vcpus, r.cpu_pct,
                  r.runnable_pct, r.blocked_pct, r.hypercalls_per_s,
                  r.verdict.empty() ? "-" : r.verdict.c_str(), score);
    char domid[16];
    std::snprintf(domid, sizeof domid, "%5u", r.domid);
    out += table_line(o, t, domid, top_display_name(r.domid, r.name), rest);
  }
  return out;
}

std::vector<TopKey> parse_top_keys(const std::string& bytes) {
  std::vector<TopKey> keys;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == 0x1b) {
      // CSI (ESC [) or SS3 (ESC O) sequences: arrows, Home, Page Up/Down.
      if (i + 1 >= bytes.size() || (bytes[i + 1] != '[' && bytes[i + 1] != 'O')) {
        keys.push_back(TopKey::kQuit);  // Esc alone
        continue;
      }
      size_t j = i + 2;
      std::string params;
      while (j < bytes.size() && bytes[j] >= 0x30 && bytes[j] <= 0x3f) params += bytes[j++];
      if (j >= bytes.size()) break;  // cut short: nothing meant
      const char fin = bytes[j];
      i = j;
      if (fin == 'A') keys.push_back(TopKey::kUp);
      if (fin == 'B') keys.push_back(TopKey::kDown);
      if (fin == 'C') keys.push_back(TopKey::kNextSort);
      if (fin == 'D') keys.push_back(TopKey::kPrevSort);
      if (fin == 'H' || (fin == '~' && (params == "1" || params == "7"))) keys.push_back(TopKey::kHome);
      if (fin == '~' && params == "5") keys.push_back(TopKey::kPageUp);
      if (fin == '~' && params == "6") keys.push_back(TopKey::kPageDown);
      continue;
    }
    switch (c) {
      case 'q':
      case 'Q':
      case 0x03:  // Ctrl-C: the terminal's signals are off in raw mode
        keys.push_back(TopKey::kQuit);
        break;
      case 's':
      case 'S':
      case '>': keys.push_back(TopKey::kNextSort); break;
      case '<': keys.push_back(TopKey::kPrevSort); break;
      case 'r':
      case 'R': keys.push_back(TopKey::kReverse); break;
      default: break;
    }
  }
  return keys;
}

void apply_top_key(TopKey k, size_t rows, size_t page, TopUi* ui) {
  const size_t last = rows > page ? rows - page : 0;  // the first row of the last screen
  page = std::max<size_t>(page, 1);
  switch (k) {
    case TopKey::kQuit: ui->quit = true; break;
    case TopKey::kNextSort: ui->sort = TopSort((int(ui->sort) + 1) % kNumTopSorts); break;
    case TopKey::kPrevSort: ui->sort = TopSort((int(ui->sort) + kNumTopSorts - 1) % kNumTopSorts); break;
    case TopKey::kReverse: ui->reverse = !ui->reverse; break;
    case TopKey::kUp: ui->first_row -= ui->first_row > 0 ? 1 : 0; break;
    case TopKey::kDown: ++ui->first_row; break;
    case TopKey::kPageUp: ui->first_row -= std::min(ui->first_row, page); break;
    case TopKey::kPageDown: ui->first_row += page; break;
    case TopKey::kHome: ui->first_row = 0; break;
  }
  ui->first_row = std::min(ui->first_row, last);
}

std::vector<std::string> top_screen_lines(const TopFrame* frame, const TopUi& ui, const std::string& source,
                                          size_t height, size_t width) {
  std::string title = "vtrace top - " + source;
  char b[160];
  TopFrame shown;
  if (!frame) {
    title += " - waiting for the first second";
  } else {
    size_t faulty = 0, unknown = 0;
    for (const TopRow& r : frame->rows) {
      faulty += r.verdict == "faulty";
      unknown += r.verdict == "unknown";
    }
    std::snprintf(b, sizeof b, " - t %.0f s - %zu domains: %zu faulty, %zu unknown", frame->t,
                  frame->rows.size(), faulty, unknown);
    title += b;
    shown.t = frame->t;
    shown.rows = frame->rows;
    sort_top_rows(&shown.rows, ui.sort, ui.reverse);
  }
  // Title, keys, header: the rest of the height for rows.
  const size_t page = height > 3 ? height - 3 : 0;
  const size_t first = std::min(ui.first_row, shown.rows.size());
  const size_t end = std::min(shown.rows.size(), first + page);
  if (first > 0 || end < shown.rows.size()) {
    std::snprintf(b, sizeof b, " - rows %zu-%zu of %zu", first + 1, end, shown.rows.size());
    title += b;
  }
  std::snprintf(b, sizeof b, " - sort: %s%s", top_sort_name(ui.sort), ui.reverse ? ", reversed" : "");
  title += b;
  shown.rows.erase(shown.rows.begin() + ptrdiff_t(end), shown.rows.end());
  shown.rows.erase(shown.rows.begin(), shown.rows.begin() + ptrdiff_t(first));
  std::vector<std::string> lines{title, kKeysLine};
  const std::string table = format_top_table(shown, TopTableOptions{false, false});
  for (size_t at = 0; at < table.size();) {
    const size_t nl = table.find('\n', at);
    lines.push_back(table.substr(at, nl - at));
    at = nl + 1;
  }
  if (lines.size() > height) lines.resize(height);
  for (std::string& l : lines) l = cut(l, width);
  return lines;
}

}  // namespace vt
