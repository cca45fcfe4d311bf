// Lost-records tracker. TRC_LOST_RECORDS [count, domid | vcpu << 16,
// first_tsc lo, hi] says that `count` records of this pCPU between
// first_tsc and the record's own TSC are gone. The vCPUs it blinds: the one
// running here when the loss began (our Pcpu::current) and the one Xen names
// (current when it wrote the record). Both go to state "lost" until their
// next runstate change, and their domains are not judged over
// [first_tsc, tsc]. Live, a loss that began before vtrace read the rings
// (DomainTable::reading_since) is counted apart and blinds nothing.
#pragma once

#include "src/trackers/entities.h"

namespace vt {

void lost_records(DomainTable& t, uint32_t cpu, uint64_t tsc, uint32_t count, uint32_t named,
                  uint64_t first_tsc);

}  // namespace vt
