// Registers the commands that read a hypervisor's buffers while it runs:
// run (also `vtrace` alone), record, sim. Each works on a real Xen dom0
// (libxenctrl) or, with --sim, on the simulated hypervisor; the code above
// the TraceHost is the same for both.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <array>
#include <map>
#include <memory>
#include <chrono>
#include <thread>

#include "src/cli/command_registry.h"
#include "src/cli/commands.h"
#include "src/cli/detect_flags.h"
#include "src/cli/options.h"
#include "src/exporters/sample_writer.h"
#include "src/runtime/live_runtime.h"
#include "src/runtime/recorder.h"
#include "src/sim/host.h"
#include "src/sim/simulator.h"
#include "src/source/xen_host.h"

namespace vt {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

struct LiveFlags {
  std::string cpus, trace_cpus, sim, events, format = "table", out, record;
  double seconds = 0, sim_seconds = 0, poll_ms = 10, period = 1.0;
  double slack_ms = -1;  // < 0: 1 ms on Xen, 0 on the simulator (its clock is exact)
  double silence_s = 10;
  uint32_t pages = 128;
  bool include_idle = false;
  bool sim_given = false;
  DetectFlags detect;
};

void add_live_flags(CLI::App* cmd, LiveFlags* f, bool with_output_flags) {
  cmd->add_option("--sim", f->sim,
                  "use the simulated hypervisor with this scenario (demo, dense, overload, or "
                  "key=value pairs; see docs/sim.md)")
      ->expected(0, 1)
      ->default_str("demo");
  cmd->add_option("--seconds", f->seconds, "stop after this many seconds (0: at SIGINT)")
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--pages", f->pages, "trace buffer pages per CPU to request (Xen keeps the first size of a boot)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--events", f->events,
                  "event mask, e.g. 0x0032f000 (default: scheduler, memory and PV classes)");
  cmd->add_option("--trace-cpus", f->trace_cpus, "hypervisor CPUs to trace (default: all)");
  cmd->add_option("--poll-ms", f->poll_ms, "drain the buffers at least this often")
      ->check(CLI::Range(0.1, 10000.0));
  if (with_output_flags) {
    cmd->add_option("--cpus", f->cpus, "dom0 CPUs for the consumer threads, pinned (e.g. 0-3)");
    cmd->add_option("--sim-seconds", f->sim_seconds,
                    "with --sim: stop once the simulated host has run this many seconds of its own time, "
                    "however long that takes here (0: no limit)")
        ->check(CLI::Range(0.0, 1e7));
    cmd->add_option("--slack-ms", f->slack_ms,
                    "how far a CPU's records may lag the host's clock (records in flight, TSC skew) "
                    "before they count as late (default 1 on Xen, 0 on --sim)")
        ->check(CLI::Range(0.0, 10000.0));
    cmd->add_option("--silence-s", f->silence_s,
                    "say so when no record comes from any CPU for this many seconds (tracing "
                    "turned off or its mask changed: the detector is blind; 0: never)")
        ->check(CLI::Range(0.0, 1e6));
    cmd->add_option("--format", f->format, "table, csv or json")->default_val("table");
    cmd->add_option("--period", f->period, "sample period in seconds of trace time")
        ->check(CLI::Range(0.001, 3600.0));
    cmd->add_flag("--include-idle", f->include_idle, "also report the idle domain (32767)");
    cmd->add_option("--record", f->record,
                    "also write everything read to this xentrace file (vtrace replay of it gives "
                    "the same figures)");
    add_detect_flags(cmd, &f->detect);
  }
}

// The hypervisor: the simulator's when --sim was given, else Xen's.
struct Host {
  std::unique_ptr<TraceHost> xen;
  std::unique_ptr<sim::SimHost> sim_host;
  std::unique_ptr<sim::Simulator> sim;
  TraceHost* get() { return sim_host ? sim_host.get() : xen.get(); }
};

bool make_host(LiveFlags& f, bool sim_given, Host* h, std::string* err) {
  if (sim_given) {
    sim::Scenario sc;
    if (!sim::parse_scenario(f.sim.empty() ? "demo" : f.sim, &sc, err)) return false;
    sim::HostConfig hc;
    hc.nr_cpus = sc.pcpus;
    hc.seed = sc.seed;
    h->sim_host = std::make_unique<sim::SimHost>(hc);
    h->sim = std::make_unique<sim::Simulator>(h->sim_host.get(), sc);
    return true;
  }
  h->xen = open_xen_host(err);
  return h->xen != nullptr;
}

bool live_options(const LiveFlags& f, LiveOptions* o, std::string* err) {
  o->pages = f.pages;
  if (!f.events.empty()) {
    char* end = nullptr;
    const unsigned long m = std::strtoul(f.events.c_str(), &end, 0);
    if (*end != '\0' || m == 0 || m > 0x0fffffff) {
      *err = "--events: '" + f.events + "' is not an event mask (e.g. 0x0032f000)";
      return false;
    }
    o->event_mask = uint32_t(m);
    o->event_mask_given = true;
  }
  if (!f.trace_cpus.empty() && !parse_cpu_list(f.trace_cpus, &o->trace_cpus, err)) {
    *err = "--trace-cpus" + err->substr(err->find(':'));
    return false;
  }
  return true;
}

int fail(const std::string& e) {
  std::fprintf(stderr, "vtrace: %s\n", e.c_str());
  return kExitBadInput;
}

int cmd_run(LiveFlags& f, bool sim_given) {
  std::string err;
  Format format;
  if (!parse_format(f.format, &format)) {
    std::fprintf(stderr, "vtrace: --format: '%s' is not one of table, csv, json\n", f.format.c_str());
    return kExitUsage;
  }
  RuntimeOptions ro;
  if (!f.cpus.empty() && !parse_cpu_list(f.cpus, &ro.dom0_cpus, &err)) {
    std::fprintf(stderr, "vtrace: %s\n", err.c_str());
    return kExitUsage;
  }
  LiveOptions lo;
  if (!live_options(f, &lo, &err)) {
    std::fprintf(stderr, "vtrace: %s\n", err.c_str());
    return kExitUsage;
  }
  if (f.sim_seconds > 0 && !sim_given) {
    std::fprintf(stderr, "vtrace: --sim-seconds needs --sim\n");
    return kExitUsage;
  }
  Host host;
  if (!make_host(f, sim_given, &host, &err)) return fail(err);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> rec(nullptr, std::fclose);
  if (!f.record.empty()) {
    rec.reset(std::fopen(f.record.c_str(), "wb"));
    if (!rec) return fail(f.record + ": cannot create: " + std::strerror(errno));
    ro.record = rec.get();
  }
  // The detector's actions go through the host: libxenctrl, or the simulator.
  TraceHost* th = host.get();
  DomainControl control = [th](ActionKind k, uint16_t domid, std::string* e) {
    const DomainOp op = k == ActionKind::kPause      ? DomainOp::kPause
                        : k == ActionKind::kShutdown ? DomainOp::kShutdown
                                                     : DomainOp::kDestroy;
    return th->domain_op(op, domid, e);
  };
  std::unique_ptr<DetectStage> det;
  int rc = kExitOk;
  if (!open_detect(f.detect, f.period, control, &det, &rc)) return rc;
  LiveSession session;
  if (!session.open(host.get(), lo, &err)) return fail(err);
  if (host.sim) host.sim->start(f.sim_seconds);
  // --sim-seconds: stop when the simulator has written its last record (the
  // runtime then drains everything), on a slow machine as on a fast one.
  std::thread sim_watch;
  if (host.sim && f.sim_seconds > 0) {
    sim_watch = std::thread([&host] {
      while (!host.sim->finished() && !g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      g_stop.store(true);
    });
  }
  std::fprintf(stderr, "vtrace: reading %zu CPUs of %s, %u pages each, event mask 0x%08x, cpu-hz %.0f\n",
               session.rings().size(), host.get()->describe().c_str(), session.pages_per_cpu(),
               session.event_mask(), session.tsc_hz());
  ro.poll_ms = f.poll_ms;
  ro.seconds = f.seconds;
  ro.period_s = f.period;
  ro.include_idle = f.include_idle;
  ro.external_stop = &g_stop;
  ro.silence_s = f.silence_s;
  ro.log = stderr;
  if (f.slack_ms >= 0) ro.slack_ms = f.slack_ms;
  else if (host.sim) ro.slack_ms = 0;  // the simulator's clock is exact
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  LiveRuntime rt(&session, ro);
  SampleWriter w(stdout, format, false, session.tsc_hz());
  const double hz = session.tsc_hz();
  // With --detect the verdicts take stdout unless they go to a file.
  const bool write_samples = !det || (!f.detect.verdicts.empty() && f.detect.verdicts != "-");
  rt.set_period_sink([&](const std::vector<DomainSample>& p) {  // the classifier thread
    if (write_samples) w.write(p);
    if (det) det->on_samples(p, hz);
  });
  const bool ok = rt.run(&err);
  g_stop.store(true);
  if (sim_watch.joinable()) sim_watch.join();
  if (det) det->finish();
  if (host.sim) host.sim->stop();
  if (host.sim) host.sim->join();
  session.close();
  const RuntimeStats st = rt.stats();
  std::fprintf(stderr,
               "vtrace: %llu records (%.2f M/s) in %.1f s, %llu lost by the hypervisor, consumer "
               "CPU %.2f s (%.0f ns/record)\n",
               (unsigned long long)(st.records + st.dropped_classes),
               double(st.records + st.dropped_classes) / st.wall_s / 1e6, st.wall_s,
               (unsigned long long)st.lost_records, st.consumer_cpu_s,
               st.records + st.dropped_classes
                   ? st.consumer_cpu_s * 1e9 / double(st.records + st.dropped_classes)
                   : 0.0);
  // One line per kind of trouble met, only for those that happened.
  auto g = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  const std::pair<uint64_t, std::string> troubles[] = {
      {st.bogus, "bogus ring states seen, " + std::to_string(st.resyncs) + " resynchronised (" +
                     std::to_string(st.discarded_bytes) + " unread bytes dropped)"},
      {st.bad_chunks, "times a record ran past what the ring had written (corrupt ring data); the "
                      "rest of what was read with it was skipped"},
      {st.late, "records came later than --slack-ms " + g(ro.slack_ms) +
                    " allowed (a CPU's clock or its records in flight lagged); each was counted at "
                    "the time the merge had reached: raise --slack-ms"},
      {st.silences, "spells of more than " + g(ro.silence_s) + " s without a record"},
      {st.left_in_rings, "bytes were left unread in the hypervisor's rings at exit (a CPU held the "
                         "merge while the others' chunks were full)"},
      {st.tsc_backwards, "records had a TSC below their CPU's previous one (raised to it)"},
  };
  for (const auto& [n, what] : troubles)
    if (n) std::fprintf(stderr, "vtrace: %llu %s\n", (unsigned long long)n, what.c_str());
  if (!ok) return fail(err);
  return kExitOk;
}

int cmd_record(LiveFlags& f, bool sim_given) {
  std::string err;
  LiveOptions lo;
  if (!live_options(f, &lo, &err)) {
    std::fprintf(stderr, "vtrace: %s\n", err.c_str());
    return kExitUsage;
  }
  Host host;
  if (!make_host(f, sim_given, &host, &err)) return fail(err);
  std::FILE* out = std::fopen(f.out.c_str(), "wb");
  if (!out) return fail(f.out + ": cannot create: " + std::strerror(errno));
  LiveSession session;
  if (!session.open(host.get(), lo, &err)) {
    std::fclose(out);
    return fail(err);
  }
  // The file format cannot carry the TSC frequency: say it.
  std::printf("cpu-hz=%.0f\n", session.tsc_hz());
  std::fflush(stdout);
  if (host.sim) host.sim->start(0);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  RecordStats st;
  const bool ok = record_trace(&session, out, f.seconds > 0 ? f.seconds : 10, f.poll_ms, &g_stop, &st, &err);
  if (host.sim) host.sim->stop();
  if (host.sim) host.sim->join();
  session.close();
  if (std::fclose(out) != 0 && ok) return fail(f.out + ": write failed");
  if (!ok) return fail(f.out + ": " + err);
  std::fprintf(stderr, "vtrace: %s: %llu records in %llu windows, %llu lost by the hypervisor; cpu-hz=%.0f\n",
               f.out.c_str(), (unsigned long long)st.records, (unsigned long long)st.windows,
               (unsigned long long)st.lost_records, session.tsc_hz());
  return kExitOk;
}

// vtrace sim: the simulated hypervisor on its own. --list prints the
// scenario's guests (what a labelled data set needs); otherwise it runs the
// scenario through the live pipeline and puts vtrace's per-domain seconds
// beside the simulator's own ground truth.
int cmd_sim(LiveFlags& f, bool list) {
  std::string err;
  sim::Scenario sc;
  if (!sim::parse_scenario(f.sim.empty() ? "demo" : f.sim, &sc, &err)) {
    std::fprintf(stderr, "vtrace: %s\n", err.c_str());
    return kExitUsage;
  }
  if (list) {
    std::printf("domid,vcpus,behaviour,fault,fault_at_s,fault_one_vcpu,start_s,stop_s\n");
    for (const sim::GuestSpec& g : sc.guests)
      std::printf("%u,%u,%s,%s,%s,%d,%g,%s\n", g.domid, g.vcpus, sim::behaviour_name(g.behaviour),
                  g.fault_at_s >= 0 ? sim::behaviour_name(g.fault) : "none",
                  g.fault_at_s >= 0 ? std::to_string(g.fault_at_s).c_str() : "", g.fault_one_vcpu ? 1 : 0,
                  g.start_s, g.stop_s >= 0 ? std::to_string(g.stop_s).c_str() : "");
    return kExitOk;
  }
  const double seconds = f.seconds > 0 ? f.seconds : 10;
  sim::HostConfig hc;
  hc.nr_cpus = sc.pcpus;
  hc.seed = sc.seed;
  sim::SimHost host(hc);
  sim::Simulator simulator(&host, sc);
  LiveSession session;
  LiveOptions lo;
  lo.pages = std::max<uint32_t>(f.pages, 1024);
  if (!session.open(&host, lo, &err)) return fail(err);
  RuntimeOptions ro;
  ro.slack_ms = 0;
  ro.poll_ms = f.poll_ms;
  std::atomic<bool> done{false};
  ro.external_stop = &done;
  LiveRuntime rt(&session, ro);
  std::map<uint32_t, std::array<double, 4>> measured;  // domid -> seconds per state
  const double hz = session.tsc_hz();
  rt.set_period_sink([&](const std::vector<DomainSample>& p) {
    for (const DomainSample& s : p)
      if (s.generation == 0)
        for (int st = 0; st < 4; ++st) measured[s.domid][st] += vt::seconds(s.d.cycles[st], hz);
  });
  simulator.start(seconds);
  std::thread watcher([&] {
    while (!simulator.finished() && !g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    simulator.stop();
    done = true;
  });
  std::signal(SIGINT, on_signal);
  const bool ok = rt.run(&err);
  watcher.join();
  simulator.join();
  session.close();
  if (!ok) return fail(err);
  std::map<uint32_t, std::array<double, 4>> truth;
  for (const sim::VcpuTruth& v : simulator.truth())
    for (int st = 0; st < 4; ++st) truth[v.domid][st] += double(v.ns[st]) * 1e-9;
  const RuntimeStats st = rt.stats();
  std::printf("scenario %s: %u pCPUs, %zu guests, %.1f s simulated; %llu records, %llu lost\n",
              sc.name.c_str(), sc.pcpus, sc.guests.size(), seconds,
              (unsigned long long)(st.records + st.dropped_classes), (unsigned long long)st.lost_records);
  std::printf("%6s %10s | %10s %10s %10s | %10s %10s %10s\n", "domid", "behaviour", "truth run",
              "truth rbl", "truth blk", "vtrace run", "vtrace rbl", "vtrace blk");
  for (const auto& [domid, t] : truth) {
    const char* b = "dom0";
    for (const sim::GuestSpec& g : sc.guests)
      if (g.domid == domid) b = sim::behaviour_name(g.behaviour);
    const auto& m = measured[domid];
    std::printf("%6u %10s | %10.4f %10.4f %10.4f | %10.4f %10.4f %10.4f\n", domid, b, t[0], t[1], t[2], m[0],
                m[1], m[2]);
  }
  std::printf("(vtrace counts a vCPU from when it is first seen running, as xenalyze does; the truth "
              "from the start)\n");
  return kExitOk;
}

}  // namespace

void add_live_commands(CLI::App* app, Commands* out) {
  auto f = std::make_shared<LiveFlags>();
  auto sim_given = [](CLI::App* cmd) { return cmd->count("--sim") > 0; };

  CLI::App* run = app->add_subcommand(
      "run", "read the hypervisor's trace buffers live and print per-domain seconds (the default)");
  add_live_flags(run, f.get(), true);
  out->push_back({run, [f, run, sim_given] { return cmd_run(*f, sim_given(run)); }});

  CLI::App* record = app->add_subcommand("record", "record the live buffers to a xentrace file");
  record->add_option("OUT", f->out, "xentrace file to write")->required();
  add_live_flags(record, f.get(), false);
  out->push_back({record, [f, record, sim_given] { return cmd_record(*f, sim_given(record)); }});

  auto list = std::make_shared<bool>(false);
  CLI::App* simc = app->add_subcommand(
      "sim", "run the simulated hypervisor alone: vtrace's figures beside the simulator's truth");
  simc->add_option("SCENARIO", f->sim, "demo, dense, overload or key=value pairs (docs/sim.md)");
  simc->add_option("--seconds", f->seconds, "simulated seconds (default 10)")->check(CLI::Range(0.0, 1e6));
  simc->add_option("--poll-ms", f->poll_ms, "drain the buffers at least this often")->check(CLI::Range(0.1, 10000.0));
  simc->add_flag("--list", *list, "print the scenario's guests as CSV and exit");
  out->push_back({simc, [f, list] { return cmd_sim(*f, *list); }});

  // `vtrace` alone, or with run's flags: run.
  auto top = std::make_shared<LiveFlags>();
  add_live_flags(app, top.get(), true);
  out->push_back({app, [top, app, sim_given] { return cmd_run(*top, sim_given(app)); }});
}

}  // namespace vt
