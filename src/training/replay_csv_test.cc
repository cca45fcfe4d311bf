// Replay CSV reader: fields land where the writer put them, and every kind
// of malformed file is one line naming the line and column.
#include "src/training/replay_csv.h"

#include <gtest/gtest.h>

#include "src/exporters/sample_writer.h"

namespace vt {
namespace {

const std::string kHeader = SampleWriter::csv_header(false);

// A row with the value of each column chosen so that a mix-up shows:
// count k is 11 + k, the extremes 0.4, 0.3, 17.5, 2.25, 0.9, 3.5, 4.5.
std::string row() {
  std::string r = "7,1.000000,5,2,2,0.500000,0.250000,1.250000,0.000000,0.000000";  // t..lost_s
  for (int k = 0; k < kNumCounts; ++k) r += "," + std::to_string(11 + k);
  r += ",31,32,33,0.400000,0.300000,17.500,2.250,0.900000,3.500,4.500,1";
  r += ",crashed,crash,1,12.500";  // state, shutdown_reason, vcpus_up, age_s
  return r;
}

// row() with field `i` replaced.
std::string with(size_t i, const std::string& v) {
  std::vector<std::string_view> f;
  const std::string r = row();
  split_csv_line(r, &f);
  std::string o;
  for (size_t k = 0; k < f.size(); ++k) o += (k ? "," : "") + (k == i ? v : std::string(f[k]));
  return o;
}

TEST(ReplayCsv, ColumnsByName) {
  std::vector<SecondRow> rows;
  const Status st = parse_replay_csv(kHeader + "\n" + row() + "\n", "x.csv", &rows);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(rows.size(), 1u);
  const SecondRow& r = rows[0];
  EXPECT_EQ(r.index, 7u);
  EXPECT_EQ(r.t, 7);
  EXPECT_EQ(r.span_s, 1);
  EXPECT_EQ(r.domid, 5);
  EXPECT_EQ(r.generation, 2u);
  EXPECT_EQ(r.vcpus, 2u);
  EXPECT_EQ(r.state_s[kRunning], 0.5);
  EXPECT_EQ(r.state_s[kRunnable], 0.25);
  EXPECT_EQ(r.state_s[kBlocked], 1.25);
  for (int k = 0; k < kNumCounts; ++k) EXPECT_EQ(r.n[k], uint64_t(11 + k)) << count_name(k);
  EXPECT_EQ(r.dn[kGrantMap], 31u);
  EXPECT_EQ(r.dn[kGrantUnmap], 32u);
  EXPECT_EQ(r.dn[kGrantTransfer], 33u);
  EXPECT_EQ(r.vx.max_vcpu_running, 0.4);
  EXPECT_EQ(r.vx.min_vcpu_blocked, 0.3);
  EXPECT_EQ(r.vx.min_vcpu_hc_rate, 17.5);
  EXPECT_EQ(r.vx.min_vcpu_switch_rate, 2.25);
  EXPECT_EQ(r.vx.max_vcpu_rip_share, 0.9);
  EXPECT_EQ(r.vx.min_vcpu_virq_rate, 3.5);
  EXPECT_EQ(r.vx.min_vcpu_vmcall_rate, 4.5);
  EXPECT_TRUE(r.blinded);
  EXPECT_EQ(r.state, DomainState::kCrashed);
  EXPECT_EQ(r.shutdown_reason, xt::kShutdownCrash);
  EXPECT_EQ(r.vcpus_up, 1u);
  EXPECT_EQ(r.age_s, 12.5f);
}

// The state columns as the writer spells every value, read back; a table
// written before them reads as active, vCPUs and age not known.
TEST(ReplayCsv, StateColumnsRoundTrip) {
  std::vector<SecondRow> rows;
  for (DomainState d : {DomainState::kActive, DomainState::kPaused, DomainState::kShutdown,
                        DomainState::kCrashed, DomainState::kDying}) {
    DomainState back;
    ASSERT_TRUE(parse_domain_state(domain_state_name(d), &back));
    EXPECT_EQ(back, d);
  }
  for (unsigned reason : {0u, 1u, 2u, 3u, 4u, 5u, unsigned(xt::kNoShutdown)}) {
    uint8_t back = 0;
    ASSERT_TRUE(parse_shutdown_column(shutdown_column(uint8_t(reason)), &back)) << reason;
    EXPECT_EQ(back, reason);
  }
  EXPECT_STREQ(shutdown_column(xt::kNoShutdown), "none");
  const size_t cut = kHeader.find(",state");
  const std::string r = row();
  const Status st = parse_replay_csv(kHeader.substr(0, cut) + "\n" + r.substr(0, r.find(",crashed")) + "\n",
                                     "old.csv", &rows);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(rows[0].state, DomainState::kActive);
  EXPECT_EQ(rows[0].shutdown_reason, xt::kNoShutdown);
  EXPECT_EQ(rows[0].vcpus_up, 0u);
  EXPECT_EQ(rows[0].age_s, -1.0f);
  ASSERT_TRUE(parse_replay_csv(kHeader + "\n" + with(54, "-1.000") + "\n", "x.csv", &rows).ok());
  EXPECT_EQ(rows[0].age_s, -1.0f);
}

// A table written before the HVM counts existed (the PV lab set, the
// synthetic and simulated sets) reads them as 0; any other missing column is
// an error.
TEST(ReplayCsv, TablesFromBeforeTheHvmCountsReadThemAsZero) {
  std::string h = kHeader, r = row();
  std::vector<std::string_view> hf, rf;
  split_csv_line(h, &hf);
  split_csv_line(r, &rf);
  std::string h2, r2;
  for (size_t i = 0; i < hf.size(); ++i) {
    // Everything issue 13 added: the HVM counts and extremes.
    const std::string name(hf[i]);
    if (name.rfind("hvm_", 0) == 0 || name.rfind("exits_", 0) == 0 || name == "inj_virq" ||
        name == "eoi_writes" || name == "max_vcpu_rip_share" || name == "min_vcpu_virq_rate" ||
        name == "min_vcpu_vmcall_rate")
      continue;
    h2 += (h2.empty() ? "" : ",") + std::string(hf[i]);
    r2 += (r2.empty() ? "" : ",") + std::string(rf[i]);
  }
  std::vector<SecondRow> rows;
  const Status st = parse_replay_csv(h2 + "\n" + r2 + "\n", "old.csv", &rows);
  ASSERT_TRUE(st.ok()) << st.message();
  for (int k = kHvmRecords; k < kNumCounts; ++k) EXPECT_EQ(rows[0].n[k], 0u) << count_name(k);
  EXPECT_EQ(rows[0].vx.max_vcpu_rip_share, 0);
  EXPECT_EQ(rows[0].vx.min_vcpu_virq_rate, 0);
  EXPECT_EQ(rows[0].vx.min_vcpu_hc_rate, 17.5);
  EXPECT_EQ(rows[0].n[kLostHits], 27u);  // the columns around them still by name
  const size_t at = h2.find(",lost_hits");
  const Status missing = parse_replay_csv(h2.substr(0, at) + h2.substr(at + 10) + "\n", "old.csv", &rows);
  EXPECT_EQ(missing.message(),
            "old.csv: line 1: missing column 'lost_hits' (not a vtrace replay CSV header?)");
}

TEST(ReplayCsv, ColumnOrderAndExtraColumnsDoNotMatter) {
  // Move domid to the end and add a column the reader does not know.
  std::string h = kHeader, r = row();
  std::vector<std::string_view> hf, rf;
  split_csv_line(h, &hf);
  split_csv_line(r, &rf);
  std::string h2 = "extra", r2 = "x";
  for (size_t i = 0; i < hf.size(); ++i)
    if (hf[i] != "domid") h2 += "," + std::string(hf[i]), r2 += "," + std::string(rf[i]);
  h2 += ",domid";
  r2 += ",5";
  std::vector<SecondRow> rows;
  const Status st = parse_replay_csv(h2 + "\r\n" + r2 + "\r\n", "x.csv", &rows);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].domid, 5);
  EXPECT_EQ(rows[0].n[kWakes], 12u);
}

struct Bad {
  std::string text;
  std::string message;
};

TEST(ReplayCsv, MalformedFilesGiveOneClearLine) {
  std::string no_running = kHeader;
  no_running.replace(no_running.find("running_s"), 9, "runing_s");
  const std::string h = kHeader + "\n";
  const Bad cases[] = {
      {"", "x.csv: line 1: empty file"},
      {no_running + "\n", "x.csv: line 1: missing column 'running_s'"},
      {SampleWriter::csv_header(true) + "\n", "x.csv: line 1: per-vCPU rows"},
      {h + row() + ",9\n", "x.csv: line 2: 56 fields, the header has 55"},
      {h + row() + "\n" + with(2, "abc") + "\n",
       "x.csv: line 3: column 'domid': 'abc' is not a non-negative integer"},
      {h + with(0, "7.5") + "\n", "x.csv: line 2: column 't': '7.5' is not a whole number"},
      {h + with(1, "1.5") + "\n", "x.csv: line 2: column 'span_s': '1.5' is not at most 1 s"},
      {h + with(1, "-1") + "\n", "x.csv: line 2: column 'span_s': '-1' is not a non-negative number"},
      {h + with(1, "nan") + "\n", "x.csv: line 2: column 'span_s': 'nan' is not a non-negative number"},
      {h + with(5, "") + "\n", "x.csv: line 2: column 'running_s': '' is not a non-negative number"},
      {h + with(5, "1e39") + "\n",
       "x.csv: line 2: column 'running_s': '1e39' is not a non-negative number (at most 1e12)"},
      {h + with(50, "2") + "\n", "x.csv: line 2: column 'blinded': '2' is not 0 or 1"},
      {h + with(2, "40000") + "\n", "x.csv: line 2: column 'domid': '40000' is not a domain id"},
      {h + with(10, "-3") + "\n", "x.csv: line 2: column 'exec_count': '-3' is not a non-negative integer"},
      {h + with(51, "asleep") + "\n", "x.csv: line 2: column 'state': 'asleep' is not a domain state"},
      {h + with(52, "halt") + "\n",
       "x.csv: line 2: column 'shutdown_reason': 'halt' is not a shutdown reason"},
      {h + with(53, "x") + "\n", "x.csv: line 2: column 'vcpus_up': 'x' is not a non-negative integer"},
      {h + with(54, "-2") + "\n", "x.csv: line 2: column 'age_s': '-2' is not a non-negative number"},
  };
  for (const Bad& b : cases) {
    std::vector<SecondRow> rows;
    const Status st = parse_replay_csv(b.text, "x.csv", &rows);
    EXPECT_EQ(st.code(), Status::Code::kCorruption) << b.message;
    const std::string& err = st.message();
    EXPECT_EQ(err.substr(0, b.message.size()), b.message) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace vt
