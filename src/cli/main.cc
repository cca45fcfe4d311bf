// vtrace: out-of-band failure detection for Xen guests from the
// hypervisor's trace buffers. This file only parses the command line; the
// subcommands live in commands.cc.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "src/cli/commands.h"

namespace {

void add_trace_flags(CLI::App* cmd, vt::TraceArgs* a, std::string* format) {
  cmd->add_option("TRACE", a->trace, "xentrace file (as written by xentrace or vtrace record)")
      ->required();
  cmd->add_option("--cpu-hz", a->cpu_hz,
                  "TSC frequency of the traced host: Hz, or a number with K/M/G (e.g. 2.445406G); "
                  "default 2.4G, as xenalyze");
  cmd->add_option("--format", *format, "table, csv or json")->default_val("table");
  cmd->add_flag("--keep-going", a->keep_going,
                "on a corrupt or truncated file, still print the figures for everything before "
                "the fault (exit status 3)");
  cmd->add_flag("--include-idle", a->include_idle, "also report the idle domain (32767)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vtrace: which Xen guests have failed, from the hypervisor's trace buffers"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");

  vt::TraceArgs ta;
  std::string format;

  CLI::App* summary = app.add_subcommand("summary", "totals per vCPU over a whole trace");
  add_trace_flags(summary, &ta, &format);

  double period = 1.0;
  bool per_vcpu = false;
  CLI::App* replay = app.add_subcommand("replay", "per-second per-domain samples of a trace");
  add_trace_flags(replay, &ta, &format);
  replay->add_option("--period", period, "sample period in seconds of trace time")
      ->default_val(1.0)
      ->check(CLI::Range(0.001, 3600.0));
  replay->add_flag("--per-vcpu", per_vcpu, "one row per vCPU instead of per domain");

  CLI::App* dump = app.add_subcommand("dump", "one decoded line per record, in TSC order");
  add_trace_flags(dump, &ta, &format);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "vtrace: %s (see vtrace --help)\n", e.what());
    return vt::kExitUsage;
  }
  if (!vt::parse_format(format, &ta.format)) {
    std::fprintf(stderr, "vtrace: --format: '%s' is not one of table, csv, json\n", format.c_str());
    return vt::kExitUsage;
  }
  if (summary->parsed()) return vt::cmd_summary(ta);
  if (replay->parsed()) return vt::cmd_replay(ta, period, per_vcpu);
  if (dump->parsed()) return vt::cmd_dump(ta);
  return vt::kExitUsage;
}
