// ROC and AUC against hand computations (the Mann-Whitney count); the
// comparison with sklearn.metrics.roc_auc_score is in
// tools/detector/sklearn_check.py.
#include "src/training/roc.h"

#include <cmath>
#include <fstream>
#include <gtest/gtest.h>

#include "tests/support/temp_path.h"

namespace vt {
namespace {

TEST(Roc, TiesCountHalfByHand) {
  // Faulty scores 0.1, 0.2; normal 0.2, 0.4. Pairs (faulty below normal):
  // (0.1,0.2) 1, (0.1,0.4) 1, (0.2,0.2) 1/2, (0.2,0.4) 1: 3.5 / 4.
  const Roc r = roc_curve({0.2, 0.1, 0.4, 0.2}, {0, 1, 0, 1});
  EXPECT_EQ(r.positives, 2u);
  EXPECT_EQ(r.negatives, 2u);
  EXPECT_DOUBLE_EQ(r.auc, 0.875);
  // Points: start, then one per distinct score: (0,.5) (.5,1) (1,1).
  ASSERT_EQ(r.points.size(), 4u);
  EXPECT_TRUE(std::isinf(r.points[0].threshold));
  EXPECT_EQ(r.points[1].threshold, 0.1);
  EXPECT_EQ(r.points[1].tpr, 0.5);
  EXPECT_EQ(r.points[1].fpr, 0.0);
  EXPECT_EQ(r.points[2].tpr, 1.0);
  EXPECT_EQ(r.points[2].fpr, 0.5);
  EXPECT_EQ(r.points[3].fpr, 1.0);
}

TEST(Roc, Extremes) {
  EXPECT_EQ(roc_curve({0, 0, 1, 1}, {1, 1, 0, 0}).auc, 1.0);
  EXPECT_EQ(roc_curve({1, 1, 0, 0}, {1, 1, 0, 0}).auc, 0.0);
  EXPECT_EQ(roc_curve({0.5, 0.5, 0.5}, {1, 0, 0}).auc, 0.5);
  EXPECT_TRUE(std::isnan(roc_curve({0.5, 0.2}, {0, 0}).auc));
  EXPECT_TRUE(std::isnan(roc_curve({}, {}).auc));
}

TEST(Roc, ConfusionAtThreshold) {
  const Confusion c = confusion_at({0.1, 0.2, 0.2, 0.4, 0.9}, {1, 1, 0, 0, 1}, 0.2);
  EXPECT_EQ(c.tp, 2u);
  EXPECT_EQ(c.fn, 1u);
  EXPECT_EQ(c.fp, 1u);
  EXPECT_EQ(c.tn, 1u);
  EXPECT_DOUBLE_EQ(c.tpr(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(c.fpr(), 0.5);
}

TEST(Roc, FilesForPeople) {
  const Roc r = roc_curve({0.2, 0.1, 0.4, 0.2}, {0, 1, 0, 1});
  const std::string csv = vt::test::temp_path("roc.csv"), svg = vt::test::temp_path("roc.svg");
  const Status wrote_csv = write_roc_csv(csv, r);
  ASSERT_TRUE(wrote_csv.ok()) << wrote_csv.message();
  const Status wrote_svg = write_roc_svg(svg, r, "ROC of m.json", 0.2);
  ASSERT_TRUE(wrote_svg.ok()) << wrote_svg.message();
  std::ifstream c(csv);
  std::string line;
  std::getline(c, line);
  EXPECT_EQ(line, "threshold,fpr,tpr,fp,tp");
  std::getline(c, line);
  EXPECT_EQ(line, "-inf,0.000000000,0.000000000,0,0");
  std::ifstream s(svg);
  const std::string text((std::istreambuf_iterator<char>(s)), {});
  EXPECT_EQ(text.rfind("<svg", 0), 0u);
  EXPECT_NE(text.find("false positive rate"), std::string::npos);
  EXPECT_NE(text.find("true positive rate"), std::string::npos);
  EXPECT_NE(text.find("ROC of m.json"), std::string::npos);
  EXPECT_NE(text.find("threshold 0.200: TPR 1.000, FPR 0.500"), std::string::npos);
  EXPECT_NE(text.find("AUC 0.8750"), std::string::npos);
  const Status refused = write_roc_csv("/nonexistent-dir/x.csv", r);
  EXPECT_EQ(refused.code(), Status::Code::kIoError);
  EXPECT_NE(refused.message().find("/nonexistent-dir/x.csv"), std::string::npos);
}

}  // namespace
}  // namespace vt
