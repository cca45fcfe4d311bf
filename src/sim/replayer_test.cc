// The replay producer: a real trace's records go through Xen's producer
// protocol into the simulated rings and come out of the live path as they
// went in. The figures it is checked against come from the file itself, read
// by the file pipeline (xenalyze agrees with it: xenalyze_agreement_test).
#include "src/sim/replayer.h"

#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <thread>

#include "src/pipeline/read_trace.h"
#include "src/runtime/live_runtime.h"
#include "tests/support/temp_path.h"

namespace {

const std::string kDom0Trace = std::string(VTRACE_TEST_DATA) + "/xen417-dom0-all-10s.xtr";

// Per domain, every count the trackers keep, summed over all periods.
using Counts = std::map<uint32_t, std::array<uint64_t, vt::kNumCounts>>;

Counts counts_of_file(const std::string& path) {
  vt::ReadOptions o;
  o.pipeline.samples.enabled = true;
  o.pipeline.samples.cpu_hz = vt::sim::HostConfig{}.tsc_hz;
  vt::TraceReader reader(o);
  Counts c;
  EXPECT_TRUE(reader.open(path).ok());
  reader.set_sample_sink([&](const std::vector<vt::DomainSample>& p) {
    for (const auto& s : p)
      for (int i = 0; i < vt::kNumCounts; ++i) c[s.domid][size_t(i)] += s.d.n[i];
  });
  const vt::Status st = reader.run();
  EXPECT_TRUE(st.ok()) << st.message();
  return c;
}

TEST(Replayer, LoadsEveryRecordButTheRingsBookkeeping) {
  vt::sim::ReplayTrace t;
  const vt::Status st = vt::sim::load_replay(kDom0Trace, &t);
  ASSERT_TRUE(st.ok()) << st.message();
  // `vtrace dump` prints 17919 records of this file (Cli.DumpDecodesEveryRecord),
  // none of them the rings' own (the file has no lost records).
  EXPECT_EQ(t.records, 17919u);
  uint64_t per_cpu = 0;
  for (uint64_t n : t.cpu_records) per_cpu += n;
  EXPECT_EQ(per_cpu, t.records);
  EXPECT_GT(t.span_tsc, uint64_t(9.9 * 2.445406e9));  // a 10 s trace
  EXPECT_LT(t.span_tsc, uint64_t(10.1 * 2.445406e9));
}

TEST(Replayer, ABadFileIsOneErrorNamingIt) {
  vt::sim::ReplayTrace t;
  const vt::Status st = vt::sim::load_replay(vt::test::temp_path("no-such.xtr"), &t);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no-such.xtr"), std::string::npos) << st.message();
}

// Three passes from two threads through the live path: nothing lost, every
// record read once, and the recording holds the trace three times over: each
// domain's counts are three times the file's.
TEST(Replayer, ThreePassesComeOutOfTheLivePathAsTheyWentIn) {
  vt::sim::ReplayTrace t;
  ASSERT_TRUE(vt::sim::load_replay(kDom0Trace, &t).ok());
  vt::sim::HostConfig hc;
  hc.nr_cpus = uint32_t(t.cpu_words.size());
  vt::sim::SimHost host(hc);
  vt::sim::ReplayOptions ro;
  ro.threads = 2;
  ro.passes = 3;
  vt::sim::Replayer rep(&host, &t, ro);
  vt::LiveSession session;
  vt::LiveOptions lo;
  lo.pages = 256;
  ASSERT_TRUE(session.open(&host, lo).ok());
  const std::string path = vt::test::temp_path("replayed.xtr");
  std::FILE* rec = std::fopen(path.c_str(), "wb");
  ASSERT_NE(rec, nullptr);
  vt::RuntimeOptions o;
  std::atomic<bool> done{false};
  o.external_stop = &done;
  o.poll_ms = 2;
  o.slack_ms = 0;
  o.record = rec;
  vt::LiveRuntime rt(&session, o);
  rep.start();
  std::thread watcher([&] {
    while (!rep.finished()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    done = true;
  });
  const vt::Status ran = rt.run();
  ASSERT_TRUE(ran.ok()) << ran.message();
  watcher.join();
  rep.join();
  std::fclose(rec);
  EXPECT_EQ(rep.records_offered(), 3 * t.records);
  EXPECT_EQ(host.lost_total(), 0u);
  // The session's event mask (vtrace's classes) admits most of them.
  EXPECT_GT(rep.records_written(), 3 * t.records * 99 / 100);
  EXPECT_EQ(rt.stats()[vt::Stat::records_read], rep.records_written());
  const Counts once = counts_of_file(kDom0Trace), thrice = counts_of_file(path);
  ASSERT_EQ(once.size(), thrice.size());
  for (const auto& [domid, n] : once)
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string what = "d" + std::to_string(domid) + " " + vt::count_name(int(i));
      if (std::string(vt::count_name(int(i))) == "inconsistent") {
        // At each of the two seams a vCPU's first change of the next pass may
        // start from another state than the one it ended the pass in: at
        // most once per vCPU (dom0 has 2) per seam.
        EXPECT_GE(thrice.at(domid)[i], 3 * n[i]) << what;
        EXPECT_LE(thrice.at(domid)[i], 3 * n[i] + 2 * 2) << what;
      } else {
        EXPECT_EQ(thrice.at(domid)[i], 3 * n[i]) << what;
      }
    }
  std::remove(path.c_str());
}

}  // namespace
