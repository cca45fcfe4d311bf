#include "src/training/dataset.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "src/pipeline/read_trace.h"
#include "src/training/replay_csv.h"
#include "src/util/file.h"
#include "src/util/parse.h"

namespace vt {
namespace {

// One CSV line with RFC 4180 quotes (Python's csv module quotes fields that
// need it).
bool split_quoted(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"')
          cur += '"', ++i;
        else
          quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"' && cur.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      out->push_back(cur);
      cur.clear();
      was_quoted = false;
    } else {
      cur += c;
    }
  }
  out->push_back(cur);
  return !quoted;
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

std::string resolve(const std::string& base, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return base + "/" + p;
}

// All domains' rows of one xentrace file, through the runtime's own path
// (TraceReader -> DomainSample -> row_from_sample). A fault in the file
// fails the data set.
Status replay_trace(const std::string& path, double hz, std::vector<SecondRow>* rows) {
  ReadOptions o;
  o.pipeline.samples.enabled = true;
  o.pipeline.samples.cpu_hz = hz;
  o.pipeline.samples.period_s = 1.0;  // the detector judges 1 s periods
  TraceReader r(o);
  if (Status st = r.open(path); !st.ok()) return st;
  r.set_sample_sink([&](const std::vector<DomainSample>& s) {
    for (const DomainSample& d : s) rows->push_back(row_from_sample(d, hz));
  });
  return r.run();
}

bool is_false(const std::string& v) {
  return v == "False" || v == "false" || v == "0" || v == "no" || v == "FALSE";
}

}  // namespace

Status load_dataset(const std::vector<std::string>& label_files, const DatasetOptions& o, Dataset* d) {
  *d = Dataset();
  d->label_files = label_files;
  std::map<std::string, std::vector<SecondRow>> sources;  // path -> all rows
  std::map<std::string, uint32_t> exp_index;
  std::set<std::tuple<std::string, uint16_t, uint32_t>> seen;
  std::vector<std::string> f;
  for (const std::string& file : label_files) {
    std::string text;
    if (Status st = read_text_file(file, &text); !st.ok()) return st;
    const std::string base = o.root.empty() ? dir_of(file) : o.root;
    std::map<std::string, size_t> col;
    size_t ncols = 0, pos = 0;
    uint64_t line_no = 0;
    auto where = [&] { return file + ": line " + std::to_string(line_no); };
    auto fail = [&](const std::string& what) { return Status::Corruption(where() + ": " + what); };
    while (pos < text.size()) {
      size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) eol = text.size();
      std::string_view line(text.data() + pos, eol - pos);
      pos = eol + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line_no > 1 && line.empty()) continue;
      if (!split_quoted(line, &f)) return fail("unterminated quoted field");
      if (line_no == 1) {
        for (size_t i = 0; i < f.size(); ++i) col[f[i]] = i;
        for (const char* need : {"exp_id", "domid", "onset_s"})
          if (!col.count(need)) return fail(std::string("missing column '") + need + "'");
        if (!col.count("samples") && !col.count("trace_file"))
          return fail("missing column 'samples' (replay CSV) or 'trace_file' (xentrace file)");
        ncols = f.size();
        continue;
      }
      if (f.size() != ncols)
        return fail(std::to_string(f.size()) + " fields, the header has " + std::to_string(ncols));
      auto get = [&](const char* name) -> std::string {
        auto it = col.find(name);
        return it == col.end() ? std::string() : f[it->second];
      };
      if (col.count("valid") && is_false(get("valid"))) {
        ++d->skipped_invalid;
        continue;
      }
      RunLabel l;
      l.where = where();
      l.exp_id = get("exp_id");
      if (l.exp_id.empty()) return fail("column 'exp_id': empty");
      {
        const std::string v = get("domid");
        unsigned long long x = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
        if (v.empty() || ec != std::errc() || p != v.data() + v.size() || x > xt::kMaxDomid)
          return fail("column 'domid': '" + v + "' is not a domain id (0..32767)");
        l.domid = uint16_t(x);
      }
      if (col.count("generation") && !get("generation").empty()) {
        const std::string v = get("generation");
        unsigned long x = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
        if (ec != std::errc() || p != v.data() + v.size() || x > 0xffffffffu)
          return fail("column 'generation': '" + v + "' is not a generation number");
        l.generation = uint32_t(x);
      }
      {
        const std::string v = get("onset_s");
        if (!(v.empty() || v == "none" || v == "-")) {
          double x = 0;
          auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
          if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(x) || x < 0)
            return fail("column 'onset_s': '" + v +
                        "' is not a time in seconds since trace start (empty for a normal run)");
          l.onset_s = x;
        }
      }
      l.workload = get("workload");
      if (l.workload.empty()) l.workload = "unknown";
      l.fault = get("fault");
      if (l.fault.empty()) l.fault = l.faulty() ? "fault" : "none";
      l.origin = get("origin");
      l.run_id = get("run_id");
      if (l.run_id.empty()) l.run_id = l.exp_id + "-d" + std::to_string(l.domid);
      const std::string samples = get("samples");
      if (!samples.empty()) {
        l.source = resolve(base, samples);
      } else {
        const std::string trace = get("trace_file");
        if (trace.empty()) return fail("neither 'samples' nor 'trace_file' is given");
        l.source = resolve(base, trace);
        l.from_trace = true;
        if (Status st = parse_hz(get("cpu_hz"), &l.cpu_hz); !st.ok())
          return fail("column 'cpu_hz' (needed with trace_file): " + st.message());
      }
      if (!seen.insert({l.exp_id, l.domid, l.generation}).second)
        return fail("run " + l.exp_id + " domain " + std::to_string(l.domid) + " generation " +
                    std::to_string(l.generation) + " is labelled twice");
      // Rows of the whole experiment file, read once.
      const std::string key = (l.from_trace ? "trace:" : "csv:") + l.source;
      auto it = sources.find(key);
      if (it == sources.end()) {
        std::vector<SecondRow> rows;
        Status st;
        if (l.from_trace) {
          st = replay_trace(l.source, l.cpu_hz, &rows);
        } else {
          std::string csv;
          st = read_text_file(l.source, &csv);
          if (st.ok()) st = parse_replay_csv(csv, l.source, &rows);
        }
        if (!st.ok()) return st.with_context(where());
        it = sources.emplace(key, std::move(rows)).first;
      }
      Run run;
      for (const SecondRow& r : it->second)
        if (r.domid == l.domid && r.generation == l.generation) run.rows.push_back(r);
      if (run.rows.empty())
        return fail("domain " + std::to_string(l.domid) + " generation " + std::to_string(l.generation) +
                    " has no rows in " + l.source);
      for (size_t i = 1; i < run.rows.size(); ++i)
        if (run.rows[i].index <= run.rows[i - 1].index)
          return fail(l.source + ": domain " + std::to_string(l.domid) + ": t " +
                      std::to_string(run.rows[i].index) + " does not follow t " +
                      std::to_string(run.rows[i - 1].index));
      // The labels' own guest_type (the lab's: pv, pvh, hvm), where given,
      // must be what the records say: a run whose HVM class was not traced
      // would otherwise train the PV model.
      if (const std::string said = get("guest_type"); col.count("guest_type") && !said.empty()) {
        const GuestType want = said == "pv"                     ? GuestType::kPv
                               : said == "pvh" || said == "hvm" ? GuestType::kHvm
                                                                : GuestType::kUnknown;
        if (want == GuestType::kUnknown)
          return fail("column 'guest_type': '" + said + "' is not one of pv, pvh, hvm");
        const GuestType seen = run_guest_type(run);
        if (seen != GuestType::kUnknown && seen != want)
          return fail("column 'guest_type': '" + said + "', but the records of domain " +
                      std::to_string(l.domid) + " in " + l.source + " say " + guest_type_name(seen));
      }
      if (o.guest_type != GuestType::kUnknown && run_guest_type(run) != o.guest_type) {
        ++d->skipped_type;
        continue;
      }
      auto [e, fresh] = exp_index.emplace(l.exp_id, uint32_t(d->experiments.size()));
      if (fresh) d->experiments.push_back(l.exp_id);
      run.exp = e->second;
      run.label = std::move(l);
      d->runs.push_back(std::move(run));
    }
    if (line_no == 0) return Status::Corruption(file + ": line 1: empty file (no header)");
  }
  if (d->runs.empty())
    return Status::Corruption(
        (label_files.empty() ? std::string("dataset") : label_files[0]) + ": no labelled runs" +
        (d->skipped_type ? std::string(" of guest type ") + guest_type_name(o.guest_type) : std::string()));
  return Status::Ok();
}

void make_examples(const Dataset& d, const WindowConfig& c, Examples* out) {
  *out = Examples();
  auto w = std::make_unique<DomainWindow>();  // 8 KB: not on the stack
  float x[kNumFeatures];
  for (uint32_t ri = 0; ri < d.runs.size(); ++ri) {
    const Run& run = d.runs[ri];
    w->used = false;
    for (const SecondRow& r : run.rows) {
      if (push_row(w.get(), c, r, x) != Push::kJudged) continue;
      out->x.insert(out->x.end(), x, x + kNumFeatures);
      out->y.push_back(window_faulty(run.label, r.t));
      out->transition.push_back(window_transition(run.label, r.t, c.window));
      out->run.push_back(ri);
      out->t.push_back(r.t);
    }
  }
}

GuestType run_guest_type(const Run& r) {
  uint64_t pv = 0, hvm = 0;
  for (const SecondRow& row : r.rows) pv += pv_records(row), hvm += hvm_records(row);
  return guest_type_of(pv, hvm);
}

}  // namespace vt
