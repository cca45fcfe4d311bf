#include "src/sim/sched_model.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "xentrace/events.h"

namespace vt::sim {
namespace {

constexpr uint64_t kNever = ~0ull;
constexpr uint64_t kSliceNs = 10'000'000;     // credit2-like time slice
constexpr uint64_t kTickleNs = 2'000;         // an idle pCPU picks up a woken vCPU
constexpr uint64_t kRatelimitNs = 1'000'000;  // credit2's ratelimit: a vCPU runs at least this long
constexpr uint64_t kDom0PerRequestNs = 15'000;
constexpr uint32_t kCredit2Schedule = TRC_SCHED_CLASS | (TRC_SCHED_CSCHED2 << TRC_SCHED_ID_SHIFT) | 21;
constexpr uint32_t kCredit2Burn = TRC_SCHED_CLASS | (TRC_SCHED_CSCHED2 << TRC_SCHED_ID_SHIFT) | 3;

struct Params {
  double burst_ns;  // mean run before blocking; 0: never blocks
  double sleep_lo_ns, sleep_hi_ns;
  double hypercalls_per_s;  // while running
  double page_faults_per_s;
};

Params params(Behaviour b) {
  switch (b) {
    case Behaviour::kIdle: return {50e3, 5e6, 15e6, 200e3, 0};
    case Behaviour::kIo: return {100e3, 0, 0, 150e3, 0};  // woken by dom0
    case Behaviour::kCpu: return {0, 0, 0, 2500, 0};
    case Behaviour::kStorm: return {5e6, 100e3, 300e3, 60e3, 20e3};
    case Behaviour::kHang: return {0, 0, 0, 0, 0};
    case Behaviour::kHangIrqsOn: return {0, 0, 0, 500, 0};
    case Behaviour::kDom0: return {0, 0, 0, 150e3, 0};
  }
  return {};
}

// Hypercall numbers a Linux PV guest uses most (set_timer_op, iret,
// vcpu_op, sched_op, event_channel_op, mmu_update, mmuext_op, and
// stack_switch, made at each task switch). A kernel spinning with
// interrupts on only takes its timer tick: iret and vcpu_op (the lab's
// traces show exactly these two).
constexpr uint32_t kOps[] = {15, 23, 24, 29, 32, 1, 26, 23, 24, xt::kHypercallStackSwitch};
constexpr uint32_t kSpinOps[] = {23, 24};

}  // namespace

Shard::Shard(SimHost* host, const Scenario& sc, std::vector<uint32_t> pcpus, std::vector<GuestSpec> guests,
             uint32_t dom0_vcpu, uint64_t seed, std::atomic<uint32_t>* states)
    : host_(host), sc_(sc), guests_(std::move(guests)), states_(states), rng_(seed) {
  hz_ = host_->config().tsc_hz;
  for (uint32_t cpu : pcpus) {
    P p;
    p.cpu = cpu;
    ps_.push_back(p);
  }
  // dom0's vCPU for this shard, on its first pCPU; blocked until I/O comes.
  V d;
  d.truth.domid = 0;
  d.truth.vcpu = dom0_vcpu;
  d.truth.behaviour = Behaviour::kDom0;
  d.guest = kDom0Guest;
  d.p = 0;
  d.st = xt::kBlocked;
  vs_.push_back(d);
  dom0_v_ = 0;
  std::uniform_int_distribution<uint64_t> spread(1000, 10'000'000);
  uint32_t slot = 0;
  guest_vcpus_.resize(guests_.size());
  for (uint32_t g = 0; g < guests_.size(); ++g) {
    const GuestSpec& gs = guests_[g];
    for (uint32_t i = 0; i < gs.vcpus; ++i) {
      V v;
      v.truth.domid = gs.domid;
      v.truth.vcpu = i;
      v.truth.behaviour = gs.behaviour;
      v.guest = g;
      v.p = slot++ % uint32_t(ps_.size());
      const uint32_t vi = uint32_t(vs_.size());
      vs_.push_back(v);
      guest_vcpus_[g].push_back(vi);
      V& x = vs_.back();
      if (gs.start_s > 0) {
        x.alive = false;
        x.st = xt::kOffline;
        continue;
      }
      if (params(gs.behaviour).burst_ns == 0 || gs.behaviour == Behaviour::kStorm) {
        x.st = xt::kRunnable;
        ps_[x.p].runq.push_back(vi);
      } else {
        x.st = xt::kBlocked;  // first wake spread over the first 10 ms
        push(spread(rng_), kWake, vi, x.version);
      }
    }
    if (gs.fault_at_s >= 0) push(uint64_t(gs.fault_at_s * 1e9), kFault, g, 0);
    if (gs.start_s > 0) push(uint64_t(gs.start_s * 1e9), kStart, g, 0);
    if (gs.stop_s >= 0) push(uint64_t(gs.stop_s * 1e9), kStop, g, 0);
    for (uint32_t i = 0; i < gs.life.size(); ++i) push(uint64_t(gs.life[i].at_s * 1e9), kLife, g, i);
    DomState d;
    d.exists = gs.start_s <= 0;
    d.online_vcpus = gs.vcpus;
    dom_.push_back(d);
    publish(g);
  }
  for (uint32_t p = 0; p < ps_.size(); ++p) schedule_decision(p, 1000 + p);
}

void Shard::push(uint64_t t, Kind k, uint32_t idx, uint32_t version) {
  q_.push(Event{t, seq_++, k, idx, version});
}

void Shard::run_until(uint64_t until_ns) {
  for (;;) {
    const uint64_t second = (seconds_.size() + 1) * 1'000'000'000ull;
    const uint64_t stop = std::min(until_ns, second);
    while (!q_.empty() && q_.top().t < stop) {
      const Event e = q_.top();
      q_.pop();
      now_ = e.t;
      handle(e);
    }
    // PV records are written lazily; bring them up to `stop` so that every
    // record older than the time we report reaching is in the rings (the
    // consumer's quiet bound relies on it, as it relies on Xen's TSC).
    for (uint32_t p = 0; p < ps_.size(); ++p) flush_pv(p, stop);
    now_ = stop;
    if (stop < second) break;
    seconds_.push_back(truth());  // the truth at this whole second
    if (stop == until_ns) break;
  }
}

void Shard::handle(const Event& e) {
  switch (e.kind) {
    case kDecide:
      if (e.version == ps_[e.idx].version) decide(e.idx, e.t);
      break;
    case kWake: {
      const V& v = vs_[e.idx];
      if (e.version == v.version && v.st == xt::kBlocked && v.alive) wake(e.idx, e.t, v.p);
      break;
    }
    case kFault: {
      const GuestSpec& g = guests_[e.idx];
      const std::vector<uint32_t>& vc = guest_vcpus_[e.idx];
      for (size_t i = g.fault_one_vcpu ? vc.size() - 1 : 0; i < vc.size(); ++i) {
        V& v = vs_[vc[i]];
        v.hung = true;
        v.truth.fault_at_ns = int64_t(e.t);
        if (v.st == xt::kRunning) {
          v.burst_end = kNever;
          schedule_decision(v.p, ps_[v.p].slice_end);
        }
      }
      break;
    }
    case kStart:
    case kStop: lifecycle(e.idx, e.kind == kStart, e.t); break;
    case kLife: life(e.idx, guests_[e.idx].life[e.version], e.t); break;
    case kUnpause:
      if (dom_[e.idx].paused && !dom_[e.idx].dying) {
        dom_[e.idx].paused = false;
        vcpus_online(e.idx, e.t);
        publish(e.idx);
      }
      break;
  }
}

void Shard::publish(uint32_t g) {
  if (states_) states_[guests_[g].domid & xt::kMaxDomid].store(dom_[g].pack(), std::memory_order_release);
}

void Shard::life(uint32_t g, const LifeEvent& e, uint64_t t) {
  DomState& d = dom_[g];
  if (!d.exists || d.dying || d.shutdown) return;  // gone, or stopped by an earlier event
  auto guest_shutdown = [&](uint8_t reason) {
    const V& v0 = vs_[guest_vcpus_[g][0]];
    emit(v0.p, t, TRC_SCHED_SHUTDOWN, {guests_[g].domid, 0, reason});
    vcpus_offline(g, 0, t);
    d.shutdown = true;
    d.shutdown_reason = reason;
  };
  switch (e.kind) {
    case LifeKind::kPause:
      vcpus_offline(g, 0, t);
      d.paused = true;
      push(t + uint64_t(e.arg * 1e9), kUnpause, g, 0);
      break;
    case LifeKind::kCrash: guest_shutdown(xt::kShutdownCrash); break;
    case LifeKind::kSave: guest_shutdown(xt::kShutdownSuspend); break;
    case LifeKind::kPoweroff: guest_shutdown(xt::kShutdownPoweroff); break;
    case LifeKind::kVcpus:
      d.online_vcpus = uint32_t(e.arg);
      vcpus_offline(g, d.online_vcpus, t);
      break;
  }
  publish(g);
}

Behaviour Shard::behaviour(const V& v) const {
  if (v.guest == kDom0Guest) return Behaviour::kDom0;
  return v.hung ? guests_[v.guest].fault : guests_[v.guest].behaviour;
}

uint64_t Shard::burst(Behaviour b) {
  const double mean = params(b).burst_ns;
  if (mean == 0) return kNever;
  std::exponential_distribution<double> d(1.0 / mean);
  return std::max<uint64_t>(1000, uint64_t(d(rng_)));
}

uint64_t Shard::sleep(Behaviour b) {
  const Params p = params(b);
  std::uniform_real_distribution<double> d(p.sleep_lo_ns, p.sleep_hi_ns);
  return std::max<uint64_t>(1000, uint64_t(d(rng_)));
}

void Shard::set_state(V& v, uint8_t st, uint64_t t) {
  if (t > v.st_since) v.truth.ns[v.st] += t - v.st_since;
  v.st = st;
  v.st_since = std::max(v.st_since, t);
}

uint32_t Shard::current_packed(uint32_t p) const {
  const P& x = ps_[p];
  if (x.cur < 0) return xt::pack_lost_vcpu(xt::kIdleDomid, x.cpu);
  const V& v = vs_[x.cur];
  return xt::pack_lost_vcpu(v.truth.domid, v.truth.vcpu);
}

void Shard::emit(uint32_t p, uint64_t t, uint32_t event, std::initializer_list<uint64_t> values) {
  uint32_t w[xt::kMaxExtraWords];
  const uint32_t n = pack_payload_or_abort(event, values, w);
  write(p, t, event, w, n);
}

void Shard::emit_words(uint32_t p, uint64_t t, uint32_t event, std::initializer_list<uint32_t> words) {
  uint32_t w[xt::kMaxExtraWords];
  uint32_t n = 0;
  for (uint32_t x : words) w[n++] = x;
  write(p, t, event, w, n);
}

void Shard::write(uint32_t p, uint64_t t, uint32_t event, const uint32_t* w, uint32_t n) {
  flush_pv(p, t);
  if (host_->trace(ps_[p].cpu, event, tsc_at(t, hz_), w, n, current_packed(p)))
    ++written_;
  else
    ++refused_;
}

// PV records of the vCPU running on p, evenly spaced over (pv_until, t].
void Shard::flush_pv(uint32_t p, uint64_t t) {
  P& x = ps_[p];
  if (x.cur < 0 || t <= x.pv_until) {
    x.pv_until = std::max(x.pv_until, t);
    return;
  }
  V& v = vs_[x.cur];
  const Params pr = params(behaviour(v));
  const double dt = double(t - x.pv_until);
  const double hc = dt * 1e-9 * pr.hypercalls_per_s * sc_.hypercall_rate + v.pv_carry;
  const double pf = dt * 1e-9 * pr.page_faults_per_s * sc_.hypercall_rate + v.pf_carry;
  const uint64_t nh = uint64_t(hc), nf = uint64_t(pf);
  v.pv_carry = hc - double(nh);
  v.pf_carry = pf - double(nf);
  const uint32_t packed = current_packed(p);
  uint64_t ih = 1, jf = 1;
  while (ih <= nh || jf <= nf) {
    // Merge the two evenly spaced sequences in time order.
    const double th = ih <= nh ? double(ih) / double(nh + 1) : 2.0;
    const double tf = jf <= nf ? double(jf) / double(nf + 1) : 2.0;
    const bool fault = tf < th;
    const uint64_t at = x.pv_until + uint64_t(dt * (fault ? tf : th));
    bool ok;
    if (fault) {
      // The table does not describe PV page-fault payloads (no tracker
      // reads them): eip and address (64-bit, low word first), error code.
      const uint32_t w[5] = {0x81000000u + uint32_t(jf), 0xffffffffu, 0x7f000000u, 0, 6};
      ok = host_->trace(x.cpu, TRC_PV_PAGE_FAULT | TRC_64_FLAG, tsc_at(at, hz_), w, 5, packed);
      ++v.truth.page_faults;
      ++jf;
    } else {
      const uint64_t k = ih + v.truth.hypercalls;
      const uint32_t op = behaviour(v) == Behaviour::kHangIrqsOn ? kSpinOps[k % std::size(kSpinOps)]
                                                                 : kOps[k % std::size(kOps)];
      uint32_t w[xt::kMaxExtraWords];
      const uint32_t n = pack_payload_or_abort(TRC_PV_HYPERCALL_V2, {op}, w);
      ok = host_->trace(x.cpu, TRC_PV_HYPERCALL_V2, tsc_at(at, hz_), w, n, packed);
      ++v.truth.hypercalls;
      ++ih;
    }
    ok ? ++written_ : ++refused_;
  }
  x.pv_until = t;
}

void Shard::schedule_decision(uint32_t p, uint64_t t) {
  ++ps_[p].version;
  if (t != kNever) push(t, kDecide, p, ps_[p].version);
}

void Shard::start_running(uint32_t vi, uint32_t p, uint64_t t) {
  V& v = vs_[vi];
  P& x = ps_[p];
  set_state(v, xt::kRunning, t);
  v.ran_since = t;
  x.slice_start = t;
  x.slice_end = t + kSliceNs;
  x.pv_until = t;
  if (v.guest == kDom0Guest) {
    const uint64_t work = std::max<uint64_t>(1, x.dom0_work.size());
    v.burst_end = t + work * kDom0PerRequestNs;
  } else {
    v.burst_end = t + burst(behaviour(v));
    if (v.burst_end < t) v.burst_end = kNever;  // overflow of "never"
  }
  schedule_decision(p, std::min(x.slice_end, v.burst_end));
}

void Shard::switch_to(uint32_t p, uint64_t t, int64_t next, uint8_t prev_to) {
  P& x = ps_[p];
  const int64_t prev = x.cur;
  const uint32_t pd = prev < 0 ? xt::kIdleDomid : vs_[prev].truth.domid;
  const uint32_t pv = prev < 0 ? x.cpu : vs_[prev].truth.vcpu;
  const uint32_t nd = next < 0 ? xt::kIdleDomid : vs_[next].truth.domid;
  const uint32_t nv = next < 0 ? x.cpu : vs_[next].truth.vcpu;
  if (sc_.credit2_records) {
    // Credit2's own records (not in the event table; no tracker reads them).
    emit_words(p, t, kCredit2Schedule, {x.cpu, next < 0 ? 1u : 0u});
    if (prev >= 0)
      emit_words(p, t, kCredit2Burn,
                 {xt::pack_dom_vcpu(pd, pv), 10'000'000u, 0x80000000u, uint32_t(t - vs_[prev].ran_since)});
  }
  const uint32_t runtime = uint32_t(prev < 0 ? t - x.idle_since : t - vs_[prev].ran_since);
  const uint32_t waited = uint32_t(next < 0 ? 0 : t - vs_[next].descheduled_at);
  emit(p, t, TRC_SCHED_SWITCH_INFPREV, {pd, pv, runtime});
  emit(p, t, TRC_SCHED_SWITCH_INFNEXT, {nd, nv, waited, next < 0 ? xt::kNoSliceLimit : uint32_t(kSliceNs)});
  emit(p, t, TRC_SCHED_SWITCH, {pd, pv, nd, nv});
  const uint8_t idle_to = xt::kRunnable;  // the idle vCPU is runnable whenever it is not running
  emit(p, t, xt::runstate_change_event(xt::kRunning, prev < 0 ? idle_to : prev_to), {pd, pv});
  emit(p, t, xt::runstate_change_event(xt::kRunnable, xt::kRunning), {nd, nv});
  if (prev >= 0) {
    set_state(vs_[prev], prev_to, t);
    vs_[prev].descheduled_at = t;
  }
  x.cur = next;
  x.pv_until = t;
  if (next >= 0) {
    start_running(uint32_t(next), p, t);
  } else {
    x.idle_since = t;
    schedule_decision(p, kNever);
  }
}

void Shard::decide(uint32_t p, uint64_t t) {
  P& x = ps_[p];
  auto pop = [&]() -> int64_t {
    if (x.runq.empty()) return -1;
    const uint32_t v = x.runq.front();
    x.runq.pop_front();
    return v;
  };
  if (x.cur < 0) {
    if (!x.runq.empty()) switch_to(p, t, pop(), xt::kRunnable);
    return;
  }
  const uint32_t vi = uint32_t(x.cur);
  V& v = vs_[vi];
  if (t >= v.burst_end) {
    if (v.guest == kDom0Guest) {
      // Backend work: map and unmap the guest's grants, notify it.
      std::vector<uint32_t> work;
      work.swap(x.dom0_work);
      for (uint32_t g : work) {
        emit(p, t, TRC_MEM_PAGE_GRANT_MAP, {vs_[g].truth.domid});
        emit(p, t, TRC_MEM_PAGE_GRANT_UNMAP, {vs_[g].truth.domid});
        wake(g, t, p);  // lands on dom0's pCPU: a cross-CPU wake
      }
    }
    emit(p, t, TRC_SCHED_BLOCK, {v.truth.domid, v.truth.vcpu});
    switch_to(p, t, pop(), xt::kBlocked);
    if (v.guest == kDom0Guest) return;  // woken by the next request
    if (behaviour(v) == Behaviour::kIo) {
      ps_[vs_[dom0_v_].p].dom0_work.push_back(vi);
      if (vs_[dom0_v_].st == xt::kBlocked) wake(dom0_v_, t, p);  // event channel to dom0
    } else {
      push(t + sleep(behaviour(v)), kWake, vi, ++v.version);
    }
    return;
  }
  if (t >= x.slice_end || x.preempt) {
    x.preempt = false;
    if (!x.runq.empty()) {
      const int64_t next = pop();
      x.runq.push_back(vi);
      switch_to(p, t, next, xt::kRunnable);
    } else {
      emit(p, t, TRC_SCHED_SWITCH_INFCONT,
           {v.truth.domid, v.truth.vcpu, uint32_t(t - x.slice_start), uint32_t(kSliceNs)});
      emit(p, t, TRC_SCHED_CONTINUE_RUNNING, {v.truth.domid, v.truth.vcpu});
      x.slice_start = t;
      x.slice_end = t + kSliceNs;
      schedule_decision(p, std::min(x.slice_end, v.burst_end));
    }
    return;
  }
  schedule_decision(p, std::min(x.slice_end, v.burst_end));  // woke early (a fault changed the burst)
}

void Shard::wake(uint32_t vi, uint64_t t, uint32_t waker_p) {
  V& v = vs_[vi];
  if (v.st != xt::kBlocked || !v.alive) return;
  emit(waker_p, t, TRC_SCHED_WAKE, {v.truth.domid, v.truth.vcpu});
  emit(waker_p, t, xt::runstate_change_event(xt::kBlocked, xt::kRunnable), {v.truth.domid, v.truth.vcpu});
  set_state(v, xt::kRunnable, t);
  ++v.version;
  P& x = ps_[v.p];
  x.runq.push_back(vi);
  if (x.cur < 0) {
    schedule_decision(v.p, t + kTickleNs);
  } else if (!x.preempt) {
    // Credit2 tickles: a vCPU that slept has credit to spare and preempts
    // the one running once that one has had its ratelimit.
    const V& cur = vs_[x.cur];
    const uint64_t at = std::max(t + kTickleNs, x.slice_start + kRatelimitNs);
    if (at < std::min(x.slice_end, cur.burst_end)) {
      x.preempt = true;
      schedule_decision(v.p, at);
    }
  }
}

bool Shard::control(Control c, uint32_t domid, uint64_t t) {
  for (uint32_t g = 0; g < guests_.size(); ++g) {
    if (guests_[g].domid != domid) continue;
    bool alive = false;
    for (uint32_t vi : guest_vcpus_[g]) alive |= vs_[vi].alive;
    if (!alive) continue;  // an earlier domain with the same id
    lifecycle(g, false, t, c == Control::kDestroy);
    return true;
  }
  return false;
}

void Shard::lifecycle(uint32_t g, bool start, uint64_t t, bool remove) {
  const GuestSpec& gs = guests_[g];
  if (start) {
    emit(0, t, TRC_SCHED_DOM_ADD, {gs.domid});
    dom_[g] = DomState();
    dom_[g].exists = true;
    dom_[g].online_vcpus = gs.vcpus;
    vcpus_online(g, t);
    publish(g);
    return;
  }
  vcpus_offline(g, 0, t);
  if (remove) {
    emit(0, t, TRC_SCHED_DOM_REM, {gs.domid});
    dom_[g] = DomState();  // gone
  } else {
    dom_[g].paused = true;  // the detector's pause
  }
  publish(g);
}

void Shard::vcpus_online(uint32_t g, uint64_t t) {
  const std::vector<uint32_t>& vc = guest_vcpus_[g];
  for (uint32_t i = 0; i < vc.size() && i < dom_[g].online_vcpus; ++i) {
    const uint32_t vi = vc[i];
    V& v = vs_[vi];
    if (v.alive) continue;
    v.alive = true;
    emit(0, t, xt::runstate_change_event(xt::kOffline, xt::kRunnable), {v.truth.domid, v.truth.vcpu});
    set_state(v, xt::kRunnable, t);
    ps_[v.p].runq.push_back(vi);
    if (ps_[v.p].cur < 0) schedule_decision(v.p, t + kTickleNs);
  }
}

void Shard::vcpus_offline(uint32_t g, uint32_t first, uint64_t t) {
  const std::vector<uint32_t>& vc = guest_vcpus_[g];
  for (uint32_t i = first; i < vc.size(); ++i) {
    const uint32_t vi = vc[i];
    V& v = vs_[vi];
    P& x = ps_[v.p];
    if (v.st == xt::kRunning) {
      int64_t next = -1;
      if (!x.runq.empty()) {
        next = x.runq.front();
        x.runq.pop_front();
      }
      switch_to(v.p, t, next, xt::kOffline);
    } else if (v.st != xt::kOffline) {
      if (v.st == xt::kRunnable) x.runq.erase(std::remove(x.runq.begin(), x.runq.end(), vi), x.runq.end());
      emit(0, t, xt::runstate_change_event(v.st, xt::kOffline), {v.truth.domid, v.truth.vcpu});
      set_state(v, xt::kOffline, t);
    }
    v.alive = false;
    ++v.version;
    auto& w = ps_[vs_[dom0_v_].p].dom0_work;
    w.erase(std::remove(w.begin(), w.end(), vi), w.end());
  }
}

std::vector<VcpuTruth> Shard::truth() const {
  std::vector<VcpuTruth> out;
  for (const V& v : vs_) {
    VcpuTruth t = v.truth;
    if (now_ > v.st_since) t.ns[v.st] += now_ - v.st_since;
    out.push_back(t);
  }
  return out;
}

}  // namespace vt::sim
