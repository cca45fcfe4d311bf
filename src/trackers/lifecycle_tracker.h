// Lifecycle tracker: what the trace says of a domain's life besides its
// runstates. TRC_SCHED_SHUTDOWN [domid, vcpu, reason] is written when a
// guest asks to stop (xen/common/sched/core.c, SCHEDOP_shutdown: poweroff,
// reboot, suspend for a save, crash, watchdog); Xen then pauses its vCPUs
// and the toolstack destroys, saves or keeps it (on_crash = "preserve").
// DOM_ADD and DOM_REM are the DomainTable's (entities.h); a pause shows as
// every vCPU offline (the sampler's DomainState, sample.h).
//
// TRC_SCHED_SHUTDOWN_CODE only records the code a later shutdown will carry
// (kexec's crash path): no state changes with it.
#pragma once

#include "src/trackers/entities.h"

namespace vt {

inline void domain_shutdown(DomainTable& t, uint32_t domid, uint32_t reason, uint64_t tsc) {
  const uint32_t d = t.domain(domid, tsc);
  if (d == kNone) {
    ++t.stats[Stat::bad_ids];
    return;
  }
  Domain& dom = t.domains[d];
  // Xen shuts the domain down whatever the reason says; one it does not
  // define is kept as "unknown" (shutdown_reason_name), never as none.
  dom.shutdown = uint8_t(reason < xt::kNoShutdown ? reason : xt::kNoShutdown - 1);
  dom.shutdown_tsc = tsc;
}

}  // namespace vt
