#include "src/exporters/stats_writer.h"

namespace vt {

void write_stat_notes(std::FILE* out, const Stats& s, const char* prefix) {
  for (int i = 0; i < kNumStats; ++i) {
    const StatInfo& si = stat_info(Stat(i));
    if (si.severity != Severity::kInfo && s.v[i] != 0)
      std::fprintf(out, "%s%llu %s\n", prefix, (unsigned long long)s.v[i], si.description);
  }
}

void write_stats_table(std::FILE* out, const Stats& s) {
  std::fprintf(out, "%-22s %14s %-8s %-9s %s\n", "statistic", "value", "unit", "severity", "description");
  for (int i = 0; i < kNumStats; ++i) {
    const StatInfo& si = stat_info(Stat(i));
    std::fprintf(out, "%-22s %14llu %-8s %-9s %s\n", si.name, (unsigned long long)s.v[i], si.unit,
                 severity_name(si.severity), si.description);
  }
}

}  // namespace vt
