// TraceHost: the control and mapping operations a live consumer needs from
// a hypervisor's trace facility. Two implementations: XenHost (libxenctrl,
// libxenforeignmemory, libxenevtchn on a real dom0) and sim::SimHost (shared
// memory laid out exactly as Xen lays it out). Everything above this
// interface (t_info parsing, the ring protocol, the live source) is the same
// code for both: only the mapping differs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "src/util/status.h"
#include "xentrace/events.h"
#include "xentrace/hvm_exits.h"

namespace vt {

// What a toolstack can do to a guest (the detector's actions).
enum class DomainOp { kPause, kShutdown, kDestroy };

// What the host says of a domain (libxenctrl's domain info): whether it
// exists, its UUID (all zero: not known), its state. Asked before an
// action (the detector's guard) and, live, once a second for every domain
// (list_domains: the verdicts' domain state).
struct HostDomain {
  uint32_t domid = 0;
  bool exists = false;
  std::array<uint8_t, 16> uuid{};
  bool paused = false, shutdown = false, dying = false;
  uint8_t shutdown_reason = xt::kNoShutdown;  // when shutdown
  uint32_t online_vcpus = 0;
  bool hvm = false;     // an HVM or PVH guest
  uint64_t cpu_ns = 0;  // CPU time Xen has charged its vCPUs since it was created
};

struct TraceInfo {
  uint64_t t_info_mfn = 0;    // 0: no buffers allocated
  uint32_t t_info_bytes = 0;  // size of the t_info area
};

class TraceHost {
 public:
  virtual ~TraceHost() = default;

  // Number of CPU ids (max_cpu_id + 1) and the TSC frequency in Hz.
  virtual Status physinfo(uint32_t* nr_cpus, double* tsc_hz) = 0;

  // Allocates `pages` per CPU if nothing is allocated yet (Xen takes the size
  // once per boot and silently keeps the first one), turns tracing on, and
  // returns where t_info is.
  virtual Status enable(uint32_t pages, TraceInfo* info) = 0;
  virtual Status disable() = 0;
  virtual Status set_event_mask(uint32_t mask) = 0;
  // The event mask in force (Xen's XEN_SYSCTL_TBUFOP_get_info; there is no
  // way to read the CPU mask, which Xen sets to every CPU at boot).
  virtual Status get_event_mask(uint32_t* /*mask*/) {
    return Status::Unavailable("this host cannot say its event mask");
  }
  virtual Status set_cpu_mask(const std::vector<uint32_t>& cpus) = 0;

  // Maps t_info read-only / a CPU's page list read-write and virtually
  // contiguous.
  virtual Status map_t_info(uint64_t mfn, uint32_t bytes, const uint8_t** out) = 0;
  virtual Status map_pages(const std::vector<uint64_t>& mfns, uint8_t** out) = 0;
  virtual void unmap(const void* addr, uint64_t bytes) = 0;

  // A descriptor that becomes readable when the hypervisor raises
  // VIRQ_TBUF (a buffer crossed half full), or -1 if the notification could
  // not be bound (another consumer holds it): then poll on the timer only.
  virtual int notify_fd() = 0;
  virtual void notify_ack() = 0;
  virtual bool notify_owned_elsewhere() const = 0;
  // Who holds the notification, when the host knows ("" otherwise: the
  // session looks for the usual tools in /proc).
  virtual std::string notify_owner() const { return ""; }

  // The host's current TSC, for the sorter's watermark on quiet CPUs.
  virtual uint64_t now_tsc() = 0;

  // Pauses, shuts down or destroys a guest. Called from the classifier
  // thread, never on the record path.
  virtual Status domain_op(DomainOp op, uint32_t domid) = 0;
  // What the host knows of a domain; kUnavailable when it cannot say.
  // Classifier thread, before an action.
  virtual Status domain_info(uint32_t /*domid*/, HostDomain* /*out*/) {
    return Status::Unavailable("this host cannot say which domains exist");
  }
  // Every domain the host has, in domid order (`out` reused: no allocation
  // once it has grown); kUnavailable when it cannot say. Classifier thread,
  // once a second.
  virtual Status list_domains(std::vector<HostDomain>* /*out*/) {
    return Status::Unavailable("this host cannot list its domains");
  }
  // A domain's name (xenstore's /local/domain/<domid>/name); kUnavailable
  // when there is no store to ask (then no name will come: ids only),
  // another code when it has none. Classifier thread, once per new domain.
  virtual Status domain_name(uint32_t /*domid*/, std::string* /*name*/) {
    return Status::Unavailable("this host has no xenstore");
  }

  virtual std::string describe() const = 0;

  // Whose HVM exit reasons the host's records carry (its CPU vendor), or
  // kUnknown: then the trace tells (xentrace/hvm_exits.h).
  virtual xt::HvmVendor hvm_vendor() const { return xt::HvmVendor::kUnknown; }
};

}  // namespace vt
