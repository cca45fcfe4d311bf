#include "src/cli/commands.h"

#include <cstdio>

#include "src/cli/options.h"
#include "src/exporters/dump_writer.h"
#include "src/exporters/sample_writer.h"
#include "src/exporters/summary_writer.h"
#include "src/source/file_source.h"
#include "src/trackers/trackers.h"

namespace vt {
namespace {

// Resolves --cpu-hz, saying on stderr which frequency is assumed.
bool resolve_hz(const TraceArgs& a, double* hz, bool* assumed) {
  *assumed = a.cpu_hz.empty();
  if (*assumed) {
    *hz = kDefaultCpuHz;
    std::fprintf(stderr,
                 "vtrace: assuming --cpu-hz 2.4G (xenalyze's default): a xentrace file does not "
                 "record the TSC frequency\n");
    return true;
  }
  std::string err;
  if (!parse_hz(a.cpu_hz, hz, &err)) {
    std::fprintf(stderr, "vtrace: %s\n", err.c_str());
    return false;
  }
  return true;
}

bool open_trace(const TraceArgs& a, FileSource* src) {
  std::string err;
  if (!src->open(a.trace, &err)) {
    std::fprintf(stderr, "vtrace: %s\n", err.c_str());
    return false;
  }
  return true;
}

// After a run: reports a fault and picks the exit status.
int conclude(const TraceArgs& a, const FileSource& src, const FileResult& res) {
  if (!res.has_fault) return kExitOk;
  const std::string msg = src.describe(res.fault);
  if (a.keep_going) {
    std::fprintf(stderr, "vtrace: %s (figures cover the trace up to this point)\n", msg.c_str());
    return kExitPartial;
  }
  std::fprintf(stderr, "vtrace: %s\n", msg.c_str());
  return kExitBadInput;
}

}  // namespace

int cmd_summary(const TraceArgs& a) {
  TrackerOptions o;
  bool assumed;
  if (!resolve_hz(a, &o.cpu_hz, &assumed)) return kExitUsage;
  o.include_idle = a.include_idle;
  FileSource src;
  if (!open_trace(a, &src)) return kExitBadInput;
  Trackers t(o);
  FileResult res = src.run(
      [&](uint32_t cpu, const xt::Record& r) {
        t.on_record(cpu, r);
        return true;
      },
      &Trackers::unused_classes());
  for (auto [cpu, tsc] : src.cpu_last_tsc()) t.note_pcpu_last(cpu, tsc);
  t.finish(EndRule::kXenalyze);  // totals comparable with xenalyze --summary
  if (res.has_fault && !a.keep_going) return conclude(a, src, res);
  RunInfo info{src.name(), o.cpu_hz, assumed, src.size(), res.records + res.dropped,
               res.has_fault ? src.describe(res.fault) : ""};
  write_summary(stdout, a.format, t, info);
  return conclude(a, src, res);
}

int cmd_replay(const TraceArgs& a, double period_s, bool per_vcpu, const DetectFlags& df) {
  TrackerOptions o;
  bool assumed;
  if (!resolve_hz(a, &o.cpu_hz, &assumed)) return kExitUsage;
  std::unique_ptr<DetectStage> det;
  int rc = kExitOk;
  // A trace has no host to act on: pause/shutdown/destroy only as a dry run.
  if (!open_detect(df, period_s, DomainControl{}, &det, &rc)) return rc;
  o.include_idle = a.include_idle;
  o.samples = true;
  o.period_s = period_s;
  FileSource src;
  if (!open_trace(a, &src)) return kExitBadInput;
  Trackers t(o);
  SampleWriter w(stdout, a.format, per_vcpu, o.cpu_hz);
  // With --detect the verdicts take stdout unless they go to a file.
  const bool write_samples = !det || (!df.verdicts.empty() && df.verdicts != "-");
  t.set_sample_sink([&](const std::vector<DomainSample>& s) {
    if (write_samples) w.write(s);
    if (det) det->on_samples(s, o.cpu_hz);
  });
  FileResult res = src.run(
      [&](uint32_t cpu, const xt::Record& r) {
        t.on_record(cpu, r);
        return true;
      },
      &Trackers::unused_classes());
  if (!res.has_fault || a.keep_going) t.finish();
  if (det) det->finish();
  if (det && t.stats.pv_records == 0 && t.stats.records > 0)
    std::fprintf(stderr,
                 "vtrace: warning: %s has no PV records (its event mask left the PV class out): the "
                 "hypercall features read zero and the verdicts cannot be trusted\n",
                 a.trace.c_str());
  return conclude(a, src, res);
}

int cmd_dump(const TraceArgs& a) {
  TrackerOptions o;
  bool assumed;
  if (!resolve_hz(a, &o.cpu_hz, &assumed)) return kExitUsage;
  FileSource src;
  if (!open_trace(a, &src)) return kExitBadInput;
  Trackers t(o);
  uint64_t t0 = 0;
  bool first = true;
  // Each record is printed before the trackers apply it, so a PV record
  // shows the vCPU it is attributed to.
  FileResult res = src.run([&](uint32_t cpu, const xt::Record& r) {
    if (first) t0 = r.tsc, first = false;
    write_dump_line(stdout, double(r.tsc - t0) / o.cpu_hz, cpu, src.current_offset(), r, t.table);
    t.on_record(cpu, r);
    return true;
  });
  return conclude(a, src, res);
}

}  // namespace vt
