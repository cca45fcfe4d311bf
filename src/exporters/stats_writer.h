// Statistics as the commands print them, from the one table
// (src/util/stats.h): notes (every non-zero statistic that is not kInfo, as
// "<prefix><count> <description>") wherever a command reports on a run, and
// the whole table on request (--stats).
#pragma once

#include <cstdio>

#include "src/util/stats.h"

namespace vt {

void write_stat_notes(std::FILE* out, const Stats& s, const char* prefix);

// One line per statistic: name, value, unit, severity, description.
void write_stats_table(std::FILE* out, const Stats& s);

}  // namespace vt
