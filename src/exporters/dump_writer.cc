#include "src/exporters/dump_writer.h"

#include "xentrace/events.h"

namespace vt {
namespace {

void dv(std::FILE* out, uint32_t dom, uint32_t vcpu) { std::fprintf(out, " d%uv%u", dom, vcpu); }

void raw_words(std::FILE* out, const xt::Record& r) {
  for (uint32_t i = 0; i < r.n_extra; ++i) std::fprintf(out, " %08x", r.word(i));
}

// The record's fields as the event table lays them out.
void fields(std::FILE* out, const xt::EventInfo& e, const xt::Record& r) {
  uint32_t w = 0;
  for (const xt::Field& f : e.fields) {
    const char* l = f.label;
    switch (f.kind) {
      case xt::FieldKind::kNone: return;
      case xt::FieldKind::kDomVcpu:
        if (l) std::fprintf(out, " %s", l);
        dv(out, r.word(w), r.word(w + 1));
        break;
      case xt::FieldKind::kPackedDomVcpu:
        dv(out, xt::packed_domid(r.word(w)), xt::packed_vcpu(r.word(w)));
        break;
      case xt::FieldKind::kLostDomVcpu:
        std::fprintf(out, " %s", l);
        dv(out, xt::lost_domid(r.word(w)), xt::lost_vcpu(r.word(w)));
        break;
      case xt::FieldKind::kDomid:
        if (l)
          std::fprintf(out, " %s=d%u", l, r.word(w));
        else
          std::fprintf(out, " d%u", r.word(w));
        break;
      case xt::FieldKind::kU32: std::fprintf(out, " %s=%u", l, r.word(w)); break;
      case xt::FieldKind::kNs: std::fprintf(out, " %s=%uns", l, r.word(w)); break;
      case xt::FieldKind::kSliceNs:
        if (r.word(w) == xt::kNoSliceLimit)
          std::fprintf(out, " %s=unlimited", l);
        else
          std::fprintf(out, " %s=%uns", l, r.word(w));
        break;
      case xt::FieldKind::kTsc: std::fprintf(out, " %s=%llu", l, (unsigned long long)r.word64(w)); break;
      case xt::FieldKind::kHex32: std::fprintf(out, " %s=0x%x", l, r.word(w)); break;
      case xt::FieldKind::kHex64: std::fprintf(out, " %s=0x%llx", l, (unsigned long long)r.word64(w)); break;
      case xt::FieldKind::kRunstates:
        std::fprintf(out, " %s->%s", xt::runstate_name(xt::runstate_old(r.event)),
                     xt::runstate_name(xt::runstate_new(r.event)));
        break;
      case xt::FieldKind::kHypercallOp: std::fprintf(out, " op=%u", xt::hypercall_op(r.word(w))); break;
    }
    w += xt::field_words(f.kind);
  }
}

}  // namespace

void write_dump_line(std::FILE* out, double t_s, uint32_t cpu, uint64_t offset, const xt::Record& r,
                     const DomainTable& table) {
  const char* name = xt::event_name(r.event);
  std::fprintf(out, "%14.9f cpu%u @%llu %08x %s", t_s, cpu, (unsigned long long)offset, r.event,
               name ? name : "unknown");
  if (xt::is_pv_event(r.event) || xt::is_hvm_event(r.event)) {  // they name no vCPU: the one running there
    const uint32_t vi = cpu < table.pcpus.size() ? table.pcpus[cpu].current : kNone;
    if (vi != kNone)
      dv(out, table.vcpus[vi].domid, table.vcpus[vi].id);
    else
      std::fprintf(out, " d?v?");
  }
  const xt::EventInfo* e = xt::event_info(r.event);
  if (e && e->fields[0].kind != xt::FieldKind::kNone && r.n_extra >= e->words)
    fields(out, *e, r);
  else
    raw_words(out, r);
  std::fputc('\n', out);
}

}  // namespace vt
