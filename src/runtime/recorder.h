// Recorder: `vtrace record`. Drains a LiveSession's rings into a
// xentrace-format file, one window per ring read, CPUs in increasing order
// on every pass (as xentrace does, so readers can tell passes apart). No
// sorting, no tracking: the bytes go to the file as Xen wrote them.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>

#include "src/source/live_source.h"

namespace vt {

struct RecordStats {
  uint64_t bytes = 0, windows = 0, records = 0;
  uint64_t lost_records = 0;  // reported by Xen in TRC_LOST_RECORDS
  uint64_t bogus = 0, resyncs = 0;
};

// Records for `seconds` of wall time (or until *stop). false on a write error.
bool record_trace(LiveSession* s, std::FILE* out, double seconds, double poll_ms,
                  const std::atomic<bool>* stop, RecordStats* st, std::string* err);

}  // namespace vt
