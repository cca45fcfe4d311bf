// detector_xcheck: the detector's CART and ROC on plain files, for the
// scikit-learn cross-check (tools/detector/sklearn_check.py). Not installed.
//
//   detector_xcheck tree TRAIN.csv TEST.csv MAX_DEPTH MIN_LEAF
//       matrices with a header "f0,...,fK,y" (y: 1 faulty, 0 normal);
//       prints "nodes N leaves L depth D", then one predicted class per
//       TEST row (1 = faulty)
//   detector_xcheck auc SCORES.csv
//       header "score,faulty"; prints the AUC (roc.h) with 17 digits
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "src/training/cart.h"
#include "src/training/replay_csv.h"
#include "src/training/roc.h"
#include "src/util/file.h"

namespace {

bool read_matrix(const std::string& path, std::vector<float>* x, std::vector<uint8_t>* y, int* k) {
  std::string text;
  if (const vt::Status st = vt::read_text_file(path, &text); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return false;
  }
  std::vector<std::string_view> f;
  size_t pos = 0, line = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view l(text.data() + pos, eol - pos);
    pos = eol + 1;
    if (l.empty()) continue;
    vt::split_csv_line(l, &f);
    if (line++ == 0) {
      *k = int(f.size()) - 1;
      continue;
    }
    if (int(f.size()) != *k + 1) {
      std::fprintf(stderr, "%s: line %zu: %zu fields\n", path.c_str(), line, f.size());
      return false;
    }
    for (int j = 0; j <= *k; ++j) {
      float v;
      auto [p, ec] = std::from_chars(f[size_t(j)].data(), f[size_t(j)].data() + f[size_t(j)].size(), v);
      if (ec != std::errc()) {
        std::fprintf(stderr, "%s: line %zu: bad number\n", path.c_str(), line);
        return false;
      }
      if (j < *k)
        x->push_back(v);
      else
        y->push_back(v != 0);
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "tree" && argc == 6) {
    std::vector<float> xtr, xte;
    std::vector<uint8_t> ytr, yte;
    int k = 0, k2 = 0;
    if (!read_matrix(argv[2], &xtr, &ytr, &k) || !read_matrix(argv[3], &xte, &yte, &k2) || k != k2) return 1;
    vt::CartParams p;
    p.max_depth = std::atoi(argv[4]);
    p.min_leaf = std::atoi(argv[5]);
    std::vector<uint32_t> rows(ytr.size());
    for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
    std::vector<int> features(static_cast<size_t>(k));
    for (int j = 0; j < k; ++j) features[size_t(j)] = j;
    const vt::Tree t = vt::grow_tree(xtr.data(), k, ytr.data(), rows, features, p);
    std::printf("nodes %zu leaves %zu depth %d\n", t.size(), t.leaves(), t.depth());
    for (size_t i = 0; i < yte.size(); ++i)
      std::printf("%d\n", vt::tree_votes_normal(t, xte.data() + i * size_t(k)) ? 0 : 1);
    return 0;
  }
  if (cmd == "auc" && argc == 3) {
    std::string text;
    if (const vt::Status st = vt::read_text_file(argv[2], &text); !st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
    std::vector<double> score;
    std::vector<uint8_t> faulty;
    std::vector<std::string_view> f;
    size_t pos = text.find('\n') + 1;
    while (pos < text.size()) {
      size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) eol = text.size();
      std::string_view l(text.data() + pos, eol - pos);
      pos = eol + 1;
      if (l.empty()) continue;
      vt::split_csv_line(l, &f);
      double s = 0;
      std::from_chars(f[0].data(), f[0].data() + f[0].size(), s);
      score.push_back(s);
      faulty.push_back(f.size() > 1 && f[1] == "1");
    }
    std::printf("%.17g\n", vt::roc_curve(score, faulty).auc);
    return 0;
  }
  std::fprintf(stderr,
               "usage: detector_xcheck tree TRAIN.csv TEST.csv MAX_DEPTH MIN_LEAF | auc SCORES.csv\n");
  return 2;
}
