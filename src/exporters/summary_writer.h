// Summary exporter: whole-trace totals per vCPU (vtrace summary), as a
// table, CSV (the columns are part of vtrace's interface) or JSON.
#pragma once

#include <cstdio>
#include <string>

#include "src/exporters/format.h"
#include "src/trackers/trackers.h"
#include "src/util/stats.h"

namespace vt {

// The CSV header of `vtrace summary --format csv`.
extern const char* const kSummaryCsvHeader;

struct RunInfo {
  std::string path;
  double cpu_hz = 0;
  bool cpu_hz_assumed = false;
  bool include_idle = false;
  std::string fault;  // "path: byte N: what", empty if none
};

// The figures of `t`; `stats` are the run's (Stat::records_read is the
// record count; the table format notes every non-zero statistic that is
// not kInfo).
void write_summary(std::FILE* out, Format f, const Trackers& t, const Stats& stats, const RunInfo& info);

}  // namespace vt
