#include "src/util/parse.h"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace vt {

Status parse_hz(const std::string& s, double* hz) {
  const Status bad =
      Status::InvalidArgument("'" + s + "' is not a frequency (Hz, or a number with K, M or G)");
  if (s.empty()) return bad;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || errno != 0 || !std::isfinite(v)) return bad;
  const std::string suffix(end);
  if (suffix == "G" || suffix == "g")
    v *= 1e9;
  else if (suffix == "M" || suffix == "m")
    v *= 1e6;
  else if (suffix == "K" || suffix == "k")
    v *= 1e3;
  else if (!suffix.empty())
    return bad;
  if (!(v >= 1e6 && v <= 1e11)) return Status::InvalidArgument(s + " is outside 1 MHz .. 100 GHz");
  *hz = v;
  return Status::Ok();
}

Status parse_cpu_list(const std::string& s, std::vector<uint32_t>* cpus) {
  cpus->clear();
  auto number = [](const std::string& t, uint32_t* out) {
    if (t.empty() || t.size() > 5 || t.find_first_not_of("0123456789") != std::string::npos) return false;
    *out = uint32_t(std::strtoul(t.c_str(), nullptr, 10));
    return *out < 4096;
  };
  if (s.empty()) return Status::InvalidArgument("empty CPU list");
  for (size_t pos = 0; pos <= s.size();) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    const std::string item = s.substr(pos, comma - pos);
    const size_t dash = item.find('-');
    uint32_t a = 0, b = 0;
    const bool ok = dash == std::string::npos
                        ? number(item, &a) && (b = a, true)
                        : number(item.substr(0, dash), &a) && number(item.substr(dash + 1), &b) && a <= b;
    if (!ok)
      return Status::InvalidArgument("'" + item + "' in '" + s +
                                     "' is not a CPU number (0..4095) or range a-b");
    for (uint32_t c = a; c <= b; ++c) cpus->push_back(c);
    pos = comma + 1;
  }
  std::sort(cpus->begin(), cpus->end());
  cpus->erase(std::unique(cpus->begin(), cpus->end()), cpus->end());
  return Status::Ok();
}

Status parse_event_mask(const std::string& s, uint32_t* mask) {
  char* end = nullptr;
  errno = 0;
  const unsigned long m = std::strtoul(s.c_str(), &end, 0);
  if (s.empty() || *end != '\0' || errno != 0 || m == 0 || m > 0x0fffffff)
    return Status::InvalidArgument("'" + s + "' is not an event mask (e.g. 0x0032f000)");
  *mask = uint32_t(m);
  return Status::Ok();
}

std::vector<uint32_t> allowed_cpus() {
  std::vector<uint32_t> r;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return r;
  for (uint32_t c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) r.push_back(c);
  return r;
}

Status check_cpus_allowed(const std::vector<uint32_t>& cpus) {
  const std::vector<uint32_t> allowed = allowed_cpus();
  for (uint32_t c : cpus)
    if (!std::binary_search(allowed.begin(), allowed.end(), c))
      return Status::InvalidArgument(
          "CPU " + std::to_string(c) +
          " is not one this process may run on (allowed: " + cpu_list_string(allowed) + ")");
  return Status::Ok();
}

std::string cpu_list_string(const std::vector<uint32_t>& cpus) {
  std::string s;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!s.empty()) s += ',';
    s += std::to_string(cpus[i]);
    if (j > i) s += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return s;
}

}  // namespace vt
