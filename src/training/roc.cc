#include "src/training/roc.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>

namespace vt {

Roc roc_curve(const std::vector<double>& score, const std::vector<uint8_t>& faulty) {
  Roc r;
  const size_t n = score.size();
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  for (size_t i = 0; i < n; ++i) (faulty[i] ? r.positives : r.negatives)++;
  r.points.push_back({-std::numeric_limits<double>::infinity(), 0, 0, 0, 0});
  // Twice the area in units of one (faulty, normal) pair.
  unsigned __int128 area2 = 0;
  uint64_t tp = 0, fp = 0;
  for (size_t i = 0; i < n;) {
    const double s = score[idx[i]];
    const uint64_t tp0 = tp, fp0 = fp;
    for (; i < n && score[idx[i]] == s; ++i) (faulty[idx[i]] ? tp : fp)++;
    area2 += (unsigned __int128)(fp - fp0) * (tp + tp0);
    r.points.push_back({s, fp, tp, r.negatives ? double(fp) / double(r.negatives) : 0.0,
                        r.positives ? double(tp) / double(r.positives) : 0.0});
  }
  r.auc = r.positives && r.negatives ? double(area2) / (2.0 * double(r.positives) * double(r.negatives))
                                     : std::numeric_limits<double>::quiet_NaN();
  return r;
}

Confusion confusion_at(const std::vector<double>& score, const std::vector<uint8_t>& faulty,
                       double threshold) {
  Confusion c;
  for (size_t i = 0; i < score.size(); ++i) {
    const bool pred = score[i] <= threshold;
    if (faulty[i])
      (pred ? c.tp : c.fn)++;
    else
      (pred ? c.fp : c.tn)++;
  }
  return c;
}

Status write_roc_csv(const std::string& path, const Roc& r) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return Status::IoError(path + ": " + std::strerror(errno));
  std::fprintf(f, "threshold,fpr,tpr,fp,tp\n");
  for (const RocPoint& p : r.points)
    std::fprintf(f, "%.9g,%.9f,%.9f,%llu,%llu\n", p.threshold, p.fpr, p.tpr, (unsigned long long)p.fp,
                 (unsigned long long)p.tp);
  if (std::fclose(f) != 0) return Status::IoError(path + ": write failed");
  return Status::Ok();
}

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else
      o += c;
  }
  return o;
}

}  // namespace

Status write_roc_svg(const std::string& path, const Roc& r, const std::string& title, double threshold) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return Status::IoError(path + ": " + std::strerror(errno));
  // Plot area: 400 x 400 at (80, 50).
  const double x0 = 80, y0 = 50, w = 400, h = 400;
  auto px = [&](double fpr) { return x0 + fpr * w; };
  auto py = [&](double tpr) { return y0 + (1 - tpr) * h; };
  std::fprintf(f,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"540\" "
               "font-family=\"sans-serif\" font-size=\"13\">\n"
               "<rect width=\"560\" height=\"540\" fill=\"white\"/>\n");
  std::fprintf(f, "<text x=\"280\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
               esc(title).c_str());
  // Grid and ticks.
  for (int k = 0; k <= 5; ++k) {
    const double v = k / 5.0;
    std::fprintf(f,
                 "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                 "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                 px(v), py(0), px(v), py(1), px(0), py(v), px(1), py(v));
    std::fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f</text>\n", px(v), py(0) + 18, v);
    std::fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", px(0) - 6, py(v) + 4, v);
  }
  std::fprintf(
      f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n", x0,
      y0, w, h);
  std::fprintf(f,
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">false positive rate (normal seconds "
               "judged faulty)</text>\n",
               x0 + w / 2, y0 + h + 40);
  std::fprintf(f,
               "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">true positive "
               "rate (faulty seconds detected)</text>\n",
               x0 - 45, y0 + h / 2);
  std::fprintf(f,
               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
               "stroke-dasharray=\"5,4\"/>\n",
               px(0), py(0), px(1), py(1));
  std::fprintf(f, "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\" points=\"");
  for (const RocPoint& p : r.points) std::fprintf(f, "%.2f,%.2f ", px(p.fpr), py(p.tpr));
  std::fprintf(f, "%.2f,%.2f\"/>\n", px(1), py(1));
  // Operating point: the last point with threshold <= the model's (none
  // when there is no single threshold).
  const RocPoint* op = &r.points.front();
  if (!std::isnan(threshold)) {
    for (const RocPoint& p : r.points)
      if (p.threshold <= threshold) op = &p;
    std::fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"6\" fill=\"#d62728\"/>\n", px(op->fpr), py(op->tpr));
    const bool left = op->fpr > 0.5;
    std::fprintf(f,
                 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#d62728\">threshold %.3f: "
                 "TPR %.3f, FPR %.3f</text>\n",
                 px(op->fpr) + (left ? -10 : 10), std::min(py(op->tpr) + 20, y0 + h - 8),
                 left ? "end" : "start", threshold, op->tpr, op->fpr);
  }
  std::fprintf(
      f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">AUC %s, %llu faulty / %llu normal seconds</text>\n",
      x0 + w - 8, y0 + h - 10, std::isnan(r.auc) ? "n/a" : (std::to_string(r.auc).substr(0, 6)).c_str(),
      (unsigned long long)r.positives, (unsigned long long)r.negatives);
  std::fprintf(f, "</svg>\n");
  if (std::fclose(f) != 0) return Status::IoError(path + ": write failed");
  return Status::Ok();
}

}  // namespace vt
