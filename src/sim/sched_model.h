// The simulated hypervisor's scheduler model: one shard of pCPUs with the
// vCPUs pinned to them, simulated event by event in simulated nanoseconds,
// writing into SimHost exactly the record sequences Xen 4.17 writes:
//
//   switch on pCPU p:  [credit2 schedule] INFPREV INFNEXT SWITCH
//                      RUNSTATE(prev running->X) RUNSTATE(next runnable->running)
//   same vCPU again:   INFCONT CONTINUE_RUNNING
//   block:             BLOCK, then the switch with prev running->blocked
//   wake:              WAKE, then RUNSTATE(blocked->runnable), on the waker's
//                      pCPU (dom0's for I/O completions)
//   PV activity:       PV hypercall / page-fault records while a vCPU runs
//   I/O:               GRANT_MAP / GRANT_UNMAP by dom0 naming the guest
//   lifecycle:         DOM_ADD, offline->runnable; ...->offline, DOM_REM
//   guest shutdown:    SHUTDOWN [domid, vcpu, reason] on the vCPU's pCPU,
//                      then its vCPUs ...->offline (Xen pauses them)
//   pause, unplug:     ...->offline; unpause: offline->runnable
//
// What the toolstack would read of each domain (domain_state) is published
// for the host's domain info: DomState, written by the shard's thread,
// read by any.
// Idle vCPU n of domain 32767 runs on pCPU n when nothing else can. The
// model keeps its own ground truth (time per runstate per vCPU, records per
// kind) for checking what a consumer computes. Deterministic for a seed.
// Not thread-safe: one thread drives a shard; shards share nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <queue>
#include <random>
#include <vector>

#include "src/sim/host.h"
#include "src/sim/scenario.h"
#include "xentrace/events.h"

namespace vt::sim {

// A domain as the hypervisor's domain info shows it, packed in one word
// (pack/unpack) so that a reader on another thread sees one consistent
// state.
struct DomState {
  bool exists = false, paused = false, shutdown = false, dying = false;
  uint8_t shutdown_reason = xt::kNoShutdown;
  uint32_t online_vcpus = 0;
  uint32_t pack() const {
    return uint32_t(exists) | uint32_t(paused) << 1 | uint32_t(shutdown) << 2 | uint32_t(dying) << 3 |
           uint32_t(shutdown_reason) << 8 | (online_vcpus & 0xffffu) << 16;
  }
  static DomState unpack(uint32_t w) {
    DomState d;
    d.exists = w & 1, d.paused = w & 2, d.shutdown = w & 4, d.dying = w & 8;
    d.shutdown_reason = uint8_t(w >> 8);
    d.online_vcpus = w >> 16;
    return d;
  }
};

struct VcpuTruth {
  uint32_t domid = 0, vcpu = 0;
  Behaviour behaviour = Behaviour::kIdle;
  uint64_t ns[4] = {};  // running, runnable, blocked, offline since the start
  uint64_t hypercalls = 0, page_faults = 0;
  int64_t fault_at_ns = -1;
};

class Shard {
 public:
  // `pcpus`: the CPUs this shard simulates; `guests`: guests placed here;
  // `dom0_vcpu`: this shard's dom0 vCPU id (pinned to its first pCPU).
  // `states` (optional): one word per domid (DomState::pack), kept up to
  // date for this shard's guests.
  Shard(SimHost* host, const Scenario& sc, std::vector<uint32_t> pcpus, std::vector<GuestSpec> guests,
        uint32_t dom0_vcpu, uint64_t seed, std::atomic<uint32_t>* states = nullptr);

  // Processes every event before `until_ns` (simulated time).
  void run_until(uint64_t until_ns);

  // What a toolstack does to a domain: pause (its vCPUs go offline, the
  // domain stays), destroy (offline, then DOM_REM). Returns false if the
  // domain is not in this shard. Call from the shard's own thread.
  enum class Control { kPause, kDestroy };
  bool control(Control c, uint32_t domid, uint64_t t);
  uint64_t now_ns() const { return now_; }
  uint64_t records_written() const { return written_; }
  uint64_t records_refused() const { return refused_; }  // filtered by the masks or lost

  // Ground truth up to now_ns() (intervals in progress included).
  std::vector<VcpuTruth> truth() const;
  // Ground truth at each whole simulated second reached so far: [k] is the
  // state at k+1 seconds.
  const std::vector<std::vector<VcpuTruth>>& truth_per_second() const { return seconds_; }

  static uint64_t tsc_at(uint64_t ns, double hz) { return kTsc0 + uint64_t(double(ns) * hz / 1e9); }
  static constexpr uint64_t kTsc0 = 1000000000000ull;  // the TSC when the simulation starts

 private:
  enum Kind : uint8_t { kDecide, kWake, kFault, kStart, kStop, kLife, kUnpause };
  struct Event {
    uint64_t t;
    uint64_t seq;
    Kind kind;
    uint32_t idx;
    uint32_t version;
    bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };
  struct V {
    VcpuTruth truth;
    uint32_t guest = 0;  // index in guests_ (dom0: kDom0Guest)
    uint32_t p = 0;      // pCPU slot in this shard
    uint8_t st = 0;      // xt::Runstate
    uint64_t st_since = 0;
    uint64_t ran_since = 0;       // switch-in (INFPREV runtime)
    uint64_t descheduled_at = 0;  // INFNEXT waited
    uint64_t burst_end = 0;       // while running: when it blocks (~0: never)
    uint32_t version = 0;         // invalidates its queued wake
    double pv_carry = 0, pf_carry = 0;
    bool alive = true;
    bool hung = false;
  };
  struct P {
    uint32_t cpu = 0;
    int64_t cur = -1;  // index in vs_, -1: the idle vCPU
    std::deque<uint32_t> runq;
    uint64_t slice_start = 0, slice_end = 0;
    uint64_t pv_until = 0;  // PV records emitted up to here for `cur`
    uint64_t idle_since = 0;
    uint32_t version = 0;             // invalidates its queued decision
    bool preempt = false;             // a woken vCPU waits: switch at the next decision
    std::vector<uint32_t> dom0_work;  // guests whose I/O waits for dom0 (dom0's pCPU only)
  };

  void push(uint64_t t, Kind k, uint32_t idx, uint32_t version);
  void handle(const Event& e);
  void decide(uint32_t p, uint64_t t);
  void wake(uint32_t v, uint64_t t, uint32_t waker_p);
  void switch_to(uint32_t p, uint64_t t, int64_t next, uint8_t prev_to);
  void set_state(V& v, uint8_t st, uint64_t t);
  void schedule_decision(uint32_t p, uint64_t t);
  void start_running(uint32_t v, uint32_t p, uint64_t t);
  void block_for(uint32_t v, uint64_t t);
  void flush_pv(uint32_t p, uint64_t t);
  // A record on pCPU slot p at t: emit() packs field values by the event
  // table (xt::pack_payload); emit_words() writes the payload words as
  // given, for events the table does not describe (credit2's own).
  void emit(uint32_t p, uint64_t t, uint32_t event, std::initializer_list<uint64_t> values);
  void emit_words(uint32_t p, uint64_t t, uint32_t event, std::initializer_list<uint32_t> words);
  void write(uint32_t p, uint64_t t, uint32_t event, const uint32_t* words, uint32_t n);
  uint32_t current_packed(uint32_t p) const;
  Behaviour behaviour(const V& v) const;
  uint64_t burst(Behaviour b);
  uint64_t sleep(Behaviour b);
  void lifecycle(uint32_t guest, bool start, uint64_t t, bool remove = true);
  // vCPUs first..end of a guest go offline / its up vCPUs become runnable.
  void vcpus_offline(uint32_t guest, uint32_t first, uint64_t t);
  void vcpus_online(uint32_t guest, uint64_t t);
  void life(uint32_t guest, const LifeEvent& e, uint64_t t);
  void publish(uint32_t guest);

  SimHost* host_;
  Scenario sc_;
  double hz_;
  std::vector<P> ps_;
  std::vector<V> vs_;
  std::vector<GuestSpec> guests_;
  std::vector<std::vector<uint32_t>> guest_vcpus_;
  std::vector<DomState> dom_;  // per guest
  std::atomic<uint32_t>* states_ = nullptr;
  uint32_t dom0_v_ = 0;  // index of this shard's dom0 vCPU
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> q_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  uint64_t written_ = 0, refused_ = 0;
  std::vector<std::vector<VcpuTruth>> seconds_;
  std::mt19937_64 rng_;
  static constexpr uint32_t kDom0Guest = 0xffffffffu;
};

}  // namespace vt::sim
