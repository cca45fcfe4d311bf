// Model files: a round trip, the committed default model, and one clear
// line for each kind of malformed file.
#include "src/detector/model.h"

#include <cmath>
#include <gtest/gtest.h>

#include "tests/support/temp_path.h"

namespace vt {
namespace {

// Two features; tree 0: x[hypercalls_per_s] <= 12.5 ? (x[running_frac] <= 0.5 ? normal : FAULTY) : normal.
Model small_model() {
  Model m;
  m.features = {"hypercalls_per_s", "running_frac"};
  m.threshold = 0.5;
  m.strikes = 3;
  ModelTree t;
  t.feature = {0, 1, -1, -1, -1};
  t.threshold = {12.5f, 0.5f, 0, 0, 0};
  t.left = {1, 3, -1, -1, -1};
  t.right = {2, 4, -1, -1, -1};
  t.value = {0.8, 0.5, 1.0, 0.9, 0.1};
  t.samples = {100, 40, 60, 20, 20};
  m.trees = {t, t};
  m.training_json = R"({"note":"test"})";
  const Status st = validate_model(&m);
  EXPECT_TRUE(st.ok()) << st.message();
  return m;
}

TEST(Model, RoundTrip) {
  const Model m = small_model();
  const std::string text = model_to_json(m);
  Model back;
  const Status st = parse_model(text, "m.json", &back);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(back.features, m.features);
  EXPECT_EQ(back.feature_ids, (std::vector<int>{kHypercallsPerS, kRunningFrac}));
  EXPECT_EQ(back.threshold, m.threshold);
  EXPECT_EQ(back.strikes, 3);
  EXPECT_EQ(back.window.window, 5);
  EXPECT_EQ(back.window.warmup, 5);
  ASSERT_EQ(back.trees.size(), 2u);
  EXPECT_EQ(back.trees[1].feature, m.trees[1].feature);
  EXPECT_EQ(back.trees[1].threshold, m.trees[1].threshold);
  EXPECT_EQ(back.trees[1].left, m.trees[1].left);
  EXPECT_EQ(back.trees[1].right, m.trees[1].right);
  EXPECT_EQ(back.trees[1].value, m.trees[1].value);
  EXPECT_EQ(back.trees[1].samples, m.trees[1].samples);
  EXPECT_EQ(back.training_json, m.training_json);
  EXPECT_EQ(model_to_json(back), text);  // stable
}

TEST(Model, TheCommittedDefaultModelLoads) {
  Model m;
  const Status st = load_model(std::string(VTRACE_TEST_DATA) + "/../../src/detector/models/default.json", &m);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(m.trees.size(), 50u);
  EXPECT_NE(m.training_json.find("\"synthetic_only\":false"), std::string::npos);  // the lab data set
}

// The small model's JSON with one edit.
std::string edited(const std::string& from, const std::string& to) {
  std::string s = model_to_json(small_model());
  const size_t p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  return s.replace(p, from.size(), to);
}

// The guest types a model judges: written and read back; a file from
// before they were recorded judges PV guests (every model then did).
TEST(Model, GuestTypes) {
  Model m = small_model();
  m.guest_types = {GuestType::kHvm, GuestType::kPv};
  Model back;
  ASSERT_TRUE(parse_model(model_to_json(m), "m.json", &back).ok());
  EXPECT_EQ(back.guest_types, m.guest_types);
  Model old;
  const Status st = parse_model(edited("  \"guest_types\": [\"pv\"],\n", ""), "m.json", &old);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(old.guest_types, std::vector<GuestType>{GuestType::kPv});
}

struct Bad {
  std::string text;
  std::string message;  // after "m.json: "
};

TEST(Model, MalformedFilesGiveOneClearLine) {
  const std::string good = model_to_json(small_model());
  const Bad cases[] = {
      {good.substr(0, good.size() / 2), "byte "},  // truncated
      {"", "byte 1: JSON syntax"},
      {"[1, 2]", "top level: not a JSON object"},
      {edited("\"format\": \"vtrace-detector-model\"", "\"format\": \"other\""), "format: missing or not"},
      {edited("\"version\": 1", "\"version\": 2"),
       "version: version 2 is not supported (this build reads version 1)"},
      {edited("\"version\": 1", "\"version\": \"1\""), "version: missing or not an integer"},
      {edited("\"hypercalls_per_s\"", "\"hypercalls_per_hour\""),
       "features[0]: 'hypercalls_per_hour' is not a feature this build computes"},
      {edited("\"running_frac\"", "\"hypercalls_per_s\""), "features[1]: 'hypercalls_per_s' listed twice"},
      {edited("\"feature\": [0,1,-1,-1,-1]", "\"feature\": [0,7,-1,-1,-1]"),
       "trees[0].feature[1]: feature index 7 out of range (2 features)"},
      {edited("\"left\": [1,3,-1,-1,-1]", "\"left\": [1,0,-1,-1,-1]"),
       "trees[0].left[1]: child 0 does not come after its parent"},
      {edited("\"left\": [1,3,-1,-1,-1]", "\"left\": [1,1,-1,-1,-1]"),
       "trees[0].left[1]: child 1 does not come after its parent"},
      {edited("\"left\": [1,3,-1,-1,-1]", "\"left\": [1,9,-1,-1,-1]"),
       "trees[0].left[1]: child 9 out of range (5 nodes)"},
      {edited("\"right\": [2,4,-1,-1,-1]", "\"right\": [2,3,-1,-1,-1]"),
       "trees[0].right[1]: node 3 has two parents"},
      {edited("\"right\": [2,4,-1,-1,-1]", "\"right\": [2,4,3,-1,-1]"),
       "trees[0].right[2]: a leaf (left = -1) must have right = -1"},
      {edited("\"threshold\": [12.5,", "\"threshold\": [null,"),
       "trees[0].threshold[0]: not a number (NaN and infinities are not allowed)"},
      {edited("\"threshold\": [12.5,", "\"threshold\": [NaN,"), "byte "},
      {edited("\"threshold\": [12.5,", "\"threshold\": [1e39,"),
       "trees[0].threshold[0]: not a finite number in float range"},
      {edited("\"threshold\": [12.5,", "\"threshold\": [1e400,"), "byte "},
      {edited("\"value\": [0.80000000000000004,", "\"value\": [1.5,"),
       "trees[0].value[0]: not a fraction in [0, 1]"},
      {edited("\"samples\": [100,40,60,20,20]", "\"samples\": [100,40,60,20]"),
       "trees[0]: arrays of different lengths (feature has 5)"},
      {edited("\"left\": [1,3,-1,-1,-1]", "\"left\": [1,3,-1,-1]"), "trees[0]: arrays of different lengths"},
      {edited("\"feature\": [0,1,-1,-1,-1]", "\"feature\": [0,1,-1,-1,\"x\"]"),
       "trees[0].feature[4]: not an integer"},
      {edited("\"strikes\": 3", "\"strikes\": 0"), "strikes: missing or not an integer in 1..1000"},
      {edited("\"window_s\": 5", "\"window_s\": 61"), "window_s: missing or not an integer in 1..60"},
      {edited("\"threshold\": 0.5", "\"threshold\": 7"), "threshold: not a number in [-1, 1]"},
      {edited("\"trees\": [", "\"trees\": 3, \"x\": ["), "trees: missing or not an array"},
      {edited("\"guest_types\": [\"pv\"]", "\"guest_types\": [\"pvh\"]"),
       "guest_types[0]: not \"pv\" or \"hvm\""},
      {edited("\"guest_types\": [\"pv\"]", "\"guest_types\": [\"unknown\"]"),
       "guest_types[0]: not \"pv\" or \"hvm\""},
      {edited("\"guest_types\": [\"pv\"]", "\"guest_types\": [\"pv\", \"pv\"]"),
       "guest_types: 'pv' listed twice"},
      {edited("\"guest_types\": [\"pv\"]", "\"guest_types\": []"), "guest_types: no guest type"},
      {edited("\"guest_types\": [\"pv\"]", "\"guest_types\": \"pv\""), "guest_types: not an array"},
  };
  for (const Bad& b : cases) {
    Model m;
    const Status st = parse_model(b.text, "m.json", &m);
    EXPECT_EQ(st.code(), Status::Code::kCorruption) << b.message;
    const std::string& err = st.message();
    const std::string want = "m.json: " + b.message;
    EXPECT_EQ(err.substr(0, want.size()), want) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

TEST(Model, UnreachableNodeAndDeepChainsAreRejected) {
  Model m = small_model();
  m.trees[0].feature.push_back(-1);
  m.trees[0].threshold.push_back(0);
  m.trees[0].left.push_back(-1);
  m.trees[0].right.push_back(-1);
  m.trees[0].value.push_back(1);
  m.trees[0].samples.push_back(1);
  Status st = validate_model(&m);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "model: trees[0]: node 5 is not reachable from the root");
  // A chain 70 levels deep: internal node k at index 2k, its leaf at 2k+1,
  // the next internal node at 2k+2.
  Model d = small_model();
  ModelTree c;
  for (int k = 0; k < 70; ++k) {
    c.feature.push_back(0), c.threshold.push_back(1), c.left.push_back(2 * k + 1),
        c.right.push_back(2 * k + 2), c.value.push_back(0.5);
    c.feature.push_back(-1), c.threshold.push_back(0), c.left.push_back(-1), c.right.push_back(-1),
        c.value.push_back(1);
  }
  c.feature.push_back(-1), c.threshold.push_back(0), c.left.push_back(-1), c.right.push_back(-1),
      c.value.push_back(1);
  d.trees[0] = c;
  d.trees[1] = c;
  st = validate_model(&d);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("deeper than 64 levels"), std::string::npos) << st.message();
}

TEST(Model, FileErrorsNameTheFile) {
  Model m;
  const Status st = load_model(vt::test::temp_path("no-such-model.json"), &m);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find("no-such-model.json: No such file"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace vt
