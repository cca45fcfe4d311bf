// Runstate tracker: each vCPU's time in running / runnable / blocked /
// offline (and "lost", after lost records) from TRC_SCHED_RUNSTATE_CHANGE,
// and which vCPU runs on each pCPU (for PV attribution).
//
// Conventions, chosen to match xenalyze --summary (docs/xenalyze.md):
// - A vCPU counts no time until it is first seen entering running (kInit
//   until then). If that first sight is running->running (CONTINUE_RUNNING),
//   it has been running since its pCPU's first record.
// - CONTINUE_RUNNING ends one running stint and starts the next.
// - An interval is charged to the state the vCPU was in by our own tracking;
//   a change whose old state disagrees is counted as inconsistent and the
//   vCPU takes the new state.
// - After lost records a vCPU is kLost until its next runstate change.
// - Stints count only intervals of non-zero length.
// Time is charged lazily: on each change, at sample boundaries
// (runstate_flush) and at the end of the trace (runstate_end).
#pragma once

#include <cstdint>

#include "src/trackers/entities.h"

namespace vt {

// Charges v's current state up to tsc and restarts the interval there.
inline void runstate_charge(Vcpu& v, uint64_t tsc) {
  if (v.state == kInit) return;
  if (tsc > v.since) {
    v.c.cycles[v.state] += tsc - v.since;
    v.since = tsc;
  }
}

// Ends v's current stint at tsc (charging it) and starts `next` there.
void runstate_enter(Vcpu& v, VState next, uint64_t tsc);

// TRC_SCHED_RUNSTATE_CHANGE written on `cpu` at `tsc`.
void runstate_change(DomainTable& t, uint32_t cpu, uint64_t tsc, uint32_t event, uint32_t packed);

// The vCPU's state is unknown from first_tsc (when its pCPU began losing
// records; not before the part already charged) up to its next change.
void runstate_mark_lost(DomainTable& t, uint32_t vcpu, uint64_t first_tsc, uint64_t tsc);

// Charges every vCPU of live domains up to `tsc` (a sample boundary).
void runstate_flush(DomainTable& t, uint64_t tsc);

// A gap in the trace (a TSC jump): nothing is charged before `tsc`.
void runstate_skip_to(DomainTable& t, uint64_t tsc);

// How the open intervals are closed when the trace ends.
enum class EndRule {
  kTraceEnd,  // every vCPU's open interval is charged up to the last TSC
  kXenalyze,  // as xenalyze: each pCPU's running vCPU is charged up to that
              // pCPU's last record; every other open interval is dropped
};
void runstate_end(DomainTable& t, uint64_t last_tsc, EndRule rule);

// DOM_REM: the domain's vCPUs stop accruing at `tsc`.
void runstate_close_domain(DomainTable& t, uint32_t domain, uint64_t tsc);

}  // namespace vt
