// Samples: per domain (and per vCPU) per period of trace time, 1 s by
// default, as differences of the trackers' counters between two period
// boundaries. Period k covers [t0 + k*P, t0 + (k+1)*P) where t0 is the
// trace's first TSC; the last period may be shorter (span_s says how long).
// The Sampler (sampler.h) closes periods as trace time passes and calls
// take_samples().
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "src/trackers/entities.h"

namespace vt {

// xenalyze's default TSC frequency, assumed when none is given (a xentrace
// file does not record it).
constexpr double kDefaultCpuHz = 2.4e9;

struct SampleOptions {
  bool enabled = false;  // close periods and build samples
  double cpu_hz = kDefaultCpuHz;
  double period_s = 1.0;
  bool include_idle = false;  // samples for the idle domain too
};

// A domain's figures that its totals would hide: the extremes among its
// vCPUs, each over the period.
struct VcpuExtremes {
  double max_vcpu_running = 0;  // largest running fraction of span_s among its vCPUs
  double min_vcpu_blocked = 0;  // smallest blocked fraction among its vCPUs
  // Hypercalls per running second of its quietest vCPU among those that ran
  // at least kBusyVcpuFrac of the period, capped at kMaxVcpuRate (the cap when
  // none did). A kernel spinning on one vCPU makes almost no hypercalls
  // there; the domain's totals hide it behind the other vCPUs.
  double min_vcpu_hc_rate = 0;
  // The same for the guest's task switches (kGuestSwitches): a vCPU whose
  // kernel spins switches no task, whatever its hypercalls.
  double min_vcpu_switch_rate = 0;
  // HVM and PVH guests (0 for a domain whose busy vCPUs made no VM exit):
  // the largest share of one RIP among a busy vCPU's interrupt exits (of
  // those with at least kMinIntrExits of them): near 1 for a kernel
  // spinning with interrupts on; and the injected interrupts and the
  // hypercalls per running second of the quietest busy vCPU, capped at
  // kMaxVcpuRate: near 0 for one spinning with interrupts off.
  double max_vcpu_rip_share = 0;
  double min_vcpu_virq_rate = 0;
  double min_vcpu_vmcall_rate = 0;
};

// The columns of VcpuExtremes in the replay formats, in order: the writer
// and the reader go through this list. `since_hvm`: a table written before
// the HVM ones existed has no such column (read as 0: its domains made no
// VM exit).
struct ExtremeColumn {
  const char* name;
  const char* format;  // printf, for the CSV and JSON writers
  double VcpuExtremes::*field;
  bool since_hvm;
};
inline constexpr ExtremeColumn kExtremeColumns[] = {
    {"max_vcpu_running", "%.6f", &VcpuExtremes::max_vcpu_running, false},
    {"min_vcpu_blocked", "%.6f", &VcpuExtremes::min_vcpu_blocked, false},
    {"min_vcpu_hc_rate", "%.3f", &VcpuExtremes::min_vcpu_hc_rate, false},
    {"min_vcpu_switch_rate", "%.3f", &VcpuExtremes::min_vcpu_switch_rate, false},
    {"max_vcpu_rip_share", "%.6f", &VcpuExtremes::max_vcpu_rip_share, true},
    {"min_vcpu_virq_rate", "%.3f", &VcpuExtremes::min_vcpu_virq_rate, true},
    {"min_vcpu_vmcall_rate", "%.3f", &VcpuExtremes::min_vcpu_vmcall_rate, true},
};
constexpr int kNumExtremeColumns = sizeof kExtremeColumns / sizeof kExtremeColumns[0];

// Why a period's figures of a domain are unreliable (DomainSample::blinded
// bits). Either way the detector does not judge windows that contain it;
// another reader also makes the domain's verdict `unknown`.
enum BlindCause : uint8_t {
  kBlindLost = 1,         // lost records touched it
  kBlindSharedRings = 2,  // another reader of the rings took records (every domain)
};

// A domain's state over a period, as the trace shows it (a live run can
// add what the hypervisor's domain info says, src/runtime). Anything but
// kActive is reported as a verdict of its own and never judged.
//   kDying     DOM_REM in the period: destroyed (the toolstack's destroy,
//              or the end of a poweroff, reboot, save or crash)
//   kCrashed   the guest shut down with reason crash (TRC_SCHED_SHUTDOWN)
//   kShutdown  the guest shut down for another reason (shutdown_reason)
//   kPaused    every vCPU with a known state ended the period offline
//              without running in it: paused by the toolstack (a capped or
//              unplugged vCPU leaves the others up; a paused vCPU that was
//              blocked shows offline only at its next wake-up)
enum class DomainState : uint8_t { kActive, kPaused, kShutdown, kCrashed, kDying };
const char* domain_state_name(DomainState s);  // "active", "paused", "shutdown", "crashed", "dying"
// The inverse of domain_state_name; false for any other text.
bool parse_domain_state(std::string_view name, DomainState* s);

// A per-domain row's state columns (after `blinded`, in this order): the
// domain's state, the guest's shutdown reason (shutdown_column), its vCPUs
// up, its age (%.3f; -1 when the trace did not see it created). With them
// a table is judged as the samples it came from (`vtrace judge`: state
// verdicts, vCPU changes, booting); tables written before them read as
// active, vCPUs not known, age not known.
inline constexpr const char* kStateColumns[] = {"state", "shutdown_reason", "vcpus_up", "age_s"};
// shutdown_reason's text: xt::shutdown_reason_name, or "none" for
// xt::kNoShutdown; parse_shutdown_column is its inverse.
const char* shutdown_column(uint8_t reason);
bool parse_shutdown_column(std::string_view name, uint8_t* reason);

struct VcpuSample {
  uint16_t id = 0;
  VcpuCounters d;             // differences over the period
  uint32_t intr_rip_top = 0;  // interrupt exits at its most frequent RIP (RipSketch), this period
};

struct DomainSample {
  uint64_t index = 0;  // period number k
  double start_s = 0;  // k * period, seconds since trace start
  double span_s = 0;   // length of the period (the last one may be short)
  uint16_t domid = 0;
  uint32_t generation = 0;
  uint32_t vcpus = 0;  // vCPUs with a known state in the period
  VcpuCounters d;      // summed over the domain's vCPUs
  DomainCounters dd;
  VcpuExtremes vx;      // the extremes among its vCPUs
  uint8_t blinded = 0;  // BlindCause bits: why its figures are unreliable this period (0: they are not)
  DomainState state = DomainState::kActive;
  uint8_t shutdown_reason = xt::kNoShutdown;  // what the guest asked for, if it shut down (also when dying)
  uint32_t vcpus_up = 0;                      // of `vcpus`, those not offline all period (unplugged, paused)
  int8_t host_hvm = -1;  // live, the host's domain info: 1 an HVM or PVH guest, 0 a PV one (-1: not known)
  float age_s = -1;  // seconds from its DOM_ADD to the period's end, if the trace saw it created (-1: not)
  const VcpuSample* vcpu = nullptr;
  uint32_t n_vcpu = 0;
};

inline constexpr double kBusyVcpuFrac = 0.1;
inline constexpr double kMaxVcpuRate = 1e4;
inline constexpr uint32_t kMinIntrExits = 20;

// Seconds in a state, from cycles.
inline double seconds(uint64_t cycles, double hz) { return double(cycles) / hz; }

// Hypercalls: PV hypercall records and HVM/PVH VMCALL exits (the metrics'
// and `vtrace top`'s figure).
inline uint64_t hypercalls_of(const VcpuCounters& c) { return c.n[kHypercalls] + c.n[kExitsVmcall]; }

// Builds the period's samples for every domain alive in [from, to) and
// advances the counter snapshots. `out` and `vcpu_buf` are reused between
// calls (no allocation once they have grown). The caller charged every
// vCPU up to `to` first (runstate_flush).
void take_samples(DomainTable& t, uint64_t index, uint64_t from, uint64_t to, const SampleOptions& o,
                  std::vector<DomainSample>* out, std::vector<VcpuSample>* vcpu_buf);

// Receives each closed period's samples (one entry per domain alive in it).
using SampleSink = std::function<void(const std::vector<DomainSample>&)>;

}  // namespace vt
