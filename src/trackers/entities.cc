#include "src/trackers/entities.h"

namespace vt {

const char* vstate_name(int s) {
  switch (s) {
    case kRunning: return "running";
    case kRunnable: return "runnable";
    case kBlocked: return "blocked";
    case kOffline: return "offline";
    case kLost: return "lost";
    case kInit: return "init";
  }
  return "?";
}

const char* count_name(int c) {
  static const char* const kNames[kNumCounts] = {"exec_count",      "wakes",
                                                 "blocks",          "sleeps",
                                                 "yields",          "continue_running",
                                                 "infcont",         "hypercalls",
                                                 "traps",           "page_faults",
                                                 "pv_other",        "guest_switches",
                                                 "slice_ns",        "slices",
                                                 "waited_ns",       "inconsistent",
                                                 "lost_hits",       "hvm_records",
                                                 "hvm_exits",       "exits_intr",
                                                 "exits_intr_user", "exits_intr_window",
                                                 "exits_hlt",       "exits_vmcall",
                                                 "exits_msr",       "exits_io",
                                                 "exits_npf",       "exits_rdtsc",
                                                 "inj_virq",        "eoi_writes"};
  return c >= 0 && c < kNumCounts ? kNames[c] : "?";
}

const char* domain_count_name(int c) {
  static const char* const kNames[kNumDomainCounts] = {"grant_map", "grant_unmap", "grant_transfer",
                                                       "blind_ticks"};
  return c >= 0 && c < kNumDomainCounts ? kNames[c] : "?";
}

uint32_t DomainTable::create(uint32_t domid, uint64_t tsc, bool added) {
  if (generations_.size() <= domid) generations_.resize(xt::kMaxDomid + 1, 0);
  Domain d;
  d.domid = uint16_t(domid);
  d.generation = generations_[domid]++;
  d.created_in_trace = added;
  d.created_tsc = tsc;
  domains.push_back(std::move(d));
  const uint32_t idx = uint32_t(domains.size() - 1);
  by_domid_[domid] = idx;
  return idx;
}

uint32_t DomainTable::create_vcpu(uint32_t d, uint32_t id) {
  Domain& dom = domains[d];
  if (dom.vcpus.size() <= id) dom.vcpus.resize(id + 1, kNone);
  Vcpu v;
  v.domain = d;
  v.domid = dom.domid;
  v.id = uint16_t(id);
  vcpus.push_back(std::move(v));
  dom.vcpus[id] = uint32_t(vcpus.size() - 1);
  return dom.vcpus[id];
}

uint32_t DomainTable::on_add(uint32_t domid, uint64_t tsc) {
  if (domid > xt::kMaxDomid) {
    ++stats[Stat::bad_ids];
    return kNone;
  }
  const uint32_t cur = by_domid_[domid];
  if (cur == kNone) {
    create(domid, tsc, true);
    return kNone;
  }
  Domain& old = domains[cur];
  if (old.removed) {
    create(domid, tsc, true);
    return kNone;
  }
  if (old.created_in_trace) return kNone;  // the second record of one creation
  old.removed = true;                      // an older domain whose removal the trace missed
  old.removed_tsc = tsc;
  create(domid, tsc, true);
  return cur;
}

void DomainTable::on_remove(uint32_t domid, uint64_t tsc) {
  const uint32_t d = domain(domid, tsc);
  if (d == kNone) {
    ++stats[Stat::bad_ids];
    return;
  }
  if (!domains[d].removed) {
    domains[d].removed = true;
    domains[d].removed_tsc = tsc;
  }
}

}  // namespace vt
