// vtrace: out-of-band failure detection for Xen guests from the
// hypervisor's trace buffers. This file only parses the command line and
// dispatches; each group of subcommands registers itself
// (command_registry.h).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "src/cli/command_registry.h"
#include "src/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"vtrace: which Xen guests have failed, from the hypervisor's trace buffers"};
  app.require_subcommand(0, 1);
  app.set_help_all_flag("--help-all", "help for every subcommand");

  vt::Commands commands;
  vt::add_file_commands(&app, &commands);
  vt::add_detector_commands(&app, &commands);
  vt::add_live_commands(&app, &commands);  // last: its entry for `app` is the fallback

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
  for (const vt::Command& c : commands)
    if (c.app != &app && c.app->parsed()) return c.action();
  for (const vt::Command& c : commands)
    if (c.app == &app) return c.action();  // no subcommand: run
  return vt::kExitUsage;
}
