#include "src/training/replay_csv.h"

#include <charconv>
#include <cmath>

namespace vt {

void split_csv_line(std::string_view line, std::vector<std::string_view>* fields) {
  fields->clear();
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields->push_back(line.substr(start));
      return;
    }
    fields->push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

namespace {

static_assert(kBlindTicks == kNumDomainCounts - 1, "blind_ticks is not a replay column");

// Column slots of a SecondRow.
enum Slot : int {
  kSlotT,
  kSlotSpan,
  kSlotDomid,
  kSlotGeneration,
  kSlotVcpus,
  kSlotBlinded,
  kSlotExtreme,                                          // + kNumExtremeColumns
  kSlotState = kSlotExtreme + kNumExtremeColumns,        // + kTimedStates
  kSlotCount = kSlotState + kTimedStates,                // + kNumCounts
  kSlotDomCount = kSlotCount + kNumCounts,               // + kNumDomainCounts - 1 (no blind_ticks)
  kSlotDomState = kSlotDomCount + kNumDomainCounts - 1,  // kStateColumns, in order
  kSlotShutdown,
  kSlotVcpusUp,
  kSlotAge,
  kNumSlots
};
static_assert(kNumSlots - kSlotDomState == sizeof kStateColumns / sizeof kStateColumns[0]);

// Columns a table may lack because it was written before they existed
// (the HVM counts and extremes, issue 13): read as 0. Such tables all come
// from hosts without HVM or PVH guests (the PV lab data set, the synthetic
// and simulated sets), where they are 0. The state columns (issue 14) read
// as SecondRow's defaults: active, vCPUs up not known, age not known.
bool added_later(int s) {
  if (s >= kSlotDomState) return true;
  if (s >= kSlotExtreme && s < kSlotState) return kExtremeColumns[s - kSlotExtreme].since_hvm;
  return s >= kSlotCount + int(kHvmRecords) && s < kSlotDomCount;
}

std::string slot_name(int s) {
  switch (s) {
    case kSlotT: return "t";
    case kSlotSpan: return "span_s";
    case kSlotDomid: return "domid";
    case kSlotGeneration: return "generation";
    case kSlotVcpus: return "vcpus";
    case kSlotBlinded: return "blinded";
  }
  if (s >= kSlotExtreme && s < kSlotState) return kExtremeColumns[s - kSlotExtreme].name;
  if (s >= kSlotState && s < kSlotCount) return std::string(vstate_name(s - kSlotState)) + "_s";
  if (s >= kSlotCount && s < kSlotDomCount) return count_name(s - kSlotCount);
  if (s >= kSlotDomState) return kStateColumns[s - kSlotDomState];
  return domain_count_name(s - kSlotDomCount);
}

bool parse_double(std::string_view f, double* v) {
  if (f.empty()) return false;
  const char* end = f.data() + f.size();
  auto [p, ec] = std::from_chars(f.data(), end, *v);
  return ec == std::errc() && p == end && std::isfinite(*v) && *v >= 0;
}

bool parse_u64(std::string_view f, uint64_t* v) {
  if (f.empty()) return false;
  const char* end = f.data() + f.size();
  auto [p, ec] = std::from_chars(f.data(), end, *v);
  return ec == std::errc() && p == end;
}

}  // namespace

Status parse_replay_csv(std::string_view text, const std::string& name, std::vector<SecondRow>* rows) {
  rows->clear();
  std::vector<std::string_view> fields;
  int col[kNumSlots];
  size_t ncols = 0;
  size_t pos = 0;
  uint64_t line_no = 0;
  auto fail = [&](const std::string& what) {
    return Status::Corruption(name + ": line " + std::to_string(line_no) + ": " + what);
  };
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no > 1 && line.empty()) continue;
    split_csv_line(line, &fields);
    if (line_no == 1) {
      for (int s = 0; s < kNumSlots; ++s) {
        col[s] = -1;
        const std::string want = slot_name(s);
        for (size_t i = 0; i < fields.size(); ++i)
          if (fields[i] == want) col[s] = int(i);
      }
      bool has_vcpu = false;
      for (std::string_view f : fields) has_vcpu |= f == "vcpu";
      if (col[kSlotVcpus] < 0 && has_vcpu)
        return fail(
            "per-vCPU rows (column 'vcpu'); the detector reads per-domain rows "
            "(what vtrace replay writes by default)");
      for (int s = 0; s < kNumSlots; ++s)
        if (col[s] < 0 && !added_later(s))
          return fail("missing column '" + slot_name(s) + "' (not a vtrace replay CSV header?)");
      ncols = fields.size();
      continue;
    }
    if (fields.size() != ncols)
      return fail(std::to_string(fields.size()) + " fields, the header has " + std::to_string(ncols));
    SecondRow r;
    for (int s = 0; s < kNumSlots; ++s) {
      if (col[s] < 0) continue;  // added later: 0
      std::string_view f = fields[size_t(col[s])];
      auto bad = [&](const char* what) {
        return fail("column '" + slot_name(s) + "': '" + std::string(f.substr(0, 40)) + "' is not " + what);
      };
      if (s == kSlotDomState) {
        if (!parse_domain_state(f, &r.state))
          return bad("a domain state (active, paused, shutdown, crashed, dying)");
      } else if (s == kSlotShutdown) {
        if (!parse_shutdown_column(f, &r.shutdown_reason))
          return bad("a shutdown reason (poweroff, reboot, ...; none)");
      } else if (s == kSlotAge) {
        double v;
        // -1: the trace did not see it created.
        if (f == "-1.000" || f == "-1") {
          r.age_s = -1;
        } else {
          if (!parse_double(f, &v) || v > 1e12) return bad("a non-negative number of seconds (or -1)");
          r.age_s = float(v);
        }
      } else if (s == kSlotT) {
        double t;
        if (!parse_double(f, &t) || t != std::floor(t) || t > 1e15)
          return bad("a whole number of seconds (the detector needs 1 s periods)");
        r.t = t;
        r.index = uint64_t(t);
      } else if (s == kSlotSpan || (s >= kSlotExtreme && s < kSlotCount)) {
        double v;
        // Seconds and rates; the cap keeps every feature finite as a float
        // (a window mean of 1e39 would not be).
        if (!parse_double(f, &v) || v > 1e12) return bad("a non-negative number (at most 1e12)");
        if (s == kSlotSpan) {
          if (v > 1.000001) return bad("at most 1 s (the detector needs 1 s periods)");
          r.span_s = v;
        } else if (s < kSlotState) {
          r.vx.*kExtremeColumns[s - kSlotExtreme].field = v;
        } else {
          r.state_s[s - kSlotState] = v;
        }
      } else {
        uint64_t v;
        if (!parse_u64(f, &v)) return bad("a non-negative integer");
        if (s == kSlotDomid) {
          if (v > xt::kMaxDomid) return bad("a domain id (0..32767)");
          r.domid = uint16_t(v);
        } else if (s == kSlotGeneration) {
          if (v > 0xffffffffu) return bad("a 32-bit generation");
          r.generation = uint32_t(v);
        } else if (s == kSlotVcpus) {
          if (v > kMaxVcpuId + 1) return bad("a vCPU count");
          r.vcpus = uint32_t(v);
        } else if (s == kSlotBlinded) {
          if (v > 1) return bad("0 or 1");
          r.blinded = v == 1;
        } else if (s == kSlotVcpusUp) {
          if (v > kMaxVcpuId + 1) return bad("a vCPU count");
          r.vcpus_up = uint32_t(v);
        } else if (s >= kSlotCount && s < kSlotDomCount) {
          r.n[s - kSlotCount] = v;
        } else {
          r.dn[s - kSlotDomCount] = v;
        }
      }
    }
    rows->push_back(r);
  }
  if (line_no == 0) {
    line_no = 1;
    return fail("empty file (no header)");
  }
  return Status::Ok();
}

}  // namespace vt
