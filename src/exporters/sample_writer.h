// Sample exporter: the per-period samples of `vtrace replay`, one row per
// domain (or per vCPU with per_vcpu) per period, as CSV (the dataset format
// of docs/dataset.md), JSON lines or a table. Columns come from the
// trackers' counter lists, so a new counter appears everywhere at once.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "src/exporters/format.h"
#include "src/samples/sample.h"

namespace vt {

class SampleWriter {
 public:
  SampleWriter(std::FILE* out, Format f, bool per_vcpu, double cpu_hz)
      : out_(out), f_(f), per_vcpu_(per_vcpu), hz_(cpu_hz) {}
  void write(const std::vector<DomainSample>& period);
  // The CSV header line (without newline) for the chosen row kind.
  static std::string csv_header(bool per_vcpu);

 private:
  void row(const DomainSample& s, const VcpuCounters& c, int vcpu);
  std::FILE* out_;
  Format f_;
  bool per_vcpu_;
  double hz_;
  bool header_done_ = false;
};

}  // namespace vt
