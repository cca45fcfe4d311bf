// The bundled real traces (tests/data/README.md) and the TSC rate of the
// host each was recorded on, named once for every test.
#pragma once

#include <string>

namespace vt::test {

// xen417-dom0-all-10s.xtr, xen417-busy-guest-sched-10s.xtr (and the
// compressed copies): the 2026 lab host under QEMU.
constexpr double kBundledHz = 2.445406e9;
inline const char* const kBundledHzArg = "2.445406G";
// xen417-lab-e004-head.xtr.
constexpr double kLabHeadHz = 2.299998e9;
inline const char* const kLabHeadHzArg = "2.299998G";
// The lab data set's raw traces (tests/detector/lab/traces, labels.csv's cpu_hz).
inline const char* const kLabDataSetHzArg = "2.299997G";

inline std::string data_path(const std::string& name) { return std::string(VTRACE_TEST_DATA) + "/" + name; }
inline const std::string kDom0Trace = data_path("xen417-dom0-all-10s.xtr");
inline const std::string kBusyTrace = data_path("xen417-busy-guest-sched-10s.xtr");
inline const std::string kLabHeadTrace = data_path("xen417-lab-e004-head.xtr");

}  // namespace vt::test
