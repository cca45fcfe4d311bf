#include "src/exporters/dump_writer.h"

#include "xentrace/events.h"

namespace vt {
namespace {

void dv(std::FILE* out, uint32_t dom, uint32_t vcpu) { std::fprintf(out, " d%uv%u", dom, vcpu); }

void raw_words(std::FILE* out, const xt::Record& r) {
  for (uint32_t i = 0; i < r.n_extra; ++i) std::fprintf(out, " %08x", r.word(i));
}

}  // namespace

void write_dump_line(std::FILE* out, double t_s, uint32_t cpu, uint64_t offset, const xt::Record& r,
                     const DomainTable& table) {
  const uint32_t e = r.event;
  const char* name = xt::event_name(e);
  std::fprintf(out, "%14.9f cpu%u @%llu %08x %s", t_s, cpu, (unsigned long long)offset, e,
               name ? name : "unknown");
  if (xt::is_runstate_change(e) && r.n_extra >= 1) {
    dv(out, xt::packed_domid(r.word(0)), xt::packed_vcpu(r.word(0)));
    std::fprintf(out, " %s->%s", xt::runstate_name(xt::runstate_old(e)),
                 xt::runstate_name(xt::runstate_new(e)));
  } else if (xt::is_pv_event(e)) {
    const uint32_t vi = cpu < table.pcpus.size() ? table.pcpus[cpu].current : kNone;
    if (vi != kNone) dv(out, table.vcpus[vi].domid, table.vcpus[vi].id);
    else std::fprintf(out, " d?v?");
    const uint32_t base = xt::pv_base_event(e);
    if ((base == TRC_PV_HYPERCALL_V2 || base == TRC_PV_HYPERCALL_SUBCALL) && r.n_extra >= 1)
      std::fprintf(out, " op=%u", xt::hypercall_op(r.word(0)));
    else
      raw_words(out, r);
  } else {
    switch (e) {
      case TRC_SCHED_CONTINUE_RUNNING:
        if (r.n_extra >= 1) dv(out, xt::packed_domid(r.word(0)), xt::packed_vcpu(r.word(0)));
        break;
      case TRC_SCHED_WAKE: case TRC_SCHED_BLOCK: case TRC_SCHED_SLEEP: case TRC_SCHED_YIELD:
        if (r.n_extra >= 2) dv(out, r.word(0), r.word(1));
        break;
      case TRC_SCHED_SHUTDOWN: case TRC_SCHED_SHUTDOWN_CODE:
        if (r.n_extra >= 3) {
          dv(out, r.word(0), r.word(1));
          std::fprintf(out, " reason=%u", r.word(2));
        }
        break;
      case TRC_SCHED_DOM_ADD: case TRC_SCHED_DOM_REM: case TRC_SCHED_ADJDOM:
      case TRC_DOM0_DOM_ADD: case TRC_DOM0_DOM_REM:
        if (r.n_extra >= 1) std::fprintf(out, " d%u", r.word(0));
        break;
      case TRC_SCHED_SWITCH:
        if (r.n_extra >= 4) {
          dv(out, r.word(0), r.word(1));
          std::fprintf(out, " ->");
          dv(out, r.word(2), r.word(3));
        }
        break;
      case TRC_SCHED_SWITCH_INFPREV:
        if (r.n_extra >= 3) {
          dv(out, r.word(0), r.word(1));
          std::fprintf(out, " runtime=%uns", r.word(2));
        }
        break;
      case TRC_SCHED_SWITCH_INFNEXT:
      case TRC_SCHED_SWITCH_INFCONT:
        if (r.n_extra >= 4) {
          dv(out, r.word(0), r.word(1));
          std::fprintf(out, e == TRC_SCHED_SWITCH_INFNEXT ? " waited=%uns" : " ran=%uns", r.word(2));
          if (r.word(3) == xt::kNoSliceLimit) std::fprintf(out, " slice=unlimited");
          else std::fprintf(out, " slice=%uns", r.word(3));
        }
        break;
      case TRC_LOST_RECORDS:
        if (r.n_extra >= 4) {
          std::fprintf(out, " count=%u current", r.word(0));
          dv(out, r.word(1) & 0xffff, r.word(1) >> 16);
          std::fprintf(out, " first_tsc=%llu", (unsigned long long)r.word64(2));
        }
        break;
      case TRC_MEM_PAGE_GRANT_MAP: case TRC_MEM_PAGE_GRANT_UNMAP:
        if (r.n_extra >= 1) std::fprintf(out, " granter=d%u", r.word(0));
        break;
      case TRC_MEM_PAGE_GRANT_TRANSFER:
        if (r.n_extra >= 1) std::fprintf(out, " receiver=d%u", r.word(0));
        break;
      default:
        raw_words(out, r);
    }
  }
  std::fputc('\n', out);
}

}  // namespace vt
