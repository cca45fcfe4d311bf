// Grant-table tracker: xenmon's I/O count (GRANT_TRANSFER, page flips,
// payload = receiving domid) and the modern proxy, GRANT_MAP / GRANT_UNMAP
// (payload = granting domid; written on the mapping domain's CPU, usually a
// dom0 backend, so they are counted for the domain the payload names).
#pragma once

#include "src/trackers/entities.h"

namespace vt {

inline void mem_grant(DomainTable& t, uint32_t event, uint32_t domid, uint64_t tsc) {
  const uint32_t d = t.domain(domid, tsc);
  if (d == kNone) {
    ++t.stats[Stat::bad_ids];
    return;
  }
  uint64_t* n = t.domains[d].c.n;
  if (event == TRC_MEM_PAGE_GRANT_MAP)
    ++n[kGrantMap];
  else if (event == TRC_MEM_PAGE_GRANT_UNMAP)
    ++n[kGrantUnmap];
  else
    ++n[kGrantTransfer];
}

}  // namespace vt
