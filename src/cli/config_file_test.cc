// The configuration file on a command of each kind of flag vtrace run has:
// values through the flags' own checks, the command line winning, and one
// line naming file, line and key for every kind of bad input.
#include "src/cli/config_file.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>

#include "src/cli/named_option.h"
#include "tests/support/temp_path.h"

namespace vt {
namespace {

enum class Color { kRed, kBlue };

Status parse_color(const std::string& s, Color* c) {
  if (s == "red") return *c = Color::kRed, Status::Ok();
  if (s == "blue") return *c = Color::kBlue, Status::Ok();
  return Status::InvalidArgument("'" + s + "' is not one of red, blue");
}

std::string color_name(Color c) { return c == Color::kRed ? "red" : "blue"; }

struct Flags {
  bool detect = false;
  int strikes = 0;
  uint32_t pages = 32;
  double cooldown_s = 300;
  std::string cpus, config;
  std::vector<std::string> models;
  Color color = Color::kRed;
};

// The kinds of flag vtrace run declares: a switch, ranged integers and
// numbers, text, a repeatable one, a named one; --config itself.
void declare(CLI::App* app, Flags* f) {
  app->add_flag("--detect", f->detect, "judge");
  app->add_option("--strikes", f->strikes, "strikes")->check(CLI::Range(1, 9));
  app->add_option("--pages", f->pages, "pages")->check(CLI::Range(1, 65535));
  app->add_option("--cooldown-s", f->cooldown_s, "seconds")->check(CLI::Range(0.0, 1e9));
  app->add_option("--cpus", f->cpus, "cpus");
  app->add_option("--model", f->models, "models")->allow_extra_args(false);
  add_named_option<Color>(app, "--color", &f->color, "red or blue", parse_color, color_name);
  app->add_option(kConfigFlag, f->config, "the file");
}

ConfigFile parse(const std::string& text, const std::string& path = "vtrace.toml") {
  ConfigFile c;
  const Status st = parse_config(text, path, &c);
  EXPECT_TRUE(st.ok()) << st.message();
  return c;
}

// Applies `text` to a command parsed from `args`; the error's message, or "".
std::string apply_text(const std::string& text, Flags* f, std::vector<std::string> args = {}) {
  CLI::App app;
  declare(&app, f);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  app.parse(args);
  ConfigFile c;
  Status st = parse_config(text, "/etc/vtrace/vtrace.toml", &c);
  if (st.ok()) st = apply_config(&app, c, given_keys(&app));
  return st.message();
}

TEST(ConfigFile, KeysAreTheLongFlagsButHelpAndConfig) {
  CLI::App app;
  app.set_help_all_flag("--help-all", "all");
  Flags f;
  declare(&app, &f);
  const std::vector<std::string> want{"detect", "strikes", "pages", "cooldown-s", "cpus", "model", "color"};
  EXPECT_EQ(config_keys(&app), want);
}

TEST(ConfigFile, EveryKindOfFlagThroughItsOwnChecks) {
  Flags f;
  const std::string file =
      "# comments and blank lines are TOML's\n"
      "\n"
      "detect = true\n"
      "strikes = 4\n"
      "pages = 2048\n"
      "cooldown-s = 12.5\n"
      "cpus = \"0-1\"\n"
      "model = [\"a.json\", \"b.json\"]\n"
      "color = \"blue\"\n";
  EXPECT_EQ(apply_text(file, &f), "");
  EXPECT_TRUE(f.detect);
  EXPECT_EQ(f.strikes, 4);
  EXPECT_EQ(f.pages, 2048u);
  EXPECT_EQ(f.cooldown_s, 12.5);
  EXPECT_EQ(f.cpus, "0-1");
  EXPECT_EQ(f.models, (std::vector<std::string>{"a.json", "b.json"}));
  EXPECT_EQ(f.color, Color::kBlue);
  // An integer where a number goes; one string where a repeatable flag goes;
  // false for a switch.
  Flags g;
  EXPECT_EQ(apply_text("cooldown-s = 7\nmodel = \"c.json\"\ndetect = false\n", &g), "");
  EXPECT_EQ(g.cooldown_s, 7.0);
  EXPECT_EQ(g.models, std::vector<std::string>{"c.json"});
  EXPECT_FALSE(g.detect);
}

TEST(ConfigFile, TheCommandLineWins) {
  Flags f;
  EXPECT_EQ(
      apply_text("strikes = 4\ncooldown-s = 60\ncolor = \"blue\"\n", &f, {"--strikes", "2", "--color=red"}),
      "");
  EXPECT_EQ(f.strikes, 2);
  EXPECT_EQ(f.color, Color::kRed);
  EXPECT_EQ(f.cooldown_s, 60.0);  // the file's: the command line did not give it
  // A key the command line gave must still be a key.
  Flags g;
  EXPECT_EQ(apply_text("strike = 4\n", &g, {"--strikes", "2"}),
            "/etc/vtrace/vtrace.toml:1: key 'strike': unknown key (vtrace run has no flag --strike)");
}

TEST(ConfigFile, UnknownKeyNamesFileLineAndKey) {
  Flags f;
  EXPECT_EQ(apply_text("detect = true\n\n# the guard\ncolldown-s = 300\n", &f),
            "/etc/vtrace/vtrace.toml:4: key 'colldown-s': unknown key (vtrace run has no flag --colldown-s)");
  EXPECT_EQ(apply_text("config = \"/etc/other.toml\"\n", &f),
            "/etc/vtrace/vtrace.toml:1: key 'config': unknown key (vtrace run has no flag --config)");
  EXPECT_EQ(apply_text("help = true\n", &f),
            "/etc/vtrace/vtrace.toml:1: key 'help': unknown key (vtrace run has no flag --help)");
  EXPECT_EQ(apply_text("[detector]\nstrikes = 3\n", &f),
            "/etc/vtrace/vtrace.toml:1: key 'detector': unknown key (a table; keys are flags)");
}

TEST(ConfigFile, BadValuesNameFileLineAndKey) {
  const std::string at = "/etc/vtrace/vtrace.toml:2: key ";
  const std::pair<std::string, std::string> cases[] = {
      {"strikes = \"3\"", "'strikes': takes an integer, not a string"},
      {"strikes = 3.5", "'strikes': takes an integer, not a float"},
      {"strikes = 0", "'strikes': Value 0 not in range 1 to 9"},
      {"pages = -1", "'pages': Value -1 not in range 1 to 65535"},
      {"cooldown-s = inf", "'cooldown-s': takes a finite number, not inf"},
      {"cooldown-s = nan", "'cooldown-s': takes a finite number, not nan"},
      {"pages = 70000", "'pages': Value 70000 not in range 1 to 65535"},
      {"cooldown-s = \"5m\"", "'cooldown-s': takes a number, not a string"},
      {"cooldown-s = -1.5", "'cooldown-s': Value -1.5 not in range 0.000000 to 1000000000.000000"},
      {"detect = 1", "'detect': takes a boolean (true or false), not an integer"},
      {"detect = \"yes\"", "'detect': takes a boolean (true or false), not a string"},
      {"cpus = 0", "'cpus': takes a string, not an integer"},
      {"cpus = [\"0\", \"1\"]", "'cpus': takes one value, not an array"},
      {"model = [\"a.json\", 3]", "'model': takes a string, not an integer"},
      {"model = [[\"a.json\"]]",
       "'model': an array holding an array (a flag takes booleans, numbers or strings)"},
      {"color = \"green\"", "'color': 'green' is not one of red, blue"},
      {"cpus = 1979-05-27", "'cpus': a date (a flag takes a boolean, a number or a string)"},
  };
  for (const auto& [line, what] : cases) {
    Flags f;
    EXPECT_EQ(apply_text("# line 1\n" + line + "\n", &f), at + what) << line;
  }
}

TEST(ConfigFile, SyntaxErrorsNameLineAndColumn) {
  ConfigFile c;
  Status st = parse_config("detect = true\nstrikes = \n", "v.toml", &c);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("v.toml:2:", 0), 0u) << st.message();
  st = parse_config("strikes = 3\nstrikes = 4\n", "v.toml", &c);  // twice
  EXPECT_EQ(st.message().rfind("v.toml:2:", 0), 0u) << st.message();
  EXPECT_NE(st.message().find("strikes"), std::string::npos) << st.message();
  for (const char* junk : {"\xff\xfe", "= 3", "a = \"unterminated", "[[", "x = 1e999999"}) {
    st = parse_config(junk, "v.toml", &c);  // one line, never a crash
    EXPECT_FALSE(st.ok()) << junk;
    EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
  }
}

// Whatever the file holds, vtrace says one line or takes it: a key or a
// value with a newline in it, and random bytes around a good file.
TEST(ConfigFile, NeverMoreThanOneLineNeverACrash) {
  Flags f;
  EXPECT_EQ(apply_text("\"col\\nor\" = 1\n", &f),
            "/etc/vtrace/vtrace.toml:1: key 'col\\x0aor': unknown key (vtrace run has no flag --col\\x0aor)");
  EXPECT_EQ(apply_text("color = \"gr\\neen\"\n", &f),
            "/etc/vtrace/vtrace.toml:1: key 'color': 'gr\\x0aeen' is not one of red, blue");
  const std::string good =
      "detect = true\nstrikes = 4\ncooldown-s = 12.5\nmodel = [\"a\", \"b\"]\ncolor = \"blue\"\n";
  uint32_t x = 12345;
  for (int i = 0; i < 2000; ++i) {
    std::string text = good;
    for (int k = 0; k < 1 + i % 4; ++k) {  // a few bytes changed
      x = x * 1664525u + 1013904223u;
      text[(x >> 8) % text.size()] = char(x >> 24);
    }
    Flags g;
    const std::string m = apply_text(text, &g);
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    if (!m.empty()) {
      EXPECT_EQ(m.rfind("/etc/vtrace/vtrace.toml:", 0), 0u) << m;
    }
  }
}

TEST(ConfigFile, TheFirstBadKeyInTheFilesOrder) {
  ConfigFile c;
  // toml++ sorts keys: "alpha" would come first.
  const Status st = parse_config("zeta = 1979-05-27\nalpha = [[1]]\n", "v.toml", &c);
  EXPECT_EQ(st.message(), "v.toml:1: key 'zeta': a date (a flag takes a boolean, a number or a string)");
}

TEST(ConfigFile, FileOrderAndEquality) {
  const ConfigFile c = parse("zeta = 1\nalpha = [1, 2]\nmid = \"x\"\n");
  ASSERT_EQ(c.entries.size(), 3u);
  EXPECT_EQ(c.entries[0].key, "zeta");
  EXPECT_EQ(c.entries[1].line, 2);
  EXPECT_EQ(c.entries[2].key, "mid");
  ASSERT_NE(c.find("alpha"), nullptr);
  EXPECT_EQ(c.find("alpha")->values.size(), 2u);
  EXPECT_EQ(c.find("nothing"), nullptr);
  const ConfigFile d = parse("\n\nzeta = 1\n");  // another line, the same value
  EXPECT_TRUE(*c.find("zeta") == *d.find("zeta"));
  EXPECT_FALSE(*c.find("zeta") == *parse("zeta = 1.0\n").find("zeta"));
}

TEST(ConfigFile, AFileThatCannotBeReadIsAnIoError) {
  ConfigFile c;
  const std::string missing = vt::test::temp_path("missing.toml");
  Status st = read_config(missing, &c);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(), missing + ": No such file or directory");
  st = read_config(testing::TempDir(), &c);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(), testing::TempDir() + ": is a directory");
  const std::string good = vt::test::temp_path("good.toml");
  std::ofstream(good) << "strikes = 3\n";
  st = read_config(good, &c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.path, good);
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_EQ(c.entries[0].values[0].text, "3");
}

}  // namespace
}  // namespace vt
