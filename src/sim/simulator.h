// Simulator: runs a scenario's shards (scheduler model, sched_model.h) in threads
// against a SimHost, paced so that `speed` simulated seconds pass per wall
// second (speed 0: as fast as possible). Each shard owns its pCPUs, so the
// threads share nothing but the host, whose per-CPU lock is Xen's. The
// host's clock (now_tsc) becomes the simulated clock: the earliest time up
// to which every shard has written its records.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "src/sim/host.h"
#include "src/sim/scenario.h"
#include "src/sim/sched_model.h"

namespace vt::sim {

class Simulator {
 public:
  Simulator(SimHost* host, const Scenario& sc);
  ~Simulator();

  // Starts the threads; they stop after `seconds` of simulated time (<= 0:
  // only at stop()).
  void start(double seconds);
  void stop();
  // Changes the pace while running (sim seconds per wall second, > 0).
  void set_speed(double speed);
  // A toolstack request (the detector's action): the shard that holds the
  // domain carries it out at its next step. False if no shard has it.
  bool control(Shard::Control c, uint32_t domid);

  // Pins every simulation thread to this host CPU (before start()).
  void pin_to(int cpu) { pin_cpu_ = cpu; }
  void join();
  bool finished() const { return running_.load() == 0; }

  // Simulated time every shard has reached (ns), and as a TSC.
  uint64_t now_ns() const;
  uint64_t now_tsc() const { return Shard::tsc_at(now_ns(), hz_); }
  uint64_t records_written() const;
  uint64_t records_refused() const;  // filtered by the masks or lost
  // Ground truth per vCPU; call after join().
  std::vector<VcpuTruth> truth() const;
  // Ground truth at whole simulated second k+1 (every shard), after join().
  std::vector<VcpuTruth> truth_at_second(size_t k) const;
  size_t seconds_recorded() const;

 private:
  void run_shard(size_t i, uint64_t end_ns);

  SimHost* host_;
  Scenario sc_;
  double hz_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::unique_ptr<std::atomic<uint64_t>>> reached_;
  std::vector<std::unique_ptr<std::atomic<uint64_t>>> written_, refused_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<int> running_{0};
  std::atomic<double> speed_{1.0};
  std::atomic<uint32_t> speed_version_{0};
  int pin_cpu_ = -1;
  struct Request {
    Shard::Control c;
    uint32_t domid;
  };
  std::mutex requests_lock_;                    // rare: a verdict's action
  std::vector<std::vector<Request>> requests_;  // per shard
  std::vector<uint32_t> domid_shard_;
  // Per domid, what the host's domain info says (DomState::pack), written
  // by the shard that runs it; and the domids any shard may run, in order.
  std::unique_ptr<std::atomic<uint32_t>[]> states_;
  std::vector<uint32_t> domids_;
  std::vector<uint32_t> restored_from_;  // by domid (empty: no restore)
  HostDomain info(uint32_t domid) const;
  uint32_t identity_of(uint32_t domid) const;  // the domid whose name and UUID it has
};

}  // namespace vt::sim
