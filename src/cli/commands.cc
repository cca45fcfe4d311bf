#include "src/cli/commands.h"

#include <cstdio>
#include <optional>

#include "src/cli/detect_flags.h"
#include "src/exporters/dump_writer.h"
#include "src/exporters/sample_writer.h"
#include "src/exporters/stats_writer.h"
#include "src/exporters/summary_writer.h"
#include "src/pipeline/read_trace.h"
#include "src/util/parse.h"

namespace vt {

int exit_status(const Status& st) {
  if (st.ok()) return kExitOk;
  return st.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitBadInput;
}

int report(const Status& st) {
  if (!st.ok()) std::fprintf(stderr, "vtrace: %s\n", st.message().c_str());
  return exit_status(st);
}

namespace {

// Resolves --cpu-hz, saying on stderr which frequency is assumed.
Status resolve_hz(const TraceArgs& a, double* hz, bool* assumed) {
  *assumed = a.cpu_hz.empty();
  if (*assumed) {
    *hz = kDefaultCpuHz;
    std::fprintf(stderr,
                 "vtrace: assuming --cpu-hz %gG (xenalyze's default): a xentrace file does not "
                 "record the TSC frequency\n",
                 kDefaultCpuHz / 1e9);
    return Status::Ok();
  }
  return parse_hz(a.cpu_hz, hz).with_context("--cpu-hz");
}

// After a run: when figures were printed, the statistics that say data was
// lost or malformed (unless the output carries them: summary's table), the
// whole table if asked, a fault (the figures before it were printed under --keep-going);
// picks the exit status.
int conclude(const TraceArgs& a, const TraceReader& r, const Status& fault, bool notes_printed = false,
             const Stats* more = nullptr) {
  const bool figures = fault.ok() || a.keep_going;  // else the fault is the one line
  Stats st = r.stats();
  if (more) st += *more;
  if (figures && !notes_printed) write_stat_notes(stderr, st, "vtrace: note: ");
  if (a.stats) write_stats_table(stderr, st);
  if (fault.ok()) return kExitOk;
  if (a.keep_going) {
    std::fprintf(stderr, "vtrace: %s (figures cover the trace up to this point)\n", fault.message().c_str());
    return kExitPartial;
  }
  return report(fault);
}

ReadOptions read_options(const TraceArgs& a, double hz) {
  ReadOptions o;
  o.pipeline.samples.cpu_hz = hz;
  o.pipeline.samples.include_idle = a.include_idle;
  o.finish_after_fault = a.keep_going;
  o.pipeline.hvm_vendor = a.hvm_vendor;
  return o;
}

}  // namespace

int cmd_summary(const TraceArgs& a) {
  double hz;
  bool assumed;
  if (Status st = resolve_hz(a, &hz, &assumed); !st.ok()) return report(st);
  ReadOptions o = read_options(a, hz);
  o.end = EndRule::kXenalyze;  // totals comparable with xenalyze --summary
  TraceReader r(o);
  if (Status st = r.open(a.trace); !st.ok()) return report(st);
  const Status fault = r.run();
  if (!fault.ok() && !a.keep_going) return conclude(a, r, fault);
  const RunInfo info{r.name(), hz, assumed, a.include_idle, fault.ok() ? "" : fault.message()};
  write_summary(stdout, a.format, r.trackers(), r.stats(), info);
  return conclude(a, r, fault, a.format == Format::kTable);
}

namespace {

// replay and top TRACE: the samples of each period to the detector, then to
// `view` (replay's prints them).
int replay_periods(const TraceArgs& a, double period_s, const DetectFlags& df, const PeriodView& view) {
  double hz;
  bool assumed;
  if (Status st = resolve_hz(a, &hz, &assumed); !st.ok()) return report(st);
  std::unique_ptr<DetectStage> det;
  // A trace has no host to act on: pause/shutdown/destroy only as a dry run.
  if (Status st = open_detect(df, period_s, DomainControl{}, DomainQuery{}, DomainIdentity{}, &det); !st.ok())
    return report(st);
  ReadOptions o = read_options(a, hz);
  o.pipeline.samples.enabled = true;
  o.pipeline.samples.period_s = period_s;
  TraceReader r(o);
  if (Status st = r.open(a.trace); !st.ok()) return report(st);
  r.set_sample_sink([&](const std::vector<DomainSample>& s) {
    if (det) det->on_samples(s, hz);
    view.period(s, det.get(), hz);
  });
  if (view.start) view.start(r.name());
  const Status fault = r.run();
  if (det) det->finish();
  if (view.finish) view.finish();
  const Stats st = r.stats();
  if (det && st[Stat::pv_records] == 0 && st[Stat::hvm_records] == 0 && st[Stat::records_merged] > 0)
    std::fprintf(stderr,
                 "vtrace: warning: %s has neither PV nor HVM records (its event mask left them out): no "
                 "guest's type is known, so none is judged (every verdict is unknown)\n",
                 a.trace.c_str());
  return conclude(a, r, fault, false, det ? &det->stats() : nullptr);
}

}  // namespace

int cmd_replay(const TraceArgs& a, double period_s, bool per_vcpu, const DetectFlags& df) {
  // Verdict lines and samples never share stdout (samples_on_stdout).
  const bool write_samples = samples_on_stdout(df);
  std::optional<SampleWriter> w;  // at the first period: the frequency is known then
  PeriodView view;
  view.period = [&](const std::vector<DomainSample>& s, const DetectStage*, double hz) {
    if (!write_samples) return;
    if (!w) w.emplace(stdout, a.format, per_vcpu, hz);
    w->write(s);
  };
  return replay_periods(a, period_s, df, view);
}

int replay_to_view(const TraceArgs& a, const DetectFlags& df, const PeriodView& view) {
  return replay_periods(a, 1.0, df, view);
}

int cmd_dump(const TraceArgs& a) {
  double hz;
  bool assumed;
  if (Status st = resolve_hz(a, &hz, &assumed); !st.ok()) return report(st);
  ReadOptions o = read_options(a, hz);
  o.pipeline.filter = false;  // every record, whatever its class
  TraceReader r(o);
  if (Status st = r.open(a.trace); !st.ok()) return report(st);
  uint64_t t0 = 0;
  bool first = true;
  // Each record is printed before the trackers apply it, so a PV record
  // shows the vCPU it is attributed to.
  r.set_record_observer([&](uint32_t cpu, uint64_t offset, const xt::Record& rec, const Trackers& t) {
    if (first) t0 = rec.tsc, first = false;
    write_dump_line(stdout, double(rec.tsc - t0) / hz, cpu, offset, rec, t.table);
  });
  return conclude(a, r, r.run(), /*notes_printed=*/true);  // every record is printed
}

}  // namespace vt
