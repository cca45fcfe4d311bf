// Detector features: the one table of feature names shared by training and
// runtime, and the per-domain 5 s window that turns per-second rows into
// judged feature vectors.
//
// Both paths meet in SecondRow, one domain's figures for one 1 s period in
// seconds and counts: the runtime converts a vt::DomainSample
// (row_from_sample), training parses `vtrace replay --format csv` rows
// (replay_csv.h). Everything after that — raw_features(), the window, the
// warm-up and blindness rules — is the same code for both.
//
// Rules (docs/detector.md):
//  * raw features are per second of trace time: counts / span_s, times as
//    fractions of span_s (a domain's times sum its vCPUs, so they reach
//    `vcpus`), means per execution where so named. Always finite.
//  * a row with span_s < 0.5 s (the trace's short last period) is ignored.
//  * the window is the mean of the last `window` raw vectors of the domain.
//  * a domain's history (re)starts at its first row, after a gap (a missing
//    second) and at a new generation; its first `warmup` rows are never
//    judged, so with window = warmup = 5 the first judged row is the 6th and
//    its window covers rows 2..6 (the often partial first row never counts).
//  * a row with `blinded` set (lost records touched the domain, or another
//    reader of the rings took records) makes every window that contains it
//    unjudged.
#pragma once

#include <cstdint>
#include <string_view>

#include "src/samples/sample.h"
#include "src/trackers/entities.h"

namespace vt {

// One domain, one period, in seconds and counts.
struct SecondRow {
  uint64_t index = 0;  // period number = t for 1 s periods
  double t = 0;        // period start, seconds since trace start
  double span_s = 0;
  uint16_t domid = 0;
  uint32_t generation = 0;
  uint32_t vcpus = 0;
  double state_s[kTimedStates] = {};  // running, runnable, blocked, offline, lost
  uint64_t n[kNumCounts] = {};
  uint64_t dn[kNumDomainCounts] = {};  // kBlindTicks unused
  VcpuExtremes vx;                     // sample.h
  uint8_t blinded = 0;                 // BlindCause bits (sample.h); the replay CSV's 1 is kBlindLost
  // The domain's state (sample.h); a replay CSV written before its state
  // columns (kStateColumns) has none: active, vcpus_up 0 (not known).
  DomainState state = DomainState::kActive;
  uint8_t shutdown_reason = xt::kNoShutdown;
  uint32_t vcpus_up = 0;
  int8_t host_hvm = -1;  // the host's word on its type (sample.h); -1 in a table
  float age_s = -1;      // since its creation, if the trace saw it (sample.h)
};

SecondRow row_from_sample(const DomainSample& s, double hz);

// What kind of guest a domain is, told by the records it makes: PV-class
// records (hypercalls, traps, page faults) say PV; HVM-class records (VM
// exits and their handlers) say HVM or PVH, which make the same records
// and are judged alike. A model judges only the types it was trained on;
// any other domain, and one whose type is not known (no record of either
// class yet, or as many of each), is `unknown`, never faulty.
enum class GuestType : uint8_t { kUnknown, kPv, kHvm };
constexpr int kNumGuestTypes = 3;
const char* guest_type_name(GuestType t);  // "unknown", "pv", "hvm"
// "pv" or "hvm" (a model's types); false otherwise.
bool parse_guest_type(std::string_view s, GuestType* t);
// The evidence of a row: its PV-class and its HVM-class records.
uint64_t pv_records(const SecondRow& r);
inline uint64_t hvm_records(const SecondRow& r) { return r.n[kHvmRecords]; }
// The type the records of a domain's history say (the larger class).
GuestType guest_type_of(uint64_t pv, uint64_t hvm);

enum Feature : uint8_t {
  // The paper's six (xenmon's metrics).
  kExecPerS,        // executions (switch-ins) per second
  kRunningFrac,     // CPU used: running_s / span_s
  kRunnableFrac,    // waiting: runnable_s / span_s
  kBlockedFrac,     // blocked: blocked_s / span_s
  kAllocMsPerExec,  // allocated: slice_ns / slices, in ms (0 if no limited slice)
  kIoPerS,          // I/O count: grant map + unmap + transfer per second
  // Ours.
  kMaxVcpuRunning,  // largest running fraction among the vCPUs
  kMinVcpuBlocked,  // smallest blocked fraction among the vCPUs
  kWakesPerS,
  kBlocksPerS,
  kYieldsPerS,
  kContinueRunningPerS,
  kHypercallsPerS,
  kTrapsPerS,
  kPageFaultsPerS,
  kHypercallsPerCpuS,  // hypercalls / (running_s + 0.01 s): PV activity per CPU second used
  kMinVcpuHcRate,      // hypercalls per running second of the quietest busy vCPU (sample.h)
  kGuestSwitchesPerS,  // the guest kernel's task switches (stack_switch hypercalls) per second
  kMinVcpuSwitchRate,  // task switches per running second of the quietest busy vCPU (sample.h)
  kLostFrac,           // lost_s / span_s (blindness; 0 in every judged window, see above)
  // HVM and PVH guests (VM exits; 0 for a PV guest).
  kHvmExitsPerS,
  kIntrExitsPerS,   // external interrupts that stopped the guest
  kIntrUserShare,   // the share of them at a user-space RIP
  kIntrWindowPerS,  // interrupts the guest could not take
  kHltExitsPerS,
  kVmcallExitsPerS,  // hypercalls
  kMsrExitsPerS,
  kIoExitsPerS,
  kNpfExitsPerS,
  kRdtscExitsPerS,
  kInjVirqPerS,        // interrupts injected
  kEoiPerS,            // interrupts completed (x2APIC EOI writes)
  kMaxVcpuRipShare,    // one RIP's share of a busy vCPU's interrupt exits, the largest (sample.h)
  kMinVcpuVirqRate,    // injections per running second of the quietest busy vCPU (sample.h)
  kMinVcpuVmcallRate,  // hypercalls per running second of the quietest busy vCPU (sample.h)
  kNumFeatures
};

struct FeatureInfo {
  const char* name;  // as in model files
  const char* unit;
  const char* meaning;  // and the replay columns it comes from
};
const FeatureInfo& feature_info(int f);
// The build's index of a feature name, or -1.
int feature_by_name(std::string_view name);

// The per-second features of one row (all finite).
void raw_features(const SecondRow& r, double out[kNumFeatures]);

constexpr int kMaxWindow = 60;
constexpr int kMaxWarmup = 3600;

struct WindowConfig {
  int window = 5;  // seconds averaged (1..kMaxWindow)
  int warmup = 5;  // first rows of a domain never judged (0..kMaxWarmup)
};

// One domain's recent history. Plain data, no allocation.
struct DomainWindow {
  bool used = false;
  uint16_t domid = 0;
  uint32_t generation = 0;
  uint64_t last_index = 0;   // index of the last row pushed
  uint64_t rows = 0;         // rows since the history (re)started
  uint64_t blind_until = 0;  // windows ending at index <= this are unjudged
  bool blind = false;        // blind_until is meaningful
  uint32_t head = 0;         // next slot in ring
  double ring[kMaxWindow][kNumFeatures];
};

enum class Push { kIgnored, kUnjudged, kJudged };

// Adds one row of the window's domain (same domid; a new generation restarts
// it). On kJudged, `out` holds the window mean, rounded to float (what the
// trees compare). `restarted` (optional) says whether the history restarted.
Push push_row(DomainWindow* w, const WindowConfig& c, const SecondRow& r, float out[kNumFeatures],
              bool* restarted = nullptr);

}  // namespace vt
