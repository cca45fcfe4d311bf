// Dump exporter (vtrace dump): one decoded line per record, in merged TSC
// order, in the spirit of xenalyze --dump-all:
//   <seconds since trace start> cpu<N> @<file offset> <event id> <name> <fields>
// PV and HVM records show the vCPU they are attributed to.
#pragma once

#include <cstdio>

#include "src/trackers/entities.h"
#include "xentrace/record.h"

namespace vt {

void write_dump_line(std::FILE* out, double t_s, uint32_t cpu, uint64_t offset, const xt::Record& r,
                     const DomainTable& table);

}  // namespace vt
