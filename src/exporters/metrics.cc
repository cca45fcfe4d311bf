#include "src/exporters/metrics.h"

#include <cstdio>

#ifndef VTRACE_VERSION
#define VTRACE_VERSION "unknown"
#endif

namespace vt {

void DomainAccounts::add(const std::vector<DomainSample>& period) {
  if (period.empty()) return;
  const uint64_t index = period.front().index;
  for (const DomainSample& s : period) {
    if (s.domid >= by_domid_.size()) by_domid_.resize(size_t(s.domid) + 1);
    Account& a = by_domid_[s.domid];
    if (!a.alive || a.generation != s.generation) {
      alive_ += a.alive ? 0 : 1;
      a = Account();
      a.alive = true;
      a.generation = s.generation;
    }
    a.last_period = index;
    a.cycles[0] += s.d.cycles[kRunning];
    a.cycles[1] += s.d.cycles[kRunnable];
    a.cycles[2] += s.d.cycles[kBlocked];
    a.hypercalls += hypercalls_of(s.d);
    a.state = s.state;
  }
  // Not in this period: destroyed (the sampler reports every domain alive).
  for (Account& a : by_domid_)
    if (a.alive && a.last_period != index) a.alive = false, --alive_;
}

void DomainAccounts::fill(std::vector<DomainMetrics>* out) const {
  out->clear();
  out->reserve(alive_);
  for (size_t d = 0; d < by_domid_.size(); ++d) {
    const Account& a = by_domid_[d];
    if (!a.alive) continue;
    DomainMetrics m;
    m.domid = uint16_t(d);
    m.generation = a.generation;
    for (int i = 0; i < 3; ++i) m.cycles[i] = a.cycles[i];
    m.hypercalls = a.hypercalls;
    m.state = a.state;
    out->push_back(std::move(m));
  }
}

std::string escape_label_value(const std::string& v) {
  std::string r;
  r.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      r += "\\\\";
    else if (c == '"')
      r += "\\\"";
    else if (c == '\n')
      r += "\\n";
    else
      r += c;
  }
  return r;
}

namespace {

// HELP text escapes backslash and newline only.
std::string escape_help(const char* v) {
  std::string r;
  for (; *v; ++v) {
    if (*v == '\\')
      r += "\\\\";
    else if (*v == '\n')
      r += "\\n";
    else
      r += *v;
  }
  return r;
}

void family(std::string* out, const char* name, const char* type, const std::string& help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void append_u64(std::string* out, uint64_t v) {
  char b[24];
  const int n = std::snprintf(b, sizeof b, "%llu", (unsigned long long)v);
  out->append(b, size_t(n));
}

void append_double(std::string* out, double v) {
  char b[40];
  const int n = std::snprintf(b, sizeof b, "%.9g", v);
  out->append(b, size_t(n));
}

// The per-domain families, in one table: name, type, help, and which
// domains carry one (the detector's only while it runs, the score only once
// a model scored the domain).
enum class DomainValue : uint8_t { kFaulty, kScore, kRunning, kRunnable, kBlocked, kHypercalls };
struct DomainFamily {
  const char* name;
  const char* type;
  const char* help;
  DomainValue value;
};
constexpr DomainFamily kDomainFamilies[] = {
    {"vtrace_domain_faulty", "gauge", "1 while the detector's verdict on the domain is faulty, else 0",
     DomainValue::kFaulty},
    {"vtrace_domain_score", "gauge",
     "the fraction of the model's trees voting normal on the domain's last judged second (faulty at or "
     "below the model's threshold)",
     DomainValue::kScore},
    {"vtrace_domain_running_seconds_total", "counter", "seconds the domain's vCPUs ran, summed",
     DomainValue::kRunning},
    {"vtrace_domain_runnable_seconds_total", "counter",
     "seconds the domain's vCPUs waited for a CPU (runnable), summed", DomainValue::kRunnable},
    {"vtrace_domain_blocked_seconds_total", "counter", "seconds the domain's vCPUs were blocked, summed",
     DomainValue::kBlocked},
    {"vtrace_domain_hypercalls_total", "counter",
     "hypercalls of the domain (PV hypercalls, HVM/PVH VMCALL exits)", DomainValue::kHypercalls},
};

}  // namespace

void render_metrics(const MetricsSnapshot& s, std::string* out) {
  out->clear();
  out->reserve(512 * 1024 + s.domains.size() * 6 * 80);
  std::vector<std::string> labels;  // {domid="5",name="",uuid=""}
  labels.reserve(s.domains.size());
  for (const DomainMetrics& d : s.domains) {
    std::string l = "{domid=\"";
    append_u64(&l, d.domid);
    l += "\",name=\"" + escape_label_value(d.name) + "\",uuid=\"" + escape_label_value(d.uuid) + "\"} ";
    labels.push_back(std::move(l));
  }
  const double hz = s.hz > 0 ? s.hz : 1;
  for (const DomainFamily& f : kDomainFamilies) {
    if (!s.detecting && (f.value == DomainValue::kFaulty || f.value == DomainValue::kScore)) continue;
    family(out, f.name, f.type, f.help);
    for (size_t i = 0; i < s.domains.size(); ++i) {
      const DomainMetrics& d = s.domains[i];
      if (f.value == DomainValue::kScore && !d.scored) continue;
      *out += f.name;
      *out += labels[i];
      switch (f.value) {
        case DomainValue::kFaulty: *out += d.faulty ? '1' : '0'; break;
        case DomainValue::kScore: append_double(out, d.score); break;
        case DomainValue::kRunning: append_double(out, double(d.cycles[0]) / hz); break;
        case DomainValue::kRunnable: append_double(out, double(d.cycles[1]) / hz); break;
        case DomainValue::kBlocked: append_double(out, double(d.cycles[2]) / hz); break;
        case DomainValue::kHypercalls: append_u64(out, d.hypercalls); break;
      }
      *out += '\n';
    }
  }

  family(
      out, "vtrace_domain_state", "gauge",
      "1 for the domain's state in the last second (label state: active, paused, shutdown, crashed, dying)");
  for (size_t i = 0; i < s.domains.size(); ++i) {
    *out += "vtrace_domain_state";
    *out += labels[i];
    out->insert(out->size() - 2, ",state=\"" + std::string(domain_state_name(s.domains[i].state)) + "\"");
    *out += "1\n";
  }

  family(out, "vtrace_records_total", "counter", "trace records read (every class)");
  *out += "vtrace_records_total ";
  append_u64(out, s.stats[Stat::records_read]);
  *out += '\n';
  family(out, "vtrace_records_lost_total", "counter", "records the hypervisor lost (its rings were full)");
  *out += "vtrace_records_lost_total ";
  append_u64(out, s.stats[Stat::lost_records]);
  *out += '\n';
  family(out, "vtrace_consumer_cpu_seconds_total", "counter", "CPU time of the consumer and tracker threads");
  *out += "vtrace_consumer_cpu_seconds_total ";
  append_double(out, double(s.stats[Stat::consumer_cpu_ns]) * 1e-9);
  *out += '\n';
  family(out, "vtrace_blind", "gauge",
         "1 while no trace record comes in from any CPU (tracing off or its mask changed: the detector is "
         "blind)");
  *out += s.blind ? "vtrace_blind 1\n" : "vtrace_blind 0\n";
  family(out, "vtrace_build_info", "gauge", "always 1; the version of vtrace serving these metrics");
  *out += "vtrace_build_info{version=\"" VTRACE_VERSION "\"} 1\n";

  // Every counter of the statistics table, from the table; times (ns) in
  // seconds, Prometheus's base unit (consumer_cpu_ns: _consumer_cpu_seconds).
  for (int i = 0; i < kNumStats; ++i) {
    const StatInfo& info = stat_info(Stat(i));
    std::string base = info.name;
    const bool ns = std::string(info.unit) == "ns";
    if (ns && base.size() > 3 && base.compare(base.size() - 3, 3, "_ns") == 0) base.resize(base.size() - 3);
    const std::string name = "vtrace_stat_" + base + (ns ? "_seconds_total" : "_total");
    family(out, name.c_str(), "counter",
           escape_help(info.description) + " (" + (ns ? "seconds" : info.unit) + "; severity " +
               severity_name(info.severity) + ")");
    *out += name;
    *out += ' ';
    if (ns)
      append_double(out, double(s.stats.v[i]) * 1e-9);
    else
      append_u64(out, s.stats.v[i]);
    *out += '\n';
  }
}

}  // namespace vt
