// Registers the commands that read a hypervisor's buffers while it runs:
// run (also `vtrace` alone), top, record, sim. Each works on a real Xen dom0
// (libxenctrl) or, with --sim, on the simulated hypervisor; the code above
// the TraceHost is the same for both. run and top are one run (run_live),
// top showing its periods as a table (top_view.h).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "src/cli/command_registry.h"
#include "src/cli/commands.h"
#include "src/cli/config_file.h"
#include "src/cli/detect_flags.h"
#include "src/cli/named_option.h"
#include "src/cli/top_view.h"
#include "src/exporters/metrics.h"
#include "src/exporters/metrics_server.h"
#include "src/exporters/sample_writer.h"
#include "src/exporters/stats_writer.h"
#include "src/runtime/live_runtime.h"
#include "src/runtime/recorder.h"
#include "src/sim/host.h"
#include "src/sim/simulator.h"
#include "src/source/xen_host.h"
#include "src/util/parse.h"

namespace vt {
namespace {

constexpr char kDefaultScenario[] = "demo";

std::string fmt_g(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}  // --sim without a value, vtrace sim without one

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }
// SIGHUP: the classifier thread reloads between two seconds (the handler
// only says so).
std::atomic<bool> g_reload{false};
void on_hangup(int) { g_reload.store(true); }

// Flags bind to the library's option structs, whose initialisers are the
// defaults (shown by --help).
struct LiveFlags {
  LiveOptions live;
  RuntimeOptions rt;
  std::string cpus, trace_cpus, sim, events, out, record;
  Format format = Format::kTable;
  double sim_seconds = 0;
  double record_seconds = 10;  // vtrace record --seconds (0: until SIGINT)
  double sim_span_s = 10;      // vtrace sim --seconds: simulated seconds
  double slack_ms = -1;        // < 0: RuntimeOptions' on Xen, 0 on the simulator (its clock is exact)
  DetectFlags detect;
  std::string metrics;  // ADDR:PORT; empty: no metrics served
  bool metrics_allow_remote = false;
  bool leave_masks = false;  // --leave-masks: LiveOptions::restore_masks off
  std::string config;        // --config FILE; empty: none
};

void add_live_flags(CLI::App* cmd, LiveFlags* f, bool with_output_flags) {
  cmd->add_option("--sim", f->sim,
                  "use the simulated hypervisor with this scenario (demo, dense, overload, or "
                  "key=value pairs; see docs/sim.md)")
      ->expected(0, 1)
      ->default_str(kDefaultScenario);
  cmd->add_option("--seconds", with_output_flags ? f->rt.seconds : f->record_seconds,
                  "stop after this many seconds (0: at SIGINT)")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  cmd->add_option("--pages", f->live.pages,
                  "trace buffer pages per CPU to request (Xen keeps the first size of a boot)")
      ->check(CLI::Range(1u, kMaxPages))
      ->capture_default_str();
  char mask[16];
  std::snprintf(mask, sizeof mask, "0x%08x", kDefaultEventMask);
  cmd->add_option("--events", f->events,
                  std::string("event mask, e.g. 0x0032f000 (default: scheduler, memory, PV and HVM classes "
                              "without emulated devices, ") +
                      mask + ")");
  cmd->add_option("--trace-cpus", f->trace_cpus, "hypervisor CPUs to trace (default: all)");
  cmd->add_option(
         "--poll-ms", f->rt.poll_ms,
         "drain the buffers at least this often (VIRQ_TBUF wakes vtrace sooner when a ring passes half full)")
      ->check(CLI::Range(0.1, 10000.0))
      ->capture_default_str();
  cmd->add_flag("--share-rings", f->live.share_rings,
                "read beside another trace consumer (xentrace, xenbaked) instead of refusing to start: "
                "both lose records, and domains are unknown while its cons moves (docs/live.md)");
  cmd->add_flag(
      "--leave-masks", f->leave_masks,
      "on exit, leave the event and CPU masks as vtrace set them (default: put back the event mask found at "
      "start and every CPU)");
  if (!with_output_flags) return;
  cmd->add_option(kConfigFlag, f->config,
                  "read run's flags from this TOML file, one key per flag without the dashes (cooldown-s = "
                  "300); flags given here override it; SIGHUP reads it and the models again "
                  "(docs/operations.md)");
  cmd->add_option("--cpus", f->cpus, "dom0 CPUs for the consumer threads, pinned (e.g. 0-3)");
  cmd->add_option("--sim-seconds", f->sim_seconds,
                  "with --sim: stop once the simulated host has run this many seconds of its own time, "
                  "however long that takes here (0: no limit)")
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--slack-ms", f->slack_ms,
                  "how far a CPU's records may lag the host's clock (records in flight, TSC skew) "
                  "before they count as late (default " +
                      fmt_g(RuntimeOptions{}.slack_ms) + " on Xen, 0 on --sim)")
      ->check(CLI::Range(0.0, 10000.0));
  cmd->add_option("--silence-s", f->rt.silence_s,
                  "say so when no record comes from any CPU for this many seconds (tracing "
                  "turned off or its mask changed: the detector is blind; 0: never)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  add_named_option<Format>(cmd, "--format", &f->format, "table, csv or json", parse_format, format_name);
  add_hvm_vendor_flag(cmd, &f->rt.pipeline.hvm_vendor, "the host CPU's vendor");
  cmd->add_option("--period", f->rt.pipeline.samples.period_s, "sample period in seconds of trace time")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  cmd->add_flag("--include-idle", f->rt.pipeline.samples.include_idle, "also report the idle domain (32767)");
  cmd->add_option("--record", f->record,
                  "also write everything read to this xentrace file (vtrace replay of it gives "
                  "the same figures)");
  add_detect_flags(cmd, &f->detect);
  cmd->add_option(
         "--metrics", f->metrics,
         "serve Prometheus metrics at http://ADDR:PORT/metrics, e.g. 127.0.0.1:9464 (port 0: any free "
         "one, said on stderr; docs/operations.md)")
      ->option_text("ADDR:PORT");
  cmd->add_flag("--metrics-allow-remote", f->metrics_allow_remote,
                "let --metrics listen on an address other hosts can reach (the metrics name every guest and "
                "have no authentication)");
}

// A configuration file's keys on `cmd` (bound to its LiveFlags), but those
// the command line gave; every key is checked first on a throwaway command,
// so that a bad value stops vtrace even where the command line overrides it.
Status apply_run_config(CLI::App* cmd, const ConfigFile& file, const std::set<std::string>& given) {
  CLI::App check;
  LiveFlags scratch;
  add_live_flags(&check, &scratch, true);
  if (Status st = apply_config(&check, file, {}); !st.ok()) return st;
  return apply_config(cmd, file, given);
}

// What a SIGHUP needs: the run's flags as the command line alone set them,
// the keys it gave (they still win), the file as the run started with it.
struct RunConfig {
  LiveFlags cmdline;
  std::set<std::string> given;
  ConfigFile file;  // path empty: no --config
};

// The keys a running vtrace takes on SIGHUP: the detector's flags, but
// --detect (whether there is a detector) and --verdicts (whether verdicts
// or samples take stdout). Every other key needs a restart.
bool reloads(const std::string& key) {
  static const std::vector<std::string> keys = [] {
    CLI::App probe;
    DetectFlags d;
    add_detect_flags(&probe, &d);
    return config_keys(&probe);
  }();
  return key != "detect" && key != "verdicts" && std::find(keys.begin(), keys.end(), key) != keys.end();
}

// SIGHUP, on the classifier thread between two seconds: reads the file and
// the models again. The command line's flags still override the file; keys
// that need a restart are said and left as they run; a bad file or model is
// one line and changes nothing.
void reload(const RunConfig& cfg, DetectStage* det) {
  const std::string& path = cfg.file.path;
  ConfigFile file;
  file.path = path;
  Status st = path.empty() ? Status::Ok() : read_config(path, &file);
  LiveFlags now = cfg.cmdline;
  CLI::App cmd;
  add_live_flags(&cmd, &now, true);
  if (st.ok()) st = apply_run_config(&cmd, file, cfg.given);
  if (st.ok() && det) st = det->reload(now.detect.options);
  if (!st.ok()) {
    std::fprintf(stderr, "vtrace: SIGHUP: %s; the running configuration and models stay\n",
                 st.message().c_str());
    return;
  }
  for (const std::string& key : config_keys(&cmd)) {
    if (cfg.given.count(key) || reloads(key)) continue;
    const ConfigEntry *was = cfg.file.find(key), *is = file.find(key);
    if ((was == nullptr) == (is == nullptr) && (!was || *was == *is)) continue;
    if (is)
      std::fprintf(stderr, "vtrace: %s:%d: key '%s': needs a restart; the running value stays\n",
                   path.c_str(), is->line, key.c_str());
    else
      std::fprintf(stderr, "vtrace: %s: key '%s' (removed): needs a restart; the running value stays\n",
                   path.c_str(), key.c_str());
  }
  std::string models;
  const std::vector<std::string>& given_models = now.detect.options.model_paths;
  for (const std::string& m : given_models.empty() ? default_model_paths(nullptr) : given_models)
    models += (models.empty() ? "" : ", ") + m;
  std::string what = path.empty() ? "" : path;
  if (det) what += (path.empty() ? "the models (" : " and the models (") + models + ")";
  if (!det) what += path.empty() ? "nothing (no --config, no --detect)" : " (detect is off: no models)";
  std::fprintf(stderr, "vtrace: SIGHUP: reloaded %s\n", what.c_str());
}

// Once a second on the classifier thread: the domains' totals, the
// detector's standing of each, the run's progress, as one snapshot for the
// metrics server.
std::shared_ptr<const MetricsSnapshot> metrics_snapshot(const DomainAccounts& acc, const DetectStage* det,
                                                        double hz, const LiveProgress& pr,
                                                        const DomainDirectory& dir) {
  auto s = std::make_shared<MetricsSnapshot>();
  acc.fill(&s->domains);
  for (DomainMetrics& d : s->domains)
    if (const DomainId* id = dir.find(d.domid)) d.name = id->name, d.uuid = id->uuid;
  if (det) {
    s->detecting = true;
    for (DomainMetrics& d : s->domains) {
      const Detector::Standing st = det->detector().standing(d.domid, d.generation);
      d.faulty = st.faulty;
      d.scored = st.scored;
      d.score = st.score;
    }
  }
  s->hz = hz;
  s->stats = pr.stats;
  s->blind = pr.blind;
  return s;
}

// The hypervisor: the simulator's when --sim was given, else Xen's.
struct Host {
  std::unique_ptr<TraceHost> xen;
  std::unique_ptr<sim::SimHost> sim_host;
  std::unique_ptr<sim::Simulator> sim;
  TraceHost* get() { return sim_host ? sim_host.get() : xen.get(); }
};

Status make_host(const LiveFlags& f, bool sim_given, Host* h) {
  if (sim_given) {
    sim::Scenario sc;
    if (Status st = sim::parse_scenario(f.sim.empty() ? kDefaultScenario : f.sim, &sc); !st.ok())
      return st.with_context("--sim");
    sim::HostConfig hc;
    hc.nr_cpus = sc.pcpus;
    hc.seed = sc.seed;
    h->sim_host = std::make_unique<sim::SimHost>(hc);
    if (!sc.other_reader.empty()) h->sim_host->take_notify_elsewhere(sc.other_reader + " (simulated)");
    h->sim = std::make_unique<sim::Simulator>(h->sim_host.get(), sc);
    return Status::Ok();
  }
  Status st = open_xen_host(&h->xen);
  if (st.code() == Status::Code::kUnavailable)
    return Status::Unavailable(st.message() + "; run in dom0 of a Xen host, or use --sim");
  return st;
}

// --events and --trace-cpus into the session's options.
Status live_options(LiveFlags& f) {
  f.live.restore_masks = !f.leave_masks;
  if (!f.events.empty()) {
    if (Status st = parse_event_mask(f.events, &f.live.event_mask); !st.ok())
      return st.with_context("--events");
    f.live.event_mask_given = true;
  }
  if (!f.trace_cpus.empty())
    return parse_cpu_list(f.trace_cpus, &f.live.trace_cpus).with_context("--trace-cpus");
  return Status::Ok();
}

// --cpus: every CPU must be one this process may run on, known before
// anything starts.
Status consumer_cpus(const std::string& s, std::vector<uint32_t>* cpus) {
  if (s.empty()) return Status::Ok();
  Status st = parse_cpu_list(s, cpus);
  if (st.ok()) st = check_cpus_allowed(*cpus);
  return st.with_context("--cpus");
}

// The session: the one value the host can refuse is a --trace-cpus CPU it
// does not have; beside another consumer, the refusal names the flag that
// overrides it.
Status open_session(LiveSession* s, TraceHost* host, const LiveOptions& o) {
  Status st = s->open(host, o);
  if (st.code() == Status::Code::kUnavailable && !s->other_consumer().empty() && !o.share_rings)
    return Status::Unavailable(st.message() + ": stop it, or pass --share-rings to read beside it");
  return st.code() == Status::Code::kInvalidArgument ? st.with_context("--trace-cpus") : st;
}

// The end of a live run: what was read, at what cost, and one line per
// statistic that is not kInfo (data lost, faults met).
void report_run(const Stats& st) {
  const double wall_s = double(st[Stat::wall_ns]) * 1e-9, cpu_s = double(st[Stat::consumer_cpu_ns]) * 1e-9;
  const uint64_t records = st[Stat::records_read];
  std::fprintf(stderr,
               "vtrace: %llu records (%.2f M/s) in %.1f s, %llu lost by the hypervisor, consumer "
               "CPU %.2f s (%.0f ns/record)\n",
               (unsigned long long)records, wall_s > 0 ? double(records) / wall_s / 1e6 : 0.0, wall_s,
               (unsigned long long)st[Stat::lost_records], cpu_s,
               records ? cpu_s * 1e9 / double(records) : 0.0);
  if (const double dom0_s = double(st[Stat::dom0_cpu_ns]) * 1e-9; dom0_s > 0)
    std::fprintf(stderr,
                 "vtrace: Xen charged dom0 %.2f s of CPU over the run (%.1f%% of one CPU, %.2f s per million "
                 "records; all of dom0, vtrace included)\n",
                 dom0_s, wall_s > 0 ? 100 * dom0_s / wall_s : 0.0,
                 records ? dom0_s * 1e6 / double(records) : 0.0);
  if (st[Stat::lost_before_start])
    std::fprintf(stderr,
                 "vtrace: and %llu records lost before vtrace began reading (a full ring nobody read): no "
                 "domain judged on them\n",
                 (unsigned long long)st[Stat::lost_before_start]);
  Stats notes = st;
  notes[Stat::lost_records] = 0;  // said above
  write_stat_notes(stderr, notes, "vtrace: ");
}

// `vtrace run` (with its configuration: SIGHUP reloads it), and `vtrace
// top` with a view: the view gets each period after the detector, and
// stdout (no samples are printed).
int run_live(LiveFlags& f, bool sim_given, const PeriodView* view, const RunConfig* cfg) {
  if (cfg) std::signal(SIGHUP, on_hangup);  // from the start: a service manager's reload never kills it
  if (Status st = consumer_cpus(f.cpus, &f.rt.dom0_cpus); !st.ok()) return report(st);
  if (Status st = live_options(f); !st.ok()) return report(st);
  if (f.sim_seconds > 0 && !sim_given) return report(Status::InvalidArgument("--sim-seconds needs --sim"));
  ListenAddress metrics_at;
  if (!f.metrics.empty()) {
    Status st = parse_listen_address(f.metrics, f.metrics_allow_remote, &metrics_at);
    if (!st.ok() && metrics_at.len > 0)  // a good address, but not loopback
      st = Status::InvalidArgument(st.message() + "; --metrics-allow-remote serves them to other hosts");
    if (!st.ok()) return report(st.with_context("--metrics"));
  }
  Host host;
  if (Status st = make_host(f, sim_given, &host); !st.ok()) return report(st);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> rec(nullptr, std::fclose);
  if (!f.record.empty()) {
    rec.reset(std::fopen(f.record.c_str(), "wb"));
    if (!rec) return report(Status::IoError(f.record + ": cannot create: " + std::strerror(errno)));
    f.rt.record = rec.get();
  }
  // The detector's actions go through the host: libxenctrl, or the simulator.
  TraceHost* th = host.get();
  DomainControl control = [th](ActionKind k, uint16_t domid) {
    const DomainOp op = k == ActionKind::kPause      ? DomainOp::kPause
                        : k == ActionKind::kShutdown ? DomainOp::kShutdown
                                                     : DomainOp::kDestroy;
    return th->domain_op(op, domid);
  };
  // ... and the guard asks it first whether the domain is still the same and running.
  DomainQuery query = [th](uint16_t domid, DomainInfo* out) {
    HostDomain h;
    if (Status st = th->domain_info(domid, &h); !st.ok()) return st;
    out->exists = h.exists;
    out->uuid = h.uuid;
    out->paused = h.paused;
    out->shutdown = h.shutdown;
    out->dying = h.dying;
    return Status::Ok();
  };
  std::unique_ptr<DetectStage> det;
  // ... and names them: the runtime's directory, once it exists (the
  // classifier thread, which calls both, starts after it).
  const DomainDirectory* directory = nullptr;
  DomainIdentity identity = [&directory](uint16_t domid) {
    return directory ? directory->find(domid) : nullptr;
  };
  if (Status st = open_detect(f.detect, f.rt.pipeline.samples.period_s, control, query, identity, &det);
      !st.ok())
    return report(st);
  // Listening before the session starts: a port in use stops nothing.
  std::unique_ptr<MetricsServer> server;
  if (!f.metrics.empty()) {
    server = std::make_unique<MetricsServer>();
    if (Status st = server->start(metrics_at); !st.ok()) return report(st.with_context("--metrics"));
  }
  LiveSession session;
  if (Status st = open_session(&session, host.get(), f.live); !st.ok()) return report(st);
  if (server)
    std::fprintf(stderr, "vtrace: serving metrics at http://%s:%u/metrics\n",
                 f.metrics.substr(0, f.metrics.rfind(':')).c_str(), server->port());
  if (host.sim) host.sim->start(f.sim_seconds);
  // --sim-seconds: stop when the simulator has written its last record (the
  // runtime then drains everything), on a slow machine as on a fast one.
  std::thread sim_watch;
  if (host.sim && f.sim_seconds > 0) {
    sim_watch = std::thread([&host] {
      while (!host.sim->finished() && !g_stop.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      g_stop.store(true);
    });
  }
  std::fprintf(stderr, "vtrace: reading %zu CPUs of %s, %u pages each, event mask 0x%08x, cpu-hz %.0f\n",
               session.rings().size(), host.get()->describe().c_str(), session.pages_per_cpu(),
               session.event_mask(), session.tsc_hz());
  if (f.rt.pipeline.hvm_vendor == xt::HvmVendor::kUnknown)
    f.rt.pipeline.hvm_vendor = host.get()->hvm_vendor();
  f.rt.external_stop = &g_stop;
  f.rt.log = stderr;
  if (f.slack_ms >= 0)
    f.rt.slack_ms = f.slack_ms;
  else if (host.sim)
    f.rt.slack_ms = 0;  // the simulator's clock is exact
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  LiveRuntime rt(&session, f.rt);
  directory = &rt.directory();
  SampleWriter w(stdout, f.format, false, session.tsc_hz());
  const double hz = session.tsc_hz();
  const bool write_samples = !view && samples_on_stdout(f.detect);
  DomainAccounts accounts;                                      // the classifier thread's
  rt.set_period_sink([&](const std::vector<DomainSample>& p) {  // the classifier thread
    if (write_samples) w.write(p);
    if (det) det->on_samples(p, hz);
    if (server) accounts.add(p);
    if (view) view->period(p, det.get(), hz);
  });
  rt.set_progress_sink([&](const LiveProgress& pr) {  // the classifier thread, once a second
    if (cfg && g_reload.exchange(false)) reload(*cfg, det.get());
    if (server) server->publish(metrics_snapshot(accounts, det.get(), hz, pr, rt.directory()));
  });
  if (view && view->identity) view->identity(identity);
  if (view && view->start) view->start(host.get()->describe());
  Status st = rt.run();
  g_stop.store(true);
  if (view && view->finish) view->finish();
  if (sim_watch.joinable()) sim_watch.join();
  if (det) det->finish();
  if (host.sim) host.sim->stop();
  if (host.sim) host.sim->join();
  session.close();
  Stats all = rt.stats();
  if (det) all += det->stats();
  report_run(all);
  // The runtime fails in two ways: a consumer that could not be pinned, or
  // a recording that could not be written.
  if (!st.ok()) st = st.with_context(st.code() == Status::Code::kIoError ? "--record " + f.record : "--cpus");
  return report(st);
}

int cmd_run(LiveFlags& f, bool sim_given, const RunConfig& cfg) {
  return run_live(f, sim_given, nullptr, &cfg);
}

// vtrace top: run's flags but the output's, and its own.
struct TopFlags {
  LiveFlags live;
  TopOptions top;
  std::string trace;   // a xentrace file instead of the live host
  std::string cpu_hz;  // its TSC rate
};

// The flags that read a live host, meaningless for a trace file.
constexpr const char* kLiveOnlyFlags[] = {"--sim",         "--seconds",
                                          "--pages",       "--events",
                                          "--trace-cpus",  "--poll-ms",
                                          "--share-rings", "--cpus",
                                          "--sim-seconds", "--slack-ms",
                                          "--silence-s",   "--record",
                                          "--metrics",     "--metrics-allow-remote"};

int cmd_top(TopFlags& t, CLI::App* cmd) {
  LiveFlags& f = t.live;
  f.detect.detect = true;                    // the verdict and score columns
  f.detect.options.lines_on_stdout = false;  // stdout shows the table
  if (f.detect.options.verdicts_path == "-")
    return report(Status::InvalidArgument("--verdicts: stdout shows the table: give a file for the lines"));
  if (!t.trace.empty()) {
    for (const char* flag : kLiveOnlyFlags)
      if (cmd->count(flag) > 0)
        return report(Status::InvalidArgument(std::string(flag) + ": reads a live host, not with TRACE"));
  } else if (!t.cpu_hz.empty()) {
    return report(Status::InvalidArgument("--cpu-hz: only with TRACE (a live host says its TSC rate)"));
  }
  if (t.trace.empty()) {
    // Names from the live host (its domain directory), once run_live has one.
    auto identity = std::make_shared<DomainIdentity>();
    DomainNames names = [identity](uint16_t domid) {
      const DomainId* id = *identity ? (*identity)(domid) : nullptr;
      return id ? id->name : std::string();
    };
    TopView tv(t.top, &g_stop, names, false);
    PeriodView v = tv.view();
    v.identity = [identity](DomainIdentity i) { *identity = std::move(i); };
    return run_live(f, cmd->count("--sim") > 0, &v, nullptr);
  }
  std::atomic<bool> stop{false};  // a trace is read to its end; the view stops showing it
  TopView tv(t.top, &stop, DomainNames{}, /*paced=*/true);
  TraceArgs a;
  a.trace = t.trace;
  a.cpu_hz = t.cpu_hz;
  a.include_idle = f.rt.pipeline.samples.include_idle;
  a.hvm_vendor = f.rt.pipeline.hvm_vendor;
  return replay_to_view(a, f.detect, tv.view());
}

int cmd_record(LiveFlags& f, bool sim_given) {
  if (Status st = live_options(f); !st.ok()) return report(st);
  Host host;
  if (Status st = make_host(f, sim_given, &host); !st.ok()) return report(st);
  std::FILE* out = std::fopen(f.out.c_str(), "wb");
  if (!out) return report(Status::IoError(f.out + ": cannot create: " + std::strerror(errno)));
  LiveSession session;
  if (Status st = open_session(&session, host.get(), f.live); !st.ok()) {
    std::fclose(out);
    return report(st);
  }
  // The file format cannot carry the TSC frequency: say it.
  std::printf("cpu-hz=%.0f\n", session.tsc_hz());
  std::fflush(stdout);
  if (host.sim) host.sim->start(0);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  Stats st;
  Status rs = record_trace(&session, out, f.record_seconds, f.rt.poll_ms, &g_stop, &st);
  if (host.sim) host.sim->stop();
  if (host.sim) host.sim->join();
  session.close();
  if (std::fclose(out) != 0 && rs.ok()) rs = Status::IoError("write failed");
  if (!rs.ok()) return report(rs.with_context(f.out));
  std::fprintf(stderr, "vtrace: %s: %llu records in %llu windows, %llu lost by the hypervisor; cpu-hz=%.0f\n",
               f.out.c_str(), (unsigned long long)st[Stat::records_read],
               (unsigned long long)st[Stat::windows], (unsigned long long)st[Stat::lost_records],
               session.tsc_hz());
  st[Stat::lost_records] = 0;  // said above
  write_stat_notes(stderr, st, "vtrace: ");
  return kExitOk;
}

int cmd_sim(LiveFlags& f, bool list) {
  sim::Scenario sc;
  if (Status st = sim::parse_scenario(f.sim.empty() ? kDefaultScenario : f.sim, &sc); !st.ok())
    return report(st.with_context("SCENARIO"));
  if (list) {
    std::printf("domid,vcpus,behaviour,fault,fault_at_s,fault_one_vcpu,start_s,stop_s\n");
    for (const sim::GuestSpec& g : sc.guests)
      std::printf("%u,%u,%s,%s,%s,%d,%g,%s\n", g.domid, g.vcpus, sim::behaviour_name(g.behaviour),
                  g.fault_at_s >= 0 ? sim::behaviour_name(g.fault) : "none",
                  g.fault_at_s >= 0 ? std::to_string(g.fault_at_s).c_str() : "", g.fault_one_vcpu ? 1 : 0,
                  g.start_s, g.stop_s >= 0 ? std::to_string(g.stop_s).c_str() : "");
    return kExitOk;
  }
  const double seconds = f.sim_span_s;
  sim::HostConfig hc;
  hc.nr_cpus = sc.pcpus;
  hc.seed = sc.seed;
  sim::SimHost host(hc);
  sim::Simulator simulator(&host, sc);
  LiveSession session;
  LiveOptions lo;
  lo.pages = std::max<uint32_t>(f.live.pages, 1024);
  if (Status st = session.open(&host, lo); !st.ok()) return report(st);
  RuntimeOptions ro;
  ro.slack_ms = 0;
  ro.poll_ms = f.rt.poll_ms;
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
    while (!simulator.finished() && !g_stop.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    simulator.stop();
    done = true;
  });
  std::signal(SIGINT, on_signal);
  const Status run_st = rt.run();
  watcher.join();
  simulator.join();
  session.close();
  if (!run_st.ok()) return report(run_st);
  std::map<uint32_t, std::array<double, 4>> truth;
  for (const sim::VcpuTruth& v : simulator.truth())
    for (int st = 0; st < 4; ++st) truth[v.domid][st] += double(v.ns[st]) * 1e-9;
  const Stats& st = rt.stats();
  std::printf("scenario %s: %u pCPUs, %zu guests, %.1f s simulated; %llu records, %llu lost\n",
              sc.name.c_str(), sc.pcpus, sc.guests.size(), seconds,
              (unsigned long long)st[Stat::records_read], (unsigned long long)st[Stat::lost_records]);
  std::printf("%6s %10s | %10s %10s %10s | %10s %10s %10s\n", "domid", "behaviour", "truth run", "truth rbl",
              "truth blk", "vtrace run", "vtrace rbl", "vtrace blk");
  for (const auto& [domid, t] : truth) {
    const char* b = "dom0";
    for (const sim::GuestSpec& g : sc.guests)
      if (g.domid == domid) b = sim::behaviour_name(g.behaviour);
    const auto& m = measured[domid];
    std::printf("%6u %10s | %10.4f %10.4f %10.4f | %10.4f %10.4f %10.4f\n", domid, b, t[0], t[1], t[2], m[0],
                m[1], m[2]);
  }
  std::printf(
      "(vtrace counts a vCPU from when it is first seen running, as xenalyze does; the truth "
      "from the start)\n");
  return kExitOk;
}

// `vtrace run`, or vtrace alone: the command line's flags, then the
// configuration file's for the rest.
int start_run(CLI::App* cmd, LiveFlags& f) {
  RunConfig cfg;
  cfg.cmdline = f;
  cfg.given = given_keys(cmd);
  if (!f.config.empty()) {
    if (Status st = read_config(f.config, &cfg.file); !st.ok()) return report(st);
    if (Status st = apply_run_config(cmd, cfg.file, cfg.given); !st.ok()) return report(st);
  }
  return cmd_run(f, cmd->count("--sim") > 0, cfg);
}

}  // namespace

void add_live_commands(CLI::App* app, Commands* out) {
  auto f = std::make_shared<LiveFlags>();
  auto sim_given = [](CLI::App* cmd) { return cmd->count("--sim") > 0; };  // record's

  CLI::App* run = app->add_subcommand(
      "run", "read the hypervisor's trace buffers live and print per-domain seconds (the default)");
  add_live_flags(run, f.get(), true);
  out->push_back({run, [f, run] { return start_run(run, *f); }});

  auto tf = std::make_shared<TopFlags>();
  CLI::App* topc = app->add_subcommand(
      "top", "a live table of the domains, as xentop: CPU, runnable, blocked, hypercalls, verdict, score");
  add_live_flags(topc, &tf->live, true);
  // One table, of 1 s periods, always judged: run's output flags do not apply.
  // Nor does run's configuration file (nor SIGHUP's reload: top ends with its terminal).
  for (const char* flag : {"--format", "--period", "--detect", kConfigFlag})
    topc->remove_option(topc->get_option(flag));
  topc->get_option("--verdicts")
      ->description("write verdict lines to FILE (default: none; the table shows them)");
  topc->add_option("TRACE", tf->trace,
                   "show a xentrace file instead of the live host (read at full speed with -b, else one "
                   "frame per --delay)");
  topc->add_option("--cpu-hz", tf->cpu_hz, "with TRACE: the traced host's TSC frequency (as vtrace replay)");
  add_top_flags(topc, &tf->top);
  out->push_back({topc, [tf, topc] { return cmd_top(*tf, topc); }});

  CLI::App* record = app->add_subcommand("record", "record the live buffers to a xentrace file");
  record->add_option("OUT", f->out, "xentrace file to write")->required();
  add_live_flags(record, f.get(), false);
  out->push_back({record, [f, record, sim_given] { return cmd_record(*f, sim_given(record)); }});

  auto list = std::make_shared<bool>(false);
  CLI::App* simc = app->add_subcommand(
      "sim", "run the simulated hypervisor alone: vtrace's figures beside the simulator's truth");
  simc->add_option("SCENARIO", f->sim, "demo, dense, overload or key=value pairs (docs/sim.md)");
  simc->add_option("--seconds", f->sim_span_s, "simulated seconds")
      ->check(CLI::Range(0.001, 1e6))
      ->capture_default_str();
  simc->add_option("--poll-ms", f->rt.poll_ms,
                   "drain the buffers at least this often (VIRQ_TBUF wakes vtrace sooner when a ring passes "
                   "half full)")
      ->check(CLI::Range(0.1, 10000.0))
      ->capture_default_str();
  simc->add_flag("--list", *list, "print the scenario's guests as CSV and exit");
  out->push_back({simc, [f, list] { return cmd_sim(*f, *list); }});

  // `vtrace` alone, or with run's flags: run.
  auto top = std::make_shared<LiveFlags>();
  add_live_flags(app, top.get(), true);
  out->push_back({app, [top, app] { return start_run(app, *top); }});
}

}  // namespace vt
