#include "src/cli/options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace vt {

bool parse_hz(const std::string& s, double* hz, std::string* err) {
  const std::string bad = "--cpu-hz: '" + s + "' is not a frequency (Hz, or a number with K, M or G)";
  if (s.empty()) {
    *err = bad;
    return false;
  }
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || errno != 0 || !std::isfinite(v)) {
    *err = bad;
    return false;
  }
  std::string suffix(end);
  if (suffix == "G" || suffix == "g") v *= 1e9;
  else if (suffix == "M" || suffix == "m") v *= 1e6;
  else if (suffix == "K" || suffix == "k") v *= 1e3;
  else if (!suffix.empty()) {
    *err = bad;
    return false;
  }
  if (!(v >= 1e6 && v <= 1e11)) {
    *err = "--cpu-hz: " + s + " is outside 1 MHz .. 100 GHz";
    return false;
  }
  *hz = v;
  return true;
}

bool parse_cpu_list(const std::string& s, std::vector<uint32_t>* cpus, std::string* err) {
  cpus->clear();
  auto number = [&](const std::string& t, uint32_t* out) {
    if (t.empty() || t.size() > 5 || t.find_first_not_of("0123456789") != std::string::npos)
      return false;
    *out = uint32_t(std::strtoul(t.c_str(), nullptr, 10));
    return *out < 4096;
  };
  size_t pos = 0;
  if (s.empty()) {
    *err = "--cpus: empty CPU list";
    return false;
  }
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    const std::string item = s.substr(pos, comma - pos);
    const size_t dash = item.find('-');
    uint32_t a, b;
    bool ok = dash == std::string::npos ? number(item, &a) && (b = a, true)
                                        : number(item.substr(0, dash), &a) &&
                                              number(item.substr(dash + 1), &b) && a <= b;
    if (!ok) {
      *err = "--cpus: '" + item + "' in '" + s + "' is not a CPU number (0..4095) or range a-b";
      return false;
    }
    for (uint32_t c = a; c <= b; ++c) cpus->push_back(c);
    pos = comma + 1;
  }
  std::sort(cpus->begin(), cpus->end());
  cpus->erase(std::unique(cpus->begin(), cpus->end()), cpus->end());
  return true;
}

}  // namespace vt
