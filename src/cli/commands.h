// The vtrace subcommands, called by main.cc once flags are parsed. Each
// returns the process exit status, which follows from the Status of what
// failed (exit_status): 0 ok, 1 bad input (a file, a model, a data set, the
// host: one line on stderr naming the file and byte offset or the field),
// 2 a bad flag (kInvalidArgument), 3 a partial result printed under
// --keep-going.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "src/exporters/format.h"
#include "src/samples/sample.h"
#include "src/util/domain_id.h"
#include "src/util/status.h"
#include "xentrace/hvm_exits.h"

namespace vt {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;
constexpr int kExitPartial = 3;

// kExitOk, kExitUsage for kInvalidArgument, kExitBadInput for the rest.
int exit_status(const Status& st);
// Prints "vtrace: <message>" for a failure; returns exit_status(st).
int report(const Status& st);

struct TraceArgs {
  std::string trace;
  std::string cpu_hz;  // empty: assume kDefaultCpuHz and say so
  Format format = Format::kTable;
  bool keep_going = false;
  bool include_idle = false;
  bool stats = false;                                  // print the statistics table on stderr
  xt::HvmVendor hvm_vendor = xt::HvmVendor::kUnknown;  // --hvm-vendor; kUnknown: from the trace
};

struct DetectFlags;
class DetectStage;

// What a command shows of a run's periods besides (or instead of) the
// samples and verdict lines: `vtrace top`'s table. start() once reading
// has begun (after every check that could refuse the run), with a few
// words naming the source; period() with each closed period, after the
// detector (null without --detect) has judged it; finish() once reading
// has ended, before the run's closing lines on stderr.
struct PeriodView {
  std::function<void(const std::string& source)> start;
  std::function<void(const std::vector<DomainSample>& period, const DetectStage* det, double hz)> period;
  std::function<void()> finish;
  // Live: who the domains are (names, UUIDs), given once before the first
  // period.
  std::function<void(std::function<const DomainId*(uint16_t domid)>)> identity;  // a DomainIdentity
};

int cmd_summary(const TraceArgs& a);
int cmd_replay(const TraceArgs& a, double period_s, bool per_vcpu, const DetectFlags& d);
int cmd_dump(const TraceArgs& a);
// `vtrace replay`'s reading of a trace, its periods shown by `view`
// instead of printed (vtrace top TRACE).
int replay_to_view(const TraceArgs& a, const DetectFlags& d, const PeriodView& view);

}  // namespace vt
