#include "src/training/cart.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vt {

int Tree::depth() const {
  if (feature.empty()) return 0;
  std::vector<int> d(size(), 0);
  int m = 0;
  for (size_t i = 0; i < size(); ++i) {
    m = std::max(m, d[i]);
    if (!leaf(i)) d[size_t(left[i])] = d[size_t(left[i]) + 1] = d[i] + 1;
  }
  return m;
}

size_t Tree::leaves() const {
  size_t k = 0;
  for (size_t i = 0; i < size(); ++i) k += leaf(i);
  return k;
}

namespace {

// Largest float <= the double midpoint of two floats a < b.
float cut_between(float a, float b) {
  const double mid = double(a) / 2.0 + double(b) / 2.0;
  float t = float(mid);
  if (double(t) > mid) t = std::nextafter(t, -std::numeric_limits<float>::infinity());
  return t;
}

struct Grower {
  const float* x;
  int stride;
  const uint8_t* y;
  const std::vector<int>& features;
  CartParams p;
  std::vector<std::vector<uint32_t>> order;  // per allowed feature: rows sorted by value
  std::vector<uint8_t> goes_left;            // by row id
  std::vector<uint32_t> tmp;
  Tree t;

  float v(uint32_t row, int f) const { return x[size_t(row) * stride + f]; }

  size_t add_node(uint32_t n, uint32_t nf) {
    t.feature.push_back(-1);
    t.threshold.push_back(0);
    t.left.push_back(-1);
    t.n.push_back(n);
    t.n_faulty.push_back(nf);
    return t.size() - 1;
  }

  struct Split {
    int fi = -1;  // index in features
    size_t n_left = 0;
    float threshold = 0;
    double score = -1;
  };

  // Best split of segment [b, e) (every order[k] holds the same rows there).
  Split best_split(size_t b, size_t e, uint32_t nf_total) const {
    Split best;
    const size_t m = e - b;
    const size_t min_leaf = size_t(p.min_leaf);
    for (size_t k = 0; k < features.size(); ++k) {
      const std::vector<uint32_t>& o = order[k];
      const int f = features[k];
      uint32_t nl = 0, fl = 0;
      for (size_t i = b; i + 1 < e; ++i) {
        ++nl;
        fl += y[o[i]];
        const size_t nr = m - nl;
        if (nl < min_leaf) continue;
        if (nr < min_leaf) break;
        const float a = v(o[i], f), c = v(o[i + 1], f);
        if (!(a < c)) continue;
        const double fr = double(nf_total - fl);
        const double l0 = double(nl - fl), l1 = double(fl);
        const double r0 = double(nr) - fr, r1 = fr;
        // Minimising sum n * gini = maximising sum (n0^2 + n1^2) / n.
        const double score = (l0 * l0 + l1 * l1) / double(nl) + (r0 * r0 + r1 * r1) / double(nr);
        if (score > best.score) {
          best.score = score;
          best.fi = int(k);
          best.n_left = nl;
          best.threshold = cut_between(a, c);
        }
      }
    }
    return best;
  }

  void grow(const std::vector<uint32_t>& rows) {
    const size_t m = rows.size();
    order.assign(features.size(), rows);
    for (size_t k = 0; k < features.size(); ++k) {
      const int f = features[k];
      std::sort(order[k].begin(), order[k].end(), [&](uint32_t a, uint32_t b) {
        const float va = v(a, f), vb = v(b, f);
        return va < vb || (va == vb && a < b);
      });
    }
    uint32_t max_row = 0;
    uint32_t nf = 0;
    for (uint32_t r : rows) max_row = std::max(max_row, r), nf += y[r];
    goes_left.assign(size_t(max_row) + 1, 0);
    tmp.resize(m);
    struct Item {
      size_t node, b, e;
      int depth;
    };
    std::vector<Item> stack;
    add_node(uint32_t(m), nf);
    if (m == 0) return;
    stack.push_back({0, 0, m, 0});
    while (!stack.empty()) {
      const Item it = stack.back();
      stack.pop_back();
      const uint32_t n = t.n[it.node], nfn = t.n_faulty[it.node];
      if (nfn == 0 || nfn == n || it.depth >= p.max_depth || n < 2 * uint32_t(p.min_leaf)) continue;
      const Split s = best_split(it.b, it.e, nfn);
      if (s.fi < 0) continue;
      const int f = features[size_t(s.fi)];
      // Partition every order's segment, stably, by the chosen test.
      const std::vector<uint32_t>& so = order[size_t(s.fi)];
      uint32_t fl = 0;
      for (size_t i = it.b; i < it.e; ++i) goes_left[so[i]] = 0;
      for (size_t i = it.b; i < it.b + s.n_left; ++i) goes_left[so[i]] = 1, fl += y[so[i]];
      for (std::vector<uint32_t>& o : order) {
        size_t l = it.b, r = 0;
        for (size_t i = it.b; i < it.e; ++i) {
          if (goes_left[o[i]])
            o[l++] = o[i];
          else
            tmp[r++] = o[i];
        }
        std::copy(tmp.begin(), tmp.begin() + long(r), o.begin() + long(l));
      }
      const size_t ln = add_node(uint32_t(s.n_left), fl);
      add_node(uint32_t(n - s.n_left), nfn - fl);
      t.feature[it.node] = f;
      t.threshold[it.node] = s.threshold;
      t.left[it.node] = int32_t(ln);
      // Left first (pushed last).
      stack.push_back({ln + 1, it.b + s.n_left, it.e, it.depth + 1});
      stack.push_back({ln, it.b, it.b + s.n_left, it.depth + 1});
    }
  }
};

}  // namespace

Tree grow_tree(const float* x, int stride, const uint8_t* y, const std::vector<uint32_t>& rows,
               const std::vector<int>& features, const CartParams& p) {
  Grower g{x, stride, y, features, p, {}, {}, {}, {}};
  g.grow(rows);
  return std::move(g.t);
}

size_t tree_leaf(const Tree& t, const float* xrow) {
  size_t i = 0;
  while (!t.leaf(i)) i = size_t(t.left[i]) + (xrow[t.feature[i]] <= t.threshold[i] ? 0 : 1);
  return i;
}

std::vector<double> compute_pruning(Tree* t) {
  const size_t n = t->size();
  const double inf = std::numeric_limits<double>::infinity();
  t->collapse_alpha.assign(n, inf);
  std::vector<double> alphas{0.0};
  if (n == 0) return alphas;
  const double total = std::max<double>(1.0, t->n[0]);
  std::vector<double> r(n), rsub(n), leaves(n), g(n);
  for (size_t i = 0; i < n; ++i) r[i] = double(std::min(t->n_faulty[i], t->n[i] - t->n_faulty[i])) / total;
  std::vector<uint8_t> collapsed(n, 0);
  for (;;) {
    // Current leaves: original leaves and collapsed nodes; nodes below a
    // collapsed node are not visited from the root, but the bottom-up pass
    // over them is harmless.
    for (size_t k = n; k-- > 0;) {
      if (t->leaf(k) || collapsed[k]) {
        rsub[k] = r[k];
        leaves[k] = 1;
      } else {
        const size_t l = size_t(t->left[k]);
        rsub[k] = rsub[l] + rsub[l + 1];
        leaves[k] = leaves[l] + leaves[l + 1];
      }
    }
    if (t->leaf(0) || collapsed[0]) break;
    // Weakest links among the internal nodes still in the tree.
    double best = inf;
    std::vector<size_t> live{0};
    std::vector<size_t> internal;
    while (!live.empty()) {
      const size_t k = live.back();
      live.pop_back();
      if (t->leaf(k) || collapsed[k]) continue;
      internal.push_back(k);
      g[k] = (r[k] - rsub[k]) / (leaves[k] - 1);
      if (g[k] < 0) g[k] = 0;  // rounding: a subtree never has more errors than its root
      best = std::min(best, g[k]);
      live.push_back(size_t(t->left[k]));
      live.push_back(size_t(t->left[k]) + 1);
    }
    // Every node at the weakest link collapses now; alphas within rounding
    // of the previous one (the first steps at 0) count as that one.
    const double tol = 1e-12;
    const double a = best > alphas.back() + tol ? best : alphas.back();
    if (a != alphas.back()) alphas.push_back(a);
    for (size_t k : internal)
      if (g[k] <= best + tol) collapsed[k] = 1, t->collapse_alpha[k] = a;
  }
  return alphas;
}

size_t pruned_leaf(const Tree& t, const float* xrow, double alpha) {
  size_t i = 0;
  while (!t.leaf(i) && !(t.collapse_alpha[i] <= alpha))
    i = size_t(t.left[i]) + (xrow[t.feature[i]] <= t.threshold[i] ? 0 : 1);
  return i;
}

Tree prune_tree(const Tree& t, double alpha) {
  Tree o;
  if (t.size() == 0) return o;
  auto copy_node = [&](size_t i) {
    o.feature.push_back(-1);
    o.threshold.push_back(0);
    o.left.push_back(-1);
    o.n.push_back(t.n[i]);
    o.n_faulty.push_back(t.n_faulty[i]);
    o.collapse_alpha.push_back(std::numeric_limits<double>::infinity());
    return o.size() - 1;
  };
  struct Item {
    size_t src, dst;
  };
  std::vector<Item> stack{{0, copy_node(0)}};
  while (!stack.empty()) {
    const Item it = stack.back();
    stack.pop_back();
    if (t.leaf(it.src) || t.collapse_alpha[it.src] <= alpha) continue;
    const size_t l = size_t(t.left[it.src]);
    const size_t dl = copy_node(l);
    copy_node(l + 1);
    o.feature[it.dst] = t.feature[it.src];
    o.threshold[it.dst] = t.threshold[it.src];
    o.left[it.dst] = int32_t(dl);
    o.collapse_alpha[it.dst] = t.collapse_alpha[it.src];
    stack.push_back({l + 1, dl + 1});
    stack.push_back({l, dl});
  }
  return o;
}

}  // namespace vt
