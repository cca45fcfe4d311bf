// The detector's per-second work for 1,000 domains (issue 4).
//   Flat/...:    score_batch, the runtime's flattened structure-of-arrays
//                ensemble over a feature-major matrix (ensemble.h)
//   Pointer/...: the same trees as heap nodes linked by pointers, walked
//                with branches per domain per tree over row-major inputs:
//                the plain implementation, for comparison
//   Tick:        a whole Detector second (windows, batch, strike rule) for
//                1,000 domains with the default model
// Models: `default` is src/detector/models/default.json (50 pruned trees) on windows of
// the synthetic dataset; `randomD` is 50 complete random trees of depth D
// on uniform inputs (every branch a coin toss: the worst case for a
// branchy walk). The counter tree_domain is the time per tree per domain.
#include <benchmark/benchmark.h>
#include <memory>
#include <vector>

#include "src/detector/ensemble.h"
#include "src/detector/verdicts.h"
#include "src/training/dataset.h"
#include "src/training/rng.h"

namespace {

constexpr size_t kDomains = 1000;

struct Case {
  vt::Model model;
  std::vector<float> rows;  // kDomains x kNumFeatures, row-major
};

vt::ModelTree complete_tree(vt::Rng* rng, int depth) {
  vt::ModelTree t;
  const size_t internal = (size_t(1) << depth) - 1, n = 2 * internal + 1;
  for (size_t i = 0; i < n; ++i) {
    const bool leaf = i >= internal;
    t.feature.push_back(leaf ? -1 : int32_t(rng->below(vt::kNumFeatures)));
    t.threshold.push_back(leaf ? 0.0f : float(rng->uniform()));
    t.left.push_back(leaf ? -1 : int32_t(2 * i + 1));
    t.right.push_back(leaf ? -1 : int32_t(2 * i + 2));
    t.value.push_back(rng->uniform());
  }
  return t;
}

const Case& random_case(int depth) {
  static std::unique_ptr<Case> cases[20];
  if (cases[depth]) return *cases[depth];
  auto c = std::make_unique<Case>();
  vt::Rng rng{uint64_t(depth)};
  for (int f = 0; f < vt::kNumFeatures; ++f) c->model.features.push_back(vt::feature_info(f).name);
  for (int t = 0; t < 50; ++t) c->model.trees.push_back(complete_tree(&rng, depth));
  if (!vt::validate_model(&c->model).ok()) std::abort();
  c->rows.resize(kDomains * vt::kNumFeatures);
  for (float& v : c->rows) v = float(rng.uniform());
  return *(cases[depth] = std::move(c));
}

const std::string kRoot = VTRACE_SOURCE_DIR;

const Case& default_case() {
  static std::unique_ptr<Case> c;
  if (c) return *c;
  c = std::make_unique<Case>();
  if (!vt::load_model(kRoot + "/src/detector/models/default.json", &c->model).ok()) std::abort();
  vt::Dataset d;
  if (!vt::load_dataset({kRoot + "/tests/detector/synth/labels.csv"}, {}, &d).ok()) std::abort();
  vt::Examples ex;
  vt::make_examples(d, c->model.window, &ex);
  vt::Rng rng(5);
  for (size_t i = 0; i < kDomains; ++i) {
    const float* r = ex.row(rng.below(ex.size()));
    c->rows.insert(c->rows.end(), r, r + vt::kNumFeatures);
  }
  return *c;
}

const Case& pick(int which) { return which == 0 ? default_case() : random_case(which); }

void report(benchmark::State& state, const Case& c) {
  const double work = double(c.model.trees.size() * kDomains);
  state.counters["tree_domain"] =
      benchmark::Counter(work, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetLabel(state.range(0) == 0 ? "default model" : "random depth " + std::to_string(state.range(0)));
}

void Flat(benchmark::State& state) {
  const Case& c = pick(int(state.range(0)));
  const vt::FlatEnsemble e = vt::compile(c.model);
  std::vector<float> x(size_t(vt::kNumFeatures) * kDomains);  // feature-major
  for (size_t d = 0; d < kDomains; ++d)
    for (int f = 0; f < vt::kNumFeatures; ++f)
      x[size_t(f) * kDomains + d] = c.rows[d * vt::kNumFeatures + size_t(f)];
  std::vector<double> scores(kDomains);
  std::vector<uint16_t> votes(kDomains);
  for (auto _ : state) {
    vt::score_batch(e, x.data(), kDomains, kDomains, scores.data(), votes.data());
    benchmark::DoNotOptimize(scores.data());
    benchmark::ClobberMemory();
  }
  report(state, c);
}

struct PNode {
  PNode* left = nullptr;
  PNode* right = nullptr;
  int feature = -1;
  float threshold = 0;
  bool normal = false;
};

PNode* build(const vt::Model& m, const vt::ModelTree& t, size_t i,
             std::vector<std::unique_ptr<PNode>>* pool) {
  pool->push_back(std::make_unique<PNode>());
  PNode* n = pool->back().get();
  n->normal = t.value[i] >= 0.5;
  if (t.left[i] >= 0) {
    n->feature = m.feature_ids[size_t(t.feature[i])];
    n->threshold = t.threshold[i];
    n->left = build(m, t, size_t(t.left[i]), pool);
    n->right = build(m, t, size_t(t.right[i]), pool);
  }
  return n;
}

void Pointer(benchmark::State& state) {
  const Case& c = pick(int(state.range(0)));
  std::vector<std::unique_ptr<PNode>> pool;
  std::vector<PNode*> roots;
  for (const vt::ModelTree& t : c.model.trees) roots.push_back(build(c.model, t, 0, &pool));
  std::vector<double> scores(kDomains);
  for (auto _ : state) {
    for (size_t d = 0; d < kDomains; ++d) {
      const float* x = &c.rows[d * vt::kNumFeatures];
      int normal = 0;
      for (const PNode* n : roots) {
        while (n->left) n = x[n->feature] <= n->threshold ? n->left : n->right;
        normal += n->normal;
      }
      scores[d] = double(normal) / double(roots.size());
    }
    benchmark::DoNotOptimize(scores.data());
    benchmark::ClobberMemory();
  }
  report(state, c);
}

// One second of the runtime for 1,000 domains: rows in, windows, batch
// scoring, strike rule, verdicts out.
void Tick(benchmark::State& state) {
  const Case& c = default_case();
  vt::Detector det(c.model);
  std::vector<vt::SecondRow> rows(kDomains);
  for (size_t d = 0; d < kDomains; ++d) {
    rows[d].domid = uint16_t(d + 1);
    rows[d].span_s = 1;
    rows[d].vcpus = 1;
    rows[d].state_s[vt::kRunning] = 0.5;
    rows[d].n[vt::kHypercalls] = 100 + d % 50;
  }
  std::vector<vt::Verdict> out;
  uint64_t t = 0;
  for (; t < 10; ++t) {  // warm-up: every domain judged from now on
    for (vt::SecondRow& r : rows) r.index = t, r.t = double(t);
    det.on_rows(rows.data(), rows.size(), &out);
  }
  for (auto _ : state) {
    for (vt::SecondRow& r : rows) r.index = t, r.t = double(t);
    ++t;
    det.on_rows(rows.data(), rows.size(), &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["domain"] = benchmark::Counter(
      double(kDomains), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

BENCHMARK(Flat)->Arg(0)->Arg(6)->Arg(8)->Arg(10)->Unit(benchmark::kMicrosecond);
BENCHMARK(Pointer)->Arg(0)->Arg(6)->Arg(8)->Arg(10)->Unit(benchmark::kMicrosecond);
BENCHMARK(Tick)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
