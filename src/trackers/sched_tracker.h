// Scheduler event tracker: per-vCPU counts of wakes, blocks, sleeps, yields,
// CONTINUE_RUNNING and SWITCH_INFCONT, and xenmon's "allocated" and
// "waited" figures from SWITCH_INFNEXT, read at Xen 4.17's positions
// ([dom, unit, waited_ns, slice_ns]; xenbaked still reads the 3.x ones).
// With the default sched-gran=cpu a unit id is the vCPU id.
#pragma once

#include "src/trackers/entities.h"

namespace vt {

// WAKE / BLOCK / SLEEP / YIELD carry [domid, vcpuid]; CONTINUE_RUNNING one
// packed dom:vcpu word.
inline void sched_count(DomainTable& t, uint32_t domid, uint32_t vcpu, uint64_t tsc, Count which) {
  const uint32_t vi = t.vcpu(domid, vcpu, tsc);
  if (vi == kNone) {
    ++t.stats[Stat::bad_ids];
    return;
  }
  ++t.vcpus[vi].c.n[which];
}

// SWITCH_INFNEXT [next_dom, next_unit, waited_ns (u32), slice_ns (-1 = no limit)].
inline void sched_infnext(DomainTable& t, uint32_t domid, uint32_t unit, uint32_t waited_ns,
                          uint32_t slice_ns, uint64_t tsc) {
  const uint32_t vi = t.vcpu(domid, unit, tsc);
  if (vi == kNone) {
    ++t.stats[Stat::bad_ids];
    return;
  }
  uint64_t* n = t.vcpus[vi].c.n;
  n[kWaitedNs] += waited_ns;
  if (slice_ns != xt::kNoSliceLimit) {
    n[kSliceNs] += slice_ns;
    ++n[kSlices];
  }
}

}  // namespace vt
