// vtrace run's configuration file as an operator meets it: the file's keys
// set the flags and the command line overrides them; a bad key or value is
// one line and exit status 2; the shipped deploy/vtrace.toml names every
// flag with its default, as docs/operations.md does; SIGHUP reads the file
// and the models again on the simulated host without losing any domain's
// history or strikes, and refuses a bad model keeping the old.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/background_vtrace.h"
#include "tests/support/run_vtrace.h"
#include "tests/support/test_data.h"

namespace {

using namespace vt::test;

const std::string kSource = std::string(VTRACE_TEST_DATA) + "/../..";

std::string read(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string write(const std::string& name, const std::string& text) {
  const std::string path = temp_path(name);
  std::ofstream(path) << text;
  return path;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// The flags of `vtrace run --help` that are keys (every long flag but
// --help, --help-all and --config), in its order, with the default --help shows ("" where it
// shows none): "--pages UINT:INT in [1 - 65535]=128" is 128. The flag's
// part of the line ends at the column gap before its description.
std::vector<std::pair<std::string, std::string>> help_keys() {
  const Result r = run_vtrace("run --help");
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<std::pair<std::string, std::string>> keys;
  const std::regex flag(R"(^\s+(?:-\w,)?--([a-z][a-z0-9-]*))");
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, flag) || m[1] == "help" || m[1] == "help-all" || m[1] == "config")
      continue;
    const std::string part = line.substr(0, line.find("  ", size_t(m.length(0))));
    const size_t eq = part.rfind('=');
    keys.emplace_back(m[1], eq == std::string::npos ? "" : part.substr(eq + 1));
  }
  return keys;
}

bool is_key(const std::vector<std::pair<std::string, std::string>>& keys, const std::string& k) {
  for (const auto& [key, shown] : keys)
    if (key == k) return true;
  return false;
}

// deploy/vtrace.toml's keys: key -> the value as written, and whether it
// is commented out; `uncommented` gets the file with every key set.
struct Shipped {
  std::map<std::string, std::string> value;
  std::set<std::string> commented;
  std::string uncommented;
};

Shipped shipped() {
  Shipped s;
  const std::regex entry(R"(^(# )?([a-z][a-z0-9-]*) = (.*)$)");
  std::istringstream in(read(kSource + "/deploy/vtrace.toml"));
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, entry)) {
      EXPECT_EQ(s.value.count(m[2]), 0u) << "deploy/vtrace.toml: twice: " << m[2];
      s.value[m[2]] = m[3];
      if (m[1].length()) s.commented.insert(m[2]);
      line = line.substr(size_t(m[1].length()));
    }
    s.uncommented += line + "\n";
  }
  return s;
}

TEST(Config, TheFilesKeysSetTheFlags) {
  const std::string cfg =
      write("good.toml",
            "# the demo host for 2 s, samples as CSV\n"
            "sim = \"demo,speed=4\"\nseconds = 2\nformat = \"csv\"\nperiod = 1\nsilence-s = 0\n");
  Result r = run_vtrace("run --config " + cfg);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("t,span_s,domid,generation,", 0), 0u) << r.out.substr(0, 200);
  EXPECT_GT(count(r.out, "\n"), 2u);
  // vtrace alone is vtrace run.
  r = run_vtrace("--config " + cfg);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("t,span_s,domid,generation,", 0), 0u) << r.out.substr(0, 200);
}

TEST(Config, FlagsOnTheCommandLineOverrideTheFile) {
  const std::string cfg = write("override.toml", "sim = \"demo,speed=4\"\nseconds = 30\nformat = \"csv\"\n");
  const Result r = run_vtrace("run --config " + cfg + " --format json --seconds 1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("t,span_s"), std::string::npos) << r.out.substr(0, 200);
  EXPECT_EQ(r.out.rfind("{\"t\": ", 0), 0u) << r.out.substr(0, 200);
}

TEST(Config, AnUnknownKeyIsOneLineAndVtraceDoesNotStart) {
  const std::string cfg =
      write("unknown.toml", "sim = \"demo\"\ndetect = true\n\n# the guard\ncolldown-s = 300\nseconds = 1\n");
  const Result r = run_vtrace("run --config " + cfg);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "vtrace: " + cfg + ":5: key 'colldown-s': unknown key (vtrace run has no flag --colldown-s)\n");
  EXPECT_EQ(r.out, "");
}

TEST(Config, ABadValueIsOneLineAndVtraceDoesNotStart) {
  const std::pair<std::string, std::string> cases[] = {
      {"cooldown-s = -5", "key 'cooldown-s': Value -5 not in range 0.000000 to 1000000000.000000"},
      {"strikes = \"3\"", "key 'strikes': takes an integer, not a string"},
      {"action = \"reboot\"",
       "key 'action': 'reboot' is not one of none, pause, shutdown, destroy, exec:CMD"},
      {"format = \"xml\"", "key 'format': 'xml' is not one of table, csv, json"},
      {"detect = \"yes\"", "key 'detect': takes a boolean (true or false), not a string"},
      {"strikes = = 3", ""},  // a TOML syntax error: FILE:LINE:COL
  };
  for (const auto& [line, what] : cases) {
    const std::string cfg = write("bad.toml", "sim = \"demo\"\n" + line + "\nseconds = 1\n");
    const Result r = run_vtrace("run --config " + cfg);
    EXPECT_EQ(r.status, 2) << line;
    EXPECT_EQ(count(r.err, "\n"), 1u) << r.err;
    if (!what.empty()) {
      EXPECT_EQ(r.err, "vtrace: " + cfg + ":2: " + what + "\n");
    } else {
      EXPECT_EQ(r.err.rfind("vtrace: " + cfg + ":2:", 0), 0u) << r.err;
    }
    EXPECT_EQ(r.out, "");
  }
  // Checked even where the command line overrides it.
  const std::string cfg = write("bad-overridden.toml", "sim = \"demo\"\nstrikes = 0\nseconds = 1\n");
  Result r = run_vtrace("run --config " + cfg + " --strikes 2");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "vtrace: " + cfg + ":2: key 'strikes': Value 0 not in range 1 to 1000\n");
  // A file that is not there is bad input (1), as a missing trace is.
  const std::string missing = temp_path("missing.toml");
  r = run_vtrace("run --config " + missing);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "vtrace: " + missing + ": No such file or directory\n");
}

// deploy/vtrace.toml, installed as /etc/vtrace/vtrace.toml: every flag of
// `vtrace run --help` once, set or commented out, and each commented value
// the default --help shows, so that the file cannot drift from the flags.
// With every key set to its commented value it still runs (the command
// line overriding where it writes and listens).
TEST(Config, TheShippedFileHasEveryFlagAndItsDefaults) {
  const Shipped file = shipped();
  const auto keys = help_keys();
  ASSERT_GT(keys.size(), 20u);
  size_t compared = 0;
  for (const auto& [k, shown] : keys) {
    ASSERT_EQ(file.value.count(k), 1u) << "deploy/vtrace.toml lacks key '" << k << "'";
    if (shown.empty() || !file.commented.count(k)) continue;
    std::string v = file.value.at(k);
    if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
    EXPECT_EQ(v, shown) << "key '" << k << "': deploy/vtrace.toml says " << file.value.at(k) << ", --help ["
                        << shown << "]";
    ++compared;
  }
  EXPECT_GE(compared, 12u);  // every flag whose --help shows its default
  for (const auto& [k, v] : file.value)
    EXPECT_TRUE(is_key(keys, k)) << "deploy/vtrace.toml: '" << k << "' is no flag";
  // What the package sets.
  EXPECT_EQ(file.value.at("detect"), "true");
  EXPECT_EQ(file.value.at("metrics"), "\"127.0.0.1:9464\"");
  EXPECT_EQ(file.value.at("verdicts"), "\"/var/log/vtrace/verdicts.jsonl\"");
  EXPECT_EQ(file.commented.size(), file.value.size() - 3);

  const std::string every = write("every-key.toml", file.uncommented);
  const std::string verdicts = temp_path("shipped-verdicts.jsonl");
  const Result r =
      run_vtrace("run --config " + every + " --sim demo,speed=4 --sim-seconds 8 --metrics 127.0.0.1:0 " +
                 "--verdicts " + verdicts);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read(verdicts).find("\"verdict\": \"normal\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("vtrace: serving metrics at http://127.0.0.1:"), std::string::npos) << r.err;
}

// docs/operations.md's table of the configuration file has one row per key
// (`| \`key\` | default | meaning | reload |`), none more, and its default
// is the value deploy/vtrace.toml shows commented out.
TEST(Config, OperationsDocListsEveryKey) {
  const std::string doc = read(kSource + "/docs/operations.md");
  const size_t from = doc.find("\n## Configure");
  ASSERT_NE(from, std::string::npos) << "docs/operations.md has no '## Configure' section";
  const size_t to = doc.find("\n## ", from + 1);
  const std::string section = doc.substr(from, to == std::string::npos ? std::string::npos : to - from);
  std::map<std::string, std::string> rows;  // key -> default cell
  const std::regex row(R"(\n\| `([a-z][a-z0-9-]*)` \| `([^`]*)` \|)");
  for (std::sregex_iterator i(section.begin(), section.end(), row), end; i != end; ++i) {
    EXPECT_EQ(rows.count((*i)[1]), 0u) << "twice: " << (*i)[1];
    rows[(*i)[1]] = (*i)[2];
  }
  const auto keys = help_keys();
  const Shipped file = shipped();
  for (const auto& [k, shown] : keys) {
    ASSERT_EQ(rows.count(k), 1u) << "docs/operations.md: no row for key '" << k << "'";
    if (file.commented.count(k)) {
      EXPECT_EQ(rows[k], file.value.at(k)) << "key '" << k << "': docs/operations.md and deploy/vtrace.toml";
    }
  }
  for (const auto& [k, v] : rows)
    EXPECT_TRUE(is_key(keys, k)) << "docs/operations.md: '" << k << "' is no flag";
}

// Verdict lines by domain: how many of each verdict, and the faulty ones.
struct Verdicts {
  std::map<int, std::map<std::string, int>> n;  // domid -> verdict -> lines
  std::map<int, std::string> faulty;            // domid -> its faulty line
  int lines(int domid, const std::string& verdict) const {
    const auto d = n.find(domid);
    if (d == n.end()) return 0;
    const auto v = d->second.find(verdict);
    return v == d->second.end() ? 0 : v->second;
  }
};

Verdicts verdicts(const std::string& text) {
  Verdicts v;
  std::istringstream in(text);
  const std::regex domid(R"re("domid": ([0-9]+),)re"), kind(R"re("verdict": "([a-z]+)")re");
  for (std::string line; std::getline(in, line);) {
    std::smatch d, k;
    if (!std::regex_search(line, d, domid) || !std::regex_search(line, k, kind)) continue;
    const int id = std::stoi(d[1]);
    ++v.n[id][k[1]];
    if (k[1] == "faulty") v.faulty[id] = line;
  }
  return v;
}

// Waits until `path` holds `text` or `v` ends (false then, or after `s`).
bool wait_for_file(BackgroundVtrace& v, const std::string& path, const std::string& text, double s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(s);
  while (std::chrono::steady_clock::now() < until && v.running()) {
    if (read(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return read(path).find(text) != std::string::npos;
}

// The demo host at 2x (guests 5 and 6 hang at 20 s, declared faulty after
// the 5 s window and 3 strikes) under a SIGHUP every 0.3 s: the classifier
// reloads once a second of wall time, 2 s of the host's, so a reload that
// lost a domain's strikes or history would never let 3 strikes build up,
// nor a 5 s window fill. Every domain is judged normal once (no second
// warm-up), 5 and 6 are declared faulty, each under the settings the file
// took after the first verdicts (a dry-run pause, acted on although the
// file now allows no action at all: the command line's --max-actions still
// overrides it), and the key that needs a restart is said so.
TEST(Config, SighupReloadKeepsEveryDomainsHistoryAndStrikes) {
  const std::string verdict_file = temp_path("reload-verdicts.jsonl");
  const std::string base =
      "sim = \"demo,speed=2\"\nsim-seconds = 32\npages = 2048\ndetect = true\nverdicts = \"" + verdict_file +
      "\"\n";
  const std::string cfg = write("reload.toml", base);
  BackgroundVtrace v("run --config " + cfg + " --max-actions 10");
  ASSERT_TRUE(v.wait_for_err("vtrace: reading ", 60)) << v.err();
  ASSERT_TRUE(wait_for_file(v, verdict_file, "\"verdict\": \"normal\"", 60)) << v.err();
  const std::string changed =
      "sim = \"demo,speed=2\"\nsim-seconds = 32\npages = 4096\ndetect = true\nverdicts = \"" + verdict_file +
      "\"\naction = \"pause\"\ndry-run = true\nmin-age-s = 0\nmax-actions = 0\n";
  std::ofstream(cfg) << changed;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (v.running() && std::chrono::steady_clock::now() < until) {
    v.signal(SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_EQ(v.wait(30), 0) << v.err();
  const std::string err = v.err();
  EXPECT_GE(count(err, "vtrace: SIGHUP: reloaded " + cfg + " and the models ("), 8u) << err;
  EXPECT_EQ(count(err, "vtrace: SIGHUP: reloaded"),
            count(err, cfg + ":3: key 'pages': needs a restart; the running value stays\n"))
      << err;
  EXPECT_EQ(err.find("the running configuration and models stay"), std::string::npos) << err;
  const Verdicts got = verdicts(read(verdict_file));
  EXPECT_EQ(got.lines(0, "unknown"), 1);  // dom0 is not judged
  for (int d = 1; d <= 6; ++d) EXPECT_EQ(got.lines(d, "normal"), 1) << "d" << d;
  ASSERT_EQ(got.faulty.size(), 2u) << read(verdict_file);
  size_t acted = 0;
  for (int d : {5, 6}) {
    ASSERT_EQ(got.faulty.count(d), 1u) << read(verdict_file);
    EXPECT_NE(got.faulty.at(d).find("\"action\": \"pause\""), std::string::npos) << got.faulty.at(d);
    acted += got.faulty.at(d).find("\"action_result\": \"dry-run\"") != std::string::npos;
  }
  // Two guests faulty in one second may raise the host alarm for the
  // second (docs/detector.md); max-actions = 0 would have held the first.
  EXPECT_GE(acted, 1u) << read(verdict_file);
}

// A model that fails its checks, given by the file at a SIGHUP: one line,
// and the running models and settings go on (strikes = 1 in the same file
// is not taken either); the hung guests are declared faulty as ever.
TEST(Config, SighupRefusesABadModelAndKeepsTheOld) {
  const std::string models = kSource + "/src/detector/models/";
  std::string text = read(models + "default.json");
  const std::regex threshold(R"("threshold": [0-9.e-]+)");
  const std::string bad =
      write("bad-model.json",
            std::regex_replace(text, threshold, "\"threshold\": 7", std::regex_constants::format_first_only));
  const std::string verdict_file = temp_path("refuse-verdicts.jsonl");
  const std::string base =
      "sim = \"demo,speed=4\"\nsim-seconds = 33\npages = 2048\ndetect = true\nverdicts = \"" + verdict_file +
      "\"\n";
  const std::string cfg = write(
      "refuse.toml", base + "model = [\"" + models + "default.json\", \"" + models + "default-hvm.json\"]\n");
  BackgroundVtrace v("run --config " + cfg);
  ASSERT_TRUE(v.wait_for_err("vtrace: reading ", 60)) << v.err();
  ASSERT_TRUE(wait_for_file(v, verdict_file, "\"verdict\": \"normal\"", 60)) << v.err();
  std::ofstream(cfg) << base + "model = [\"" + bad + "\"]\nstrikes = 1\n";
  v.signal(SIGHUP);
  ASSERT_TRUE(v.wait_for_err("vtrace: SIGHUP: ", 30)) << v.err();
  ASSERT_EQ(v.wait(120), 0) << v.err();
  const std::string err = v.err();
  EXPECT_NE(err.find("\nvtrace: SIGHUP: " + bad +
                     ": threshold: not a number in [-1, 1]; the running configuration and models stay\n"),
            std::string::npos)
      << err;
  EXPECT_EQ(count(err, "SIGHUP"), 1u) << err;
  const Verdicts got = verdicts(read(verdict_file));
  EXPECT_EQ(got.faulty.size(), 2u) << read(verdict_file);
  EXPECT_EQ(got.faulty.count(5) + got.faulty.count(6), 2u) << read(verdict_file);
  EXPECT_EQ(got.lines(0, "unknown"), 1);  // dom0 is not judged
  for (int d = 1; d <= 6; ++d) EXPECT_EQ(got.lines(d, "normal"), 1) << "d" << d;
}

// Without --config, SIGHUP reads the models again.
TEST(Config, SighupWithoutAFileReloadsTheModels) {
  BackgroundVtrace v("run --sim demo,speed=4 --sim-seconds 12 --detect");
  ASSERT_TRUE(v.wait_for_err("vtrace: reading ", 60)) << v.err();
  v.signal(SIGHUP);
  ASSERT_TRUE(v.wait_for_err("vtrace: SIGHUP: ", 30)) << v.err();
  ASSERT_EQ(v.wait(60), 0) << v.err();
  EXPECT_NE(v.err().find("vtrace: SIGHUP: reloaded the models ("), std::string::npos) << v.err();
  EXPECT_NE(v.err().find("models/default-hvm.json)\n"), std::string::npos) << v.err();
}

}  // namespace
