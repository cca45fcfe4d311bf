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
#include "src/util/stats.h"
#include "src/util/status.h"

namespace vt {

// Records for `seconds` of wall time (0: until *stop), counting into *st
// (Stat::records_read, windows, ring_bytes, lost_records, bogus_ring_states,
// ring_resyncs, resync_dropped_bytes). kIoError on a write error.
Status record_trace(LiveSession* s, std::FILE* out, double seconds, double poll_ms,
                    const std::atomic<bool>* stop, Stats* st);

}  // namespace vt
