// The vtrace binary as a user runs it, for the command-line tests: runs
// `vtrace ARGS` through the shell and captures its exit status, standard
// output and standard error.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "tests/support/temp_path.h"

namespace vt::test {

struct Result {
  int status = -1;  // exit status, or 128 + signal
  std::string out, err;
};

struct RunOptions {
  std::string feed;  // a shell command whose output is vtrace's standard input (a pipe)
  std::string env;   // "VAR=value ..." put before the command
  std::string cwd;   // run from this folder (default: the test's)
};

inline Result run_vtrace(const std::string& args, const RunOptions& o = {}) {
  static int calls = 0;
  const std::string errfile = temp_path("stderr_" + std::to_string(calls++) + ".txt");
  std::string cmd = o.cwd.empty() ? "" : "cd '" + o.cwd + "' && ";
  if (!o.feed.empty()) cmd += o.feed + " | ";
  cmd += o.env + " " + std::string(VTRACE_BIN) + " " + args + " 2>" + errfile;
  Result r;
  std::FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  {
    std::ifstream e(errfile);
    r.err.assign(std::istreambuf_iterator<char>(e), {});
  }
  std::remove(errfile.c_str());
  return r;
}

}  // namespace vt::test
