// Who a domain is, beyond its domid: its name (xenstore's
// /local/domain/<domid>/name) and its UUID (the hypervisor's domain
// handle), as the live path learns them (src/runtime/domain_directory.h)
// and the verdict lines, metrics and tables print them. Either may be
// empty: not known (a trace file, no xenstore).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

namespace vt {

struct DomainId {
  std::string name;
  std::string uuid;  // 8-4-4-4-12 lower-case hex, or ""
};

// The handle as xl prints it; "" for all zeros (a host that does not say).
inline std::string format_uuid(const std::array<uint8_t, 16>& u) {
  bool zero = true;
  for (uint8_t b : u) zero = zero && b == 0;
  if (zero) return "";
  char s[37];
  std::snprintf(s, sizeof s, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
                u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                u[15]);
  return s;
}

}  // namespace vt
