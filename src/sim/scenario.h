// Scenarios for the simulated hypervisor: a host (pCPUs, threads, speed)
// and its guests, each with a behaviour and optionally a fault that starts
// at a given second. Written as `key=value` pairs separated by commas, or a
// preset name followed by overrides:
//
//   demo                      4 pCPUs: idle, I/O-bound, CPU-bound, storm and
//                             two guests that hang at 20 s (irqs off / on)
//   dense                     4 pCPUs, 1,000 guests of mixed behaviour
//   overload                  2 pCPUs, 8 CPU-bound guests
//   pcpus=4,guests=1000,mix=idle:4+io:2+cpu:3+storm:1,hang=2@20,seed=7
//
// Keys: pcpus, threads (simulation threads; pCPUs are split among them),
// guests (count, drawn from mix), mix (behaviour:weight+...), vcpus (per
// guest), hang=N@S (N guests switch to a kernel hang, interrupts off, at S
// seconds), hangirq=N@S (interrupts on), hangone=N@S (one vCPU of a 2-vCPU
// guest), churn=N (N short-lived guests created and destroyed, reusing
// domids), life=EVENT+EVENT+... (lifecycle events on given domids:
// pause:D@S:SECONDS paused, then unpaused; crash:D@S the guest panics
// (SCHEDOP_shutdown crash; kept, as with on_crash = "preserve");
// save:D@S:R saved (shutdown suspend, destroyed 0.5 s later) and restored
// at R as a new domain with the next free domid; vcpus:D@S:N all but N
// vCPUs unplugged; poweroff:D@S shut down, destroyed 0.5 s later),
// reader=NAME (another consumer, named NAME, holds VIRQ_TBUF), speed (sim seconds per wall second; 0 = as
// fast as possible), rate (hypercall-rate multiplier), credit2 (0/1: emit credit2's own records), seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/util/status.h"

namespace vt::sim {

enum class Behaviour : uint8_t {
  kIdle,        // wakes on a timer, runs briefly, blocks
  kIo,          // block/wake cycles served by dom0 (grant map/unmap, cross-CPU wake)
  kCpu,         // CPU-bound user space: never blocks, timer and event-channel hypercalls
  kStorm,       // fork/memset storm: long bursts, heavy hypercalls and page faults
  kHang,        // kernel spin, interrupts off: never blocks, no hypercalls
  kHangIrqsOn,  // kernel spin, interrupts on: never blocks, a trickle of hypercalls
  kDom0,        // backend work for I/O guests
};
const char* behaviour_name(Behaviour b);
bool parse_behaviour(const std::string& s, Behaviour* b);

// A lifecycle event of a guest (life=...).
enum class LifeKind : uint8_t { kPause, kCrash, kSave, kVcpus, kPoweroff };
struct LifeEvent {
  LifeKind kind = LifeKind::kPause;
  double at_s = 0;
  double arg = 0;  // kPause: seconds paused; kVcpus: vCPUs left up; kSave: the restore time
};

struct GuestSpec {
  uint32_t domid = 1;
  uint32_t vcpus = 1;
  Behaviour behaviour = Behaviour::kIdle;
  double fault_at_s = -1;  // < 0: no fault
  Behaviour fault = Behaviour::kHang;
  bool fault_one_vcpu = false;  // only the last vCPU hangs
  double start_s = 0;           // > 0: created during the run (DOM_ADD)
  double stop_s = -1;           // >= 0: destroyed then (DOM_REM)
  std::vector<LifeEvent> life;  // in time order
  uint32_t restored_from = 0;   // a restore (save:...): the saved guest's domid, whose name and UUID it keeps
};

struct Scenario {
  std::string name = "custom";
  uint32_t pcpus = 4;
  uint32_t threads = 1;
  double speed = 1.0;
  double hypercall_rate = 1.0;
  bool credit2_records = true;
  uint64_t seed = 1;
  std::string other_reader;       // reader=: another consumer holds VIRQ_TBUF ("" none)
  std::vector<GuestSpec> guests;  // dom0 is implicit: one vCPU per simulation thread
};

// Parses a preset or key=value list. kInvalidArgument with one line naming
// the bad key or value (not the flag it came from: the caller adds that).
Status parse_scenario(const std::string& spec, Scenario* out);

}  // namespace vt::sim
