#include "src/sim/host.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <numeric>
#include <random>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "xentrace/events.h"
#include "xentrace/tbuf.h"

namespace vt::sim {

SimHost::SimHost(const HostConfig& c) : cfg_(c) {
  cpus_.resize(cfg_.nr_cpus);
  for (auto& p : cpus_) p = std::make_unique<Cpu>();
  cpu_mask_.assign(cfg_.nr_cpus, 1);
  memfd_ = memfd_create("vtrace-sim-xen", MFD_CLOEXEC);
  eventfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  clock_ = [hz = cfg_.tsc_hz, t0 = std::chrono::steady_clock::now()] {
    const double ns = double(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    return uint64_t(1e12 + ns * hz / 1e9);
  };
}

SimHost::~SimHost() {
  for (auto& c : cpus_)
    if (c->view) munmap(c->view, uint64_t(pages_) * xt::kPageBytes);
  if (memfd_ >= 0) close(memfd_);
  if (eventfd_ >= 0) close(eventfd_);
}

Status SimHost::physinfo(uint32_t* nr_cpus, double* tsc_hz) {
  *nr_cpus = cfg_.nr_cpus;
  *tsc_hz = cfg_.tsc_hz;
  return Status::Ok();
}

Status SimHost::map_range(const std::vector<uint64_t>& mfns, int prot, uint8_t** out) {
  const uint64_t bytes = mfns.size() * xt::kPageBytes;
  void* base = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    return Status::IoError(std::string("sim: cannot reserve address space: ") + std::strerror(errno));
  const uint64_t total = uint64_t(t_info_pages_) + uint64_t(pages_) * cfg_.nr_cpus;
  for (size_t i = 0; i < mfns.size();) {
    if (mfns[i] < kMfnBase || mfns[i] - kMfnBase >= total) {
      munmap(base, bytes);
      return Status::InvalidArgument("sim: MFN " + std::to_string(mfns[i]) + " is not a trace page");
    }
    size_t run = 1;  // consecutive frames map in one go
    while (i + run < mfns.size() && mfns[i + run] == mfns[i] + run) ++run;
    void* at = static_cast<uint8_t*>(base) + i * xt::kPageBytes;
    if (mmap(at, run * xt::kPageBytes, prot, MAP_SHARED | MAP_FIXED, memfd_,
             off_t((mfns[i] - kMfnBase) * xt::kPageBytes)) == MAP_FAILED) {
      const int e = errno;
      munmap(base, bytes);
      return Status::IoError(std::string("sim: cannot map trace pages: ") + std::strerror(e));
    }
    i += run;
  }
  *out = static_cast<uint8_t*>(base);
  return Status::Ok();
}

Status SimHost::allocate(uint32_t pages) {
  const uint32_t first = xt::t_info_first_list_word(cfg_.nr_cpus_compiled);
  // Xen's clamp: data_size fits in u32, tbuf_size in u16, and the last CPU's
  // mfn_offset in u16.
  uint32_t max_pages = std::min<uint32_t>(0xffffffffu / xt::kPageBytes, 65535);
  if (cfg_.nr_cpus > 1) max_pages = std::min<uint32_t>(max_pages, (65535 - first) / (cfg_.nr_cpus - 1));
  pages = std::clamp<uint32_t>(pages, 1, max_pages);
  const uint64_t t_info_words = uint64_t(first) + uint64_t(cfg_.nr_cpus) * pages;
  t_info_pages_ = uint32_t((t_info_words * 4 + xt::kPageBytes - 1) / xt::kPageBytes);
  pages_ = pages;
  const uint64_t total = uint64_t(t_info_pages_) + uint64_t(pages) * cfg_.nr_cpus;
  if (ftruncate(memfd_, off_t(total * xt::kPageBytes)) != 0)
    return Status::IoError(std::string("sim: cannot size the trace memory: ") + std::strerror(errno));
  // Ring pages are scattered over the frames after t_info, in blocks of a
  // quarter of a buffer: every CPU's list has discontinuities, yet a big
  // host needs only a few mappings per CPU.
  const uint64_t nframes = uint64_t(pages) * cfg_.nr_cpus;
  const uint64_t block = std::max<uint64_t>(1, pages / 4);
  std::vector<uint64_t> blocks((nframes + block - 1) / block);
  std::iota(blocks.begin(), blocks.end(), 0);
  std::mt19937_64 rng(cfg_.seed);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  std::vector<uint64_t> frames;
  frames.reserve(nframes);
  for (uint64_t b : blocks)
    for (uint64_t k = b * block; k < std::min(nframes, (b + 1) * block); ++k)
      frames.push_back(kMfnBase + t_info_pages_ + k);

  std::vector<uint64_t> t_info_mfns(t_info_pages_);
  std::iota(t_info_mfns.begin(), t_info_mfns.end(), kMfnBase);
  uint8_t* t_info = nullptr;
  if (Status st = map_range(t_info_mfns, PROT_READ | PROT_WRITE, &t_info); !st.ok()) return st;
  std::memset(t_info, 0, uint64_t(t_info_pages_) * xt::kPageBytes);
  const uint16_t tbuf_size = uint16_t(pages);
  std::memcpy(t_info, &tbuf_size, 2);
  size_t next_frame = 0;
  for (uint32_t c = 0; c < cfg_.nr_cpus; ++c) {
    Cpu& cpu = *cpus_[c];
    const bool offline =
        std::find(cfg_.offline_cpus.begin(), cfg_.offline_cpus.end(), c) != cfg_.offline_cpus.end();
    if (offline) continue;  // mfn_offset stays 0, its slot in t_info unused
    const uint32_t off = first + c * pages;
    const uint16_t off16 = uint16_t(off);
    std::memcpy(t_info + 2 + 2 * c, &off16, 2);
    cpu.mfns.assign(frames.begin() + long(next_frame), frames.begin() + long(next_frame + pages));
    next_frame += pages;
    for (uint32_t j = 0; j < pages; ++j) {
      const uint32_t mfn = uint32_t(cpu.mfns[j]);
      std::memcpy(t_info + 4 * (uint64_t(off) + j), &mfn, 4);
    }
    if (Status st = map_range(cpu.mfns, PROT_READ | PROT_WRITE, &cpu.view); !st.ok()) {
      munmap(t_info, uint64_t(t_info_pages_) * xt::kPageBytes);
      return st;
    }
    std::memset(cpu.view, 0, uint64_t(pages) * xt::kPageBytes);
    cpu.producer = RingProducer(xt::Ring{cpu.view, xt::ring_data_size(pages)});
    cpu.has_buffer = true;
  }
  munmap(t_info, uint64_t(t_info_pages_) * xt::kPageBytes);
  return Status::Ok();
}

Status SimHost::enable(uint32_t pages, TraceInfo* info) {
  std::lock_guard<std::mutex> g(control_);
  if (pages_ == 0)
    if (Status st = allocate(pages == 0 ? 32 : pages); !st.ok()) return st;
  // A different size after allocation is refused by Xen and ignored by
  // xc_tbuf_enable(): the consumer reads the real size from t_info.
  info->t_info_mfn = kMfnBase;
  info->t_info_bytes = t_info_pages_ * xt::kPageBytes;
  enabled_.store(true, std::memory_order_release);
  return Status::Ok();
}

Status SimHost::disable() {
  std::lock_guard<std::mutex> g(control_);
  enabled_.store(false, std::memory_order_release);
  for (auto& c : cpus_) {
    while (c->lock.test_and_set(std::memory_order_acquire)) {
    }
    c->producer.clear_lost();
    c->lock.clear(std::memory_order_release);
  }
  return Status::Ok();
}

Status SimHost::set_event_mask(uint32_t mask) {
  evt_mask_.store(mask, std::memory_order_relaxed);
  return Status::Ok();
}

Status SimHost::set_cpu_mask(const std::vector<uint32_t>& cpus) {
  std::lock_guard<std::mutex> g(control_);
  std::vector<uint8_t> m(cfg_.nr_cpus, 0);
  for (uint32_t c : cpus) {
    if (c >= cfg_.nr_cpus)
      return Status::InvalidArgument("sim: CPU " + std::to_string(c) + " does not exist (0.." +
                                     std::to_string(cfg_.nr_cpus - 1) + ")");
    m[c] = 1;
  }
  cpu_mask_ = m;
  return Status::Ok();
}

Status SimHost::map_t_info(uint64_t mfn, uint32_t bytes, const uint8_t** out) {
  std::vector<uint64_t> mfns((bytes + xt::kPageBytes - 1) / xt::kPageBytes);
  std::iota(mfns.begin(), mfns.end(), mfn);
  uint8_t* p = nullptr;
  Status st = map_range(mfns, PROT_READ, &p);  // Xen shares t_info read-only
  if (st.ok()) *out = p;
  return st;
}

Status SimHost::map_pages(const std::vector<uint64_t>& mfns, uint8_t** out) {
  return map_range(mfns, PROT_READ | PROT_WRITE, out);
}

void SimHost::unmap(const void* addr, uint64_t bytes) {
  munmap(const_cast<void*>(addr), (bytes + xt::kPageBytes - 1) / xt::kPageBytes * xt::kPageBytes);
}

int SimHost::notify_fd() {
  if (notify_taken_elsewhere_ || notify_bound_) return -1;  // one binding per domain
  notify_bound_ = true;
  return eventfd_;
}

void SimHost::notify_ack() {
  uint64_t v;
  while (read(eventfd_, &v, sizeof v) == sizeof v) {
  }
}

uint64_t SimHost::now_tsc() { return clock_(); }

Status SimHost::domain_op(DomainOp op, uint32_t domid) {
  if (!domain_op_ || !domain_op_(op, domid))
    return Status::Unavailable("sim: no domain " + std::to_string(domid));
  return Status::Ok();
}

Status SimHost::domain_info(uint32_t domid, HostDomain* out) {
  *out = HostDomain();
  out->domid = domid;
  if (domain_info_) out->exists = domain_info_(domid, out);
  return Status::Ok();
}

Status SimHost::domain_name(uint32_t domid, std::string* name) {
  if (!domain_name_) return Status::Unavailable("sim: no xenstore");
  if (!domain_name_(domid, name)) return Status::IoError("sim: no name for domain " + std::to_string(domid));
  return Status::Ok();
}

Status SimHost::list_domains(std::vector<HostDomain>* out) {
  out->clear();
  if (!domain_list_) return Status::Unavailable("sim: no simulator runs the domains");
  domain_list_(out);
  return Status::Ok();
}

uint32_t SimHost::read_as_another_consumer(uint32_t cpu) {
  if (cpu >= cpus_.size() || !cpus_[cpu]->has_buffer) return 0;
  uint32_t taken = 0;
  xt::ring_discard(cpus_[cpu]->producer.ring(), &taken);
  return taken;
}

std::string SimHost::describe() const {
  return "simulated Xen 4.17 (" + std::to_string(cfg_.nr_cpus) + " CPUs, NR_CPUS " +
         std::to_string(cfg_.nr_cpus_compiled) + ")";
}

bool SimHost::trace(uint32_t cpu, uint32_t event, uint64_t tsc, const uint32_t* extra, uint32_t n_extra,
                    uint32_t current) {
  if (!enabled_.load(std::memory_order_acquire) || cpu >= cpus_.size()) return false;
  if (!xt::mask_admits(evt_mask_.load(std::memory_order_relaxed), event) || !cpu_mask_[cpu]) return false;
  Cpu& c = *cpus_[cpu];
  if (!c.has_buffer) return false;  // Xen drops records of a CPU without a buffer
  while (c.lock.test_and_set(std::memory_order_acquire)) {
  }
  bool highwater = false;
  const uint64_t bogus_before = c.producer.stats().bogus;
  const bool ok = c.producer.write(event, true, tsc, extra, n_extra, current, &highwater);
  const bool bogus = c.producer.stats().bogus != bogus_before;
  c.lock.clear(std::memory_order_release);
  if (bogus) enabled_.store(false, std::memory_order_release);  // Xen: tracing off on every CPU
  if (highwater) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(eventfd_, &one, sizeof one);
  }
  return ok;
}

ProducerStats SimHost::stats(uint32_t cpu) const {
  if (cpu >= cpus_.size()) return {};
  Cpu& c = *cpus_[cpu];
  while (c.lock.test_and_set(std::memory_order_acquire)) {
  }
  ProducerStats s = c.producer.stats();
  c.lock.clear(std::memory_order_release);
  return s;
}

uint64_t SimHost::lost_total() const {
  uint64_t n = 0;
  for (uint32_t c = 0; c < cpus_.size(); ++c) n += stats(c).lost;
  return n;
}

xt::Ring SimHost::ring_for_test(uint32_t cpu) const { return cpus_[cpu]->producer.ring(); }

}  // namespace vt::sim
