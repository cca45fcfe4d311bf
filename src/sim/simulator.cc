#include "src/sim/simulator.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "xentrace/events.h"

namespace vt::sim {

Simulator::Simulator(SimHost* host, const Scenario& sc) : host_(host), sc_(sc), speed_(sc.speed) {
  const uint32_t ncpu = host_->config().nr_cpus;
  hz_ = host_->config().tsc_hz;
  const uint32_t pcpus = std::min(sc_.pcpus, ncpu);
  const uint32_t threads = std::max<uint32_t>(1, std::min(sc_.threads, pcpus));
  std::vector<std::vector<GuestSpec>> placed(threads);
  domid_shard_.assign(xt::kMaxDomid, ~0u);
  states_ = std::make_unique<std::atomic<uint32_t>[]>(xt::kMaxDomid + 1);
  DomState dom0;
  dom0.exists = true;
  dom0.online_vcpus = threads;  // one dom0 vCPU per shard
  states_[0].store(dom0.pack());
  domids_.push_back(0);
  for (size_t g = 0; g < sc_.guests.size(); ++g) {
    placed[g % threads].push_back(sc_.guests[g]);
    domid_shard_[sc_.guests[g].domid] = uint32_t(g % threads);
    domids_.push_back(sc_.guests[g].domid);
    if (sc_.guests[g].restored_from) {
      restored_from_.resize(xt::kMaxDomid + 1);
      restored_from_[sc_.guests[g].domid] = sc_.guests[g].restored_from;
    }
  }
  std::sort(domids_.begin(), domids_.end());
  domids_.erase(std::unique(domids_.begin(), domids_.end()), domids_.end());
  requests_.resize(threads);
  for (uint32_t i = 0; i < threads; ++i) {
    std::vector<uint32_t> cpus;
    for (uint32_t c = i * pcpus / threads; c < (i + 1) * pcpus / threads; ++c) cpus.push_back(c);
    shards_.push_back(
        std::make_unique<Shard>(host_, sc_, cpus, placed[i], i, sc_.seed * 7919 + i, states_.get()));
    reached_.push_back(std::make_unique<std::atomic<uint64_t>>(0));
    written_.push_back(std::make_unique<std::atomic<uint64_t>>(0));
    refused_.push_back(std::make_unique<std::atomic<uint64_t>>(0));
  }
  host_->set_clock([this] { return now_tsc(); });
  host_->set_domain_op([this](DomainOp op, uint32_t domid) {
    return control(op == DomainOp::kPause ? Shard::Control::kPause : Shard::Control::kDestroy, domid);
  });
  // The domains it runs, as the shards publish them.
  host_->set_domain_info([this](uint32_t domid, HostDomain* out) {
    *out = info(domid);
    return out->exists;
  });
  // Its xenstore: dom0 is "Domain-0", as on Xen; a guest is named by its
  // behaviour and domid ("cpu-3"), a restored one as the guest it was.
  host_->set_domain_name([this](uint32_t domid, std::string* name) {
    if (domid == 0) {
      *name = "Domain-0";
      return true;
    }
    for (const GuestSpec& g : sc_.guests)
      if (g.domid == domid) {
        *name = std::string(behaviour_name(g.behaviour)) + "-" + std::to_string(identity_of(domid));
        return true;
      }
    return false;
  });
  host_->set_domain_list([this](std::vector<HostDomain>* out) {
    for (uint32_t d : domids_)
      if (HostDomain h = info(d); h.exists) out->push_back(h);
  });
}

uint32_t Simulator::identity_of(uint32_t domid) const {
  return domid < restored_from_.size() && restored_from_[domid] ? restored_from_[domid] : domid;
}

HostDomain Simulator::info(uint32_t domid) const {
  HostDomain h;
  h.domid = domid;
  if (domid > xt::kMaxDomid) return h;
  const DomState d = DomState::unpack(states_[domid].load(std::memory_order_acquire));
  h.exists = d.exists;
  h.paused = d.paused;
  h.shutdown = d.shutdown;
  h.dying = d.dying;
  h.shutdown_reason = d.shutdown ? d.shutdown_reason : uint8_t(xt::kNoShutdown);
  h.online_vcpus = d.online_vcpus;
  if (domid != 0) {                                         // dom0's is all zeros, as on Xen
    const uint32_t id = identity_of(domid);                 // a restored guest keeps its UUID
    h.uuid[0] = uint8_t(id >> 8), h.uuid[1] = uint8_t(id);  // a fixed, distinct UUID per guest
    h.uuid[6] = 0x40;                                       // version 4, as xl makes them
  }
  return h;
}

Simulator::~Simulator() {
  stop();
  join();
  const uint64_t last = now_tsc();  // the host may outlive us: freeze its clock
  host_->set_clock([last] { return last; });
  host_->set_domain_op(nullptr);
  host_->set_domain_info(nullptr);
  host_->set_domain_list(nullptr);
  host_->set_domain_name(nullptr);
}

void Simulator::start(double seconds) {
  const uint64_t end = seconds > 0 ? uint64_t(seconds * 1e9) : std::numeric_limits<uint64_t>::max();
  running_ = int(shards_.size());
  for (size_t i = 0; i < shards_.size(); ++i) threads_.emplace_back([this, i, end] { run_shard(i, end); });
}

void Simulator::stop() { stop_.store(true); }

bool Simulator::control(Shard::Control c, uint32_t domid) {
  if (domid >= domid_shard_.size() || domid_shard_[domid] == ~0u) return false;
  std::lock_guard<std::mutex> g(requests_lock_);
  requests_[domid_shard_[domid]].push_back(Request{c, domid});
  return true;
}

void Simulator::set_speed(double speed) {
  speed_.store(speed);
  speed_version_.fetch_add(1);
}

void Simulator::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void Simulator::run_shard(size_t i, uint64_t end_ns) {
  using clock = std::chrono::steady_clock;
  constexpr uint64_t kStepNs = 200'000;  // simulated time per pacing step
  Shard& s = *shards_[i];
  if (pin_cpu_ >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(pin_cpu_, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  // Pacing: simulated time `anchor_ns` was reached at wall time `anchor`;
  // both move when the speed changes.
  auto anchor = clock::now();
  uint64_t anchor_ns = 0;
  uint32_t version = speed_version_.load();
  double speed = speed_.load();
  uint64_t t = 0;
  while (!stop_.load(std::memory_order_relaxed) && t < end_ns) {
    const uint64_t next = std::min(end_ns, t + kStepNs);
    if (speed_version_.load(std::memory_order_relaxed) != version) {
      version = speed_version_.load();
      speed = speed_.load();
      anchor = clock::now();
      anchor_ns = t;
    }
    if (speed > 0) {
      const auto due = anchor + std::chrono::nanoseconds(uint64_t(double(next - anchor_ns) / speed));
      if (clock::now() < due) std::this_thread::sleep_until(due);
    }
    {
      std::vector<Request> todo;
      {
        std::lock_guard<std::mutex> g(requests_lock_);
        todo.swap(requests_[i]);
      }
      for (const Request& r : todo) s.control(r.c, r.domid, t);
    }
    s.run_until(next);
    t = next;
    written_[i]->store(s.records_written(), std::memory_order_relaxed);
    refused_[i]->store(s.records_refused(), std::memory_order_relaxed);
    reached_[i]->store(t, std::memory_order_release);
  }
  --running_;
}

uint64_t Simulator::now_ns() const {
  uint64_t m = std::numeric_limits<uint64_t>::max();
  for (const auto& r : reached_) m = std::min(m, r->load(std::memory_order_acquire));
  return m;
}

uint64_t Simulator::records_written() const {
  uint64_t n = 0;
  for (const auto& w : written_) n += w->load(std::memory_order_relaxed);
  return n;
}

uint64_t Simulator::records_refused() const {
  uint64_t n = 0;
  for (const auto& w : refused_) n += w->load(std::memory_order_relaxed);
  return n;
}

std::vector<VcpuTruth> Simulator::truth() const {
  std::vector<VcpuTruth> all;
  for (const auto& s : shards_) {
    std::vector<VcpuTruth> t = s->truth();
    all.insert(all.end(), t.begin(), t.end());
  }
  return all;
}

}  // namespace vt::sim

namespace vt::sim {

size_t Simulator::seconds_recorded() const {
  size_t n = ~size_t(0);
  for (const auto& s : shards_) n = std::min(n, s->truth_per_second().size());
  return shards_.empty() ? 0 : n;
}

std::vector<VcpuTruth> Simulator::truth_at_second(size_t k) const {
  std::vector<VcpuTruth> all;
  for (const auto& s : shards_) {
    const auto& v = s->truth_per_second()[k];
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

}  // namespace vt::sim
