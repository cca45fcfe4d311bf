// Test support: hand-built Xen 4.17 record sequences and xentrace files.
// Each helper writes the payload Xen 4.17 writes for that event (the event
// table, xentrace/events.h); tests state the expected figures by hand.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "xentrace/events.h"
#include "xentrace/record.h"
#include "xentrace/tokenizer.h"
#include "xentrace/trace_writer.h"

namespace vt::test {

struct Rec {
  uint32_t event = 0;
  uint64_t tsc = 0;
  std::vector<uint32_t> words;
  bool has_tsc = true;
};

inline void append(std::vector<uint8_t>* out, const Rec& r) {
  uint8_t buf[xt::kMaxRecordBytes];
  const uint32_t n =
      xt::encode_record(buf, r.event, r.has_tsc, r.tsc, r.words.data(), uint32_t(r.words.size()));
  out->insert(out->end(), buf, buf + n);
}

// One record as the tokenizer (the decoder that ships) reads it, its bytes
// kept alive with it; converts to the xt::Record the trackers take.
struct Decoded {
  std::vector<uint8_t> bytes;
  xt::Record rec;
  Decoded() = default;
  Decoded(Decoded&&) = default;  // the payload pointer follows the moved buffer
  Decoded(const Decoded&) = delete;
  operator const xt::Record&() const { return rec; }
};

inline Decoded decode(const Rec& r) {
  Decoded d;
  append(&d.bytes, r);
  xt::TokenizerState s{d.bytes.data(), d.bytes.data() + d.bytes.size()};
  if (xt::next_record(&s, &d.rec) != xt::TokenStatus::kRecord) d.rec = xt::Record{};
  return d;
}

inline std::vector<uint8_t> bytes_of(const std::vector<Rec>& recs) {
  std::vector<uint8_t> out;
  for (const Rec& r : recs) append(&out, r);
  return out;
}

// A xentrace file image; add windows in file order.
struct FileBuilder {
  std::vector<uint8_t> image;
  FileBuilder& window(uint32_t cpu, const std::vector<Rec>& recs) {
    std::vector<uint8_t> b = bytes_of(recs);
    xt::append_window(&image, cpu, b.data(), uint32_t(b.size()));
    return *this;
  }
  FileBuilder& raw_window(uint32_t cpu, const std::vector<uint8_t>& b) {
    xt::append_window(&image, cpu, b.data(), uint32_t(b.size()));
    return *this;
  }
};

// Scheduler events with Xen 4.17 payloads.
inline Rec runstate(uint64_t tsc, uint32_t dom, uint32_t vcpu, int from, int to) {
  return {xt::runstate_change_event(from, to), tsc, {xt::pack_dom_vcpu(dom, vcpu)}};
}
inline Rec continue_running(uint64_t tsc, uint32_t dom, uint32_t vcpu) {
  return {TRC_SCHED_CONTINUE_RUNNING, tsc, {xt::pack_dom_vcpu(dom, vcpu)}};
}
inline Rec dom_add(uint64_t tsc, uint32_t dom) { return {TRC_SCHED_DOM_ADD, tsc, {dom}}; }
inline Rec dom_rem(uint64_t tsc, uint32_t dom) { return {TRC_SCHED_DOM_REM, tsc, {dom}}; }
inline Rec shutdown(uint64_t tsc, uint32_t dom, uint32_t vcpu, uint32_t reason) {
  return {TRC_SCHED_SHUTDOWN, tsc, {dom, vcpu, reason}};
}
inline Rec wake(uint64_t tsc, uint32_t dom, uint32_t vcpu) { return {TRC_SCHED_WAKE, tsc, {dom, vcpu}}; }
inline Rec block(uint64_t tsc, uint32_t dom, uint32_t vcpu) { return {TRC_SCHED_BLOCK, tsc, {dom, vcpu}}; }
inline Rec yield(uint64_t tsc, uint32_t dom, uint32_t vcpu) { return {TRC_SCHED_YIELD, tsc, {dom, vcpu}}; }
inline Rec sleep(uint64_t tsc, uint32_t dom, uint32_t vcpu) { return {TRC_SCHED_SLEEP, tsc, {dom, vcpu}}; }
inline Rec infprev(uint64_t tsc, uint32_t dom, uint32_t unit, uint32_t runtime_ns) {
  return {TRC_SCHED_SWITCH_INFPREV, tsc, {dom, unit, runtime_ns}};
}
inline Rec infnext(uint64_t tsc, uint32_t dom, uint32_t unit, uint32_t waited_ns, uint32_t slice_ns) {
  return {TRC_SCHED_SWITCH_INFNEXT, tsc, {dom, unit, waited_ns, slice_ns}};
}
inline Rec infcont(uint64_t tsc, uint32_t dom, uint32_t unit, uint32_t ran_ns, uint32_t slice_ns) {
  return {TRC_SCHED_SWITCH_INFCONT, tsc, {dom, unit, ran_ns, slice_ns}};
}
inline Rec sched_switch(uint64_t tsc, uint32_t pd, uint32_t pu, uint32_t nd, uint32_t nu) {
  return {TRC_SCHED_SWITCH, tsc, {pd, pu, nd, nu}};
}
inline Rec hypercall(uint64_t tsc, uint32_t op) {  // TRC_PV_HYPERCALL_V2, no arguments
  return {TRC_PV_HYPERCALL_V2, tsc, {op}};
}
// HVM records (xentrace/events.h), as Xen's svm.c / vmx.c / hvm.c write
// them: VMEXIT64 [reason, rip lo, rip hi] (a 64-bit guest), VMEXIT
// [reason, eip]. (Xen writes the handlers' records without a TSC, which
// the tokenizer then inherits; here they carry one so that they can be
// fed one at a time.)
inline Rec vmexit64(uint64_t tsc, uint32_t reason, uint64_t rip) {
  return {TRC_HVM_VMEXIT64, tsc, {reason, uint32_t(rip), uint32_t(rip >> 32)}};
}
inline Rec vmexit32(uint64_t tsc, uint32_t reason, uint32_t eip) {
  return {TRC_HVM_VMEXIT, tsc, {reason, eip}};
}
inline Rec vmentry(uint64_t tsc) { return {TRC_HVM_VMENTRY, tsc, {}}; }
inline Rec inj_virq(uint64_t tsc, uint32_t vector) { return {TRC_HVM_INJ_VIRQ, tsc, {vector, 0}}; }
inline Rec msr_write(uint64_t tsc, uint32_t msr, uint64_t value) {
  return {TRC_HVM_MSR_WRITE, tsc, {msr, uint32_t(value), uint32_t(value >> 32)}};
}
inline Rec pv_trap(uint64_t tsc) { return {TRC_PV_TRAP | TRC_64_FLAG, tsc, {0, 0, 14}}; }
inline Rec pv_page_fault(uint64_t tsc) { return {TRC_PV_PAGE_FAULT | TRC_64_FLAG, tsc, {0, 0, 0, 0, 2}}; }
inline Rec grant_map(uint64_t tsc, uint32_t granting) { return {TRC_MEM_PAGE_GRANT_MAP, tsc, {granting}}; }
inline Rec grant_unmap(uint64_t tsc, uint32_t granting) {
  return {TRC_MEM_PAGE_GRANT_UNMAP, tsc, {granting}};
}
inline Rec grant_transfer(uint64_t tsc, uint32_t receiver) {
  return {TRC_MEM_PAGE_GRANT_TRANSFER, tsc, {receiver}};
}
// TRC_LOST_RECORDS: [count, domid | vcpu << 16, first_tsc lo, hi].
inline Rec lost(uint64_t tsc, uint32_t count, uint32_t dom, uint32_t vcpu, uint64_t first_tsc) {
  return {TRC_LOST_RECORDS, tsc, {count, dom | vcpu << 16, uint32_t(first_tsc), uint32_t(first_tsc >> 32)}};
}
// TRC_TRACE_WRAP_BUFFER padding of `bytes` (4..36) with stale payload.
inline Rec wrap_padding(uint32_t bytes) {
  Rec r{TRC_TRACE_WRAP_BUFFER, 0xdeadbeefdeadbeefull, {}, bytes == 36};
  r.words.assign((bytes - 4 - (r.has_tsc ? 8 : 0)) / 4, 0xdeadbeef);
  return r;
}

}  // namespace vt::test
