#include "src/cli/config_file.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>
#include <utility>
#include <vector>

namespace vt {

bool ConfigEntry::operator==(const ConfigEntry& o) const {
  if (key != o.key || array != o.array || values.size() != o.values.size()) return false;
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].kind != o.values[i].kind || values[i].text != o.values[i].text) return false;
  return true;  // the line is where it is, not what it says
}

const ConfigEntry* ConfigFile::find(const std::string& key) const {
  for (const ConfigEntry& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

namespace {

std::string where(const std::string& path, int line) { return path + ":" + std::to_string(line); }

// A message stays one line whatever the file holds: a quoted key or a
// string value may carry a newline or another control character.
std::string one_line(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out += c;
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", static_cast<unsigned char>(c));
      out += b;
    }
  }
  return out;
}

Status key_error(const std::string& path, int line, const std::string& key, const std::string& what) {
  return Status::InvalidArgument(one_line(where(path, line) + ": key '" + key + "': " + what));
}

// A scalar as the command line would spell it; false for what no flag takes.
bool scalar(const toml::node& n, ConfigValue* v) {
  if (const auto* b = n.as_boolean()) {
    *v = {ConfigValue::Kind::kBool, b->get() ? "true" : "false"};
  } else if (const auto* i = n.as_integer()) {
    *v = {ConfigValue::Kind::kInt, std::to_string(i->get())};
  } else if (const auto* f = n.as_floating_point()) {
    char b[32];
    const auto r = std::to_chars(b, b + sizeof b, f->get());  // the shortest that reads back the same
    *v = {ConfigValue::Kind::kFloat, std::string(b, r.ptr)};
  } else if (const auto* s = n.as_string()) {
    *v = {ConfigValue::Kind::kString, s->get()};
  } else {
    return false;
  }
  return true;
}

const char* toml_type(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "a value";
  }
}

}  // namespace

Status parse_config(const std::string& text, const std::string& path, ConfigFile* out) {
  out->path = path;
  out->entries.clear();
  toml::table t;
  try {
    t = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const toml::source_position p = e.source().begin;
    return Status::InvalidArgument(one_line(where(path, int(p.line)) + ":" + std::to_string(p.column) + ": " +
                                            std::string(e.description())));
  }
  // toml++ keeps keys sorted: entries, and the first bad one, in the file's order.
  std::vector<std::pair<ConfigEntry, Status>> read;
  for (const auto& [k, node] : t) {
    ConfigEntry e;
    e.key = std::string(k.str());
    e.line = int(k.source().begin.line);
    Status st;
    if (const toml::array* a = node.as_array()) {
      e.array = true;
      for (const toml::node& item : *a) {
        ConfigValue v;
        if (!scalar(item, &v)) {
          st = key_error(path, e.line, e.key,
                         std::string("an array holding ") + toml_type(item) +
                             " (a flag takes booleans, numbers or strings)");
          break;
        }
        e.values.push_back(std::move(v));
      }
    } else if (ConfigValue v; scalar(node, &v)) {
      e.values.push_back(std::move(v));
    } else if (node.is_table()) {  // a [table] names no flag: an unknown key like any other
      st = key_error(path, e.line, e.key, "unknown key (a table; keys are flags)");
    } else {
      st = key_error(path, e.line, e.key,
                     std::string(toml_type(node)) + " (a flag takes a boolean, a number or a string)");
    }
    read.emplace_back(std::move(e), st);
  }
  std::stable_sort(read.begin(), read.end(),
                   [](const auto& a, const auto& b) { return a.first.line < b.first.line; });
  for (auto& [e, st] : read) {
    if (!st.ok()) return st;
    out->entries.push_back(std::move(e));
  }
  return Status::Ok();
}

Status read_config(const std::string& path, ConfigFile* out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status::IoError(path + ": is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::IoError(path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad()) return Status::IoError(path + ": " + std::strerror(errno));
  return parse_config(text.str(), path, out);
}

namespace {

// The options that are keys: long flags, but help and --config.
bool is_key(const CLI::App* cmd, const CLI::Option* o) {
  if (o == cmd->get_help_ptr() || o == cmd->get_help_all_ptr()) return false;
  if (o->get_lnames().empty()) return false;  // a positional or a short flag
  return "--" + o->get_lnames().front() != kConfigFlag;
}

CLI::Option* option_of(CLI::App* cmd, const std::string& key) {
  for (CLI::Option* o : cmd->get_options())
    if (is_key(cmd, o) && o->get_lnames().front() == key) return o;
  return nullptr;
}

// The TOML kinds a flag takes, from its CLI11 type name (its variable's
// type: INT, UINT, FLOAT, TEXT, or a name of ours).
enum class Wants { kBool, kInt, kNumber, kString };

Wants wants(const CLI::Option* o) {
  if (o->get_expected_max() == 0) return Wants::kBool;  // a flag without a value
  std::string t = o->get_type_name();
  t = t.substr(0, t.find(':'));  // "INT:INT in [1 - 9]": the type, then its checks
  if (t == "INT" || t == "UINT") return Wants::kInt;
  if (t == "FLOAT") return Wants::kNumber;
  return Wants::kString;
}

const char* wants_name(Wants w) {
  switch (w) {
    case Wants::kBool: return "a boolean (true or false)";
    case Wants::kInt: return "an integer";
    case Wants::kNumber: return "a number";
    case Wants::kString: return "a string";
  }
  return "?";
}

const char* kind_name(ConfigValue::Kind k) {
  switch (k) {
    case ConfigValue::Kind::kBool: return "a boolean";
    case ConfigValue::Kind::kInt: return "an integer";
    case ConfigValue::Kind::kFloat: return "a float";
    case ConfigValue::Kind::kString: return "a string";
  }
  return "?";
}

bool takes(Wants w, ConfigValue::Kind k) {
  switch (w) {
    case Wants::kBool: return k == ConfigValue::Kind::kBool;
    case Wants::kInt: return k == ConfigValue::Kind::kInt;
    case Wants::kNumber: return k == ConfigValue::Kind::kInt || k == ConfigValue::Kind::kFloat;
    case Wants::kString: return k == ConfigValue::Kind::kString;
  }
  return false;
}

// CLI11's message without the flag it names first ("--strikes: Value 0 not
// in range 1 to 9"): the line names the key.
std::string cli11_message(const CLI::Error& e, const CLI::Option* o) {
  std::string m = e.what();
  const std::string flag = "--" + o->get_lnames().front() + ": ";
  if (m.rfind(flag, 0) == 0) m = m.substr(flag.size());
  return m;
}

}  // namespace

std::vector<std::string> config_keys(const CLI::App* cmd) {
  std::vector<std::string> keys;
  for (const CLI::Option* o : cmd->get_options())
    if (is_key(cmd, o)) keys.push_back(o->get_lnames().front());
  return keys;
}

std::set<std::string> given_keys(const CLI::App* cmd) {
  std::set<std::string> given;
  for (const CLI::Option* o : cmd->get_options())
    if (is_key(cmd, o) && o->count() > 0) given.insert(o->get_lnames().front());
  return given;
}

Status apply_config(CLI::App* cmd, const ConfigFile& file, const std::set<std::string>& skip) {
  for (const ConfigEntry& e : file.entries) {
    CLI::Option* o = option_of(cmd, e.key);
    if (!o)
      return key_error(file.path, e.line, e.key, "unknown key (vtrace run has no flag --" + e.key + ")");
    if (skip.count(e.key)) continue;
    const Wants w = wants(o);
    const bool repeatable = o->get_items_expected_max() > 1;
    if (e.array && !repeatable) return key_error(file.path, e.line, e.key, "takes one value, not an array");
    for (const ConfigValue& v : e.values) {
      if (!takes(w, v.kind))
        return key_error(file.path, e.line, e.key,
                         std::string("takes ") + wants_name(w) + ", not " + kind_name(v.kind));
      // TOML's nan would pass a range check (no comparison holds for it).
      if (v.kind == ConfigValue::Kind::kFloat && !std::isfinite(std::strtod(v.text.c_str(), nullptr)))
        return key_error(file.path, e.line, e.key, "takes a finite number, not " + v.text);
    }
    try {
      for (const ConfigValue& v : e.values) o->add_result(v.text);
      if (!e.values.empty()) o->run_callback();
    } catch (const CLI::Error& err) {
      return key_error(file.path, e.line, e.key, cli11_message(err, o));
    }
  }
  return Status::Ok();
}

}  // namespace vt
