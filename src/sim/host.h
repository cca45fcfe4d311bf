// The simulated hypervisor's trace facility: a shared-memory region laid
// out exactly as Xen 4.17 lays out its trace buffers, and Xen's trace call.
//
// Memory: a memfd whose pages stand for machine frames (MFN = kMfnBase +
// page index). Once enabled, it holds the t_info area (u16 tbuf_size, u16
// mfn_offset[NR_CPUS] in 32-bit words, then u32 MFN lists) and, for every
// CPU online at allocation, `pages` pages of ring whose MFNs are scattered
// (not contiguous), as Xen's may be. Consumers map it through the TraceHost
// interface exactly as they map Xen's (t_info read-only, each CPU's page
// list read-write and virtually contiguous).
//
// Xen's rules kept: the size is taken once per boot (a later request for
// another size is ignored) and clamped as Xen clamps it; the event mask
// filters by class, subclass and event bits; the CPU mask by CPU; a CPU with
// no buffer drops its records; disable() stops tracing and clears the
// lost-record counters; a write that crosses half full raises the
// notification (an eventfd standing for VIRQ_TBUF), and only one consumer
// may own it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "src/sim/producer.h"
#include "src/source/trace_host.h"

namespace vt::sim {

constexpr uint64_t kMfnBase = 0x80000;

struct HostConfig {
  uint32_t nr_cpus = 4;                // CPU ids 0..nr_cpus-1 (physinfo max_cpu_id + 1)
  uint32_t nr_cpus_compiled = 256;     // Xen's NR_CPUS: length of mfn_offset[]
  std::vector<uint32_t> offline_cpus;  // offline when buffers are allocated: no buffer
  double tsc_hz = 2.4e9;
  uint64_t seed = 1;  // for the MFN scatter
};

class SimHost : public TraceHost {
 public:
  explicit SimHost(const HostConfig& c);
  ~SimHost() override;

  // TraceHost (the consumer's side).
  // Failures: kInvalidArgument for a CPU that does not exist, kUnavailable
  // for a domain the simulator does not run, kIoError when the memory
  // cannot be sized or mapped (messages start "sim: ").
  Status physinfo(uint32_t* nr_cpus, double* tsc_hz) override;
  Status enable(uint32_t pages, TraceInfo* info) override;
  Status disable() override;
  Status set_event_mask(uint32_t mask) override;
  Status set_cpu_mask(const std::vector<uint32_t>& cpus) override;
  Status get_event_mask(uint32_t* mask) override {
    *mask = evt_mask_.load(std::memory_order_relaxed);
    return Status::Ok();
  }
  // Every CPU traced (Xen's boot default, what a session restores).
  bool all_cpus_traced() const {
    std::lock_guard<std::mutex> g(control_);
    for (uint8_t c : cpu_mask_)
      if (!c) return false;
    return true;
  }
  Status map_t_info(uint64_t mfn, uint32_t bytes, const uint8_t** out) override;
  Status map_pages(const std::vector<uint64_t>& mfns, uint8_t** out) override;
  void unmap(const void* addr, uint64_t bytes) override;
  int notify_fd() override;
  void notify_ack() override;
  bool notify_owned_elsewhere() const override { return notify_taken_elsewhere_; }
  uint64_t now_tsc() override;
  Status domain_op(DomainOp op, uint32_t domid) override;
  Status domain_info(uint32_t domid, HostDomain* out) override;
  Status list_domains(std::vector<HostDomain>* out) override;
  Status domain_name(uint32_t domid, std::string* name) override;
  std::string notify_owner() const override { return notify_owner_; }
  std::string describe() const override;
  // The simulator carries domain operations out (set_domain_op).
  void set_domain_op(std::function<bool(DomainOp, uint32_t)> f) { domain_op_ = std::move(f); }
  // ... and says which domains it runs (set_domain_info; without one, none).
  void set_domain_info(std::function<bool(uint32_t, HostDomain*)> f) { domain_info_ = std::move(f); }
  // ... and lists them (set_domain_list; without one, kUnavailable).
  void set_domain_list(std::function<void(std::vector<HostDomain>*)> f) { domain_list_ = std::move(f); }
  // ... and names them: its small xenstore (set_domain_name; without one,
  // kUnavailable, as on a host without xenstore).
  void set_domain_name(std::function<bool(uint32_t, std::string*)> f) { domain_name_ = std::move(f); }

  // The hypervisor's side: Xen's trace call on CPU `cpu`. `current` is the
  // vCPU running there, packed as TRC_LOST_RECORDS packs it
  // (xt::pack_lost_vcpu: domid | vcpu << 16).
  // Returns false if the record was filtered out or lost. A bogus prod or
  // cons in the CPU's ring turns tracing off on every CPU (Xen:
  // tb_init_done = 0) until enable() is called again.
  bool trace(uint32_t cpu, uint32_t event, uint64_t tsc, const uint32_t* extra, uint32_t n_extra,
             uint32_t current);

  const HostConfig& config() const { return cfg_; }
  bool tracing() const { return enabled_.load(std::memory_order_acquire); }
  uint32_t event_mask() const { return evt_mask_.load(std::memory_order_relaxed); }
  uint32_t pages_per_cpu() const { return pages_; }
  ProducerStats stats(uint32_t cpu) const;
  uint64_t lost_total() const;

  // The clock behind now_tsc() (the simulator sets it to its own clock).
  void set_clock(std::function<uint64_t()> clock) { clock_ = std::move(clock); }
  // A second consumer already bound the notification (as a running xentrace
  // would have), named `owner` ("": the session looks in /proc).
  void take_notify_elsewhere(std::string owner = "") {
    notify_taken_elsewhere_ = true;
    notify_owner_ = std::move(owner);
  }
  // A second reader's drain of a CPU's ring: it takes everything written
  // so far (cons = prod, as xentrace does after copying it out). Returns the
  // bytes it took. Safe beside the consumer's threads (atomic cons/prod),
  // and as harmful to them as a real second reader.
  uint32_t read_as_another_consumer(uint32_t cpu);
  // Direct view of a CPU's ring, for tests that corrupt prod or cons.
  xt::Ring ring_for_test(uint32_t cpu) const;

 private:
  struct Cpu {
    bool has_buffer = false;
    std::vector<uint64_t> mfns;
    uint8_t* view = nullptr;  // the producer's contiguous mapping
    RingProducer producer;
    std::atomic_flag lock = ATOMIC_FLAG_INIT;  // Xen's per-CPU trace lock
  };
  Status allocate(uint32_t pages);
  Status map_range(const std::vector<uint64_t>& mfns, int prot, uint8_t** out);

  HostConfig cfg_;
  int memfd_ = -1;
  int eventfd_ = -1;
  bool notify_bound_ = false;
  bool notify_taken_elsewhere_ = false;
  std::string notify_owner_;
  uint32_t pages_ = 0;  // per CPU, once allocated
  uint32_t t_info_pages_ = 0;
  std::vector<std::unique_ptr<Cpu>> cpus_;
  std::vector<uint8_t> cpu_mask_;
  std::atomic<bool> enabled_{false};
  std::atomic<uint32_t> evt_mask_{TRC_ALL};  // Xen's default
  std::function<uint64_t()> clock_;
  std::function<bool(DomainOp, uint32_t)> domain_op_;
  std::function<bool(uint32_t, HostDomain*)> domain_info_;
  std::function<void(std::vector<HostDomain>*)> domain_list_;
  std::function<bool(uint32_t, std::string*)> domain_name_;
  mutable std::mutex control_;  // serialises control operations (Xen's sysctl lock)
};

}  // namespace vt::sim
