// live_rate: how many records a second one pinned consumer takes from the
// simulated hypervisor's rings with no loss (issue 3's benchmark).
//
//   live_rate [--scenario SPEC] [--seconds S] [--pages N] [--consumer-cpu C]
//             [--sim-cpu C] [--speeds a,b,...] [--search] [--recover]
//             [--replay TRACE [--threads N]] [--poll-ms MS]
//
// --replay writes a real trace's records into the simulated rings instead
// of the scheduler model (src/sim/replayer.h: N producer threads, every
// one pinned to --sim-cpu, the trace looped); speeds are then M records/s
// offered (0: as fast as the producers go), and --search looks for the
// highest loss-free rate the same way.
//
// Each run: a fresh simulated host (scenario default `dense`: 4 pCPUs,
// 1,000 guests), the simulation threads pinned to --sim-cpu, and the live
// runtime with one consumer thread pinned to --consumer-cpu, for S wall
// seconds. Reported per run: records/s the hypervisor wrote, records/s
// consumed, records it lost (Xen's own count, per CPU), and the consumer's
// CPU seconds per million records. --search doubles then bisects the speed
// to find the highest rate held with zero loss. --recover overloads the
// consumer, then drops the rate, and shows per-CPU losses per phase.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "src/runtime/live_runtime.h"
#include "src/sim/host.h"
#include "src/sim/replayer.h"
#include "src/sim/simulator.h"

namespace {

struct Args {
  std::string scenario = "dense";
  double seconds = 4;
  uint32_t pages = 2048;
  int consumer_cpu = 1, sim_cpu = 0;
  std::vector<double> speeds;
  bool search = false, recover = false;
  std::string replay;  // a trace to replay instead of the scheduler model
  uint32_t threads = 1;
  double poll_ms = vt::RuntimeOptions{}.poll_ms;  // the runtime's default
};

struct Run {
  double speed = 0, written_per_s = 0, consumed_per_s = 0, cpu_per_m = 0, wall_s = 0;
  double cpu_s = 0;  // the consumer's CPU over the run (its thread and the final drain)
  uint64_t written = 0, consumed = 0, lost = 0, reported = 0;
  std::vector<uint64_t> lost_per_cpu;
};

const vt::sim::ReplayTrace* g_replay = nullptr;

// Opens a session on `host` (after its producer is set up: a replay sets the
// host's clock), reads the rings for total_s while `host` is written by what
// `start` starts; fills in everything but what only the producer knows.
Run consume(const Args& a, vt::sim::SimHost& host, double total_s, const std::function<void()>& start) {
  vt::LiveSession session;
  vt::LiveOptions lo;
  lo.pages = a.pages;
  if (vt::Status st = session.open(&host, lo); !st.ok()) {
    std::fprintf(stderr, "live_rate: %s\n", st.message().c_str());
    std::exit(1);
  }
  vt::RuntimeOptions ro;
  ro.seconds = total_s;
  ro.poll_ms = a.poll_ms;
  ro.slack_ms = 0;
  ro.dom0_cpus = {uint32_t(a.consumer_cpu)};
  vt::LiveRuntime rt(&session, ro);
  start();
  if (vt::Status st = rt.run(); !st.ok()) {
    std::fprintf(stderr, "live_rate: %s\n", st.message().c_str());
    std::exit(1);
  }
  const vt::Stats& st = rt.stats();
  Run r;
  r.consumed = st[vt::Stat::records_read];
  r.lost = host.lost_total();
  r.reported = st[vt::Stat::lost_records];  // what the consumer learnt from TRC_LOST_RECORDS
  for (uint32_t c = 0; c < host.config().nr_cpus; ++c) r.lost_per_cpu.push_back(host.stats(c).lost);
  const double wall_s = double(st[vt::Stat::wall_ns]) * 1e-9;
  r.consumed_per_s = double(r.consumed) / wall_s;
  r.cpu_per_m = r.consumed ? double(st[vt::Stat::consumer_cpu_ns]) * 1e-9 / (double(r.consumed) / 1e6) : 0;
  r.wall_s = wall_s;
  r.cpu_s = double(st[vt::Stat::consumer_cpu_ns]) * 1e-9;
  return r;
}

// A real trace replayed at `mrate` M records/s offered (0: flat out).
Run run_replay(const Args& a, double mrate) {
  vt::sim::HostConfig hc;
  hc.nr_cpus = uint32_t(g_replay->cpu_words.size());
  vt::sim::SimHost host(hc);
  vt::sim::ReplayOptions o;
  o.threads = a.threads;
  o.records_per_s = mrate * 1e6;
  o.pin_cpu = a.sim_cpu;
  vt::sim::Replayer rep(&host, g_replay, o);
  Run r = consume(a, host, a.seconds, [&] { rep.start(); });
  rep.stop();
  rep.join();
  r.speed = mrate;
  r.written = rep.records_written();
  r.written_per_s = double(r.written) / r.wall_s;
  return r;
}

Run run_once(const Args& a, double speed, std::vector<std::pair<double, double>> phases = {}) {
  if (g_replay) return run_replay(a, speed);
  vt::sim::Scenario sc;
  if (vt::Status st = vt::sim::parse_scenario(a.scenario, &sc); !st.ok()) {
    std::fprintf(stderr, "live_rate: %s\n", st.message().c_str());
    std::exit(2);
  }
  sc.speed = speed;
  vt::sim::HostConfig hc;
  hc.nr_cpus = sc.pcpus;
  vt::sim::SimHost host(hc);
  vt::sim::Simulator sim(&host, sc);
  sim.pin_to(a.sim_cpu);
  double total = a.seconds;
  if (!phases.empty()) {
    total = 0;
    for (auto& p : phases) total += p.second;
  }
  std::thread phaser;
  Run r = consume(a, host, total, [&] {
    sim.start(0);
    if (phases.empty()) return;
    phaser = std::thread([&] {
      for (size_t i = 0; i < phases.size(); ++i) {
        sim.set_speed(phases[i].first);
        std::this_thread::sleep_for(std::chrono::milliseconds(int(phases[i].second * 1000)));
        std::printf("  phase %zu (speed %.0f, %.1f s): lost so far per CPU:", i + 1, phases[i].first,
                    phases[i].second);
        for (uint32_t c = 0; c < sc.pcpus; ++c) std::printf(" %llu", (unsigned long long)host.stats(c).lost);
        std::printf("\n");
        std::fflush(stdout);
      }
    });
  });
  if (phaser.joinable()) phaser.join();
  sim.stop();
  sim.join();
  r.speed = speed;
  r.written = sim.records_written();
  r.written_per_s = double(r.written) / r.wall_s;
  return r;
}

void print(const Run& r) {
  std::printf("%8.3f %14.3f %14.3f %12llu %12llu %14.4f %8.1f %7.2f   lost per CPU:", r.speed,
              r.written_per_s / 1e6, r.consumed_per_s / 1e6, (unsigned long long)r.lost,
              (unsigned long long)r.reported, r.cpu_per_m, r.cpu_per_m * 1e3, r.cpu_s / r.wall_s * 100);
  for (uint64_t l : r.lost_per_cpu) std::printf(" %llu", (unsigned long long)l);
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "live_rate: %s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--scenario")
      a.scenario = val();
    else if (k == "--seconds")
      a.seconds = std::atof(val().c_str());
    else if (k == "--pages")
      a.pages = uint32_t(std::atoi(val().c_str()));
    else if (k == "--consumer-cpu")
      a.consumer_cpu = std::atoi(val().c_str());
    else if (k == "--sim-cpu")
      a.sim_cpu = std::atoi(val().c_str());
    else if (k == "--speeds") {
      std::string v = val();
      for (char* t = std::strtok(v.data(), ","); t; t = std::strtok(nullptr, ","))
        a.speeds.push_back(std::atof(t));
    } else if (k == "--search")
      a.search = true;
    else if (k == "--recover")
      a.recover = true;
    else if (k == "--replay")
      a.replay = val();
    else if (k == "--threads")
      a.threads = uint32_t(std::atoi(val().c_str()));
    else if (k == "--poll-ms")
      a.poll_ms = std::atof(val().c_str());
    else {
      std::fprintf(stderr, "live_rate: unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  vt::sim::ReplayTrace trace;
  if (!a.replay.empty()) {
    if (vt::Status st = vt::sim::load_replay(a.replay, &trace); !st.ok()) {
      std::fprintf(stderr, "live_rate: %s\n", st.message().c_str());
      return 1;
    }
    g_replay = &trace;
    std::printf("replay of %s (%llu records a pass, %zu CPUs) by %u producer thread(s)", a.replay.c_str(),
                (unsigned long long)trace.records, trace.cpu_words.size(), a.threads);
  } else {
    std::printf("scenario %s", a.scenario.c_str());
  }
  std::printf(
      ", %u pages per CPU, consumer pinned to CPU %d, producers to CPU %d, poll %.1f ms, %.1f s per run\n",
      a.pages, a.consumer_cpu, a.sim_cpu, a.poll_ms, a.seconds);
  std::printf("%8s %14s %14s %12s %12s %14s %8s %7s\n", "speed", "written M/s", "consumed M/s", "lost (Xen)",
              "reported", "CPU s per M", "ns/rec", "CPU %");
  for (double s : a.speeds) print(run_once(a, s));
  if (a.search) {
    double lo = 0, hi = 0;
    Run best;
    for (double s = 8;; s *= 2) {  // double until the first loss
      Run r = run_once(a, s);
      print(r);
      if (r.lost == 0) {
        lo = s;
        best = r;
      } else {
        hi = s;
        break;
      }
      if (s > 4096) break;
    }
    for (int i = 0; i < 4 && hi > 0; ++i) {  // then bisect
      const double mid = (lo + hi) / 2;
      Run r = run_once(a, mid);
      print(r);
      if (r.lost == 0) {
        lo = mid;
        best = r;
      } else {
        hi = mid;
      }
    }
    std::printf(
        "highest rate held with zero loss: %.2f M records/s written and consumed (speed %.0f), "
        "consumer CPU %.4f s per million records\n",
        best.consumed_per_s / 1e6, best.speed, best.cpu_per_m);
  }
  if (a.recover) {
    const double high = a.speeds.size() > 1 ? a.speeds[1] : 400, low = a.speeds.empty() ? 20 : a.speeds[0];
    std::printf("recovery: speed %.0f (overload) for %.1f s, then %.0f for %.1f s twice\n", high, a.seconds,
                low, a.seconds);
    Run r = run_once(a, high, {{high, a.seconds}, {low, a.seconds}, {low, a.seconds}});
    print(r);
  }
  return 0;
}
