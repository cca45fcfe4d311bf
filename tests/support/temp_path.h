// Temporary files for tests. ctest runs every test as its own process, in
// parallel: a fixed name under testing::TempDir() is shared by whichever
// tests run at the same time (two of them once truncated each other's
// verdicts file). Every name made here carries the process id, so no two
// test processes share one; the files are removed when the process exits.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace vt::test {

inline std::string temp_path(const std::string& name) {
  static std::vector<std::string> made;  // constructed before the handler is registered: outlives it
  static const bool cleanup = std::atexit([] {
                                for (const std::string& f : made) std::remove(f.c_str());
                              }) == 0;
  (void)cleanup;
  made.push_back(std::string(testing::TempDir()) + "/vtrace_test_" + std::to_string(getpid()) + "_" + name);
  return made.back();
}

// A folder of this process's own, for files that name each other by a
// relative path (a labels file and its sample files); removed at exit.
inline std::string temp_dir() {
  static const std::string dir = [] {
    const std::string d = temp_path("dir");
    std::filesystem::create_directories(d);
    return d;
  }();
  static const bool cleanup = std::atexit([] {
                                std::error_code ec;
                                std::filesystem::remove_all(dir, ec);
                              }) == 0;
  (void)cleanup;
  return dir;
}

}  // namespace vt::test
