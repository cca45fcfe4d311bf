// The vtrace subcommands, called by main.cc once flags are parsed. Each
// returns the process exit status, which follows from the Status of what
// failed (exit_status): 0 ok, 1 bad input (a file, a model, a data set, the
// host: one line on stderr naming the file and byte offset or the field),
// 2 a bad flag (kInvalidArgument), 3 a partial result printed under
// --keep-going.
#pragma once

#include <string>

#include "src/exporters/format.h"
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

int cmd_summary(const TraceArgs& a);
int cmd_replay(const TraceArgs& a, double period_s, bool per_vcpu, const DetectFlags& d);
int cmd_dump(const TraceArgs& a);

}  // namespace vt
