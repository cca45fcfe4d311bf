// Prometheus metrics of a live run: what `vtrace run --metrics` serves at
// /metrics (docs/operations.md lists them).
//
// Contract
//  * DomainAccounts belongs to one thread (the classifier's): add() takes a
//    closed period's samples and adds each domain's seconds running,
//    runnable and blocked and its hypercalls to its totals, keyed by domid;
//    a domain missing from the period, or back with another generation, is
//    gone, and its totals with it (a new generation starts from 0, which
//    Prometheus reads as a counter reset). No allocation once the largest
//    domid has been seen.
//  * MetricsSnapshot is a plain value built once a second from the accounts,
//    the detector's standing of each domain and the runtime's progress; the
//    HTTP thread renders whichever snapshot was published last.
//  * render_metrics writes the Prometheus text exposition format (0.0.4):
//    per-domain families with labels domid, name and uuid (name and uuid
//    empty when not known (no xenstore, runtime/domain_directory.h): Prometheus stores an empty label as
//    no label), vtrace_domain_state (one series per domain, value 1, its
//    state, domain_state_name(), in label `state`: active, paused,
//    shutdown, crashed, dying), the run's families named by issue 15, and
//    every counter of
//    the statistics table (src/util/stats.h) as vtrace_stat_<name>_total,
//    by iterating the table (times, unit ns, in seconds: a name ending in
//    _ns becomes vtrace_stat_<name less _ns>_seconds_total). `out` is
//    cleared first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/samples/sample.h"
#include "src/util/stats.h"

namespace vt {

struct DomainMetrics {
  uint16_t domid = 0;
  uint32_t generation = 0;
  std::string name, uuid;                    // empty when not known (runtime/domain_directory.h)
  uint64_t cycles[3] = {};                   // running, runnable, blocked, since the domain was first seen
  uint64_t hypercalls = 0;                   // PV hypercall records and HVM/PVH VMCALL exits
  DomainState state = DomainState::kActive;  // in the last period (sample.h)
  bool faulty = false;                       // the detector's verdict (strike rule) is faulty
  bool scored = false;                       // a model scored its last judged second
  double score = 0;                          // the ensemble's vote fraction for normal, that second
};

struct MetricsSnapshot {
  std::vector<DomainMetrics> domains;  // by domid
  bool detecting = false;              // a detector runs: vtrace_domain_faulty and _score exist
  double hz = 0;                       // TSC rate, for the cycles
  Stats stats;                         // the run so far
  bool blind = false;                  // the silence watch finds no record coming in
};

class DomainAccounts {
 public:
  void add(const std::vector<DomainSample>& period);
  // The domains alive in the last period, by domid, with their totals
  // (detector fields false/0; the caller fills them).
  void fill(std::vector<DomainMetrics>* out) const;
  size_t size() const { return alive_; }

 private:
  struct Account {
    bool alive = false;
    uint32_t generation = 0;
    uint64_t last_period = 0;
    uint64_t cycles[3] = {};
    uint64_t hypercalls = 0;
    DomainState state = DomainState::kActive;
  };
  std::vector<Account> by_domid_;
  size_t alive_ = 0;
};

void render_metrics(const MetricsSnapshot& s, std::string* out);

// A label value or HELP text as the exposition format escapes it
// (backslash, double quote in label values, newline).
std::string escape_label_value(const std::string& v);

}  // namespace vt
