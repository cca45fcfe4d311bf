// The entities the trackers update: domains (a new generation each time a
// domid is reused), their vCPUs and the physical CPUs. Plain structs with
// monotonically growing counters; a sample is the difference of two
// snapshots, so every figure is counted in exactly one place.
//
// DomainTable owns them and maps (domid, vcpu id) to stable indices. Lookups
// are two array reads; a vCPU or domain is allocated only the first time it
// is seen, never per record.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "src/util/stats.h"
#include "xentrace/events.h"
#include "xentrace/hvm_exits.h"

namespace vt {

constexpr uint32_t kNone = 0xffffffffu;
constexpr uint32_t kMaxVcpuId = 4095;  // larger ids in a payload are treated as corrupt

// A vCPU's state as the trace shows it. kInit: not yet seen running; as in
// xenalyze, no time is counted before a vCPU is first seen running. kLost:
// records about it were lost, state unknown until its next runstate change.
enum VState : uint8_t { kRunning = 0, kRunnable, kBlocked, kOffline, kLost, kInit };
// The first four are Xen's runstates, in Xen's order: a runstate change's
// state is a VState as it is.
static_assert(int(kRunning) == int(xt::kRunning) && int(kRunnable) == int(xt::kRunnable) &&
              int(kBlocked) == int(xt::kBlocked) && int(kOffline) == int(xt::kOffline) &&
              int(kLost) == xt::kNumRunstates);
constexpr int kTimedStates = 5;  // kRunning..kLost accumulate time
const char* vstate_name(int s);

// Per-vCPU event counts, indexed so that differences, sums and output
// columns are loops over one list (count_name() gives the column names).
enum Count : uint8_t {
  kExecCount,        // transitions into running
  kWakes,            // TRC_SCHED_WAKE
  kBlocks,           // TRC_SCHED_BLOCK
  kSleeps,           // TRC_SCHED_SLEEP
  kYields,           // TRC_SCHED_YIELD
  kContinueRunning,  // TRC_SCHED_CONTINUE_RUNNING
  kInfcont,          // TRC_SCHED_SWITCH_INFCONT
  kHypercalls,       // PV hypercalls attributed to the vCPU (multicall subcalls included)
  kTraps,            // PV traps
  kPageFaults,       // PV page faults
  kPvOther,          // other PV-class records
  kGuestSwitches,    // stack_switch hypercalls: the guest kernel switching tasks on this vCPU
  kSliceNs,          // sum of INFNEXT slices, when limited
  kSlices,           // number of limited INFNEXT slices
  kWaitedNs,         // sum of INFNEXT "waited" (xenmon's field)
  kInconsistent,     // runstate changes whose old state disagreed with ours
  kLostHits,         // TRC_LOST_RECORDS that blinded this vCPU
  kHvmRecords,       // HVM-class records attributed to the vCPU (an HVM or PVH guest's)
  kHvmExits,         // VMEXITs among them; by kind (xt::ExitKind), whatever the vendor:
  kExitsIntr,        //   an external interrupt: the guest was interrupted where it ran
  kExitsIntrUser,    //   ... at a user-space RIP (64-bit guests)
  kExitsIntrWindow,  //   the guest could not take a pending interrupt
  kExitsHlt,         //   the guest idled
  kExitsVmcall,      //   a hypercall
  kExitsMsr,         //   an MSR access
  kExitsIo,          //   port I/O
  kExitsNpf,         //   a nested page fault
  kExitsRdtsc,       //   RDTSC(P), when Xen emulates the TSC
  kInjVirq,          // TRC_HVM_INJ_VIRQ: interrupts injected into the guest
  kEoiWrites,        // x2APIC EOI writes (TRC_HVM_MSR_WRITE of MSR 0x80b): interrupts completed
  kNumCounts
};
const char* count_name(int c);

struct VcpuCounters {
  uint64_t cycles[kTimedStates] = {};
  uint64_t stints[kTimedStates] = {};  // intervals ended in each state
  uint64_t n[kNumCounts] = {};

  VcpuCounters& operator+=(const VcpuCounters& o) {
    for (int s = 0; s < kTimedStates; ++s) cycles[s] += o.cycles[s], stints[s] += o.stints[s];
    for (int i = 0; i < kNumCounts; ++i) n[i] += o.n[i];
    return *this;
  }
  VcpuCounters operator-(const VcpuCounters& o) const {
    VcpuCounters r;
    for (int s = 0; s < kTimedStates; ++s)
      r.cycles[s] = cycles[s] - o.cycles[s], r.stints[s] = stints[s] - o.stints[s];
    for (int i = 0; i < kNumCounts; ++i) r.n[i] = n[i] - o.n[i];
    return r;
  }
};

// The most frequent kernel-space guest RIPs of a vCPU's interrupt exits over
// a period (user-space ones are only counted, kExitsIntrUser; a guest not in
// long mode gives none: its RIPs cannot be told apart): a space-saving sketch
// (Metwally et al.) of four counters. Each counter keeps the error it
// inherited when it took over the least counted one's place, so top() is a
// lower bound of the most frequent RIP's count: a healthy kernel interrupted
// at hundreds of RIPs scores near 0, not the 1/4 a bare counter would show.
// Bounded, no allocation. A kernel spinning with interrupts on is
// interrupted at one kernel RIP; a CPU-bound user loop hardly ever in the
// kernel.
struct RipSketch {
  static constexpr int kSlots = 4;
  uint64_t rip[kSlots] = {};
  uint32_t count[kSlots] = {};
  uint32_t error[kSlots] = {};  // the count the slot had when its RIP took it
  uint32_t total = 0;

  void add(uint64_t r) {
    ++total;
    int low = 0;
    for (int i = 0; i < kSlots; ++i) {
      if (count[i] != 0 && rip[i] == r) {
        ++count[i];
        return;
      }
      if (count[i] < count[low]) low = i;
    }
    rip[low] = r;  // an empty slot (count 0), or the least counted one's place
    error[low] = count[low];
    ++count[low];
  }
  // At least this many of the RIPs added were the most frequent one.
  uint32_t top() const {
    uint32_t m = 0;
    for (int i = 0; i < kSlots; ++i) m = count[i] - error[i] > m ? count[i] - error[i] : m;
    return m;
  }
  void clear() { *this = RipSketch(); }
};

// Exits by raw reason, per vCPU (the slots: xentrace/hvm_exits.h).
using xt::exit_reason_of_slot;
using xt::exit_reason_slot;
using xt::kExitReasonSlots;
using xt::kOtherExitReason;

struct Vcpu {
  uint32_t domain = kNone;  // index in DomainTable::domains
  uint16_t domid = 0;
  uint16_t id = 0;
  VState state = kInit;
  uint64_t since = 0;        // TSC up to which time has been charged (valid unless kInit)
  uint64_t stint_start = 0;  // TSC at which `state` began
  uint32_t pcpu = kNone;     // where it last ran
  VcpuCounters c;
  VcpuCounters sampled;  // `c` at the last sample boundary
  RipSketch intr_rips;   // this period's interrupt-exit RIPs (the sampler clears it)
  std::unique_ptr<std::array<uint64_t, kExitReasonSlots>> exit_reasons;  // at its first exit
};

enum DomainCount : uint8_t {
  kGrantMap,       // GRANT_MAP records naming this domain as granter
  kGrantUnmap,     // GRANT_UNMAP, likewise
  kGrantTransfer,  // page flips received (xenmon's I/O count)
  kBlindTicks,     // sample periods judged blinded by lost records
  kNumDomainCounts
};
const char* domain_count_name(int c);

struct DomainCounters {
  uint64_t n[kNumDomainCounts] = {};
  DomainCounters operator-(const DomainCounters& o) const {
    DomainCounters r;
    for (int i = 0; i < kNumDomainCounts; ++i) r.n[i] = n[i] - o.n[i];
    return r;
  }
};

struct Domain {
  uint16_t domid = 0;
  uint32_t generation = 0;  // 0 for the first domain with this id, then 1, 2, ...
  bool removed = false;
  bool created_in_trace = false;  // DOM_ADD seen
  uint64_t created_tsc = 0;       // DOM_ADD, or first sight
  uint64_t removed_tsc = 0;
  std::vector<uint32_t> vcpus;  // vcpu id -> index in DomainTable::vcpus, or kNone
  DomainCounters c;
  DomainCounters sampled;
  uint64_t blind_from = 0, blind_to = 0;  // TSC range made unreliable by lost records
  // What the guest asked for with SCHEDOP_shutdown (lifecycle_tracker.h):
  // xt::kNoShutdown until it does, and again once it runs after it (a
  // cancelled save resumes it).
  uint8_t shutdown = xt::kNoShutdown;
  uint64_t shutdown_tsc = 0;
};

struct Pcpu {
  uint32_t current = kNone;  // vCPU running here, from the runstate stream
  bool seen = false;
  uint64_t first_tsc = 0, last_tsc = 0;  // of this pCPU's records, any class
  uint64_t lost_records = 0;             // sum of TRC_LOST_RECORDS counts
  uint64_t lost_reports = 0;             // number of TRC_LOST_RECORDS records
};

class DomainTable {
 public:
  DomainTable() { by_domid_.fill(kNone); }

  // The live domain with this id, created on first sight. kNone for ids
  // outside 0..0x7fff.
  uint32_t domain(uint32_t domid, uint64_t tsc) {
    if (domid > xt::kMaxDomid) return kNone;
    uint32_t d = by_domid_[domid];
    return d != kNone ? d : create(domid, tsc, false);
  }
  // The vCPU (domid, id), created on first sight. kNone for invalid ids.
  uint32_t vcpu(uint32_t domid, uint32_t id, uint64_t tsc) {
    const uint32_t d = domain(domid, tsc);
    if (d == kNone || id > kMaxVcpuId) return kNone;
    Domain& dom = domains[d];
    if (id < dom.vcpus.size() && dom.vcpus[id] != kNone) return dom.vcpus[id];
    return create_vcpu(d, id);
  }
  // DOM_ADD starts a new generation unless the id's current domain was
  // itself announced by a DOM_ADD and is still alive (Xen writes two
  // records per creation, TRC_DOM0_DOM_ADD and TRC_SCHED_DOM_ADD). A domain
  // seen before any DOM_ADD is an older one whose removal the trace missed.
  // Returns the domain this DOM_ADD ended (one still alive), or kNone.
  uint32_t on_add(uint32_t domid, uint64_t tsc);
  void on_remove(uint32_t domid, uint64_t tsc);

  Pcpu& pcpu(uint32_t cpu) {
    if (cpu >= pcpus.size()) pcpus.resize(cpu + 1);
    return pcpus[cpu];
  }

  std::vector<Domain> domains;
  std::vector<Vcpu> vcpus;
  std::vector<Pcpu> pcpus;
  // The trackers' statistics (Stat::bad_ids, pv_unattributed, lost_records, ...).
  Stats stats;
  // The CPU vendor the HVM exit reasons are read by: given by the caller,
  // or found in the trace (xentrace/hvm_exits.h).
  xt::HvmVendor hvm_vendor = xt::HvmVendor::kUnknown;
  // Live: the TSC at which vtrace began reading the rings. A loss that
  // began before it happened while nobody read (a full ring left by an
  // earlier reader, or by Xen's tracing before we started): counted apart
  // (Stat::lost_before_start), blinding no domain, since nothing before
  // this moment is judged anyway. 0 (a file): every loss counts.
  uint64_t reading_since = 0;
  // A TSC span over which every domain's figures are unreliable because
  // another reader of the rings took records (the live runtime says so;
  // 0, 0: none). Extended like a domain's blind range.
  uint64_t shared_from = 0, shared_to = 0;
  void blind_all(uint64_t from, uint64_t to) {
    if (shared_to == 0 || from > shared_to) {  // a new span; periods before it are out already
      shared_from = from;
      shared_to = to;
    } else {
      shared_from = std::min(shared_from, from);
      shared_to = std::max(shared_to, to);
    }
  }

 private:
  uint32_t create(uint32_t domid, uint64_t tsc, bool added);
  uint32_t create_vcpu(uint32_t d, uint32_t id);
  std::array<uint32_t, xt::kMaxDomid + 1> by_domid_;
  std::vector<uint32_t> generations_;  // per domid, domains created so far
};

}  // namespace vt
