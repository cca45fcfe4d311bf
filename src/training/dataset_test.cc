// Datasets: labels files, the label rule, transition windows, the in-process
// trace path, and one clear line for every malformed labels file.
#include "src/training/dataset.h"

#include <fstream>
#include <gtest/gtest.h>
#include <map>

#include "src/exporters/sample_writer.h"
#include "src/training/replay_csv.h"
#include "tests/support/temp_path.h"
#include "tests/support/test_data.h"

namespace vt {
namespace {

std::string tmp(const std::string& name) { return vt::test::temp_dir() + "/" + name; }

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

// A replay CSV with domains 0 and 4 for seconds 0..n-1.
std::string samples_csv(int n) {
  const std::string header = SampleWriter::csv_header(false);
  std::vector<std::string_view> names;
  split_csv_line(header, &names);
  std::string s = header + "\n";
  for (int t = 0; t < n; ++t)
    for (int d : {0, 4}) {
      // A busy one-vCPU domain, by column name; every other column 0.
      const std::map<std::string, std::string> v = {{"t", std::to_string(t)},
                                                    {"span_s", "1.000000"},
                                                    {"domid", std::to_string(d)},
                                                    {"vcpus", "1"},
                                                    {"running_s", "0.5"},
                                                    {"runnable_s", "0.1"},
                                                    {"blocked_s", "0.4"},
                                                    {"exec_count", std::to_string(t)},
                                                    {"wakes", "1"},
                                                    {"blocks", "1"},
                                                    {"hypercalls", "100"},
                                                    {"guest_switches", "5"},
                                                    {"max_vcpu_running", "0.5"},
                                                    {"min_vcpu_blocked", "0.4"},
                                                    {"min_vcpu_hc_rate", "200"},
                                                    {"min_vcpu_switch_rate", "20"},
                                                    {"state", "active"},
                                                    {"shutdown_reason", "none"},
                                                    {"vcpus_up", "1"},
                                                    {"age_s", "-1.000"}};
      for (size_t i = 0; i < names.size(); ++i) {
        const auto it = v.find(std::string(names[i]));
        s += (i ? "," : "") + (it == v.end() ? std::string("0") : it->second);
      }
      s += "\n";
    }
  return s;
}

TEST(Dataset, LoadsRunsAndAppliesTheLabelRule) {
  write(tmp("e1.csv"), samples_csv(20));
  write(tmp("labels1.csv"),
        "exp_id,domid,workload,fault,onset_s,samples,origin\n"
        "e1,4,net,irqoff,12.5,e1.csv,synthetic\n"
        "e1,0,dom0,none,,e1.csv,synthetic\n");
  Dataset d;
  const Status st = load_dataset({tmp("labels1.csv")}, {}, &d);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(d.runs.size(), 2u);
  EXPECT_EQ(d.experiments.size(), 1u);
  const vt::Run& r = d.runs[0];
  EXPECT_EQ(r.label.run_id, "e1-d4");
  EXPECT_EQ(r.label.workload, "net");
  EXPECT_DOUBLE_EQ(r.label.onset_s, 12.5);
  EXPECT_EQ(r.rows.size(), 20u);
  EXPECT_FALSE(d.runs[1].label.faulty());

  Examples ex;
  make_examples(d, WindowConfig{}, &ex);
  // Seconds 5..19 are judged for each domain.
  ASSERT_EQ(ex.size(), 30u);
  for (size_t i = 0; i < ex.size(); ++i) {
    const double t = ex.t[i];
    if (ex.run[i] == 1) {
      EXPECT_FALSE(ex.y[i]);
      EXPECT_FALSE(ex.transition[i]);
      continue;
    }
    // Faulty iff t >= 12.5: 13, 14, ...; the windows [t-4, t+1) that hold
    // 12.5 strictly inside are t = 12..16.
    EXPECT_EQ(bool(ex.y[i]), t >= 13) << t;
    EXPECT_EQ(bool(ex.transition[i]), t >= 12 && t <= 16) << t;
    // exec_per_s of the window ending at t is the mean of t-4..t.
    EXPECT_FLOAT_EQ(ex.row(i)[kExecPerS], float(t - 2)) << t;
  }
}

TEST(Dataset, ValidFalseIsSkippedAndQuotesAreRead) {
  write(tmp("e2.csv"), samples_csv(8));
  write(tmp("labels2.csv"),
        "run_id,exp_id,domid,workload,onset_s,samples,valid,siblings\n"
        "a,e2,4,\"net, with a comma\",,e2.csv,True,\"x,y\"\n"
        "b,e2,0,dom0,,e2.csv,False,-\n");
  Dataset d;
  const Status st = load_dataset({tmp("labels2.csv")}, {}, &d);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(d.runs.size(), 1u);
  EXPECT_EQ(d.runs[0].label.workload, "net, with a comma");
  EXPECT_EQ(d.skipped_invalid, 1u);
}

TEST(Dataset, TraceFileGivesTheSameRowsAsItsReplayCsv) {
  // The xenlab manifest's way: trace_file + cpu_hz (in Hz, as Python writes
  // a float), replayed in-process.
  write(tmp("labels3.csv"), "exp_id,domid,onset_s,trace_file,cpu_hz\nx,1,," + test::kBusyTrace + "," +
                                std::to_string(test::kBundledHz) + "\n");
  Dataset d;
  const Status st = load_dataset({tmp("labels3.csv")}, {}, &d);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(d.runs.size(), 1u);
  const std::vector<SecondRow>& rows = d.runs[0].rows;
  ASSERT_EQ(rows.size(), 10u);
  // `vtrace summary` of this trace: d1v0 ran 9.93... s of 10; per second
  // about 0.994 (docs/xenalyze.md).
  for (const SecondRow& r : rows) EXPECT_GT(r.state_s[kRunning] / r.span_s, 0.98);
}

struct Bad {
  std::string labels;
  std::string message;  // after "<labels file>: "
};

TEST(Dataset, MalformedLabelsGiveOneClearLine) {
  write(tmp("e9.csv"), samples_csv(8));
  write(tmp("e9bad.csv"), SampleWriter::csv_header(false) + "\n1,1.0,4\n");
  const Bad cases[] = {
      {"", "line 1: empty file"},
      {"domid,onset_s,samples\n", "line 1: missing column 'exp_id'"},
      {"exp_id,domid,onset_s\n", "line 1: missing column 'samples' (replay CSV) or 'trace_file'"},
      {"exp_id,domid,onset_s,samples\ne9,x,,e9.csv\n", "line 2: column 'domid': 'x' is not a domain id"},
      {"exp_id,domid,onset_s,samples\ne9,4,soon,e9.csv\n", "line 2: column 'onset_s': 'soon' is not a time"},
      {"exp_id,domid,onset_s,samples\ne9,4,-3,e9.csv\n", "line 2: column 'onset_s': '-3' is not a time"},
      {"exp_id,domid,onset_s,samples\ne9,4,,e9.csv,extra\n", "line 2: 5 fields, the header has 4"},
      {"exp_id,domid,onset_s,samples\ne9,4,,e9.csv\ne9,4,,e9.csv\n",
       "line 3: run e9 domain 4 generation 0 is labelled twice"},
      {"exp_id,domid,onset_s,samples\ne9,7,,e9.csv\n", "line 2: domain 7 generation 0 has no rows in"},
      {"exp_id,domid,onset_s,samples\ne9,4,,missing.csv\n",
       "line 2: " + tmp("missing.csv") + ": No such file"},
      {"exp_id,domid,onset_s,samples\ne9,4,,e9bad.csv\n",
       "line 2: " + tmp("e9bad.csv") + ": line 2: 3 fields"},
      {"exp_id,domid,onset_s,trace_file,cpu_hz\ne9,4,,t.xtr,fast\n",
       "line 2: column 'cpu_hz' (needed with trace_file)"},
      {"exp_id,domid,onset_s,samples\n,4,,e9.csv\n", "line 2: column 'exp_id': empty"},
      {"exp_id,domid,onset_s,samples\n\"e9,4,,e9.csv\n", "line 2: unterminated quoted field"},
      {"exp_id,domid,onset_s,samples,guest_type\ne9,4,,e9.csv,hvm\n",
       "line 2: column 'guest_type': 'hvm', but the records of domain 4 in " + tmp("e9.csv") + " say pv"},
      {"exp_id,domid,onset_s,samples,guest_type\ne9,4,,e9.csv,xen\n",
       "line 2: column 'guest_type': 'xen' is not one of pv, pvh, hvm"},
  };
  for (const Bad& b : cases) {
    write(tmp("bad_labels.csv"), b.labels);
    Dataset d;
    const Status st = load_dataset({tmp("bad_labels.csv")}, {}, &d);
    EXPECT_FALSE(st.ok()) << b.message;
    const std::string& err = st.message();
    const std::string want = tmp("bad_labels.csv") + ": " + b.message;
    EXPECT_EQ(err.substr(0, want.size()), want) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

// --guest-type: runs of another type are left out and counted; none left is
// said with the type.
TEST(Dataset, GuestTypeFilter) {
  // Files of its own: ctest runs the other tests of this file at the same time.
  write(tmp("e9typed.csv"), samples_csv(8));
  write(tmp("typed.csv"),
        "exp_id,domid,onset_s,samples,guest_type\ne9,4,,e9typed.csv,pv\ne9,0,,e9typed.csv,\n");
  DatasetOptions o;
  Dataset d;
  ASSERT_TRUE(load_dataset({tmp("typed.csv")}, o, &d).ok());
  EXPECT_EQ(d.runs.size(), 2u);
  o.guest_type = GuestType::kPv;
  Dataset pv;
  ASSERT_TRUE(load_dataset({tmp("typed.csv")}, o, &pv).ok());
  EXPECT_EQ(pv.runs.size(), 2u);  // both domains make PV records
  EXPECT_EQ(pv.skipped_type, 0u);
  o.guest_type = GuestType::kHvm;
  Dataset hvm;
  const Status st = load_dataset({tmp("typed.csv")}, o, &hvm);
  EXPECT_EQ(st.message(), tmp("typed.csv") + ": no labelled runs of guest type hvm");
  EXPECT_EQ(hvm.skipped_type, 2u);
}

}  // namespace
}  // namespace vt
