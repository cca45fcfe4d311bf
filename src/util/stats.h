// Statistics: every counter vtrace keeps about a run (records read,
// filtered, merged, lost; faults in the data; the live path's troubles) is
// declared once, in VTRACE_STATS below, with its unit, severity and a
// one-line description. Stages count into a Stats (a plain array indexed by
// Stat); commands print from the table (summary notes, --stats, the end of
// `vtrace run`), so a new counter is one line here and shows everywhere.
//
// Severity says who should hear of a non-zero value: kInfo only on request
// (--stats); kDataLoss and kError whenever a command reports on a run (the
// figures around it are incomplete, or the input is malformed).
//
// Stats are counts (integers); times are in nanoseconds.
#pragma once

#include <cstdint>

namespace vt {

enum class Severity : uint8_t { kInfo, kDataLoss, kError };

// X(name, severity, unit, description). The description follows the count
// in a sentence: "<count> <description>".
#define VTRACE_STATS(X)                                                                                  \
  /* Sources: xentrace files and live rings. */                                                          \
  X(records_read, kInfo, "records", "records read (every class; WRAP padding not counted)")              \
  X(records_filtered, kInfo, "records", "records of classes no tracker reads, dropped unread")           \
  X(wrap_records, kInfo, "records", "TRC_TRACE_WRAP_BUFFER padding records skipped")                     \
  X(windows, kInfo, "windows", "xentrace windows (CPU-change records) read")                             \
  X(ring_bytes, kInfo, "bytes", "bytes read from the hypervisor's rings")                                \
  X(ring_drains, kInfo, "drains", "reads of a hypervisor ring")                                          \
  X(backlog_bytes, kInfo, "bytes", "bytes older than the session's start, skipped")                      \
  X(ring_stalls, kInfo, "drains", "ring reads that found no free chunk (the rest waited in the ring)")   \
  X(bogus_ring_states, kError, "events", "times a ring's prod or cons was out of range or inconsistent") \
  X(ring_resyncs, kDataLoss, "events", "rings resynchronised after a bogus cons or span")                \
  X(resync_dropped_bytes, kDataLoss, "bytes", "unread bytes dropped by resynchronisations")              \
  X(bad_chunks, kError, "events",                                                                        \
    "reads cut short by a record running past what the ring had written (the rest was skipped)")         \
  X(left_in_rings, kDataLoss, "bytes",                                                                   \
    "bytes left unread in the rings at exit (a CPU held the merge while the others' chunks were full)")  \
  X(foreign_cons, kDataLoss, "events",                                                                   \
    "drains found a ring's cons moved by another reader (its records went there; every domain was "      \
    "unknown until the rings were ours again)")                                                          \
  /* Sorter. */                                                                                          \
  X(records_merged, kInfo, "records", "records merged in TSC order and tracked")                         \
  X(tsc_backwards, kError, "records", "records had a TSC below their CPU's previous one (raised to it)") \
  X(late, kDataLoss, "records",                                                                          \
    "records came after the merge had passed their time (a CPU's clock or its records in flight "        \
    "lagged more than the slack); each was counted at the merge's time")                                 \
  /* Trackers. */                                                                                        \
  X(pv_records, kInfo, "records", "PV-class records")                                                    \
  X(pv_unattributed, kDataLoss, "records",                                                               \
    "PV records on a pCPU with no known running vCPU (not attributed)")                                  \
  X(hvm_records, kInfo, "records", "HVM-class records (HVM and PVH guests)")                             \
  X(hvm_unattributed, kDataLoss, "records",                                                              \
    "HVM records on a pCPU with no known running vCPU (not attributed)")                                 \
  X(unknown_class, kError, "records", "records of classes Xen 4.17 does not define")                     \
  X(short_payload, kError, "records", "records with fewer payload words than Xen writes (ignored)")      \
  X(bad_ids, kError, "records", "records naming impossible domain or vCPU ids (ignored)")                \
  X(lost_records, kDataLoss, "records", "records lost by the hypervisor (TRC_LOST_RECORDS counts)")      \
  X(lost_reports, kInfo, "records", "TRC_LOST_RECORDS records")                                          \
  X(lost_before_start, kInfo, "records",                                                                 \
    "records the hypervisor lost before vtrace began reading (its rings were full with nobody reading: " \
    "no domain blinded)")                                                                                \
  /* Samples. */                                                                                         \
  X(periods, kInfo, "periods", "sample periods closed")                                                  \
  X(tsc_jumps, kError, "events",                                                                         \
    "jumps of more than an hour's worth of periods in trace time (the empty periods were skipped)")      \
  /* The live runtime. */                                                                                \
  X(samples_dropped, kDataLoss, "samples", "samples dropped: the classifier's queue was full")           \
  X(silences, kDataLoss, "events", "spells without a record from any CPU (the detector was blind)")      \
  X(shared_spells, kDataLoss, "events",                                                                  \
    "spells in which another reader moved the rings' cons (the detector judged no domain)")              \
  X(domain_info_failures, kError, "periods",                                                             \
    "periods judged without the host's domain info (it could not be read: states from the trace only)")  \
  /* The detector's actions. */                                                                          \
  X(actions_taken, kInfo, "actions", "actions carried out (or, under --dry-run, that would have been)")  \
  X(actions_held, kInfo, "actions",                                                                      \
    "actions held by the guard (young domain, cooldown, never-act, gone, host-wide alarm)")              \
  X(host_alarms, kError, "events",                                                                       \
    "host-wide alarms (too many actions or faulty guests within 60 s: every action was held)")           \
  X(consumer_cpu_ns, kInfo, "ns", "CPU time of the consumer and tracker threads")                        \
  X(dom0_cpu_ns, kInfo, "ns",                                                                            \
    "CPU time Xen charged dom0 over the run (all of dom0, vtrace included; live, from the domain info)") \
  X(wall_ns, kInfo, "ns", "wall time of the run")

// Stat::records_read, Stat::late, ...
enum class Stat : uint16_t {
#define VTRACE_STAT_ENUM(name, sev, unit, desc) name,
  VTRACE_STATS(VTRACE_STAT_ENUM)
#undef VTRACE_STAT_ENUM
};
#define VTRACE_STAT_ONE(name, sev, unit, desc) +1
constexpr int kNumStats = 0 VTRACE_STATS(VTRACE_STAT_ONE);
#undef VTRACE_STAT_ONE

struct StatInfo {
  const char* name;
  Severity severity;
  const char* unit;
  const char* description;
};
const StatInfo& stat_info(Stat s);
const char* severity_name(Severity s);  // "info", "data_loss", "error"

struct Stats {
  uint64_t v[kNumStats] = {};
  uint64_t& operator[](Stat s) { return v[int(s)]; }
  uint64_t operator[](Stat s) const { return v[int(s)]; }
  Stats& operator+=(const Stats& o) {
    for (int i = 0; i < kNumStats; ++i) v[i] += o.v[i];
    return *this;
  }
};

}  // namespace vt
