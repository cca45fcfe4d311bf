#include "src/exporters/summary_writer.h"

#include <algorithm>
#include <vector>

#include "src/exporters/stats_writer.h"
#include "src/samples/sample.h"
#include "src/util/json.h"

namespace vt {

const char* const kSummaryCsvHeader =
    "domid,vcpu,generation,running_s,runnable_s,blocked_s,offline_s,exec_count,wakes,blocks,hypercalls";

namespace {

struct Row {
  const Domain* dom;
  const Vcpu* v;
};

// vCPUs to report, by domid, generation, vCPU id. A vCPU never seen running
// has no figures (xenalyze's convention, see docs/xenalyze.md).
std::vector<Row> rows(const Trackers& t, const RunInfo& info) {
  std::vector<Row> r;
  for (const Domain& d : t.table.domains) {
    if (d.domid == xt::kIdleDomid && !info.include_idle) continue;
    for (uint32_t vi : d.vcpus) {
      if (vi == kNone) continue;
      const Vcpu& v = t.table.vcpus[vi];
      uint64_t timed = 0;
      for (int s = 0; s < kTimedStates; ++s) timed += v.c.cycles[s];
      if (timed == 0 && v.state == kInit) continue;
      r.push_back({&d, &v});
    }
  }
  std::stable_sort(r.begin(), r.end(), [](const Row& a, const Row& b) {
    if (a.dom->domid != b.dom->domid) return a.dom->domid < b.dom->domid;
    if (a.dom->generation != b.dom->generation) return a.dom->generation < b.dom->generation;
    return a.v->id < b.v->id;
  });
  return r;
}

// The vendor the exit reasons are named by: the one given or found; a trace
// whose exits never showed an SVM-only code is VMX's.
xt::HvmVendor vendor(const Trackers& t) {
  return t.table.hvm_vendor == xt::HvmVendor::kUnknown ? xt::HvmVendor::kVmx : t.table.hvm_vendor;
}

// Each reason the vCPU exited for, named (or "0x..." when vtrace names it
// not), with its count, in code order.
template <class F>
void for_each_exit_reason(const Vcpu& v, xt::HvmVendor vendor, F&& f) {
  for (uint32_t slot = 0; slot < kExitReasonSlots; ++slot) {
    const uint64_t n = (*v.exit_reasons)[slot];
    if (n == 0) continue;
    const uint32_t code = exit_reason_of_slot(slot);
    const char* name = code == kOtherExitReason ? "other" : xt::exit_reason_name(code, vendor);
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", code);
    f(name ? std::string(name) : std::string(hex), n);
  }
}

double duration_s(const Trackers& t, const RunInfo& info) {
  return seconds(t.last_tsc() - t.first_tsc(), info.cpu_hz);
}

void write_csv(std::FILE* out, const Trackers& t, const RunInfo& info) {
  std::fprintf(out, "%s\n", kSummaryCsvHeader);
  const double hz = info.cpu_hz;
  for (const Row& r : rows(t, info)) {
    const VcpuCounters& c = r.v->c;
    std::fprintf(out, "%u,%u,%u,%.6f,%.6f,%.6f,%.6f,%llu,%llu,%llu,%llu\n", r.dom->domid, r.v->id,
                 r.dom->generation, seconds(c.cycles[kRunning], hz), seconds(c.cycles[kRunnable], hz),
                 seconds(c.cycles[kBlocked], hz), seconds(c.cycles[kOffline], hz),
                 (unsigned long long)c.n[kExecCount], (unsigned long long)c.n[kWakes],
                 (unsigned long long)c.n[kBlocks], (unsigned long long)c.n[kHypercalls]);
  }
}

void write_table(std::FILE* out, const Trackers& t, const Stats& stats, const RunInfo& info) {
  const double hz = info.cpu_hz;
  std::fprintf(out, "vtrace summary of %s\n", info.path.c_str());
  std::fprintf(out, "  %.3f s of trace, %llu records, %zu pCPUs, cpu-hz %.6f GHz (%s)\n", duration_s(t, info),
               (unsigned long long)stats[Stat::records_read], t.table.pcpus.size(), hz / 1e9,
               info.cpu_hz_assumed ? "assumed: pass --cpu-hz" : "given");
  std::fprintf(out, "\n%6s %5s %10s %10s %10s %10s %8s %8s %7s %7s %7s %10s %7s %7s\n", "domid", "vcpu",
               "running_s", "runnable_s", "blocked_s", "offline_s", "lost_s", "execs", "wakes", "blocks",
               "yields", "hypercalls", "traps", "pgfault");
  for (const Row& r : rows(t, info)) {
    const VcpuCounters& c = r.v->c;
    char dom[32];
    if (r.dom->generation)
      std::snprintf(dom, sizeof dom, "%u#%u", r.dom->domid, r.dom->generation);
    else
      std::snprintf(dom, sizeof dom, "%u", r.dom->domid);
    std::fprintf(out,
                 "%6s %5u %10.4f %10.4f %10.4f %10.4f %8.4f %8llu %7llu %7llu %7llu %10llu %7llu %7llu\n",
                 dom, r.v->id, seconds(c.cycles[kRunning], hz), seconds(c.cycles[kRunnable], hz),
                 seconds(c.cycles[kBlocked], hz), seconds(c.cycles[kOffline], hz),
                 seconds(c.cycles[kLost], hz), (unsigned long long)c.n[kExecCount],
                 (unsigned long long)c.n[kWakes], (unsigned long long)c.n[kBlocks],
                 (unsigned long long)c.n[kYields], (unsigned long long)c.n[kHypercalls],
                 (unsigned long long)c.n[kTraps], (unsigned long long)c.n[kPageFaults]);
  }
  std::fprintf(out, "\n");
  bool hvm = false;
  for (const Row& r : rows(t, info)) {
    if (!r.v->exit_reasons) continue;
    if (!hvm) std::fprintf(out, "  VM exits by reason (%s):\n", xt::hvm_vendor_name(vendor(t)));
    hvm = true;
    char dom[32];
    if (r.dom->generation)
      std::snprintf(dom, sizeof dom, "%u#%u", r.dom->domid, r.dom->generation);
    else
      std::snprintf(dom, sizeof dom, "%u", r.dom->domid);
    std::fprintf(out, "%6s %5u  %llu exits:", dom, r.v->id, (unsigned long long)r.v->c.n[kHvmExits]);
    for_each_exit_reason(*r.v, vendor(t), [&](const std::string& name, uint64_t n) {
      std::fprintf(out, " %s %llu", name.c_str(), (unsigned long long)n);
    });
    std::fprintf(out, "\n");
  }
  if (hvm) std::fprintf(out, "\n");
  // Lost records per pCPU (where they were lost), then every other
  // statistic that says data was lost or malformed.
  for (size_t cpu = 0; cpu < t.table.pcpus.size(); ++cpu) {
    const Pcpu& p = t.table.pcpus[cpu];
    if (p.lost_records)
      std::fprintf(out, "  note: pCPU %zu lost %llu records in %llu reports\n", cpu,
                   (unsigned long long)p.lost_records, (unsigned long long)p.lost_reports);
  }
  Stats others = stats;
  others[Stat::lost_records] = 0;
  write_stat_notes(out, others, "  note: ");
  if (!info.fault.empty()) std::fprintf(out, "  partial: %s\n", info.fault.c_str());
}

void write_json(std::FILE* out, const Trackers& t, const Stats& stats, const RunInfo& info) {
  const double hz = info.cpu_hz;
  std::fprintf(out, "{\"file\": %s, \"cpu_hz\": %.0f, \"cpu_hz_assumed\": %s, ",
               json_string(info.path).c_str(), hz, info.cpu_hz_assumed ? "true" : "false");
  std::fprintf(out, "\"duration_s\": %.9f, \"records\": %llu, \"fault\": %s,\n \"vcpus\": [",
               duration_s(t, info), (unsigned long long)stats[Stat::records_read],
               info.fault.empty() ? "null" : json_string(info.fault).c_str());
  bool first = true;
  for (const Row& r : rows(t, info)) {
    const VcpuCounters& c = r.v->c;
    std::fprintf(out, "%s\n  {\"domid\": %u, \"generation\": %u, \"vcpu\": %u", first ? "" : ",",
                 r.dom->domid, r.dom->generation, r.v->id);
    for (int s = 0; s < kTimedStates; ++s)
      std::fprintf(out, ", \"%s_s\": %.9f", vstate_name(s), seconds(c.cycles[s], hz));
    for (int i = 0; i < kNumCounts; ++i)
      std::fprintf(out, ", \"%s\": %llu", count_name(i), (unsigned long long)c.n[i]);
    if (r.v->exit_reasons) {  // an HVM or PVH vCPU: its exits by reason
      std::fprintf(out, ", \"exit_reasons\": {");
      bool first_reason = true;
      for_each_exit_reason(*r.v, vendor(t), [&](const std::string& name, uint64_t n) {
        std::fprintf(out, "%s\"%s\": %llu", first_reason ? "" : ", ", name.c_str(), (unsigned long long)n);
        first_reason = false;
      });
      std::fprintf(out, "}");
    }
    std::fprintf(out, "}");
    first = false;
  }
  std::fprintf(out, "],\n \"domains\": [");
  first = true;
  for (const Domain& d : t.table.domains) {
    if (d.domid == xt::kIdleDomid && !info.include_idle) continue;
    std::fprintf(out, "%s\n  {\"domid\": %u, \"generation\": %u, \"created_in_trace\": %s, \"removed\": %s",
                 first ? "" : ",", d.domid, d.generation, d.created_in_trace ? "true" : "false",
                 d.removed ? "true" : "false");
    for (int i = 0; i < kNumDomainCounts; ++i)
      std::fprintf(out, ", \"%s\": %llu", domain_count_name(i), (unsigned long long)d.c.n[i]);
    std::fprintf(out, "}");
    first = false;
  }
  std::fprintf(out, "],\n \"pcpus\": [");
  for (size_t cpu = 0; cpu < t.table.pcpus.size(); ++cpu) {
    const Pcpu& p = t.table.pcpus[cpu];
    std::fprintf(out, "%s{\"cpu\": %zu, \"lost_records\": %llu, \"lost_reports\": %llu}", cpu ? ", " : "",
                 cpu, (unsigned long long)p.lost_records, (unsigned long long)p.lost_reports);
  }
  std::fprintf(out, "],\n \"pv_unattributed\": %llu, \"unknown_class_records\": %llu}\n",
               (unsigned long long)stats[Stat::pv_unattributed],
               (unsigned long long)stats[Stat::unknown_class]);
}

}  // namespace

void write_summary(std::FILE* out, Format f, const Trackers& t, const Stats& stats, const RunInfo& info) {
  switch (f) {
    case Format::kCsv: write_csv(out, t, info); break;
    case Format::kJson: write_json(out, t, stats, info); break;
    case Format::kTable: write_table(out, t, stats, info); break;
  }
}

}  // namespace vt
