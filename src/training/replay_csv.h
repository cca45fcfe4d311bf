// Reads `vtrace replay --format csv` output (per-domain rows, docs/cli.md)
// back into SecondRows, the detector's common per-second record. Columns are
// found by name through the same name tables the writer loops over
// (vstate_name, count_name, domain_count_name), so a column added to the
// trackers is read here without change; extra columns are ignored. The HVM
// counts (hvm_records, hvm_exits) came later: a table without them reads
// them as 0 (it comes from a host without HVM or PVH guests); one without
// the state columns (kStateColumns, sample.h) reads every row as active.
//
// Bad input (missing column, per-vCPU file, wrong field count, a value that
// is not a non-negative number up to 1e12, t not a whole number) is
// kCorruption with one line "FILE: line N: what" (column named where it
// applies). Never reads outside the text it is given.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/detector/features.h"
#include "src/util/status.h"

namespace vt {

Status parse_replay_csv(std::string_view text, const std::string& name, std::vector<SecondRow>* rows);

// Splits one CSV line at commas (no quoting: vtrace's CSVs never quote).
void split_csv_line(std::string_view line, std::vector<std::string_view>* fields);

}  // namespace vt
