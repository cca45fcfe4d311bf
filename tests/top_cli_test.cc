// `vtrace top` as a user runs it: batch frames on the simulated demo host
// (the hung guests turn faulty, the others never do), batch frames of a
// trace file whose CPU figures agree with `vtrace summary`'s (an
// independent count), bad arguments in one line, and the full-screen view
// on a pseudo-terminal, which gets its settings back however vtrace ends.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>
#include <utmp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <gtest/gtest.h>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "tests/support/run_vtrace.h"
#include "tests/support/test_data.h"

namespace {

using namespace vt::test;

Result run(const std::string& args) { return run_vtrace(args); }

size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

const char kHeader[] =
    " TIME(s) DOMID NAME             VCPUS  CPU(%) RUNNABLE(%) BLOCKED(%) HYPERCALLS/s VERDICT   SCORE";

struct TopLine {
  double t = 0;
  int domid = -1;
  std::string name;
  int vcpus = 0;
  double cpu = 0, runnable = 0, blocked = 0, hypercalls = 0;
  std::string verdict, score;
};

// Batch output as frames of rows; every frame must open with the header,
// frames must be apart by one blank line.
std::vector<std::vector<TopLine>> frames_of(const std::string& out) {
  std::vector<std::vector<TopLine>> frames;
  std::istringstream in(out);
  std::string line;
  bool expect_header = true;
  while (std::getline(in, line)) {
    if (expect_header) {
      EXPECT_EQ(line, kHeader) << "frame " << frames.size();
      frames.emplace_back();
      expect_header = false;
      continue;
    }
    if (line.empty()) {
      expect_header = true;
      continue;
    }
    TopLine l;
    std::istringstream f(line);
    f >> l.t >> l.domid >> l.name >> l.vcpus >> l.cpu >> l.runnable >> l.blocked >> l.hypercalls >>
        l.verdict >> l.score;
    EXPECT_FALSE(f.fail()) << line;
    frames.back().push_back(l);
  }
  EXPECT_FALSE(expect_header && !frames.empty()) << "a blank line after the last frame";
  return frames;
}

// The demo host (`vtrace sim demo --list`): guest 3 CPU-bound, guest 5's
// kernel hangs with interrupts off and guest 6's spins with interrupts on,
// both at 20 s of simulated time; the default model declares them faulty at
// 27 s (5 s window, 3 strikes; RunOnTheSimulatedHypervisorDetects). 34
// frames are 34 s of the simulator's time however slow the machine (frames
// count the pipeline's periods of trace time), at 4x; 8 MiB of buffer per
// CPU rides out a consumer descheduled for seconds.
TEST(TopCli, BatchOnTheSimulatedDemoShowsTheHungGuestsFaulty) {
  Result r = run("top --sim demo,speed=4 --pages 2048 -b -i 34");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto frames = frames_of(r.out);
  ASSERT_EQ(frames.size(), 34u) << r.out;
  std::map<int, double> faulty_from;  // domid -> the first frame's time it was faulty in
  for (size_t k = 0; k < frames.size(); ++k) {
    const auto& fr = frames[k];
    ASSERT_EQ(fr.size(), 7u) << "frame " << k << "\n" << r.out;  // dom0 and six guests, by domid
    for (int d = 0; d <= 6; ++d) {
      const TopLine& l = fr[size_t(d)];
      EXPECT_EQ(l.domid, d);
      EXPECT_DOUBLE_EQ(l.t, double(k + 1));  // the end of each 1 s period
      // The simulated host's xenstore names them (behaviour-domid).
      const char* names[] = {"Domain-0", "idle-1", "io-2", "cpu-3", "storm-4", "cpu-5", "idle-6"};
      EXPECT_EQ(l.name, names[d]);
      if (l.verdict == "faulty" && !faulty_from.count(d)) faulty_from[d] = l.t;
    }
    // The CPU-bound guest runs on its vCPU all the time; the idle one hardly.
    if (k > 0 && k < 19) {
      EXPECT_GT(fr[3].cpu, 80.0) << "frame " << k;
      EXPECT_LT(fr[1].cpu, 10.0) << "frame " << k;
    }
  }
  // Warm-up: no verdict for the first seconds, every domain normal by 6 s.
  // dom0 is unknown from its first second (not judged), without a score.
  for (const TopLine& l : frames[0]) {
    EXPECT_EQ(l.verdict, l.domid == 0 ? "unknown" : "-") << "domain " << l.domid;
    EXPECT_EQ(l.score, "-");
  }
  for (const TopLine& l : frames[7]) {
    EXPECT_EQ(l.verdict, l.domid == 0 ? "unknown" : "normal") << "domain " << l.domid;
    EXPECT_EQ(l.score == "-", l.domid == 0) << "domain " << l.domid;
  }
  EXPECT_EQ(faulty_from.size(), 2u) << r.out;
  for (int d : {5, 6}) {
    ASSERT_EQ(faulty_from.count(d), 1u) << "d" << d << " never faulty\n" << r.out;
    EXPECT_GT(faulty_from[d], 20) << r.out;  // not before the onset
    EXPECT_LE(faulty_from[d], 34) << r.out;
    EXPECT_EQ(frames.back()[size_t(d)].verdict, "faulty");
  }
  EXPECT_NE(r.err.find("0 lost by the hypervisor"), std::string::npos) << r.err;
}

// Sorted by verdict, the faulty guests come first.
TEST(TopCli, BatchSortedByVerdictPutsTheFaultyFirst) {
  Result r = run("top --sim demo,speed=4 --pages 2048 --batch --iterations 33 --sort verdict");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto frames = frames_of(r.out);
  ASSERT_EQ(frames.size(), 33u) << r.out;
  const auto& last = frames.back();
  ASSERT_EQ(last.size(), 7u);
  std::set<int> first_two{last[0].domid, last[1].domid};
  EXPECT_EQ(first_two, (std::set<int>{5, 6})) << r.out;
  EXPECT_EQ(last[0].verdict, "faulty");
  EXPECT_EQ(last[2].domid, 0);  // then dom0, unknown (not judged), then the normal guests
  EXPECT_EQ(last[2].verdict, "unknown");
  EXPECT_EQ(last[3].verdict, "normal");
}

// Per domain, the running (runnable, blocked) seconds of the frames, CPU(%)
// times each frame's span (1 s but the last), against `vtrace summary`'s
// totals of the same trace: the trackers' totals, not the samples.
TEST(TopCli, TraceFileFramesAgreeWithTheSummary) {
  for (const std::string& trace : {kBusyTrace, kDom0Trace}) {
    const std::string hz = std::string(" --cpu-hz ") + kBundledHzArg;
    Result r = run("top -b" + hz + " " + trace);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto frames = frames_of(r.out);
    ASSERT_EQ(frames.size(), 10u) << r.out;    // ten seconds, the last one short
    std::map<int, std::array<double, 4>> top;  // running, runnable, blocked seconds, hypercalls
    double prev_t = 0;
    for (const auto& fr : frames) {
      ASSERT_FALSE(fr.empty());
      const double span = fr[0].t - prev_t;
      prev_t = fr[0].t;
      for (const TopLine& l : fr) {
        top[l.domid][0] += l.cpu / 100 * span;
        top[l.domid][1] += l.runnable / 100 * span;
        top[l.domid][2] += l.blocked / 100 * span;
        top[l.domid][3] += l.hypercalls * span;
      }
    }
    Result s = run("summary --format csv" + hz + " " + trace);
    ASSERT_EQ(s.status, 0) << s.err;
    std::map<int, std::array<double, 4>> sum;
    std::istringstream in(s.out);
    std::string line;
    std::getline(in, line);  // domid,vcpu,generation,running_s,runnable_s,blocked_s,offline_s,exec_count,...
    while (std::getline(in, line)) {
      int domid, vcpu, gen;
      double run_s, rbl_s, blk_s, off_s;
      unsigned long long exec, wakes, blocks, hc;
      ASSERT_EQ(std::sscanf(line.c_str(), "%d,%d,%d,%lf,%lf,%lf,%lf,%llu,%llu,%llu,%llu", &domid, &vcpu, &gen,
                            &run_s, &rbl_s, &blk_s, &off_s, &exec, &wakes, &blocks, &hc),
                11)
          << line;
      sum[domid][0] += run_s;
      sum[domid][1] += rbl_s;
      sum[domid][2] += blk_s;
      sum[domid][3] += double(hc);
    }
    ASSERT_EQ(top.size(), sum.size()) << r.out << s.out;
    for (const auto& [domid, want] : sum) {
      const auto& got = top[domid];
      // The last frame's span is known to 0.05 s (TIME is printed to 0.1 s).
      for (int k = 0; k < 3; ++k)
        EXPECT_NEAR(got[k], want[k], 0.06 + 0.01 * want[k]) << trace << " domain " << domid << " state " << k;
      EXPECT_NEAR(got[3], want[3], 10 + 0.01 * want[3]) << trace << " domain " << domid << " hypercalls";
    }
  }
  // The busy guest ran nearly all of every full second.
  Result r = run(std::string("top -b --sort cpu --cpu-hz ") + kBundledHzArg + " " + kBusyTrace);
  const auto frames = frames_of(r.out);
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(frames[1][0].domid, 1);
  EXPECT_GT(frames[1][0].cpu, 95.0) << r.out;
}

// Stdout not a terminal is batch mode, -b or not; -i and -d shape the frames.
TEST(TopCli, NotATerminalIsBatchAndDelaySumsFrames) {
  const std::string args = std::string(" --cpu-hz ") + kBundledHzArg + " " + kBusyTrace;
  Result b = run("top -b" + args);
  Result plain = run("top" + args);
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.out, b.out);
  Result three = run("top -b -i 3" + args);
  EXPECT_EQ(frames_of(three.out).size(), 3u);
  EXPECT_EQ(three.out, b.out.substr(0, three.out.size()));
  // Two seconds a frame: the first frame's CPU(%) is the mean of the first two seconds'.
  Result d2 = run("top -b -d 2 -i 1" + args);
  const auto one = frames_of(b.out), two = frames_of(d2.out);
  ASSERT_EQ(two.size(), 1u);
  ASSERT_EQ(two[0].size(), one[1].size());
  EXPECT_DOUBLE_EQ(two[0][0].t, 2.0);
  for (size_t i = 0; i < two[0].size(); ++i)
    EXPECT_NEAR(two[0][i].cpu, (one[0][i].cpu + one[1][i].cpu) / 2, 0.06) << i;
}

TEST(TopCli, BadArgumentsInOneLine) {
  struct Case {
    std::string args;
    int status;
    std::string says;
  };
  const std::string trace = std::string(" --cpu-hz ") + kBundledHzArg + " " + kBusyTrace;
  const Case cases[] = {
      {"top -b --sort memory" + trace, 2,
       "--sort: 'memory' is not one of domid, name, cpu, runnable, blocked, hypercalls, verdict, score"},
      {"top -b -i -1" + trace, 2, "--iterations"},
      {"top -b -d 0" + trace, 2, "--delay"},
      {"top -b --sim demo" + trace, 2, "--sim: reads a live host, not with TRACE"},
      {"top -b --metrics 127.0.0.1:0" + trace, 2, "--metrics: reads a live host, not with TRACE"},
      {"top -b --cpu-hz 2G --sim demo --seconds 1", 2, "--cpu-hz: only with TRACE"},
      {"top -b --verdicts -" + trace, 2, "--verdicts: stdout shows the table"},
      {"top -b --format csv" + trace, 2, "--format"},
      {"top -b --cpu-hz 2G " + temp_path("missing.xtr"), 1, "missing.xtr"},
      {"top -b --model " + temp_path("missing.json") + trace, 1, "missing.json"},
  };
  for (const Case& c : cases) {
    Result r = run(c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << c.args;
    EXPECT_EQ(lines(r.err), 1u) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << "\n" << r.err;
  }
}

TEST(TopCli, HelpListsTop) {
  Result r = run("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("top "), std::string::npos) << r.out;
  r = run("top --help");
  EXPECT_EQ(r.status, 0);
  for (const char* flag : {"--batch", "--iterations", "--delay", "--sort", "--reverse", "--sim", "--model"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << "\n" << r.out;
}

// The full-screen view on a pseudo-terminal: raw while it runs, its
// settings back and the alternate screen left on every way out (q, Ctrl-C
// as a key, SIGTERM, -i frames done).
struct PtyRun {
  std::string out;
  int status = -1;
  bool raw_while_running = false;
  bool restored = false;
};

PtyRun run_on_pty(const std::string& args, const std::string& keys, int signal_to_send) {
  PtyRun pr;
  int master = -1, slave = -1;
  struct winsize ws = {30, 150, 0, 0};
  if (openpty(&master, &slave, nullptr, nullptr, &ws) != 0) return pr;
  struct termios before;
  tcgetattr(slave, &before);
  const pid_t pid = fork();
  if (pid == 0) {
    close(master);
    login_tty(slave);
    execl("/bin/sh", "sh", "-c", (std::string("exec ") + VTRACE_BIN + " " + args).c_str(), (char*)nullptr);
    _exit(127);
  }
  auto read_some = [&](int ms) {
    struct pollfd p = {master, POLLIN, 0};
    if (poll(&p, 1, ms) > 0) {
      char buf[4096];
      const ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) pr.out.append(buf, size_t(n));
    }
  };
  // Until the first frame is on the screen (or 60 s).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (pr.out.find("domains:") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    read_some(100);
  struct termios during;
  tcgetattr(master, &during);
  pr.raw_while_running = (during.c_lflag & (ICANON | ECHO | ISIG)) == 0;
  if (!keys.empty()) {
    EXPECT_EQ(write(master, keys.data(), keys.size()), ssize_t(keys.size()));
  }
  if (signal_to_send) kill(pid, signal_to_send);
  int st = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (waitpid(pid, &st, WNOHANG) == 0) {
    read_some(50);
    if (std::chrono::steady_clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      break;
    }
  }
  read_some(50);
  pr.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  struct termios after;
  tcgetattr(master, &after);
  pr.restored = after.c_lflag == before.c_lflag && after.c_iflag == before.c_iflag;
  close(master);
  close(slave);
  return pr;
}

TEST(TopCli, FullScreenRestoresTheTerminalOnEveryWayOut) {
  struct Case {
    const char* how;
    std::string args, keys;
    int sig;
  };
  const Case cases[] = {
      {"q", "top --sim demo,speed=4", "q", 0},
      {"Ctrl-C", "top --sim demo,speed=4 --sort cpu", "\x03", 0},
      {"SIGTERM", "top --sim demo,speed=4", "", SIGTERM},
      {"SIGINT", "top --sim demo,speed=4", "", SIGINT},
      {"-i", "top --sim demo,speed=4 -i 20", "", 0},
  };
  for (const Case& c : cases) {
    const PtyRun pr = run_on_pty(c.args, c.keys, c.sig);
    EXPECT_EQ(pr.status, 0) << c.how << "\n" << pr.out;
    EXPECT_TRUE(pr.raw_while_running) << c.how;
    EXPECT_TRUE(pr.restored) << c.how;
    const size_t entered = pr.out.find("\x1b[?1049h"), left = pr.out.find("\x1b[?1049l");
    EXPECT_NE(entered, std::string::npos) << c.how;
    EXPECT_NE(left, std::string::npos) << c.how;
    EXPECT_LT(entered, left) << c.how;
    EXPECT_NE(pr.out.find("vtrace top - simulated Xen"), std::string::npos) << c.how << "\n" << pr.out;
    EXPECT_NE(pr.out.find("DOMID NAME"), std::string::npos) << c.how;
    // After the screen is left: the run's closing line, on the normal screen.
    EXPECT_NE(pr.out.find("records", left), std::string::npos) << c.how << "\n" << pr.out.substr(left);
  }
}

}  // namespace
