// Registers the commands that read a xentrace file: summary, replay, dump.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <memory>

#include "src/cli/command_registry.h"
#include "src/cli/commands.h"
#include "src/cli/detect_flags.h"
#include "src/cli/named_option.h"
#include "src/samples/sample.h"

namespace vt {
namespace {

struct FileFlags {
  TraceArgs ta;
  double period = SampleOptions{}.period_s;
  bool per_vcpu = false;
  DetectFlags detect;
};

void add_trace_flags(CLI::App* cmd, FileFlags* f) {
  cmd->add_option("TRACE", f->ta.trace,
                  "xentrace file (as written by xentrace or vtrace record; zstd, gzip or xz; - for "
                  "standard input)")
      ->required();
  char hz_help[160];
  std::snprintf(hz_help, sizeof hz_help,
                "TSC frequency of the traced host: Hz, or a number with K/M/G (e.g. 2.445406G); default "
                "%gG, as xenalyze",
                kDefaultCpuHz / 1e9);
  cmd->add_option("--cpu-hz", f->ta.cpu_hz, hz_help);
  add_named_option<Format>(cmd, "--format", &f->ta.format, "table, csv or json", parse_format, format_name);
  add_hvm_vendor_flag(cmd, &f->ta.hvm_vendor, "from the exit codes in the trace");
  cmd->add_flag("--keep-going", f->ta.keep_going,
                "on a corrupt or truncated file, still print the figures for everything before "
                "the fault (exit status 3)");
  cmd->add_flag("--include-idle", f->ta.include_idle, "also report the idle domain (32767)");
  cmd->add_flag("--stats", f->ta.stats, "print every statistic of the run on stderr (docs/cli.md)");
}

}  // namespace

void add_file_commands(CLI::App* app, Commands* out) {
  auto f = std::make_shared<FileFlags>();

  CLI::App* summary = app->add_subcommand("summary", "totals per vCPU over a whole trace");
  add_trace_flags(summary, f.get());
  out->push_back({summary, [f] { return cmd_summary(f->ta); }});

  CLI::App* replay = app->add_subcommand("replay", "per-second per-domain samples of a trace");
  add_trace_flags(replay, f.get());
  replay->add_option("--period", f->period, "sample period in seconds of trace time")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  replay->add_flag("--per-vcpu", f->per_vcpu, "one row per vCPU instead of per domain");
  add_detect_flags(replay, &f->detect);
  out->push_back({replay, [f] { return cmd_replay(f->ta, f->period, f->per_vcpu, f->detect); }});

  CLI::App* dump = app->add_subcommand("dump", "one decoded line per record, in TSC order");
  add_trace_flags(dump, f.get());
  out->push_back({dump, [f] { return cmd_dump(f->ta); }});
}

}  // namespace vt
