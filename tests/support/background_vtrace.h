// vtrace running in the background, for the tests that signal it while it
// runs (SIGHUP): `exec`'d by the shell, so the pid is vtrace's own, with
// its standard output and error in files the test reads as they grow.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <thread>

#include "tests/support/temp_path.h"

namespace vt::test {

class BackgroundVtrace {
 public:
  explicit BackgroundVtrace(const std::string& args) {
    static int runs = 0;
    out_ = temp_path("bg_out_" + std::to_string(runs) + ".txt");
    err_ = temp_path("bg_err_" + std::to_string(runs++) + ".txt");
    const std::string cmd = "exec " + std::string(VTRACE_BIN) + " " + args + " >" + out_ + " 2>" + err_;
    pid_ = fork();
    if (pid_ == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~BackgroundVtrace() {
    if (pid_ > 0 && status_ < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string out() const { return read(out_); }
  std::string err() const { return read(err_); }
  bool running() {
    reap();
    return status_ < 0;
  }
  void signal(int sig) const { kill(pid_, sig); }
  // Polls standard error until it holds `text` (true), vtrace exits or the
  // time is up (false).
  bool wait_for_err(const std::string& text, double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (err().find(text) != std::string::npos) return true;
      if (!running()) return err().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // Its exit status (128 + signal), waiting up to `seconds` (then -1).
  int wait(double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (running() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return status_;
  }

 private:
  static std::string read(const std::string& path) {
    std::ifstream f(path);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  void reap() {
    if (pid_ <= 0 || status_ >= 0) return;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  pid_t pid_ = -1;
  int status_ = -1;
  std::string out_, err_;
};

}  // namespace vt::test
