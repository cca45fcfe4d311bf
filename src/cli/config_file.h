// The configuration file of `vtrace run` (/etc/vtrace/vtrace.toml, --config
// FILE): TOML whose keys are the command's flags.
//
// Contract
//  * The keys are read from the command's CLI11 options, the one place each
//    flag is declared: a long flag without its dashes (--cooldown-s is
//    `cooldown-s`). --help, --help-all and --config itself are not keys.
//    Keys live at the top level (a [table] is an unknown key).
//  * A value is what the flag takes on the command line, in TOML's type for
//    it: a boolean for a flag without a value (`detect = true`), an integer
//    for an integer flag, an integer or float for a number, a string for the
//    rest; an array of those for a repeatable flag (`model`, `never-act`).
//    It then goes through the flag's own parser and checks, as the command
//    line's spelling of it would.
//  * A key the command line gave keeps the command line's value: apply_config
//    skips it. Its value is still checked, by applying the whole file to a
//    throwaway command first (a bad value stops vtrace even where the
//    command line overrides it).
//  * Errors are one line naming the file and line: "FILE:LINE: key 'K':
//    what" for a key (the first in the file's order), "FILE:LINE:COL: what"
//    for a TOML syntax error; kInvalidArgument (exit status 2, as a bad
//    flag). A file that cannot be read is kIoError naming it (exit 1).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "src/util/status.h"

namespace CLI {
class App;
}

namespace vt {

inline constexpr char kConfigFlag[] = "--config";

// One value of a key, as the command line would spell it.
struct ConfigValue {
  enum class Kind { kBool, kInt, kFloat, kString };
  Kind kind = Kind::kString;
  std::string text;  // "true", "3", "0.5", the string itself
};

// One key of the file.
struct ConfigEntry {
  std::string key;
  int line = 0;
  bool array = false;
  std::vector<ConfigValue> values;  // one, or the array's (maybe none)
  bool operator==(const ConfigEntry& o) const;
};

struct ConfigFile {
  std::string path;
  std::vector<ConfigEntry> entries;  // in the file's order
  const ConfigEntry* find(const std::string& key) const;
};

// Reads and parses a TOML file into its keys and values; knows nothing of
// flags. A value TOML has but a flag cannot take (a table, a date, an array
// of arrays) is an error naming its key.
Status read_config(const std::string& path, ConfigFile* out);
// The same from text already read (`path` names it in messages).
Status parse_config(const std::string& text, const std::string& path, ConfigFile* out);

// The keys `cmd` takes, in its declaration order.
std::vector<std::string> config_keys(const CLI::App* cmd);

// The keys the command line gave (its flags' counts, after parsing and
// before apply_config).
std::set<std::string> given_keys(const CLI::App* cmd);

// Sets `cmd`'s flags from the file, each through the flag's own parser and
// checks, except the keys in `skip` (which must still be `cmd`'s keys).
// Stops at the first bad key.
Status apply_config(CLI::App* cmd, const ConfigFile& file, const std::set<std::string>& skip);

}  // namespace vt
