// The vtrace subcommands, called by main.cc once flags are parsed. Each
// returns the process exit status: 0 ok, 1 bad input (one line on stderr
// naming the file and byte offset or the field), 3 partial result printed
// under --keep-going.
#pragma once

#include <string>

#include "src/cli/detect_flags.h"
#include "src/exporters/format.h"

namespace vt {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;
constexpr int kExitPartial = 3;

struct TraceArgs {
  std::string trace;
  std::string cpu_hz;  // empty: assume kDefaultCpuHz and say so
  Format format = Format::kTable;
  bool keep_going = false;
  bool include_idle = false;
};

int cmd_summary(const TraceArgs& a);
int cmd_replay(const TraceArgs& a, double period_s, bool per_vcpu, const DetectFlags& d);
int cmd_dump(const TraceArgs& a);

}  // namespace vt
