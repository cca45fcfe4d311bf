// Labelled datasets (docs/dataset.md): a labels CSV names guest runs — one
// domain of one experiment — with the experiment id, the domain, the
// workload and the fault onset on the trace clock (seconds since the trace's
// first TSC; empty for a normal run), and where the run's per-second rows
// come from: a `vtrace replay --format csv` file (`samples`) or a xentrace
// file replayed in-process (`trace_file` + `cpu_hz`). Both become SecondRows.
// The xenlab manifest (tools/xenlab/manifest.csv) is such a labels file.
//
// Examples are the judged windows of every run (features.h rules). Label
// rule: the window ending with the row that starts at t is faulty iff
// t >= onset_s. A window whose span [t - window + 1, t + 1) has the onset
// strictly inside mixes both behaviours: it is marked `transition` (training
// and ROC leave such windows out unless asked; latency uses every second).
//
// Bad input fails with one line naming the file and line (and column):
// kCorruption for a malformed labels file or rows file, kIoError for one that
// cannot be read (the labels line that names it first).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "src/detector/features.h"
#include "src/util/status.h"

namespace vt {

struct RunLabel {
  std::string run_id, exp_id, workload, fault, origin;
  uint16_t domid = 0;
  uint32_t generation = 0;
  double onset_s = NAN;  // NaN: normal run
  std::string source;    // replay CSV or xentrace file (resolved path)
  bool from_trace = false;
  double cpu_hz = 0;
  std::string where;  // "labels.csv: line 3", for messages
  bool faulty() const { return !std::isnan(onset_s); }
};

struct Run {
  RunLabel label;
  uint32_t exp = 0;             // index in Dataset::experiments
  std::vector<SecondRow> rows;  // this domain's rows, in time order
};

// The guest type the run's records say, over all its rows (features.h).
GuestType run_guest_type(const Run& r);

struct Dataset {
  std::vector<Run> runs;
  std::vector<std::string> experiments;
  std::vector<std::string> label_files;
  uint32_t skipped_invalid = 0;  // runs with valid = false
  uint32_t skipped_type = 0;     // runs of another guest type than DatasetOptions::guest_type
};

struct DatasetOptions {
  std::string root;  // base of relative paths; empty: each labels file's folder
  // Keep only runs of this type, as their records say (run_guest_type): a
  // model per guest type learns from its own guests only. kUnknown: all.
  GuestType guest_type = GuestType::kUnknown;
};

Status load_dataset(const std::vector<std::string>& label_files, const DatasetOptions& o, Dataset* d);

struct Examples {
  std::vector<float> x;             // size() x kNumFeatures, row-major
  std::vector<uint8_t> y;           // 1 = faulty
  std::vector<uint8_t> transition;  // the window straddles the onset
  std::vector<uint32_t> run;        // index in Dataset::runs
  std::vector<double> t;            // start of the window's last row
  size_t size() const { return y.size(); }
  const float* row(size_t i) const { return x.data() + i * kNumFeatures; }
};

void make_examples(const Dataset& d, const WindowConfig& c, Examples* out);

// The label rule, for one judged second.
inline bool window_faulty(const RunLabel& l, double t) { return l.faulty() && t >= l.onset_s; }
inline bool window_transition(const RunLabel& l, double t, int window) {
  return l.faulty() && t - window + 1 < l.onset_s && l.onset_s < t + 1;
}

}  // namespace vt
