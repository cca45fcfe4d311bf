// ROC curve and area for detector scores (fraction of trees voting normal:
// low = faulty). The decision at threshold h is "faulty iff score <= h", so
// the curve has one point per distinct score, in increasing order, after
// (0, 0) for "nothing faulty". Tied scores move both rates at once
// (a diagonal step), and the area is the trapezoid sum, which equals the
// Mann-Whitney probability that a faulty window scores below a normal one,
// ties counted one half — the definition sklearn.metrics.roc_auc_score
// uses (with -score as its score). Counts are kept exactly; the area is one
// division of integer sums. NaN when either class is absent.
//
// The SVG is a standalone plot: axes with ticks and labels, the chance
// diagonal, the curve, and the operating point (the model's threshold)
// marked and labelled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/util/status.h"

namespace vt {

struct RocPoint {
  double threshold;  // faulty iff score <= threshold (-inf for the first point)
  uint64_t fp, tp;
  double fpr, tpr;
};

struct Roc {
  std::vector<RocPoint> points;
  uint64_t positives = 0, negatives = 0;  // faulty, normal windows
  double auc = 0;
};

Roc roc_curve(const std::vector<double>& score, const std::vector<uint8_t>& faulty);

// Confusion counts at a threshold.
struct Confusion {
  uint64_t tp = 0, fp = 0, tn = 0, fn = 0;
  double tpr() const { return tp + fn ? double(tp) / double(tp + fn) : 0; }
  double fpr() const { return fp + tn ? double(fp) / double(fp + tn) : 0; }
};
Confusion confusion_at(const std::vector<double>& score, const std::vector<uint8_t>& faulty,
                       double threshold);

// kIoError naming the path when the file cannot be written.
Status write_roc_csv(const std::string& path, const Roc& r);
Status write_roc_svg(const std::string& path, const Roc& r, const std::string& title, double threshold);

}  // namespace vt
