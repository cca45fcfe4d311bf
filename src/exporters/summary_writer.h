// Summary exporter: whole-trace totals per vCPU (vtrace summary), as a
// table, CSV (the columns are part of vtrace's interface) or JSON.
#pragma once

#include <cstdio>
#include <string>

#include "src/exporters/format.h"
#include "src/trackers/trackers.h"

namespace vt {

// The CSV header of `vtrace summary --format csv`.
extern const char* const kSummaryCsvHeader;

struct RunInfo {
  std::string path;
  double cpu_hz = 0;
  bool cpu_hz_assumed = false;
  uint64_t file_bytes = 0;
  uint64_t records = 0;  // records read from the file (those no tracker needs included)
  std::string fault;  // "path: byte N: what", empty if none
};

void write_summary(std::FILE* out, Format f, const Trackers& t, const RunInfo& info);

}  // namespace vt
