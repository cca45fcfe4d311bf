// Samples: per domain (and per vCPU) per period of trace time, 1 s by
// default, as differences of the trackers' counters between two period
// boundaries. Period k covers [t0 + k*P, t0 + (k+1)*P) where t0 is the
// trace's first TSC; the last period may be shorter (span_s says how long).
// The Sampler (sampler.h) closes periods as trace time passes and calls
// take_samples().
#pragma once

#include <cstdint>
#include <functional>
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

struct VcpuSample {
  uint16_t id = 0;
  VcpuCounters d;  // differences over the period
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
  bool blinded = false;  // lost records touched it in this period
  const VcpuSample* vcpu = nullptr;
  uint32_t n_vcpu = 0;
};

inline constexpr double kBusyVcpuFrac = 0.1;
inline constexpr double kMaxVcpuRate = 1e4;

// Seconds in a state, from cycles.
inline double seconds(uint64_t cycles, double hz) { return double(cycles) / hz; }

// Builds the period's samples for every domain alive in [from, to) and
// advances the counter snapshots. `out` and `vcpu_buf` are reused between
// calls (no allocation once they have grown). The caller charged every
// vCPU up to `to` first (runstate_flush).
void take_samples(DomainTable& t, uint64_t index, uint64_t from, uint64_t to, const SampleOptions& o,
                  std::vector<DomainSample>* out, std::vector<VcpuSample>* vcpu_buf);

// Receives each closed period's samples (one entry per domain alive in it).
using SampleSink = std::function<void(const std::vector<DomainSample>&)>;

}  // namespace vt
