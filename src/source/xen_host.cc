#include "src/source/xen_host.h"

#include <cpuid.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <sys/mman.h>
#include <vector>
#include <x86intrin.h>

extern "C" {
#include <xencall.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xentoollog.h>
}

namespace vt {
namespace {

// Keeps libxenctrl & co. quiet: vtrace reports failures itself.
void quiet_vmessage(xentoollog_logger*, xentoollog_level, int, const char*, const char*, va_list) {}
void quiet_destroy(xentoollog_logger*) {}
xentoollog_logger quiet_logger = {quiet_vmessage, nullptr, quiet_destroy};

// kIoError "what: strerror(errno)".
Status errno_status(const char* what) {
  return Status::IoError(std::string(what) + ": " + std::strerror(errno));
}

class XenHost : public TraceHost {
 public:
  ~XenHost() override {
    if (xs_) xs_close(xs_);
    if (ctl_) xc_interface_close(ctl_);
    if (xce_) xenevtchn_close(xce_);
    if (fmem_) xenforeignmemory_close(fmem_);
    if (xch_) xc_interface_close(xch_);
  }

  Status init() {
    xch_ = xc_interface_open(&quiet_logger, &quiet_logger, 0);
    if (!xch_)
      return Status::Unavailable(std::string("no Xen hypervisor here (cannot open the privcmd interface: ") +
                                 std::strerror(errno) + ")");
    fmem_ = xenforeignmemory_open(&quiet_logger, 0);
    if (!fmem_) return errno_status("xenforeignmemory_open");
    xce_ = xenevtchn_open(&quiet_logger, 0);
    return Status::Ok();
  }

  Status physinfo(uint32_t* nr_cpus, double* tsc_hz) override {
    xc_physinfo_t info;
    std::memset(&info, 0, sizeof info);
    if (xc_physinfo(xch_, &info) != 0) return errno_status("xc_physinfo");
    *nr_cpus = info.max_cpu_id + 1;
    *tsc_hz = double(info.cpu_khz) * 1000.0;
    return Status::Ok();
  }

  Status enable(uint32_t pages, TraceInfo* info) override {
    unsigned long mfn = 0, size = 0;
    if (xc_tbuf_enable(xch_, pages, &mfn, &size) != 0) return errno_status("xc_tbuf_enable");
    info->t_info_mfn = mfn;
    info->t_info_bytes = uint32_t(size);  // t_info's size in bytes, whatever xenctrl.h says
    return Status::Ok();
  }

  Status disable() override {
    if (xc_tbuf_disable(xch_) != 0) return errno_status("xc_tbuf_disable");
    return Status::Ok();
  }

  Status set_event_mask(uint32_t mask) override {
    if (xc_tbuf_set_evt_mask(xch_, mask) != 0) return errno_status("xc_tbuf_set_evt_mask");
    return Status::Ok();
  }

  // libxenctrl sets the mask but does not read it: the sysctl it wraps
  // does (get_info), through libxencall.
  Status get_event_mask(uint32_t* mask) override {
    xencall_handle* call = xencall_open(&quiet_logger, 0);
    if (!call) return errno_status("xencall_open");
    auto* sc = static_cast<xen_sysctl*>(xencall_alloc_buffer(call, sizeof(xen_sysctl)));
    if (!sc) {
      const Status st = errno_status("xencall_alloc_buffer");
      xencall_close(call);
      return st;
    }
    std::memset(sc, 0, sizeof *sc);
    sc->cmd = XEN_SYSCTL_tbuf_op;
    sc->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    sc->u.tbuf_op.cmd = XEN_SYSCTL_TBUFOP_get_info;
    const int rc = xencall1(call, __HYPERVISOR_sysctl, uint64_t(uintptr_t(sc)));
    const Status st = rc == 0 ? Status::Ok() : errno_status("sysctl tbuf_op get_info");
    if (rc == 0) *mask = sc->u.tbuf_op.evt_mask;
    xencall_free_buffer(call, sc);
    xencall_close(call);
    return st;
  }

  Status set_cpu_mask(const std::vector<uint32_t>& cpus) override {
    xc_cpumap_t map = xc_cpumap_alloc(xch_);
    if (!map) return errno_status("xc_cpumap_alloc");
    const int max = xc_get_max_cpus(xch_);
    for (uint32_t c : cpus) {
      if (int(c) >= max) {
        free(map);
        return Status::InvalidArgument("CPU " + std::to_string(c) + " does not exist on this host");
      }
      map[c / 8] |= uint8_t(1u << (c % 8));
    }
    const int rc = xc_tbuf_set_cpu_mask(xch_, map);
    const Status st = rc == 0 ? Status::Ok() : errno_status("xc_tbuf_set_cpu_mask");
    free(map);
    return st;
  }

  Status map_t_info(uint64_t mfn, uint32_t bytes, const uint8_t** out) override {
    const size_t pages = (bytes + XC_PAGE_SIZE - 1) / XC_PAGE_SIZE;
    std::vector<xen_pfn_t> pfns(pages);
    for (size_t i = 0; i < pages; ++i) pfns[i] = xen_pfn_t(mfn + i);
    void* p = xenforeignmemory_map(fmem_, DOMID_XEN, PROT_READ, pages, pfns.data(), nullptr);
    if (!p) return errno_status("mapping t_info");
    *out = static_cast<const uint8_t*>(p);
    return Status::Ok();
  }

  Status map_pages(const std::vector<uint64_t>& mfns, uint8_t** out) override {
    std::vector<xen_pfn_t> pfns(mfns.begin(), mfns.end());
    std::vector<int> errs(mfns.size(), 0);
    void* p =
        xenforeignmemory_map(fmem_, DOMID_XEN, PROT_READ | PROT_WRITE, pfns.size(), pfns.data(), errs.data());
    if (!p) return errno_status("mapping a trace buffer");
    for (size_t i = 0; i < errs.size(); ++i) {
      if (errs[i] != 0) {
        xenforeignmemory_unmap(fmem_, p, pfns.size());
        return Status::IoError("mapping trace page " + std::to_string(i) + " (MFN " +
                               std::to_string(mfns[i]) + "): " + std::strerror(-errs[i]));
      }
    }
    *out = static_cast<uint8_t*>(p);
    return Status::Ok();
  }

  void unmap(const void* addr, uint64_t bytes) override {
    xenforeignmemory_unmap(fmem_, const_cast<void*>(addr), (bytes + XC_PAGE_SIZE - 1) / XC_PAGE_SIZE);
  }

  int notify_fd() override {
    if (!xce_ || port_ >= 0) return -1;
    port_ = xenevtchn_bind_virq(xce_, VIRQ_TBUF);
    if (port_ < 0) {
      taken_elsewhere_ = errno == EEXIST;  // xentrace or xenbaked holds it
      return -1;
    }
    return xenevtchn_fd(xce_);
  }

  void notify_ack() override {
    if (!xce_ || port_ < 0) return;
    const xenevtchn_port_or_error_t p = xenevtchn_pending(xce_);
    if (p >= 0) xenevtchn_unmask(xce_, evtchn_port_t(p));
  }

  bool notify_owned_elsewhere() const override { return taken_elsewhere_; }

  uint64_t now_tsc() override { return __rdtsc(); }  // dom0's TSC: the host's, on PV dom0

  Status domain_op(DomainOp op, uint32_t domid) override {
    // Its own handle: this runs on the classifier thread.
    if (!ctl_) ctl_ = xc_interface_open(&quiet_logger, &quiet_logger, 0);
    if (!ctl_) return errno_status("xc_interface_open");
    int rc;
    const char* what;
    switch (op) {
      case DomainOp::kPause: rc = xc_domain_pause(ctl_, domid), what = "xc_domain_pause"; break;
      case DomainOp::kShutdown:
        rc = xc_domain_shutdown(ctl_, domid, SHUTDOWN_poweroff), what = "xc_domain_shutdown";
        break;
      default: rc = xc_domain_destroy(ctl_, domid), what = "xc_domain_destroy"; break;
    }
    return rc == 0 ? Status::Ok() : errno_status(what);
  }

  Status domain_info(uint32_t domid, HostDomain* out) override {
    if (!ctl_) ctl_ = xc_interface_open(&quiet_logger, &quiet_logger, 0);
    if (!ctl_) return errno_status("xc_interface_open");
    xc_dominfo_t info{};
    const int n = xc_domain_getinfo(ctl_, domid, 1, &info);  // the first domain at or after domid
    if (n < 0) return errno_status("xc_domain_getinfo");
    *out = HostDomain();
    if (n == 0 || info.domid != domid) return Status::Ok();  // gone
    fill(info, out);
    return Status::Ok();
  }

  Status list_domains(std::vector<HostDomain>* out) override {
    if (!ctl_) ctl_ = xc_interface_open(&quiet_logger, &quiet_logger, 0);
    if (!ctl_) return errno_status("xc_interface_open");
    out->clear();
    // In batches, each starting after the last domid seen (xc_domain_getinfo
    // returns the domains at or after its first argument).
    xc_dominfo_t batch[64];
    for (uint32_t next = 0; next <= xt::kMaxDomid;) {
      const int n = xc_domain_getinfo(ctl_, next, 64, batch);
      if (n < 0) return errno_status("xc_domain_getinfo");
      for (int i = 0; i < n; ++i) {
        HostDomain h;
        fill(batch[i], &h);
        out->push_back(h);
      }
      if (n < 64) break;
      next = batch[n - 1].domid + 1;
    }
    return Status::Ok();
  }

  Status domain_name(uint32_t domid, std::string* name) override {
    if (!xs_ && !xs_failed_) {
      xs_ = xs_open(XS_OPEN_READONLY);
      if (!xs_) {
        xs_failed_ = true;
        xs_error_ = errno_status("xenstore: xs_open").message();
      }
    }
    if (!xs_) return Status::Unavailable(xs_error_);
    const std::string path = "/local/domain/" + std::to_string(domid) + "/name";
    unsigned int len = 0;
    char* v = static_cast<char*>(xs_read(xs_, XBT_NULL, path.c_str(), &len));
    if (!v) return Status::IoError(path + ": not in xenstore");
    name->assign(v, len);
    std::free(v);
    return Status::Ok();
  }

  static void fill(const xc_dominfo_t& info, HostDomain* out) {
    *out = HostDomain();
    out->domid = info.domid;
    out->exists = true;
    std::memcpy(out->uuid.data(), info.handle, out->uuid.size());
    out->paused = info.paused;
    out->shutdown = info.shutdown;
    out->dying = info.dying;
    if (info.shutdown) out->shutdown_reason = uint8_t(std::min(info.shutdown_reason, 0xfeu));
    out->online_vcpus = info.nr_online_vcpus;
    out->hvm = info.hvm;
    out->cpu_ns = info.cpu_time;
  }

  std::string describe() const override { return "Xen (libxenctrl)"; }

  // dom0 runs on the host's CPUs: their vendor is the one whose exit codes
  // Xen writes (SVM on AMD and Hygon, VMX on Intel and the others).
  xt::HvmVendor hvm_vendor() const override {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return xt::HvmVendor::kUnknown;
    char v[13];
    std::memcpy(v, &b, 4);
    std::memcpy(v + 4, &d, 4);
    std::memcpy(v + 8, &c, 4);
    v[12] = 0;
    const std::string s(v);
    return s == "AuthenticAMD" || s == "HygonGenuine" ? xt::HvmVendor::kSvm : xt::HvmVendor::kVmx;
  }

 private:
  xc_interface* xch_ = nullptr;
  xc_interface* ctl_ = nullptr;  // domain operations, classifier thread
  xs_handle* xs_ = nullptr;      // xenstore, read-only, classifier thread
  bool xs_failed_ = false;
  std::string xs_error_;
  xenforeignmemory_handle* fmem_ = nullptr;
  xenevtchn_handle* xce_ = nullptr;
  xenevtchn_port_or_error_t port_ = -1;
  bool taken_elsewhere_ = false;
};

}  // namespace

Status open_xen_host(std::unique_ptr<TraceHost>* out) {
  auto h = std::make_unique<XenHost>();
  if (Status st = h->init(); !st.ok()) return st;
  *out = std::move(h);
  return Status::Ok();
}

}  // namespace vt
