// The live pipeline end to end on the simulated hypervisor: consumer
// threads, channels, sorter, trackers, the classifier thread. Every record
// the hypervisor wrote is consumed once, and the per-second samples equal
// the simulator's own ground truth. Run under ThreadSanitizer in CI.
#include "src/runtime/live_runtime.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "src/pipeline/read_trace.h"
#include "src/sim/host.h"
#include "src/sim/simulator.h"
#include "tests/support/temp_path.h"
#include "xentrace/events.h"

namespace {

struct Result {
  std::map<std::pair<uint64_t, uint32_t>, vt::DomainSample> samples;  // (period, domid)
  vt::Stats stats;
  std::vector<uint64_t> progress_read;                 // records_read of each progress published, in order
  std::vector<std::vector<vt::sim::VcpuTruth>> truth;  // at whole seconds 1, 2, ...
  uint64_t written = 0, lost = 0;
  std::string log;  // the runtime's lines
};

// Runs beside the runtime while the simulator runs (e.g. a second reader).
using Beside =
    std::function<void(vt::sim::SimHost&, const vt::sim::Simulator&, const std::atomic<bool>& done)>;

// Simulates `sim_s` seconds, read by a runtime that outlives the simulator
// (so that every record is written before the final drain).
Result run_sim(const std::string& scenario, double sim_s, std::vector<uint32_t> dom0_cpus,
               std::FILE* record = nullptr, Beside beside = nullptr) {
  Result res;
  vt::sim::Scenario sc;
  const vt::Status parsed = vt::sim::parse_scenario(scenario, &sc);
  EXPECT_TRUE(parsed.ok()) << parsed.message();
  vt::sim::HostConfig hc;
  hc.nr_cpus = sc.pcpus;
  vt::sim::SimHost host(hc);
  vt::sim::Simulator sim(&host, sc);
  vt::LiveSession session;
  vt::LiveOptions lo;
  lo.pages = 2048;  // 8 MiB a CPU: no loss even when a sanitizer or CI slows the consumer
  const vt::Status opened = session.open(&host, lo);
  EXPECT_TRUE(opened.ok()) << opened.message();
  vt::RuntimeOptions ro;
  std::atomic<bool> done{false};
  ro.external_stop = &done;  // stop once the simulator has written everything
  ro.poll_ms = 2;
  ro.slack_ms = 0;
  ro.dom0_cpus = dom0_cpus;
  ro.record = record;
  char* text = nullptr;
  size_t len = 0;
  ro.log = open_memstream(&text, &len);
  ro.progress_s = 0.25;
  vt::LiveRuntime rt(&session, ro);
  std::mutex mu;
  rt.set_period_sink([&](const std::vector<vt::DomainSample>& p) {
    std::lock_guard<std::mutex> g(mu);
    for (const auto& s : p) res.samples[{s.index, s.domid}] = s;
  });
  rt.set_progress_sink([&](const vt::LiveProgress& p) {
    std::lock_guard<std::mutex> g(mu);
    res.progress_read.push_back(p.stats[vt::Stat::records_read]);
  });
  sim.start(sim_s);
  std::thread watcher([&] {
    while (!sim.finished()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    done = true;
  });
  std::thread other;
  if (beside) other = std::thread([&] { beside(host, sim, done); });
  const vt::Status ran = rt.run();
  EXPECT_TRUE(ran.ok()) << ran.message();
  watcher.join();
  if (other.joinable()) other.join();
  sim.join();
  std::fclose(ro.log);
  res.log.assign(text, len);
  std::free(text);
  res.stats = rt.stats();
  for (size_t k = 0; k < sim.seconds_recorded(); ++k) res.truth.push_back(sim.truth_at_second(k));
  res.written = sim.records_written();
  res.lost = host.lost_total();
  return res;
}

// Seconds in state `st` that domain `domid` spent between whole seconds k and k+1.
double truth_seconds(const Result& r, size_t k, uint32_t domid, int st) {
  uint64_t ns = 0;
  for (size_t i = 0; i < r.truth[k + 1].size(); ++i) {
    const auto& b = r.truth[k + 1][i];
    if (b.domid != domid) continue;
    ns += b.ns[st] - (k < r.truth.size() ? r.truth[k][i].ns[st] : 0);
  }
  return double(ns) * 1e-9;
}

void expect_matches_truth(const Result& r, size_t min_periods) {
  // Periods start at the first record's TSC, a microsecond or so after
  // simulated time 0: period k is [k, k+1) s give or take that.
  size_t checked = 0;
  for (size_t k = 1; k + 2 < r.truth.size(); ++k) {
    for (const auto& b : r.truth[k]) {
      if (b.vcpu != 0) continue;  // once per domain
      auto it = r.samples.find({k + 1, b.domid});
      ASSERT_NE(it, r.samples.end()) << "no sample for d" << b.domid << " at " << k + 1;
      const vt::DomainSample& s = it->second;
      const double hz = 2.4e9;
      for (int st : {vt::kRunning, vt::kRunnable, vt::kBlocked}) {
        EXPECT_NEAR(double(s.d.cycles[st]) / hz, truth_seconds(r, k, b.domid, st), 1e-4)
            << "d" << b.domid << " period " << k + 1 << " " << vt::vstate_name(st);
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, min_periods);
}

// The progress published while the run goes on: records read only grow,
// some were counted before the end, and the last figure is every record the
// simulator wrote.
void expect_progress(const Result& r) {
  ASSERT_GE(r.progress_read.size(), 3u);
  for (size_t i = 1; i < r.progress_read.size(); ++i) EXPECT_GE(r.progress_read[i], r.progress_read[i - 1]);
  size_t mid_run = 0;
  for (uint64_t n : r.progress_read) mid_run += n > 0 && n < r.written;
  EXPECT_GE(mid_run, 1u);
  EXPECT_EQ(r.progress_read.back(), r.written);
}

TEST(LiveRuntime, OneConsumerMatchesTheSimulatorsTruth) {
  Result r = run_sim("demo,speed=6,seed=11", 7, {});
  expect_progress(r);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.stats[vt::Stat::lost_records], 0u);
  // Every record written was read once (delivered or dropped by class).
  EXPECT_EQ(r.stats[vt::Stat::records_read], r.written);
  EXPECT_EQ(r.stats[vt::Stat::samples_dropped], 0u);
  ASSERT_GE(r.truth.size(), 5u);
  expect_matches_truth(r, 7 * 3);
}

TEST(LiveRuntime, TwoPinnedConsumersMatchTheSimulatorsTruth) {
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs two CPUs";
  Result r = run_sim("dense,guests=200,speed=3,seed=5", 4.5, {0, 1});
  expect_progress(r);  // both consumers' rings counted
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.stats[vt::Stat::records_read], r.written);
  ASSERT_GE(r.truth.size(), 4u);
  expect_matches_truth(r, 200);
}

// xentrace started under a running vtrace: between simulated seconds 3 and
// 4 a second reader takes what CPU 0's ring holds every 2 ms. vtrace says
// so once, counts it, and blinds every domain (kBlindSharedRings: the
// detector says unknown) from then until 2 s (LiveOptions::reclaim_s) after
// the last foreign cons; the seconds before and well after are clean.
TEST(LiveRuntime, AForeignConsMarksEveryDomainUntilTheRingsAreOursAgain) {
  uint64_t taken = 0;
  Result r =
      run_sim("demo,speed=4,seed=3", 10, {}, nullptr,
              [&](vt::sim::SimHost& host, const vt::sim::Simulator& sim, const std::atomic<bool>& done) {
                while (!done.load() && sim.now_ns() < 4000000000ull) {
                  if (sim.now_ns() >= 3000000000ull) taken += host.read_as_another_consumer(0);
                  std::this_thread::sleep_for(std::chrono::milliseconds(2));
                }
              });
  ASSERT_GT(taken, 0u);
  EXPECT_GE(r.stats[vt::Stat::foreign_cons], 1u);
  EXPECT_EQ(r.stats[vt::Stat::shared_spells], 1u);
  EXPECT_NE(r.log.find("another reader moved CPU 0's ring cons"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("the trace buffers are ours again after"), std::string::npos) << r.log;
  std::map<uint64_t, std::pair<int, int>> shared;  // period -> (domains blinded by it, domains)
  for (const auto& [key, s] : r.samples) {
    auto& c = shared[key.first];
    c.first += (s.blinded & vt::kBlindSharedRings) != 0;
    ++c.second;
  }
  for (const auto& [k, c] : shared) {
    if (k <= 1 || k >= 8) {
      EXPECT_EQ(c.first, 0) << "period " << k;
    }
    if (k >= 4 && k <= 5) {
      EXPECT_EQ(c.first, c.second) << "period " << k;  // every domain
    }
  }
  EXPECT_GE(shared.size(), 9u);
}

// `vtrace run --record FILE`: replaying the file gives the very samples the
// live pipeline produced, with one consumer and with two.
void expect_replay_identical(std::vector<uint32_t> dom0_cpus, const std::string& name) {
  const std::string path = vt::test::temp_path(name + ".xtr");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  Result live = run_sim("dense,guests=100,speed=4,seed=9", 3, dom0_cpus, f);
  std::fclose(f);
  vt::ReadOptions o;
  o.pipeline.samples.enabled = true;
  o.pipeline.samples.cpu_hz = vt::sim::HostConfig{}.tsc_hz;
  vt::TraceReader reader(o);
  ASSERT_TRUE(reader.open(path).ok());
  std::map<std::pair<uint64_t, uint32_t>, vt::DomainSample> replayed;
  reader.set_sample_sink([&](const std::vector<vt::DomainSample>& p) {
    for (const auto& s : p) replayed[{s.index, s.domid}] = s;
  });
  const vt::Status fault = reader.run();
  ASSERT_TRUE(fault.ok()) << fault.message();
  ASSERT_EQ(replayed.size(), live.samples.size());
  for (const auto& [key, s] : live.samples) {
    const vt::DomainSample& r = replayed[key];
    for (int st = 0; st < vt::kTimedStates; ++st) ASSERT_EQ(r.d.cycles[st], s.d.cycles[st]);
    for (int i = 0; i < vt::kNumCounts; ++i) ASSERT_EQ(r.d.n[i], s.d.n[i]) << vt::count_name(i);
  }
  std::remove(path.c_str());
}

TEST(LiveRuntime, RecordingReplaysToTheSameSamples) { expect_replay_identical({}, "rec1_"); }

TEST(LiveRuntime, RecordingFromTwoConsumersReplaysToTheSameSamples) {
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs two CPUs";
  expect_replay_identical({0, 1}, "rec2_");
}

// What a run on a two-CPU simulated host printed to its log, with the
// silence watch at 0.2 s; `hv` plays the hypervisor while it runs and
// returns when the run may stop.
struct SilenceRun {
  vt::Stats stats;
  std::string log;
  std::vector<bool> blind;  // each progress published, in order
};
SilenceRun run_with_silence_watch(vt::sim::SimHost& host, const std::function<void(vt::LiveSession&)>& before,
                                  const std::function<void()>& hv) {
  SilenceRun out;
  vt::LiveSession session;
  vt::LiveOptions lo;
  lo.discard_backlog = false;
  EXPECT_TRUE(session.open(&host, lo).ok());
  before(session);
  char* text = nullptr;
  size_t len = 0;
  std::FILE* log = open_memstream(&text, &len);
  vt::RuntimeOptions ro;
  std::atomic<bool> done{false};
  ro.external_stop = &done;
  ro.poll_ms = 5;
  ro.slack_ms = 0;
  ro.silence_s = 0.2;
  ro.log = log;
  ro.progress_s = 0.05;
  vt::LiveRuntime rt(&session, ro);
  rt.set_progress_sink([&](const vt::LiveProgress& p) { out.blind.push_back(p.blind); });
  std::thread t([&] {
    hv();
    done = true;
  });
  const vt::Status ran = rt.run();
  t.join();
  EXPECT_TRUE(ran.ok()) << ran.message();
  std::fclose(log);
  out.log.assign(text, len);
  std::free(text);
  out.stats = rt.stats();
  return out;
}

// Tracing turned off under a running vtrace (here: the toolstack disables
// it, as xentrace does when it exits): one line when the silence starts,
// one when records come back.
TEST(LiveRuntime, SaysSoWhenRecordsStopAndWhenTheyComeBack) {
  vt::sim::HostConfig hc;
  hc.nr_cpus = 2;
  vt::sim::SimHost host(hc);
  const uint32_t w[2] = {1, 0};
  SilenceRun r = run_with_silence_watch(
      host, [](vt::LiveSession&) {},
      [&] {
        vt::TraceInfo info;
        host.trace(0, TRC_SCHED_WAKE, 1000, w, 2, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_TRUE(host.disable().ok());
        std::this_thread::sleep_for(std::chrono::milliseconds(600));  // silent: 0.2 s is passed
        EXPECT_TRUE(host.enable(1, &info).ok());
        host.trace(1, TRC_SCHED_WAKE, 1001, w, 2, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
      });
  EXPECT_GE(r.stats[vt::Stat::silences], 1u) << r.log;
  EXPECT_NE(r.log.find("no trace records from any CPU for 0.2 s"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("trace records again after"), std::string::npos) << r.log;
  EXPECT_EQ(r.stats[vt::Stat::records_merged], 2u);
  // The metrics' vtrace_blind: 0, then 1 during the silence, then 0 once
  // records come back (and 1 again if the run outlives the 0.2 s after them).
  const auto first_blind = std::find(r.blind.begin(), r.blind.end(), true);
  ASSERT_NE(first_blind, r.blind.end());
  EXPECT_NE(first_blind, r.blind.begin());
  EXPECT_NE(std::find(first_blind, r.blind.end(), false), r.blind.end());
}

// A CPU whose ring is stuck (a bogus prod: nothing is written, no quiet
// bound is published) holds the merge while another CPU's records pile up:
// the watch names that CPU instead of calling tracing off.
TEST(LiveRuntime, NamesTheCpuThatHoldsTheMerge) {
  vt::sim::HostConfig hc;
  hc.nr_cpus = 2;
  vt::sim::SimHost host(hc);
  const uint32_t w[2] = {1, 0};
  SilenceRun r = run_with_silence_watch(
      host,
      [&](vt::LiveSession& s) {
        xt::Ring r1 = host.ring_for_test(1);
        *r1.prod_word() = 2 * r1.data_size + 4;  // CPU 1 is never traced, so Xen never sees it
        (void)s;
      },
      [&] {
        for (uint64_t i = 0; i < 30; ++i) {
          host.trace(0, TRC_SCHED_WAKE, 1000 + i, w, 2, 0);
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
  EXPECT_NE(r.log.find("none could be merged for 0.2 s: CPU 1 sent neither a record nor a quiet bound"),
            std::string::npos)
      << r.log;
  EXPECT_EQ(r.log.find("no trace records from any CPU"), std::string::npos) << r.log;
  EXPECT_GE(r.stats[vt::Stat::bogus_ring_states], 1u);
  // At exit the held merge freed no chunk: the run ends anyway (it used to
  // spin here for ever), with whatever did not fit left in CPU 0's ring and
  // counted. Every record is either merged or left there.
  EXPECT_EQ(r.stats[vt::Stat::records_merged] + r.stats[vt::Stat::left_in_rings] / 20, 30u);
}

// VIRQ_TBUF wakes every consumer, not only consumer 0 which holds it: each
// burst fills 85% of ring 1 (2 pages; consumer 1's, whose poll interval is
// 5 s), and the writer waits for the ring to be drained before the next
// one, at most 3 s (ample under a sanitizer on a loaded machine). With the
// virq passed on every burst is drained within milliseconds and nothing is
// lost; without it the first wait runs out. Waiting for the drain, not a
// fixed pace, keeps the outcome the same on a slow, loaded machine.
TEST(LiveRuntime, TheVirqWakesEveryConsumer) {
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs two CPUs";
  vt::sim::HostConfig hc;
  hc.nr_cpus = 2;
  vt::sim::SimHost host(hc);
  std::atomic<uint64_t> tsc{1000};
  host.set_clock([&] { return tsc.load(); });
  vt::LiveSession session;
  vt::LiveOptions lo;
  lo.pages = 2;  // small, so that even a slow (sanitized) writer outruns half of it in 50 ms
  ASSERT_TRUE(session.open(&host, lo).ok());
  ASSERT_GE(session.notify_fd(), 0);
  vt::RuntimeOptions ro;
  std::atomic<bool> done{false};
  ro.external_stop = &done;
  ro.poll_ms = 5'000;
  ro.slack_ms = 0;
  ro.dom0_cpus = {0, 1};  // ring 1 is consumer 1's
  char* text = nullptr;
  size_t len = 0;
  ro.log = open_memstream(&text, &len);
  vt::LiveRuntime rt(&session, ro);
  const uint32_t w[2] = {1, 0};
  const uint64_t burst = 2 * 4096 / 20 * 85 / 100;  // records of 20 bytes
  uint64_t written = 0;
  int bursts = 0;
  bool drained_each = true;
  double write_s = 0;
  std::thread writer([&] {
    // 3.5 s: the rate is judged over whole seconds, the first skipped.
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::milliseconds(3'500);
    while (std::chrono::steady_clock::now() < end && drained_each) {
      for (uint64_t k = 0; k < burst; ++k) written += host.trace(1, TRC_SCHED_WAKE, ++tsc, w, 2, 0);
      ++bursts;
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      while (xt::ring_read(host.ring_for_test(1)).state != xt::RingState::kEmpty) {
        if (std::chrono::steady_clock::now() > give_up) {
          drained_each = false;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    done = true;
  });
  const vt::Status ran = rt.run();
  writer.join();
  ASSERT_TRUE(ran.ok()) << ran.message();
  EXPECT_TRUE(drained_each) << "burst " << bursts << " was not drained within 3 s";
  EXPECT_GE(bursts, 10);
  EXPECT_EQ(host.lost_total(), 0u);
  EXPECT_EQ(written, uint64_t(bursts) * burst);
  EXPECT_EQ(rt.stats()[vt::Stat::records_read], written);
  // 7 KB a burst, a burst every 11-20 ms (slower under a sanitizer, still
  // above 82 KB/s): half of a 2-page ring (4 KiB) holds less than 50 ms
  // (kRingHoldMs), so one line gives the busiest second's rate and the
  // --pages whose half ring would hold 50 ms of it.
  std::fclose(ro.log);
  const std::string log(text, len);
  std::free(text);
  // A sanitizer can slow the writer below that: the line is then only
  // required when the writer's own average rate was well above it.
  const double avg = double(written) * 20 / write_s;
  std::smatch m;
  const bool said = std::regex_search(
      log, m,
      std::regex("writes ([0-9.]+) MB/s of trace records: half of its 2-page ring fills in [0-9]+ ms; "
                 "--pages ([0-9]+) would hold 50 ms"));
  if (avg > 3 * 82e3) {
    EXPECT_TRUE(said) << "average " << avg << " B/s\n" << log;
  }
  if (!said) return;
  const double rate = std::stod(m[1]) * 1e6, pages = std::stod(m[2]);
  EXPECT_GE(rate, 82e3) << log;  // what needs more than 2 pages
  EXPECT_GE(pages, 3) << log;
  // floor(2 * rate * 0.050 / 4096) + 1; the rate is printed to 0.01 MB/s
  EXPECT_NEAR(pages, std::floor(2 * rate * 0.050 / 4096) + 1, 1) << log;
}

// Consumers that cannot pin stop the run with one error (the first), even
// when several fail at once: under ThreadSanitizer this also checks that
// they do not race on it (they once wrote one shared string).
TEST(LiveRuntime, PinningToMissingCpusIsOneError) {
  vt::sim::HostConfig hc;
  vt::sim::SimHost host(hc);
  vt::LiveSession session;
  ASSERT_TRUE(session.open(&host, vt::LiveOptions{}).ok());
  vt::RuntimeOptions ro;
  ro.dom0_cpus = {4000, 4001, 4002};
  ro.seconds = 0.1;
  vt::LiveRuntime rt(&session, ro);
  bool judged = false;
  rt.set_period_sink([&](const std::vector<vt::DomainSample>&) { judged = true; });
  const vt::Status st = rt.run();
  EXPECT_FALSE(judged);  // a failed run hands nothing to the detector
  EXPECT_EQ(st.code(), vt::Status::Code::kUnavailable);
  EXPECT_TRUE(std::regex_search(st.message(), std::regex("^cannot pin a consumer thread to CPU 400[012] ")))
      << st.message();
}

}  // namespace
