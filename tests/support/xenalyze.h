// Test support: runs Debian's xenalyze --summary on a trace and parses the
// per-vCPU runstate lines, PV hypercall counts and HVM exit reasons it prints.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace vt::test {

struct XenalyzeVcpu {
  // State name -> {count, total cycles = count * average cycles}.
  std::map<std::string, std::pair<uint64_t, double>> states;
  uint64_t hypercalls = 0;
  // HVM vCPUs (--svm-mode): exits by reason, named without "VMEXIT_".
  std::map<std::string, uint64_t> exits;
};

// Key: {domid, vcpu}. Returns false with a reason if xenalyze cannot run.
// `svm`: pass --svm-mode (xenalyze reads AMD traces only so).
bool run_xenalyze_summary(const std::string& trace, const std::string& cpu_hz,
                          std::map<std::pair<int, int>, XenalyzeVcpu>* out, std::string* err,
                          bool svm = false);

}  // namespace vt::test
