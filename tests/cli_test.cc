// The vtrace binary as a user runs it: figures, output formats, and one
// clear line with a non-zero exit for every kind of bad input.
#include <unistd.h>

#include <arpa/inet.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <netinet/in.h>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>

#include "tests/support/run_vtrace.h"
#include "tests/support/test_data.h"
#include "tests/support/trace_builder.h"

namespace {

using namespace vt::test;

Result run(const std::string& args, const std::string& feed = "", const std::string& env = "") {
  return run_vtrace(args, RunOptions{feed, env, ""});
}

std::string write_file(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = temp_path(name);
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  return path;
}

std::vector<uint8_t> real_trace() {
  std::ifstream f(kBusyTrace, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

const std::string kHz = std::string(" --cpu-hz ") + kBundledHzArg;

size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, SummaryCsvHeaderAndRows) {
  Result r = run("summary --format csv" + kHz + " " + kBusyTrace);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(
      r.out.substr(0, r.out.find('\n')),
      "domid,vcpu,generation,running_s,runnable_s,blocked_s,offline_s,exec_count,wakes,blocks,hypercalls");
  EXPECT_EQ(lines(r.out), 4u);                                        // d0v0, d0v1, d1v0
  EXPECT_NE(r.out.find("\n1,0,0,9.93"), std::string::npos) << r.out;  // the busy guest
  EXPECT_EQ(r.err, "");                                               // frequency given: nothing to say
}

TEST(Cli, SaysWhichFrequencyItAssumed) {
  Result r = run(std::string("summary ") + kBusyTrace);
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.err.find("assuming --cpu-hz 2.4G"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("assumed"), std::string::npos);
}

TEST(Cli, ReplayEmitsOneRowPerDomainPerSecond) {
  Result r = run("replay --format csv" + kHz + " " + kBusyTrace);
  ASSERT_EQ(r.status, 0) << r.err;
  // 9.994 s: periods 0..9, two domains each.
  EXPECT_EQ(lines(r.out), 1u + 10u * 2u);
  EXPECT_EQ(r.out.rfind("t,span_s,domid,generation,vcpus,running_s,", 0), 0u);
  Result j = run("replay --format json --per-vcpu" + kHz + " " + VTRACE_TEST_DATA +
                 "/xen417-busy-guest-sched-10s.xtr");
  ASSERT_EQ(j.status, 0);
  EXPECT_EQ(lines(j.out), 10u * 3u);
}

TEST(Cli, DumpDecodesEveryRecord) {
  Result r = run("dump" + kHz + " " + kDom0Trace);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), 17919u);  // records, WRAP padding excluded
  EXPECT_NE(r.out.find("runstate_change d0v0 running->blocked"), std::string::npos);
  EXPECT_NE(r.out.find("pv_hypercall_v2 d0v"), std::string::npos);
}

// The record count is what the file holds, not what the trackers were
// given (summary drops the classes no tracker reads before merging): the
// same 17919 that dump prints, in the table and in JSON.
TEST(Cli, SummaryCountsTheFilesRecords) {
  const std::string trace = kDom0Trace;
  Result j = run("summary --format json" + kHz + " " + trace);
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_NE(j.out.find("\"records\": 17919,"), std::string::npos) << j.out.substr(0, 300);
  Result t = run("summary" + kHz + " " + trace);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find(" 17919 records,"), std::string::npos) << t.out.substr(0, 300);
}

// Compressed files (made by the zstd, gzip and xz tools) and standard input
// give what the plain file gives, byte for byte, offsets in dump included.
TEST(Cli, ReadsCompressedTracesAndStandardInput) {
  const std::string trace = kDom0Trace;
  const Result plain = run("summary --format csv" + kHz + " " + trace);
  ASSERT_EQ(plain.status, 0) << plain.err;
  ASSERT_EQ(lines(plain.out), 3u);
  for (const char* ext : {".zst", ".gz", ".xz"}) {
    const Result r = run("summary --format csv" + kHz + " " + trace + ext);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, plain.out) << ext;
    const Result piped = run("summary --format csv" + kHz + " - < " + trace + ext);
    EXPECT_EQ(piped.status, 0) << piped.err;
    EXPECT_EQ(piped.out, plain.out) << ext;
  }
  for (const char* ext : {"", ".zst"}) {
    const Result pipe = run("summary --format csv" + kHz + " -", "cat " + trace + ext);
    EXPECT_EQ(pipe.status, 0) << pipe.err;
    EXPECT_EQ(pipe.out, plain.out) << ext;
  }
  const Result empty = run("summary --format csv" + kHz + " -", "true");
  EXPECT_EQ(empty.status, 1);
  EXPECT_NE(empty.err.find("stdin: byte 0: empty file"), std::string::npos) << empty.err;
  const Result d = run("dump" + kHz + " " + trace);
  const Result dz = run("dump" + kHz + " " + trace + ".xz");
  ASSERT_EQ(dz.status, 0) << dz.err;
  EXPECT_EQ(lines(dz.out), 17919u);
  EXPECT_EQ(dz.out, d.out);
}

// Past VTRACE_DECODE_MEMORY the decoded image goes to a temporary file:
// same figures. Where that file cannot be made, one line names the place
// and --keep-going still reports what fitted in memory.
TEST(Cli, DecodedImageBeyondTheMemoryLimitGoesToAFile) {
  const std::string trace = kDom0Trace;
  const Result plain = run("summary --format csv" + kHz + " " + trace);
  const Result spilled =
      run("summary --format csv" + kHz + " " + trace + ".zst", "", "VTRACE_DECODE_MEMORY=100K");
  EXPECT_EQ(spilled.status, 0) << spilled.err;
  EXPECT_EQ(spilled.out, plain.out);
  const Result piped =
      run("summary --format csv" + kHz + " -", "cat " + trace + ".gz", "VTRACE_DECODE_MEMORY=100K");
  EXPECT_EQ(piped.out, plain.out) << piped.err;

  const Result nowhere = run("summary --format csv" + kHz + " " + trace + ".xz", "",
                             "TMPDIR=/nonexistent-vtrace-dir VTRACE_DECODE_MEMORY=100K");
  EXPECT_EQ(nowhere.status, 1);
  EXPECT_EQ(lines(nowhere.err), 1u) << nowhere.err;
  EXPECT_NE(nowhere.err.find("/nonexistent-vtrace-dir: No such file or directory"), std::string::npos)
      << nowhere.err;
  const Result kept = run("summary --keep-going --format csv" + kHz + " " + trace + ".xz", "",
                          "TMPDIR=/nonexistent-vtrace-dir VTRACE_DECODE_MEMORY=100K");
  EXPECT_EQ(kept.status, 3) << kept.err;
  EXPECT_GE(lines(kept.out), 2u) << kept.out;  // dom0's vCPUs over the first 100 KB of the trace

  // A bad setting, like a bad flag.
  const Result bad = run("summary" + kHz + " " + trace, "", "VTRACE_DECODE_MEMORY=lots");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("VTRACE_DECODE_MEMORY: 'lots' is not a size"), std::string::npos) << bad.err;
}

// bzip2, lz4 and lzip files are not decoded: the one line says which it is
// and how to pipe it in. Each file starts as its format's specification
// says (bzip2 "BZh" + block size, lz4 frame magic 0x184D2204, "LZIP").
TEST(Cli, UndecodedCompressionIsNamed) {
  const std::pair<const char*, std::vector<uint8_t>> kFiles[] = {
      {"bzip2", {'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26}},
      {"lz4", {0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7}},
      {"lzip", {'L', 'Z', 'I', 'P', 1, 0x0c}}};
  for (const auto& [name, head] : kFiles) {
    std::vector<uint8_t> file = head;
    file.resize(64, 0x5a);  // long enough to be judged as a trace
    const Result r = run("summary" + kHz + " " + write_file(std::string("t.") + name, file));
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(std::string("this is ") + name + " data, which vtrace does not decode"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("byte 0: not a xentrace file"), std::string::npos) << r.err;
  }
}

// A cut compressed file: one line naming the offset in the decoded data
// and where the compressed stream ends; --keep-going reports the part
// that decoded (every vCPU, none longer than in the whole trace).
TEST(Cli, TruncatedCompressedTraceNamesBothOffsets) {
  const std::string trace = kDom0Trace;
  std::ifstream f(trace + ".zst", std::ios::binary);
  std::vector<uint8_t> z(std::istreambuf_iterator<char>(f), {});
  z.resize(z.size() / 2);
  const std::string path = write_file("cut.xtr.zst", z);
  const Result r = run("summary --format csv" + kHz + " " + path);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(
      std::regex_search(r.err, std::regex("cut.xtr.zst: byte [0-9]+ of the decoded zstd data: .*zstd data "
                                          "ends early \\(truncated\\) at compressed byte " +
                                          std::to_string(z.size()))))
      << r.err;
  EXPECT_EQ(r.out, "");

  const Result k = run("summary --format csv --keep-going" + kHz + " " + path);
  EXPECT_EQ(k.status, 3) << k.err;
  const Result whole = run("summary --format csv" + kHz + " " + trace);
  std::istringstream a(k.out), b(whole.out);
  std::string la, lb;
  size_t rows = 0;
  std::getline(a, la), std::getline(b, lb);
  EXPECT_EQ(la, lb);  // the header
  while (std::getline(a, la) && std::getline(b, lb)) {
    EXPECT_EQ(la.substr(0, 6), lb.substr(0, 6));  // same domid,vcpu,generation
    const double part = std::stod(la.substr(6)), all = std::stod(lb.substr(6));
    EXPECT_GT(part, 0.0);
    EXPECT_LT(part, all) << "running_s of " << la.substr(0, 3);
    ++rows;
  }
  EXPECT_EQ(rows, 2u);
}

TEST(Cli, EmptyFile) {
  Result r = run("summary " + write_file("empty.xtr", {}) + kHz);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("empty.xtr: byte 0: empty file"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1u);
  EXPECT_EQ(r.out, "");
}

TEST(Cli, NotATraceAndRandomBytes) {
  std::string text = "this is a text file, not a trace\n";
  Result r = run("summary " + write_file("text.xtr", std::vector<uint8_t>(text.begin(), text.end())) + kHz);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("byte 0: not a xentrace file"), std::string::npos) << r.err;

  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::vector<uint8_t> junk(1 + rng() % 5000);
    for (auto& b : junk) b = uint8_t(rng());
    Result j = run("summary " + write_file("junk.xtr", junk) + kHz);
    EXPECT_EQ(j.status, 1) << j.err;
    EXPECT_NE(j.err.find("junk.xtr: byte "), std::string::npos) << j.err;
  }
}

TEST(Cli, TruncatedFileKeepGoingReportsEverythingBefore) {
  std::vector<uint8_t> t = real_trace();
  t.resize(t.size() / 2 + 3);
  const std::string path = write_file("truncated.xtr", t);
  Result r = run("summary --format csv " + path + kHz);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("truncated file: window of CPU"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");

  Result k = run("summary --format csv --keep-going " + path + kHz);
  EXPECT_EQ(k.status, 3);
  EXPECT_NE(k.err.find("truncated file"), std::string::npos);
  EXPECT_EQ(lines(k.out), 4u) << k.out;  // the three vCPUs, over the first ~5 s
}

TEST(Cli, ExtraWordCountRunningPastTheWindowNamesTheOffset) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, 1, 0), runstate(200, 1, 0, 0, 2), wake(300, 1, 0)});
  std::vector<uint8_t> f = fb.image;
  const uint32_t lying = 0x80000000u | (7u << 28) | TRC_SCHED_WAKE;  // 7 words: past the window
  std::memcpy(f.data() + 12 + 16 + 16, &lying, 4);
  const std::string path = write_file("overrun.xtr", f);
  Result r = run("summary --format csv " + path + " --cpu-hz 1000M");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("overrun.xtr: byte 44: record of CPU 0 runs past the end of its window"),
            std::string::npos)
      << r.err;
  Result k = run("summary --format csv --keep-going " + path + " --cpu-hz 1000M");
  EXPECT_EQ(k.status, 3);
  EXPECT_NE(k.out.find("1,0,0,0.000000"), std::string::npos) << k.out;  // d1v0: ran 100..200
}

TEST(Cli, BadFlagsAndMissingFiles) {
  const std::string trace = kBusyTrace;
  Result r = run("summary --cpu-hz 2.4X " + trace);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--cpu-hz: '2.4X' is not a frequency"), std::string::npos) << r.err;
  r = run("summary --format xml " + trace + kHz);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--format: 'xml' is not one of table, csv, json"), std::string::npos) << r.err;
  r = run("summary --bogus " + trace);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  r = run("frobnicate");
  EXPECT_EQ(r.status, 2);
  r = run("summary /nonexistent/trace.xtr" + kHz);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent/trace.xtr: cannot open"), std::string::npos) << r.err;
  r = run("summary " + testing::TempDir() + kHz);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
  r = run("replay --period 0 " + trace + kHz);
  EXPECT_EQ(r.status, 2);
}

TEST(Cli, HelpOnEachCommand) {
  for (const char* cmd : {"", "summary ", "replay ", "dump "}) {
    Result r = run(std::string(cmd) + "--help");
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << r.out;
  }
}

}  // namespace

namespace {

// Inputs the fuzzer found, kept as regression cases (tests/data/fuzz).
TEST(Cli, FuzzerFindingsGiveOneLineAndNoCrash) {
  for (const char* f : {"truncated-empty-window.xtr"}) {
    const std::string path = std::string(VTRACE_TEST_DATA) + "/fuzz/" + f;
    for (const char* cmd : {"summary", "replay", "dump"}) {
      Result r = run(std::string(cmd) + " --keep-going --cpu-hz 1G " + path);
      EXPECT_TRUE(r.status == 1 || r.status == 3) << f << " " << cmd << ": status " << r.status;
      EXPECT_NE(r.err.find("byte 0: truncated file"), std::string::npos) << r.err;
    }
  }
}

}  // namespace

namespace {

// --detect prints verdict changes as JSON lines, in the documented shape,
// whatever the model decides; bad detector flags are usage errors.
// The trace holds dom0 alone, judged on request (--judge-dom0).
TEST(Cli, ReplayDetectPrintsVerdictLines) {
  Result r = run("replay --detect --judge-dom0" + kHz + " " + kDom0Trace);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_GT(lines(r.out), 0u);
  std::istringstream in(r.out);
  std::string line;
  const std::regex shape(
      R"re(^\{"t": [0-9]+\.[0-9]+, "domid": [0-9]+, "generation": [0-9]+, "verdict": "(normal|faulty|recovered)", "guest_type": "(pv|hvm)", "score": [01]\.[0-9]+.*\}$)re");
  while (std::getline(in, line)) EXPECT_TRUE(std::regex_match(line, shape)) << line;
  EXPECT_NE(r.out.find("\"verdict\": \"normal\""),
            std::string::npos);  // every domain is judged once at least
  // Without the flag dom0 is unknown from its first second, and only that.
  Result u = run("replay --detect" + kHz + " " + kDom0Trace);
  ASSERT_EQ(u.status, 0) << u.err;
  EXPECT_EQ(
      u.out,
      "{\"t\": 1.000, \"domid\": 0, \"generation\": 0, \"verdict\": \"unknown\", \"guest_type\": \"pv\", "
      "\"reason\": \"dom0 is not judged\"}\n");
}

// A trace of the scheduler class alone says nothing of any guest's type:
// the default model (trained on PV guests) judges none of them.
TEST(Cli, ReplayDetectWithoutPvOrHvmRecordsJudgesNoGuest) {
  Result r = run("replay --detect --judge-dom0" + kHz + " " + kBusyTrace);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"t\": 6.000, \"domid\": 0, \"generation\": 0, \"verdict\": \"unknown\", \"guest_type\": "
            "\"unknown\"}\n"
            "{\"t\": 6.000, \"domid\": 1, \"generation\": 0, \"verdict\": \"unknown\", \"guest_type\": "
            "\"unknown\"}\n");
  EXPECT_NE(r.err.find("has neither PV nor HVM records"), std::string::npos) << r.err;
}

TEST(Cli, DetectFlagsAreChecked) {
  const std::string trace = kLabHeadTrace + " --cpu-hz " + kLabHeadHzArg;
  Result r = run("replay --detect --period 2 " + trace);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--detect judges 1 s periods"), std::string::npos) << r.err;
  r = run("replay --detect --model /nonexistent.json " + trace);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent.json"), std::string::npos) << r.err;
  // --model once per guest type; the trace after it stays the trace.
  const std::string pv_model =
      std::string(VTRACE_TEST_DATA) + "/../../src/detector/models/default.json";  // PV
  r = run("replay --detect --model " + pv_model + " --model " + pv_model + " " + trace);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("vtrace: --model: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("default.json both judge pv guests: give one model per guest type"), std::string::npos)
      << r.err;
  r = run("replay --detect --action reboot " + trace);
  EXPECT_EQ(r.status, 2) << r.err;
  r = run("replay --detect --action pause " + trace);  // a trace has no host to pause
  EXPECT_EQ(r.status, 2) << r.err;
  r = run("replay --detect --action pause --dry-run " + trace);
  EXPECT_EQ(r.status, 0) << r.err;
  // The guard's flags (action_guard.h): ranges checked, globs repeatable.
  r = run("replay --detect --max-actions -1 " + trace);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--max-actions"), std::string::npos) << r.err;
  r = run("replay --detect --min-age-s -5 " + trace);
  EXPECT_EQ(r.status, 2) << r.err;
  r = run("replay --detect --action pause --dry-run --never-act 'web*' --never-act 3 --cooldown-s 0 " +
          trace);
  EXPECT_EQ(r.status, 0) << r.err;
}

// Beside another reader of the rings (it holds VIRQ_TBUF: a simulated
// xentrace) `vtrace run` refuses to start, in one line naming it and the
// flag that overrides; with --share-rings it reads beside it.
TEST(Cli, RunRefusesBesideAnotherReader) {
  Result r = run("run --sim demo,reader=xentrace --seconds 1");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("xentrace (simulated) already reads the trace buffers"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stop it, or pass --share-rings to read beside it"), std::string::npos) << r.err;
  r = run("run --sim demo,reader=xentrace --seconds 1 --share-rings");
  EXPECT_EQ(r.status, 0) << r.err;
}

// Guest lifecycle on the simulated host (life=..., src/sim/scenario.h),
// the demo's guests with 2 vCPUs each: guest 3 paused 12..22 s, guest 4
// down to one vCPU at 12 s, guest 1 saved at 14 s (destroyed at 14.5 s)
// and restored at 22 s as domain 7, guest 2 crashed at 15 s (kept), guest
// 6 powered off at 30 s. Each event is a state verdict at the end of the
// second it falls in (live, the host's domain info may say it one second
// sooner), a restarted history is judged normal again after its warm-up,
// no guest but the demo's hung ones is ever faulty, and the recording
// replayed (the trace alone, no domain info) says the same.
TEST(Cli, LifecycleOnTheSimulatedHypervisor) {
  const std::string trace = temp_path("life.xtr");
  Result r =
      run("run --sim demo,vcpus=2,speed=4,life=pause:3@12:10+vcpus:4@12:1+save:1@14:22+crash:2@15+"
          "poweroff:6@30 --pages 2048 --sim-seconds 40 --detect --record " +
          trace);
  ASSERT_EQ(r.status, 0) << r.err;
  // domid -> "t:verdict[:reason] ..." of its lines after the first judged second.
  auto story = [](const std::string& out) {
    std::map<int, std::string> s;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      double t = 0;
      int d = -1;
      char verdict[32] = {}, reason[32] = {};
      const size_t at_d = line.find("\"domid\": "), at_v = line.find("\"verdict\": \"");
      if (std::sscanf(line.c_str(), "{\"t\": %lf", &t) != 1 || at_d == std::string::npos ||
          at_v == std::string::npos || std::sscanf(line.c_str() + at_d, "\"domid\": %d", &d) != 1 ||
          std::sscanf(line.c_str() + at_v, "\"verdict\": \"%31[a-z]\"", verdict) != 1 || t <= 6)
        continue;
      if (const size_t at = line.find("\"reason\": \""); at != std::string::npos)
        std::sscanf(line.c_str() + at, "\"reason\": \"%31[a-zA-Z_]\"", reason);
      s[d] += std::to_string(int(t)) + ":" + verdict + (*reason ? std::string(":") + reason : "") + " ";
    }
    return s;
  };
  const std::map<int, std::string> live = story(r.out);
  auto near = [&](int d, const std::vector<std::pair<int, std::string>>& want) {
    std::istringstream got(live.count(d) ? live.at(d) : "");
    std::string g;
    for (const auto& [t, what] : want) {
      ASSERT_TRUE(got >> g) << "d" << d << ": no " << what << "\n" << r.out;
      const size_t colon = g.find(':');
      EXPECT_EQ(g.substr(colon + 1), what) << "d" << d << "\n" << r.out;
      const int at = std::stoi(g.substr(0, colon));
      EXPECT_TRUE(at == t || at == t - 1) << "d" << d << " " << g << ", expected at " << t << "\n" << r.out;
    }
    EXPECT_FALSE(got >> g) << "d" << d << ": also " << g << "\n" << r.out;
  };
  near(3, {{13, "paused"}, {27, "normal"}});
  near(4, {{13, "unknown:vCPUs"}, {18, "normal"}});  // reason "vCPUs changed": the first word
  near(1, {{15, "shutdown:suspend"}, {15, "dying"}});
  near(2, {{16, "crashed:crash"}});
  near(7, {{23, "unknown:booting"}, {32, "normal"}});  // created while traced: booting until it idles 5 s
  near(6, {{27, "faulty"}, {31, "shutdown:poweroff"}, {31, "dying"}});
  // Live, each line says when (the wall clock, RFC 3339 UTC) and whom
  // (the host's names and UUIDs: the simulator's xenstore names a guest by
  // its behaviour and domid); the restored guest keeps the saved one's.
  std::istringstream lines_in(r.out);
  for (std::string line; std::getline(lines_in, line);) {
    int y, mo, d, h, mi, sec, ms;
    const size_t at = line.find("\"time\": \"");
    ASSERT_NE(at, std::string::npos) << line;
    EXPECT_EQ(std::sscanf(line.c_str() + at, "\"time\": \"%4d-%2d-%2dT%2d:%2d:%2d.%3dZ\"", &y, &mo, &d, &h,
                          &mi, &sec, &ms),
              7)
        << line;
    EXPECT_NE(line.find("\"name\": \""), std::string::npos) << line;
  }
  EXPECT_NE(
      r.out.find(
          R"("domid": 2, "generation": 0, "name": "io-2", "uuid": "00020000-0000-4000-0000-000000000000", )"
          R"("verdict": "crashed")"),
      std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find(
          R"("domid": 7, "generation": 0, "name": "idle-1", "uuid": "00010000-0000-4000-0000-000000000000", )"
          R"("verdict": "normal")"),
      std::string::npos)
      << r.out;
  // The trace alone: the same lines at the end of the seconds they fall in,
  // without time or names (a file has neither).
  Result replay = run("replay --detect --cpu-hz 2.4G " + trace);
  ASSERT_EQ(replay.status, 0) << replay.err;
  EXPECT_EQ(replay.out.find("\"time\""), std::string::npos);
  EXPECT_EQ(replay.out.find("\"name\""), std::string::npos);
  const std::map<int, std::string> traced = story(replay.out);
  for (int d : {1, 2, 3, 4, 6, 7}) {
    SCOPED_TRACE("d" + std::to_string(d));
    std::istringstream a(live.count(d) ? live.at(d) : ""), b(traced.count(d) ? traced.at(d) : "");
    std::string x, y;
    while (a >> x) {
      ASSERT_TRUE(b >> y) << replay.out;
      EXPECT_EQ(x.substr(x.find(':')), y.substr(y.find(':')));
    }
  }
  // The recording's per-second table (with its state columns) judged
  // gives replay --detect's lines, byte for byte: a kept table can stand
  // for its trace (tests/lifecycle).
  const std::string table = temp_path("life.csv");
  Result csv = run("replay --format csv --cpu-hz 2.4G " + trace);
  ASSERT_EQ(csv.status, 0) << csv.err;
  std::ofstream(table) << csv.out;
  EXPECT_NE(csv.out.find(",paused,none,0,"), std::string::npos);
  EXPECT_NE(csv.out.find(",crashed,crash,"), std::string::npos);
  Result judged = run("judge " + table);
  ASSERT_EQ(judged.status, 0) << judged.err;
  EXPECT_EQ(judged.out, replay.out);
  // A table whose seconds go back (second 1's rows, then second 0's): one
  // line naming the table and the row.
  std::istringstream rows(csv.out);
  std::string header, row, first, second;
  std::getline(rows, header);
  while (std::getline(rows, row))
    if (row.rfind("0,", 0) == 0)
      first += row + "\n";
    else if (row.rfind("1,", 0) == 0)
      second += row + "\n";
  std::ofstream(table) << header << "\n" << second << first;
  judged = run("judge " + table);
  EXPECT_EQ(judged.status, 1) << judged.err;
  EXPECT_EQ(judged.err.rfind("vtrace: " + table + ": data row ", 0), 0u) << judged.err;
  EXPECT_NE(judged.err.find(": t 0 after 1 "), std::string::npos) << judged.err;
}

// The demo host (`vtrace sim demo --list`: guest 3 CPU-bound, guest 5's
// kernel hangs with interrupts off and guest 6's spins with interrupts on,
// both at 20 s) for 33 s of its own time (however slow a sanitizer makes
// it here), at 4x, with the default model, which
// never saw the simulator: every domain is judged, the hung guests are
// declared faulty after their onset (at 27 s: 5 s window, 3 strikes) and
// within 15 s of it, nothing else ever is. 8 MiB of buffer per CPU rides out a
// consumer descheduled for seconds on a loaded two-core CI machine, so "no
// loss" holds there too.
TEST(Cli, RunOnTheSimulatedHypervisorDetects) {
  Result r = run("run --sim demo,speed=4 --pages 2048 --sim-seconds 33 --detect");
  ASSERT_EQ(r.status, 0) << r.err;
  for (int d = 0; d <= 6; ++d)
    EXPECT_NE(r.out.find("\"domid\": " + std::to_string(d) + ","), std::string::npos) << "d" << d << "\n"
                                                                                      << r.out;
  std::istringstream in(r.out);
  std::string line;
  std::map<int, double> faulty_at;
  while (std::getline(in, line)) {
    double t = 0;
    int d = -1;
    if (line.find("\"verdict\": \"faulty\"") == std::string::npos) continue;
    const size_t at = line.find("\"domid\": ");
    ASSERT_NE(at, std::string::npos) << line;
    ASSERT_EQ(std::sscanf(line.c_str(), "{\"t\": %lf,", &t), 1) << line;
    ASSERT_EQ(std::sscanf(line.c_str() + at, "\"domid\": %d,", &d), 1) << line;
    faulty_at.emplace(d, t);
  }
  EXPECT_EQ(faulty_at.size(), 2u) << r.out;
  for (int d : {5, 6}) {
    ASSERT_EQ(faulty_at.count(d), 1u) << "d" << d << " never declared faulty\n" << r.out;
    EXPECT_GT(faulty_at[d], 20) << r.out;  // not before the onset
    EXPECT_LE(faulty_at[d], 35) << r.out;
  }
  EXPECT_NE(r.err.find("0 lost by the hypervisor"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("came after the merge had passed"), std::string::npos)
      << r.err;                                                           // the simulator's clock is exact
  EXPECT_EQ(r.err.find("no trace records"), std::string::npos) << r.err;  // the silence watch stays quiet
  r = run("run --sim demo --slack-ms -1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--slack-ms"), std::string::npos) << r.err;
  r = run("run --sim-seconds 5");  // simulated time without a simulator
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--sim-seconds needs --sim"), std::string::npos) << r.err;
}

TEST(Cli, NoXenSaysSoAndPointsToSim) {
  if (access("/dev/xen/privcmd", F_OK) == 0 || access("/proc/xen/privcmd", F_OK) == 0)
    GTEST_SKIP() << "a Xen host";
  Result r = run("");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("no Xen hypervisor here"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--sim"), std::string::npos) << r.err;
}

}  // namespace

namespace {

// A consumer CPU list naming CPUs this process may not run on is refused
// before anything starts: one line, a bad flag, no sample printed.
TEST(Cli, CpusNotOursAreRefusedBeforeStarting) {
  Result r = run("run --sim demo --cpus 4000,4001 --seconds 1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--cpus: CPU 4000 is not one this process may run on (allowed: "), std::string::npos)
      << r.err;
  r = run("run --sim demo --cpus 3-1 --seconds 1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--cpus: '3-1'"), std::string::npos) << r.err;
}

// Domain ids are reused (the churn scenario destroys and recreates guests):
// the summary's rows are keyed by (domid, vcpu, generation), in every format.
TEST(Cli, SummaryKeysRowsByGeneration) {
  const std::string trace = temp_path("churn.xtr");
  // 8 s of the demo host (churned guests live 1.5 s, four ids, new ones from 3 s).
  Result rec = run("record " + trace + " --sim demo,churn=8,speed=4 --seconds 2 --pages 4096");
  ASSERT_EQ(rec.status, 0) << rec.err;
  const std::string hz = rec.out.substr(rec.out.find('=') + 1, rec.out.find('\n') - rec.out.find('=') - 1);
  Result r = run("summary --format csv --keep-going --cpu-hz " + hz + " " + trace);
  ASSERT_TRUE(r.status == 0 || r.status == 3) << r.err;
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  ASSERT_EQ(line.rfind("domid,vcpu,generation,", 0), 0u) << line;
  std::set<std::string> keys;
  bool reused = false;
  while (std::getline(in, line)) {
    const std::string key = line.substr(0, line.find(',', line.find(',', line.find(',') + 1) + 1));
    EXPECT_TRUE(keys.insert(key).second) << "row key " << key << " twice\n" << r.out;
    reused |= key.substr(key.rfind(',') + 1) != "0";
  }
  EXPECT_TRUE(reused) << "no domain of a later generation in\n" << r.out;
  std::remove(trace.c_str());
}

// --stats prints the whole statistics table (every counter, with its unit,
// severity and meaning) after the figures; summary's notes come from it.
TEST(Cli, StatsTable) {
  Result r = run("summary --stats" + kHz + " " + kDom0Trace);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("statistic"), std::string::npos) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("records_read +17919 records +info ")));
  EXPECT_TRUE(std::regex_search(r.err, std::regex("wrap_records +[0-9]+ records +info ")));
  EXPECT_TRUE(std::regex_search(r.err, std::regex("tsc_backwards +0 records +error ")));
  EXPECT_TRUE(std::regex_search(r.err, std::regex("pv_unattributed +7 records +data_loss ")));
  EXPECT_NE(r.out.find("  note: 7 PV records on a pCPU with no known running vCPU (not attributed)\n"),
            std::string::npos)
      << r.out;
  // The other commands say the same on stderr; the whole table only on request.
  Result q = run("replay --format csv" + kHz + " " + kDom0Trace);
  EXPECT_EQ(q.err, "vtrace: note: 7 PV records on a pCPU with no known running vCPU (not attributed)\n");
  Result c = run("summary --format csv" + kHz + " " + kDom0Trace);
  EXPECT_EQ(c.err, q.err);
  Result t = run("summary" + kHz + " " + kDom0Trace);
  EXPECT_EQ(t.err, "");  // the table's notes are in the output
}

// Lost records, as summary notes them: per pCPU where they were lost.
TEST(Cli, SummaryNotesLostRecordsPerPcpu) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, 1, 0), lost(200, 9, 1, 0, 150), lost(300, 3, 1, 0, 250),
                runstate(400, 1, 0, 0, 2)})
      .window(1, {runstate(120, 2, 0, 1, 0), lost(220, 5, 2, 0, 210), runstate(420, 2, 0, 0, 2)});
  const std::string path = write_file("lost.xtr", fb.image);
  Result r = run("summary --cpu-hz 1000M " + path);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(
      r.out.find("  note: pCPU 0 lost 12 records in 2 reports\n  note: pCPU 1 lost 5 records in 1 reports\n"),
      std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("records lost by the hypervisor"), std::string::npos) << r.out;  // not twice
  Result s = run("summary --stats --format csv --cpu-hz 1000M " + path);
  EXPECT_TRUE(std::regex_search(s.err, std::regex("lost_records +17 records +data_loss ")));
  EXPECT_TRUE(std::regex_search(s.err, std::regex("lost_reports +3 records +info ")));
  EXPECT_NE(s.err.find("vtrace: note: 17 records lost by the hypervisor"), std::string::npos) << s.err;
}

// A record shorter than the payload Xen writes for its event: dump shows
// its raw words (the trackers ignore it and count it).
TEST(Cli, DumpShowsShortRecordsRaw) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, 1, 0), Rec{TRC_SCHED_WAKE, 200, {7}}, wake(300, 1, 0)});
  const std::string path = write_file("short.xtr", fb.image);
  Result r = run("dump --cpu-hz 1000M " + path);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("cpu0 @28 00028004 wake 00000007\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cpu0 @44 00028004 wake d1v0\n"), std::string::npos) << r.out;
  Result s = run("summary --format csv --cpu-hz 1000M " + path);
  EXPECT_EQ(s.err, "vtrace: note: 1 records with fewer payload words than Xen writes (ignored)\n");
}

}  // namespace

namespace {

// A hand-built SVM trace of an HVM guest: dump decodes its records by the
// event table, summary counts its exits by reason per vCPU (named by the
// vendor the codes say), and the default model, trained on PV guests,
// judges it not.
TEST(Cli, HvmRecordsDecodedCountedAndNotJudgedByAPvModel) {
  FileBuilder fb;
  std::vector<Rec> recs = {runstate(1000000, 3, 0, 1, 0)};
  for (uint64_t s = 0; s < 12; ++s)  // 12 s at 1 MHz: the detector judges from the 6th
    for (uint64_t k = 0; k < 10; ++k) {
      const uint64_t t = 1000000 + s * 1000000 + k * 100000 + 10;
      recs.push_back(vmexit64(t, 0x60, 0xffffffff81000000ull + k));
      recs.push_back(inj_virq(t + 1, 0xec));
      recs.push_back(vmentry(t + 2));
      recs.push_back(vmexit64(t + 50, 0x81, 0xffffffff81002000ull));
    }
  fb.window(0, recs);
  const std::string path = write_file("svm.xtr", fb.image);
  Result d = run("dump --cpu-hz 1M " + path);
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_NE(d.out.find(" cpu0 @28 00081102 hvm_vmexit d3v0 reason=0x60 rip=0xffffffff81000000\n"),
            std::string::npos)
      << d.out.substr(0, 400);
  EXPECT_NE(d.out.find(" 00082004 hvm_inj_virq d3v0 vector=236 fake=0\n"), std::string::npos);
  EXPECT_NE(d.out.find(" 00081001 hvm_vmentry d3v0\n"), std::string::npos);
  Result s = run("summary --cpu-hz 1M " + path);
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.out.find("  VM exits by reason (svm):\n     3     0  240 exits: INTR 120 VMMCALL 120\n"),
            std::string::npos)
      << s.out;
  Result j = run("summary --format json --cpu-hz 1M " + path);
  EXPECT_NE(j.out.find("\"hvm_exits\": 240, \"exits_intr\": 120, "), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"exit_reasons\": {\"INTR\": 120, \"VMMCALL\": 120}"), std::string::npos) << j.out;
  // The PV model alone (as its name says); the default models judge HVM guests too.
  Result v = run("replay --detect --model " + std::string(VTRACE_TEST_DATA) +
                 "/../../src/detector/models/default.json --cpu-hz 1M " + path);
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_EQ(
      v.out,
      "{\"t\": 6.000, \"domid\": 3, \"generation\": 0, \"verdict\": \"unknown\", \"guest_type\": \"hvm\"}\n");
}

}  // namespace

namespace {

// --metrics: a remote address without --metrics-allow-remote, a bad
// spelling and a port in use are each one line, before anything starts:
// the first two a bad flag (2), the third a refusal of the host (1).
TEST(Cli, MetricsAddressesRefusedInOneLine) {
  Result r = run("run --sim demo --seconds 1 --metrics 0.0.0.0:9464");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("vtrace: --metrics: '0.0.0.0:9464' is not a loopback address"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--metrics-allow-remote"), std::string::npos) << r.err;
  r = run("run --sim demo --seconds 1 --metrics 127.0.0.1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("vtrace: --metrics: '127.0.0.1': no port"), std::string::npos) << r.err;

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  r = run("run --sim demo --seconds 1 --metrics " + taken);
  close(fd);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "vtrace: --metrics: " + taken + ": address already in use (another process listens there)\n");
}

}  // namespace
