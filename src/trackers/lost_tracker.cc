#include "src/trackers/lost_tracker.h"

#include <algorithm>

#include "src/trackers/runstate_tracker.h"

namespace vt {
namespace {

void blind(DomainTable& t, uint32_t vi, uint64_t from, uint64_t to) {
  runstate_mark_lost(t, vi, from, to);
  Domain& d = t.domains[t.vcpus[vi].domain];
  if (d.blind_to == 0 || from > d.blind_to) {  // a new range; samples before it are out already
    d.blind_from = from;
    d.blind_to = to;
  } else {
    d.blind_from = std::min(d.blind_from, from);
    d.blind_to = std::max(d.blind_to, to);
  }
}

}  // namespace

void lost_records(DomainTable& t, uint32_t cpu, uint64_t tsc, uint32_t count, uint32_t named,
                  uint64_t first_tsc) {
  Pcpu& p = t.pcpu(cpu);
  ++p.lost_reports;
  ++t.stats[Stat::lost_reports];
  if (first_tsc > tsc) first_tsc = tsc;  // a corrupt first_tsc must not widen the range forward
  if (t.reading_since != 0 && first_tsc < t.reading_since) {  // lost before we read: not ours to judge
    t.stats[Stat::lost_before_start] += count;
    p.current = t.vcpu(xt::lost_domid(named), xt::lost_vcpu(named), tsc);
    return;
  }
  p.lost_records += count;
  t.stats[Stat::lost_records] += count;
  if (p.current != kNone) blind(t, p.current, first_tsc, tsc);
  // Xen packs this word domid-low, vcpu-high (the reverse of runstate
  // records). That vCPU is the one running here now: PV records that follow
  // are its own, though its runstate is unknown until its next change.
  const uint32_t vi = t.vcpu(xt::lost_domid(named), xt::lost_vcpu(named), tsc);
  if (vi != kNone && vi != p.current) blind(t, vi, first_tsc, tsc);
  p.current = vi;
}

}  // namespace vt
