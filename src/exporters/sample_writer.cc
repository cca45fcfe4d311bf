#include "src/exporters/sample_writer.h"

namespace vt {

std::string SampleWriter::csv_header(bool per_vcpu) {
  std::string h = per_vcpu ? "t,span_s,domid,generation,vcpu" : "t,span_s,domid,generation,vcpus";
  for (int s = 0; s < kTimedStates; ++s) h += std::string(",") + vstate_name(s) + "_s";
  for (int i = 0; i < kNumCounts; ++i) h += std::string(",") + count_name(i);
  if (!per_vcpu) {
    for (int i = 0; i < kNumDomainCounts; ++i)
      if (i != kBlindTicks) h += std::string(",") + domain_count_name(i);
    for (const ExtremeColumn& x : kExtremeColumns) h += std::string(",") + x.name;
    h += ",blinded";
    for (const char* c : kStateColumns) h += std::string(",") + c;
  }
  return h;
}

void SampleWriter::write(const std::vector<DomainSample>& period) {
  if (!header_done_) {
    header_done_ = true;
    if (f_ == Format::kCsv) std::fprintf(out_, "%s\n", csv_header(per_vcpu_).c_str());
    if (f_ == Format::kTable)
      std::fprintf(out_, "%8s %6s %5s %9s %9s %9s %7s %7s %7s %10s %7s %s\n", "t", "domid", "vcpu",
                   "running%", "runnable%", "blocked%", "execs", "wakes", "blocks", "hypercalls", "grants",
                   "flags");
  }
  for (const DomainSample& s : period) {
    if (per_vcpu_) {
      for (uint32_t i = 0; i < s.n_vcpu; ++i) row(s, s.vcpu[i].d, s.vcpu[i].id);
    } else {
      row(s, s.d, -1);
    }
  }
  std::fflush(out_);
}

void SampleWriter::row(const DomainSample& s, const VcpuCounters& c, int vcpu) {
  const bool dom_row = vcpu < 0;
  switch (f_) {
    case Format::kCsv: {
      std::fprintf(out_, "%.0f,%.6f,%u,%u,%u", s.start_s, s.span_s, s.domid, s.generation,
                   dom_row ? s.vcpus : unsigned(vcpu));
      for (int st = 0; st < kTimedStates; ++st) std::fprintf(out_, ",%.6f", seconds(c.cycles[st], hz_));
      for (int i = 0; i < kNumCounts; ++i) std::fprintf(out_, ",%llu", (unsigned long long)c.n[i]);
      if (dom_row) {
        for (int i = 0; i < kNumDomainCounts; ++i)
          if (i != kBlindTicks) std::fprintf(out_, ",%llu", (unsigned long long)s.dd.n[i]);
        for (const ExtremeColumn& x : kExtremeColumns) {
          std::fputc(',', out_);
          std::fprintf(out_, x.format, s.vx.*x.field);
        }
        std::fprintf(out_, ",%d,%s,%s,%u,%.3f", s.blinded ? 1 : 0, domain_state_name(s.state),
                     shutdown_column(s.shutdown_reason), s.vcpus_up, double(s.age_s));
      }
      std::fprintf(out_, "\n");
      break;
    }
    case Format::kJson: {
      std::fprintf(out_, "{\"t\": %.0f, \"span_s\": %.6f, \"domid\": %u, \"generation\": %u, \"%s\": %u",
                   s.start_s, s.span_s, s.domid, s.generation, dom_row ? "vcpus" : "vcpu",
                   dom_row ? s.vcpus : unsigned(vcpu));
      for (int st = 0; st < kTimedStates; ++st)
        std::fprintf(out_, ", \"%s_s\": %.6f", vstate_name(st), seconds(c.cycles[st], hz_));
      for (int i = 0; i < kNumCounts; ++i)
        std::fprintf(out_, ", \"%s\": %llu", count_name(i), (unsigned long long)c.n[i]);
      if (dom_row) {
        for (int i = 0; i < kNumDomainCounts; ++i)
          if (i != kBlindTicks)
            std::fprintf(out_, ", \"%s\": %llu", domain_count_name(i), (unsigned long long)s.dd.n[i]);
        for (const ExtremeColumn& x : kExtremeColumns) {
          std::fprintf(out_, ", \"%s\": ", x.name);
          std::fprintf(out_, x.format, s.vx.*x.field);
        }
        std::fprintf(out_, ", \"blinded\": %s", s.blinded ? "true" : "false");
        std::fprintf(out_, ", \"%s\": \"%s\", \"%s\": \"%s\", \"%s\": %u, \"%s\": %.3f", kStateColumns[0],
                     domain_state_name(s.state), kStateColumns[1], shutdown_column(s.shutdown_reason),
                     kStateColumns[2], s.vcpus_up, kStateColumns[3], double(s.age_s));
      }
      std::fprintf(out_, "}\n");
      break;
    }
    case Format::kTable: {
      // Percent of the vCPU time available: a domain row divides by its vCPUs.
      const double span = (s.span_s > 0 ? s.span_s : 1) * (dom_row && s.vcpus > 1 ? s.vcpus : 1);
      char v[16];
      // Flags: blinded, and a domain's state when it is not active.
      const bool stopped = dom_row && s.state != DomainState::kActive;
      char flags[40];
      std::snprintf(flags, sizeof flags, "%s%s%s", s.blinded ? "blinded" : "",
                    s.blinded && stopped ? "," : "", stopped ? domain_state_name(s.state) : "");
      if (dom_row)
        std::snprintf(v, sizeof v, "*%u", s.vcpus);
      else
        std::snprintf(v, sizeof v, "%d", vcpu);
      std::fprintf(
          out_, "%8.0f %6u %5s %9.2f %9.2f %9.2f %7llu %7llu %7llu %10llu %7llu %s\n", s.start_s, s.domid, v,
          100 * seconds(c.cycles[kRunning], hz_) / span, 100 * seconds(c.cycles[kRunnable], hz_) / span,
          100 * seconds(c.cycles[kBlocked], hz_) / span, (unsigned long long)c.n[kExecCount],
          (unsigned long long)c.n[kWakes], (unsigned long long)c.n[kBlocks],
          (unsigned long long)c.n[kHypercalls],
          (unsigned long long)(s.dd.n[kGrantMap] + s.dd.n[kGrantUnmap] + s.dd.n[kGrantTransfer]), flags);
      break;
    }
  }
}

}  // namespace vt
