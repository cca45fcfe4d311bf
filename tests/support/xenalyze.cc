#include "tests/support/xenalyze.h"

#include <cstdio>
#include <regex>
#include <sstream>

namespace vt::test {

bool run_xenalyze_summary(const std::string& trace, const std::string& cpu_hz,
                          std::map<std::pair<int, int>, XenalyzeVcpu>* out, std::string* err, bool svm) {
  const std::string cmd = std::string("xenalyze --summary ") + (svm ? "--svm-mode " : "") +
                          "--cpu-hz=" + cpu_hz + " '" + trace + "' 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    *err = "cannot run: " + cmd;
    return false;
  }
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  const int rc = pclose(p);
  if (rc != 0 || text.find("Total time") == std::string::npos) {
    *err = "xenalyze failed (status " + std::to_string(rc) + "); is xen-utils-common installed?";
    return false;
  }
  static const std::regex domain_re(R"(^\|-- Domain (\d+) --\|)");
  static const std::regex vcpu_re(R"(^-- v(\d+) --)");
  static const std::regex state_re(
      R"(^\s+(running|runnable|blocked|offline|lost):\s+(\d+)\s+[\d.]+s\s+(\d+))");
  static const std::regex hcall_re(R"(^\s+hypercall\s+(\d+)\s*$)");
  // " VMEXIT_INTR   9481  0.84s ..." under "Exit reasons:" (handler lines are indented further)
  static const std::regex exit_re(R"(^ VMEXIT_(\S+)\s+(\d+)\s)");
  std::istringstream in(text);
  std::string line;
  int dom = -1, vcpu = -1;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, domain_re)) {
      dom = std::stoi(m[1]);
      vcpu = -1;
    } else if (std::regex_search(line, m, vcpu_re)) {
      vcpu = std::stoi(m[1]);
    } else if (vcpu >= 0 && std::regex_search(line, m, state_re)) {
      const uint64_t count = std::stoull(m[2]);
      (*out)[{dom, vcpu}].states[m[1]] = {count, double(count) * std::stod(m[3])};
    } else if (vcpu >= 0 && std::regex_search(line, m, hcall_re)) {
      (*out)[{dom, vcpu}].hypercalls = std::stoull(m[1]);
    } else if (vcpu >= 0 && std::regex_search(line, m, exit_re)) {
      (*out)[{dom, vcpu}].exits[m[1]] += std::stoull(m[2]);
    }
  }
  return !out->empty();
}

}  // namespace vt::test
