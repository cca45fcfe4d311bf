#include "src/detector/model.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "src/util/file.h"

namespace vt {
namespace {

using json = nlohmann::json;

const char* kFormatTag = "vtrace-detector-model";

bool get_int(const json& v, int64_t lo, int64_t hi, int64_t* out) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > uint64_t(hi) || int64_t(u) < lo) return false;
    *out = int64_t(u);
    return true;
  }
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i < lo || i > hi) return false;
    *out = i;
    return true;
  }
  return false;
}

struct Checker {
  const std::string& name;
  Status fail(const std::string& where, const std::string& what) const {
    return Status::Corruption(name + ": " + where + ": " + what);
  }
};

// Structure checks shared by the loader and validate_model.
Status check_tree(const ModelTree& t, size_t nfeat, size_t ti, const Checker& c) {
  const std::string tp = "trees[" + std::to_string(ti) + "]";
  const size_t n = t.feature.size();
  if (n == 0) return c.fail(tp, "empty tree");
  if (n > kMaxTreeNodes) return c.fail(tp, "more than " + std::to_string(kMaxTreeNodes) + " nodes");
  if (t.threshold.size() != n || t.left.size() != n || t.right.size() != n || t.value.size() != n ||
      (!t.samples.empty() && t.samples.size() != n))
    return c.fail(tp, "arrays of different lengths (feature has " + std::to_string(n) + ")");
  std::vector<uint8_t> parents(n, 0);
  std::vector<int> depth(n, 0);
  for (size_t i = 0; i < n; ++i) {
    auto at = [&](const char* field) { return tp + "." + field + "[" + std::to_string(i) + "]"; };
    if (!std::isfinite(t.value[i]) || t.value[i] < 0 || t.value[i] > 1)
      return c.fail(at("value"), "not a fraction in [0, 1]");
    if (!std::isfinite(t.threshold[i])) return c.fail(at("threshold"), "not a finite number");
    const bool leaf = t.left[i] == -1;
    if (leaf) {
      if (t.right[i] != -1) return c.fail(at("right"), "a leaf (left = -1) must have right = -1");
      if (t.feature[i] != -1) return c.fail(at("feature"), "a leaf (left = -1) must have feature = -1");
      continue;
    }
    if (t.feature[i] < 0 || size_t(t.feature[i]) >= nfeat)
      return c.fail(at("feature"), "feature index " + std::to_string(t.feature[i]) + " out of range (" +
                                       std::to_string(nfeat) + " features)");
    for (const char* side : {"left", "right"}) {
      const int32_t ch = side[0] == 'l' ? t.left[i] : t.right[i];
      if (ch < 0 || size_t(ch) >= n)
        return c.fail(at(side),
                      "child " + std::to_string(ch) + " out of range (" + std::to_string(n) + " nodes)");
      if (size_t(ch) <= i)
        return c.fail(at(side), "child " + std::to_string(ch) +
                                    " does not come after its parent (a cycle or a back edge)");
      if (parents[size_t(ch)]++) return c.fail(at(side), "node " + std::to_string(ch) + " has two parents");
      depth[size_t(ch)] = depth[i] + 1;
      if (depth[size_t(ch)] > kMaxModelDepth)
        return c.fail(at(side), "deeper than " + std::to_string(kMaxModelDepth) + " levels");
    }
  }
  for (size_t i = 1; i < n; ++i)
    if (!parents[i]) return c.fail(tp, "node " + std::to_string(i) + " is not reachable from the root");
  return Status::Ok();
}

Status check_header(const Model& m, const Checker& c) {
  if (m.features.empty()) return c.fail("features", "empty");
  if (m.features.size() > size_t(kNumFeatures))
    return c.fail("features", "more features than this build knows");
  for (size_t i = 0; i < m.features.size(); ++i) {
    const std::string at = "features[" + std::to_string(i) + "]";
    if (feature_by_name(m.features[i]) < 0)
      return c.fail(at, "'" + m.features[i] + "' is not a feature this build computes");
    for (size_t j = 0; j < i; ++j)
      if (m.features[j] == m.features[i]) return c.fail(at, "'" + m.features[i] + "' listed twice");
  }
  if (m.window.window < 1 || m.window.window > kMaxWindow)
    return c.fail("window_s", "not in 1.." + std::to_string(kMaxWindow));
  if (m.window.warmup < 0 || m.window.warmup > kMaxWarmup)
    return c.fail("warmup_s", "not in 0.." + std::to_string(kMaxWarmup));
  if (!std::isfinite(m.threshold) || m.threshold < -1 || m.threshold > 1)
    return c.fail("threshold", "not a number in [-1, 1]");
  if (m.strikes < 1 || m.strikes > kMaxStrikes)
    return c.fail("strikes", "not in 1.." + std::to_string(kMaxStrikes));
  if (m.guest_types.empty()) return c.fail("guest_types", "no guest type");
  for (size_t i = 0; i < m.guest_types.size(); ++i) {
    if (m.guest_types[i] == GuestType::kUnknown)
      return c.fail("guest_types", "'unknown' is not a guest type");
    for (size_t j = 0; j < i; ++j)
      if (m.guest_types[j] == m.guest_types[i])
        return c.fail("guest_types", std::string("'") + guest_type_name(m.guest_types[i]) + "' listed twice");
  }
  if (m.trees.empty()) return c.fail("trees", "no trees");
  if (m.trees.size() > kMaxModelTrees)
    return c.fail("trees", "more than " + std::to_string(kMaxModelTrees) + " trees");
  return Status::Ok();
}

template <class T, class Get>
Status read_array(const json& o, const char* key, const std::string& tp, const Checker& c,
                  std::vector<T>* out, bool optional, Get get) {
  const std::string at = tp + "." + key;
  auto it = o.find(key);
  if (it == o.end()) return optional ? Status::Ok() : c.fail(at, "missing");
  if (!it->is_array()) return c.fail(at, "not an array");
  if (it->size() > kMaxTreeNodes) return c.fail(at, "more than " + std::to_string(kMaxTreeNodes) + " nodes");
  out->resize(it->size());
  for (size_t i = 0; i < it->size(); ++i)
    if (const std::string what = get((*it)[i], &(*out)[i]); !what.empty())
      return c.fail(at + "[" + std::to_string(i) + "]", what);
  return Status::Ok();
}

Status check_model(Model* m, const std::string& name) {
  const Checker c{name};
  if (Status st = check_header(*m, c); !st.ok()) return st;
  size_t total = 0;
  for (size_t ti = 0; ti < m->trees.size(); ++ti) {
    if (Status st = check_tree(m->trees[ti], m->features.size(), ti, c); !st.ok()) return st;
    total += m->trees[ti].size();
    if (total > kMaxModelNodes)
      return c.fail("trees", "more than " + std::to_string(kMaxModelNodes) + " nodes in all");
  }
  m->feature_ids.clear();
  for (const std::string& f : m->features) m->feature_ids.push_back(feature_by_name(f));
  return Status::Ok();
}

}  // namespace

int model_tree_depth(const ModelTree& t) {
  std::vector<int> d(t.size(), 0);
  int m = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    m = std::max(m, d[i]);
    if (t.left[i] >= 0) d[size_t(t.left[i])] = d[size_t(t.right[i])] = d[i] + 1;
  }
  return m;
}

Status parse_model(std::string_view text, const std::string& name, Model* m) {
  *m = Model();
  const Checker c{name};
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
    std::string what = e.what();
    const size_t p = what.find("] ");
    if (p != std::string::npos) what = what.substr(p + 2);
    return Status::Corruption(name + ": byte " + std::to_string(e.byte) + ": JSON syntax: " + what);
  } catch (const json::exception& e) {
    // A number out of range ("number overflow parsing '1e400'"): no byte
    // offset from the parser; point at the first occurrence of the token.
    std::string what = e.what();
    const size_t p = what.find("] ");
    if (p != std::string::npos) what = what.substr(p + 2);
    size_t at = 0;
    const size_t q1 = what.find('\''), q2 = what.rfind('\'');
    if (q1 != std::string::npos && q2 > q1) {
      const size_t f = text.find(what.substr(q1 + 1, q2 - q1 - 1));
      if (f != std::string_view::npos) at = f + 1;
    }
    return Status::Corruption(name + ": byte " + std::to_string(at) + ": JSON: " + what);
  }
  if (!doc.is_object()) return c.fail("top level", "not a JSON object");
  auto field = [&](const char* key) -> const json* {
    auto it = doc.find(key);
    return it == doc.end() ? nullptr : &*it;
  };
  const json* fmt = field("format");
  if (!fmt || !fmt->is_string() || fmt->get<std::string>() != kFormatTag)
    return c.fail("format", std::string("missing or not \"") + kFormatTag + "\" (not a vtrace model)");
  int64_t v = 0;
  const json* ver = field("version");
  if (!ver || !get_int(*ver, INT32_MIN, INT32_MAX, &v)) return c.fail("version", "missing or not an integer");
  if (v != kModelVersion)
    return c.fail("version", "version " + std::to_string(v) + " is not supported (this build reads version " +
                                 std::to_string(kModelVersion) + ")");
  const json* feats = field("features");
  if (!feats || !feats->is_array()) return c.fail("features", "missing or not an array");
  if (feats->size() > size_t(kNumFeatures)) return c.fail("features", "more features than this build knows");
  for (size_t i = 0; i < feats->size(); ++i) {
    if (!(*feats)[i].is_string()) return c.fail("features[" + std::to_string(i) + "]", "not a string");
    m->features.push_back((*feats)[i].get<std::string>());
  }
  struct IntField {
    const char* key;
    int* dst;
    int64_t lo, hi;
  } ints[] = {{"window_s", &m->window.window, 1, kMaxWindow},
              {"warmup_s", &m->window.warmup, 0, kMaxWarmup},
              {"strikes", &m->strikes, 1, kMaxStrikes}};
  for (const IntField& f : ints) {
    const json* j = field(f.key);
    if (!j || !get_int(*j, f.lo, f.hi, &v))
      return c.fail(f.key,
                    "missing or not an integer in " + std::to_string(f.lo) + ".." + std::to_string(f.hi));
    *f.dst = int(v);
  }
  const json* thr = field("threshold");
  if (!thr || !thr->is_number()) return c.fail("threshold", "missing or not a number");
  m->threshold = thr->get<double>();
  if (const json* gt = field("guest_types")) {
    if (!gt->is_array()) return c.fail("guest_types", "not an array");
    m->guest_types.clear();
    for (size_t i = 0; i < gt->size(); ++i) {
      const std::string at = "guest_types[" + std::to_string(i) + "]";
      GuestType t;
      if (!(*gt)[i].is_string() || !parse_guest_type((*gt)[i].get<std::string>(), &t))
        return c.fail(at, "not \"pv\" or \"hvm\"");
      m->guest_types.push_back(t);
    }
  }
  const json* trees = field("trees");
  if (!trees || !trees->is_array()) return c.fail("trees", "missing or not an array");
  if (trees->size() > kMaxModelTrees)
    return c.fail("trees", "more than " + std::to_string(kMaxModelTrees) + " trees");
  // Each element reader returns what is wrong with the element (empty: it
  // is read into *out).
  auto get_index = [](const json& j, int32_t* out) -> std::string {
    int64_t x;
    if (!get_int(j, -1, int64_t(kMaxTreeNodes), &x))
      return "not an integer in -1.." + std::to_string(kMaxTreeNodes);
    *out = int32_t(x);
    return "";
  };
  auto get_threshold = [](const json& j, float* out) -> std::string {
    if (!j.is_number()) return "not a number (NaN and infinities are not allowed)";
    const double d = j.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > double(std::numeric_limits<float>::max()))
      return "not a finite number in float range";
    *out = float(d);
    return "";
  };
  auto get_value = [](const json& j, double* out) -> std::string {
    if (!j.is_number()) return "not a number";
    *out = j.get<double>();
    return "";
  };
  auto get_count = [](const json& j, uint32_t* out) -> std::string {
    int64_t x;
    if (!get_int(j, 0, UINT32_MAX, &x)) return "not a count";
    *out = uint32_t(x);
    return "";
  };
  m->trees.resize(trees->size());
  for (size_t ti = 0; ti < trees->size(); ++ti) {
    const json& tj = (*trees)[ti];
    const std::string tp = "trees[" + std::to_string(ti) + "]";
    if (!tj.is_object()) return c.fail(tp, "not an object");
    ModelTree& t = m->trees[ti];
    Status st = read_array(tj, "feature", tp, c, &t.feature, false, get_index);
    if (st.ok()) st = read_array(tj, "threshold", tp, c, &t.threshold, false, get_threshold);
    if (st.ok()) st = read_array(tj, "left", tp, c, &t.left, false, get_index);
    if (st.ok()) st = read_array(tj, "right", tp, c, &t.right, false, get_index);
    if (st.ok()) st = read_array(tj, "value", tp, c, &t.value, false, get_value);
    if (st.ok()) st = read_array(tj, "samples", tp, c, &t.samples, true, get_count);
    if (!st.ok()) return st;
  }
  if (const json* tr = field("training")) {
    if (!tr->is_object()) return c.fail("training", "not an object");
    m->training_json = tr->dump();
  }
  return check_model(m, name);
}

Status validate_model(Model* m) { return check_model(m, "model"); }

Status load_model(const std::string& path, Model* m) {
  std::string text;
  if (Status st = read_text_file(path, &text); !st.ok()) return st;
  return parse_model(text, path, m);
}

namespace {

void append_f(std::string* s, const char* fmt, double v) {
  char b[64];
  std::snprintf(b, sizeof b, fmt, v);
  *s += b;
}

template <class T, class F>
void append_array(std::string* s, const char* key, const std::vector<T>& v, F one, bool comma) {
  *s += "     \"";
  *s += key;
  *s += "\": [";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) *s += ",";
    one(s, v[i]);
  }
  *s += comma ? "],\n" : "]\n";
}

}  // namespace

std::string model_to_json(const Model& m) {
  std::string s = "{\n";
  s += std::string("  \"format\": \"") + kFormatTag + "\",\n";
  s += "  \"version\": " + std::to_string(kModelVersion) + ",\n";
  s += "  \"features\": [";
  for (size_t i = 0; i < m.features.size(); ++i) s += (i ? ", " : "") + json(m.features[i]).dump();
  s += "],\n";
  s += "  \"window_s\": " + std::to_string(m.window.window) + ",\n";
  s += "  \"warmup_s\": " + std::to_string(m.window.warmup) + ",\n";
  s +=
      "  \"vote\": \"score = fraction of trees voting normal; a second is faulty iff score <= threshold\",\n";
  s += "  \"threshold\": ";
  append_f(&s, "%.17g", m.threshold);
  s += ",\n  \"strikes\": " + std::to_string(m.strikes) + ",\n";
  s += "  \"guest_types\": [";
  for (size_t i = 0; i < m.guest_types.size(); ++i)
    s += std::string(i ? ", " : "") + "\"" + guest_type_name(m.guest_types[i]) + "\"";
  s += "],\n";
  {
    // The metadata, indented to sit at this level.
    std::string meta = json::parse(m.training_json).dump(2, ' ', true), indented;
    for (char ch : meta) indented += ch == '\n' ? std::string("\n  ") : std::string(1, ch);
    s += "  \"training\": " + indented + ",\n";
  }
  s += "  \"trees\": [\n";
  for (size_t ti = 0; ti < m.trees.size(); ++ti) {
    const ModelTree& t = m.trees[ti];
    s += "    {\n";
    auto ints = [](std::string* o, int32_t v) { *o += std::to_string(v); };
    append_array(&s, "feature", t.feature, ints, true);
    append_array(
        &s, "threshold", t.threshold, [](std::string* o, float v) { append_f(o, "%.9g", v); }, true);
    append_array(&s, "left", t.left, ints, true);
    append_array(&s, "right", t.right, ints, true);
    append_array(
        &s, "value", t.value, [](std::string* o, double v) { append_f(o, "%.17g", v); }, !t.samples.empty());
    if (!t.samples.empty())
      append_array(
          &s, "samples", t.samples, [](std::string* o, uint32_t v) { *o += std::to_string(v); }, false);
    s += ti + 1 < m.trees.size() ? "    },\n" : "    }\n";
  }
  s += "  ]\n}\n";
  return s;
}

Status save_model(const std::string& path, const Model& m) {
  const std::string text = model_to_json(m);
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status::IoError(path + ": cannot write");
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::IoError(path + ": write failed");
  }
  return Status::Ok();
}

}  // namespace vt
