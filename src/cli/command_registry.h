// How subcommand groups plug into the vtrace command line: each group
// (file commands, live commands, detector commands) registers its CLI11
// subcommands and an action to run when one of them was chosen. main.cc
// only parses and dispatches, so adding a group is one line there.
#pragma once

#include <functional>
#include <vector>

namespace CLI {
class App;
}

namespace vt {

struct Command {
  CLI::App* app;                // the CLI11 subcommand
  std::function<int()> action;  // returns the exit status (commands.h)
};

using Commands = std::vector<Command>;

// summary, replay, dump (src/cli/file_commands.cc)
void add_file_commands(CLI::App* app, Commands* out);

// train, eval, explain (src/cli/detector_commands.cc)
void add_detector_commands(CLI::App* app, Commands* out);
// run (and vtrace alone), record (src/cli/live_commands.cc). Registers an
// entry for `app` itself last: it runs when no subcommand was chosen.
void add_live_commands(CLI::App* app, Commands* out);

}  // namespace vt
