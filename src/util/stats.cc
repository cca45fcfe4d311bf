#include "src/util/stats.h"

#include <cstddef>

namespace vt {
namespace {

constexpr StatInfo kTable[] = {
#define VTRACE_STAT_INFO(name, sev, unit, desc) {#name, Severity::sev, unit, desc},
    VTRACE_STATS(VTRACE_STAT_INFO)
#undef VTRACE_STAT_INFO
};
static_assert(sizeof kTable / sizeof kTable[0] == size_t(kNumStats));

}  // namespace

const StatInfo& stat_info(Stat s) { return kTable[int(s)]; }

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kDataLoss: return "data_loss";
    case Severity::kError: return "error";
  }
  return "?";
}

}  // namespace vt
