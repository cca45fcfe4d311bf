#include "src/detector/verdicts.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "src/util/json.h"

#ifndef VTRACE_DATADIR
#define VTRACE_DATADIR "/usr/local/share/vtrace"
#endif
#ifndef VTRACE_SOURCE_DIR
#define VTRACE_SOURCE_DIR ""
#endif
#ifndef VTRACE_BINARY_DIR
#define VTRACE_BINARY_DIR ""
#endif

namespace vt {

const char* verdict_name(VerdictKind k) {
  switch (k) {
    case VerdictKind::kNormal: return "normal";
    case VerdictKind::kFaulty: return "faulty";
    case VerdictKind::kRecovered: return "recovered";
    case VerdictKind::kUnknown: return "unknown";
  }
  return "?";
}

std::string verdict_json(const Verdict& v, const std::string& action, const std::string& result,
                         const std::string& held) {
  char b[256];
  // The guest type says which model judged (one per type); an unknown
  // verdict has no score.
  int n = std::snprintf(
      b, sizeof b,
      "{\"t\": %.3f, \"domid\": %u, \"generation\": %u, \"verdict\": \"%s\", \"guest_type\": \"%s\"", v.t,
      v.domid, v.generation, verdict_name(v.kind), guest_type_name(v.type));
  if (v.kind != VerdictKind::kUnknown && n > 0 && size_t(n) < sizeof b)
    std::snprintf(b + n, sizeof b - size_t(n), ", \"score\": %.6f", v.score);
  std::string s = b;
  if (v.kind == VerdictKind::kUnknown && v.reason) s += ", \"reason\": " + json_string(v.reason);
  if (!action.empty()) s += ", \"action\": " + json_string(action);
  if (!result.empty()) s += ", \"action_result\": " + json_string(result);
  if (!held.empty()) s += ", \"held\": " + json_string(held);
  return s + "}";
}

Detector::Detector(const Model& m, int strikes, double threshold)
    : Detector(std::vector<Model>{m}, strikes, threshold) {}

Detector::Detector(const std::vector<Model>& models, int strikes, double threshold)
    : window_(models.at(0).window), slot_of_(size_t(xt::kMaxDomid) + 1, kNone) {
  for (uint32_t& p : part_of_type_) p = kNone;
  for (const Model& m : models) {
    Part p;
    p.ens = compile(m);
    p.strikes = strikes > 0 ? strikes : m.strikes;
    p.threshold = std::isnan(threshold) ? m.threshold : threshold;
    for (GuestType t : m.guest_types) part_of_type_[size_t(t)] = uint32_t(parts_.size());
    parts_.push_back(std::move(p));
  }
}

Status check_model_set(const std::vector<Model>& models, const std::vector<std::string>& names) {
  if (models.empty()) return Status::InvalidArgument("no model");
  auto name = [&](size_t i) { return i < names.size() ? names[i] : "model " + std::to_string(i + 1); };
  size_t owner[kNumGuestTypes];
  for (size_t& o : owner) o = SIZE_MAX;
  for (size_t i = 0; i < models.size(); ++i) {
    const Model& m = models[i];
    if (m.window.window != models[0].window.window || m.window.warmup != models[0].window.warmup)
      return Status::InvalidArgument(name(i) + ": its window (" + std::to_string(m.window.window) +
                                     " s, warm-up " + std::to_string(m.window.warmup) + " s) is not " +
                                     name(0) + "'s");
    for (GuestType t : m.guest_types) {
      if (owner[size_t(t)] != SIZE_MAX)
        return Status::InvalidArgument(name(i) + " and " + name(owner[size_t(t)]) + " both judge " +
                                       guest_type_name(t) + " guests: give one model per guest type");
      owner[size_t(t)] = i;
    }
  }
  return Status::Ok();
}

void Detector::on_samples(const std::vector<DomainSample>& period, double hz, std::vector<Verdict>* out) {
  rows_.clear();
  for (const DomainSample& s : period) rows_.push_back(row_from_sample(s, hz));
  on_rows(rows_.data(), rows_.size(), out);
}

void Detector::on_rows(const SecondRow* rows, size_t n, std::vector<Verdict>* out,
                       std::vector<Judgement>* judged) {
  out->clear();
  scored_last_ = 0;
  if (n > cap_) {
    cap_ = n;
    for (Part& p : parts_) {
      p.x.assign(size_t(kNumFeatures) * cap_, 0.0f);
      p.scores.resize(cap_);
      p.votes.resize(cap_);
    }
    batch_slot_.resize(cap_);
    batch_row_.resize(cap_);
    batch_part_.resize(cap_);
    batch_col_.resize(cap_);
  }
  for (Part& p : parts_) p.ncol = 0;
  size_t nb = 0;
  float f[kNumFeatures];
  for (size_t i = 0; i < n; ++i) {
    const SecondRow& r = rows[i];
    uint32_t& si = slot_of_[r.domid & xt::kMaxDomid];
    if (si == kNone) {
      si = uint32_t(slots_.size());
      slots_.push_back(std::make_unique<Slot>());
    }
    Slot& s = *slots_[si];
    if (s.w.used && s.w.generation != r.generation) s = Slot();  // a new domain with this id
    s.pv += pv_records(r);
    s.hvm += hvm_records(r);
    bool restarted = false;
    const Push p = push_row(&s.w, window_, r, f, &restarted);
    if (restarted) s.faulty_run = s.normal_run = s.judged = 0;
    if (r.blinded & kBlindSharedRings) {  // its records went partly to another reader: no judging
      s.faulty_run = s.normal_run = s.judged = 0;
      if (s.state != State::kUnknown) {
        s.state = State::kUnknown;
        Verdict v{r.t + r.span_s,        r.domid, r.generation,
                  VerdictKind::kUnknown, 0,       guest_type_of(s.pv, s.hvm)};
        v.reason = "another reader of the rings";
        out->push_back(v);
      }
      continue;
    }
    if (p != Push::kJudged) continue;
    batch_slot_[nb] = si;
    batch_row_[nb] = &r;
    batch_part_[nb] = part_of_type_[size_t(guest_type_of(s.pv, s.hvm))];
    batch_col_[nb] = kNone;
    if (batch_part_[nb] != kNone) {
      Part& part = parts_[batch_part_[nb]];
      for (int k = 0; k < kNumFeatures; ++k) part.x[size_t(k) * cap_ + part.ncol] = f[k];
      batch_col_[nb] = uint32_t(part.ncol++);
    }
    ++nb;
  }
  if (nb == 0) {
    note_verdicts(*out);
    return;
  }
  for (Part& p : parts_) {
    if (p.ncol) score_batch(p.ens, p.x.data(), cap_, p.ncol, p.scores.data(), p.votes.data());
    scored_last_ += p.ncol;
  }
  for (size_t j = 0; j < nb; ++j) {
    Slot& s = *slots_[batch_slot_[j]];
    const SecondRow& r = *batch_row_[j];
    Verdict v{r.t + r.span_s, r.domid, r.generation, VerdictKind::kNormal, 0, guest_type_of(s.pv, s.hvm)};
    if (batch_part_[j] == kNone) {  // no model judges its type (or it is not known yet)
      s.faulty_run = s.normal_run = s.judged = 0;
      s.scored = false;
      if (s.state != State::kUnknown) {
        s.state = State::kUnknown;
        v.kind = VerdictKind::kUnknown;
        out->push_back(v);
      }
      continue;
    }
    const Part& part = parts_[batch_part_[j]];
    if (s.part != batch_part_[j]) {  // strikes, age and state are one model's: another starts afresh
      s.faulty_run = s.normal_run = s.judged = 0;
      if (s.part != kNone && s.state != State::kUnknown) s.state = State::kUnjudged;
      s.part = batch_part_[j];
    }
    const double score = part.scores[batch_col_[j]];
    v.score = score;
    v.judged_s = ++s.judged;
    s.scored = true;
    s.score = score;
    if (judged) judged->push_back({r.t, r.domid, r.generation, score});
    const bool faulty = score <= part.threshold;
    if (faulty)
      ++s.faulty_run, s.normal_run = 0;
    else
      ++s.normal_run, s.faulty_run = 0;
    if (s.state == State::kUnjudged || s.state == State::kUnknown) {
      s.state = State::kNormal;
      out->push_back(v);
    }
    if (s.state == State::kNormal && s.faulty_run >= uint32_t(part.strikes)) {
      s.state = State::kFaulty;
      v.kind = VerdictKind::kFaulty;
      out->push_back(v);
    } else if (s.state == State::kFaulty && s.normal_run >= uint32_t(part.strikes)) {
      s.state = State::kNormal;
      v.kind = VerdictKind::kRecovered;
      out->push_back(v);
    }
  }
  note_verdicts(*out);
}

void Detector::note_verdicts(const std::vector<Verdict>& out) {
  for (const Verdict& v : out) {
    Slot& s = *slots_[slot_of_[v.domid & xt::kMaxDomid]];
    if (s.w.generation != v.generation) continue;  // its id was reused within the call
    s.has_verdict = true;
    s.verdict = v.kind;
  }
}

Detector::Standing Detector::standing(uint16_t domid, uint32_t generation) const {
  const uint32_t si = slot_of_[domid & xt::kMaxDomid];
  if (si == kNone) return {};
  const Slot& s = *slots_[si];
  if (!s.w.used || s.w.generation != generation) return {};
  return {s.state == State::kFaulty, s.scored, s.score, s.has_verdict, s.verdict};
}

namespace {

bool exists(const std::string& p) { return access(p.c_str(), R_OK) == 0; }

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, size_t(n));
}

}  // namespace

std::string default_model_path(std::string* searched) {
  std::vector<std::string> tried;
  std::string found;
  auto try_path = [&](const std::string& p) {
    if (!found.empty() || p.empty()) return;
    tried.push_back(p);
    if (exists(p)) found = p;
  };
  if (const char* env = std::getenv("VTRACE_MODEL"); env && *env) {
    if (searched) *searched = std::string("$VTRACE_MODEL=") + env;
    return env;
  }
  const std::string exe = self_exe();
  const std::string bin_dir = VTRACE_BINARY_DIR;
  if (!bin_dir.empty() && exe.rfind(bin_dir + "/", 0) == 0)
    try_path(std::string(VTRACE_SOURCE_DIR) + "/src/detector/models/default.json");
  if (const size_t slash = exe.rfind('/'); slash != std::string::npos)
    try_path(exe.substr(0, slash) + "/../share/vtrace/models/default.json");
  try_path(std::string(VTRACE_DATADIR) + "/models/default.json");
  if (searched) {
    searched->clear();
    for (const std::string& t : tried) *searched += (searched->empty() ? "" : ", ") + t;
  }
  return found;
}

Status check_strikes(int strikes) {
  if (strikes < 0 || strikes > kMaxStrikes)
    return Status::InvalidArgument("a strike count of " + std::to_string(strikes) + " is not in 1.." +
                                   std::to_string(kMaxStrikes) + " (or 0: the model's)");
  return Status::Ok();
}

std::vector<std::string> default_model_paths(std::string* searched) {
  const std::string pv = default_model_path(searched);
  if (pv.empty()) return {};
  std::vector<std::string> paths{pv};
  if (const char* env = std::getenv("VTRACE_MODEL"); env && *env) return paths;
  const size_t slash = pv.rfind('/');
  const std::string hvm = (slash == std::string::npos ? "" : pv.substr(0, slash + 1)) + "default-hvm.json";
  if (exists(hvm)) paths.push_back(hvm);
  return paths;
}

Status DetectStage::open(const DetectOptions& o) {
  actions_.spec = ActionSpec();
  actions_.spec.dry_run = o.dry_run;
  actions_.control = o.control;
  guard_ = ActionGuard();
  guard_.opt = o.guard;
  guard_.query = o.query;
  guard_.names = o.names;
  stats_ = Stats();
  if (Status st = parse_action(o.action, &actions_.spec); !st.ok()) return st;
  if (Status st = actions_.check(); !st.ok()) return st;
  if (Status st = check_strikes(o.strikes); !st.ok()) return st;
  std::vector<std::string> paths = o.model_paths;
  if (paths.empty()) {
    std::string searched;
    paths = default_model_paths(&searched);
    if (paths.empty()) return Status::Unavailable("no default model found (looked in " + searched + ")");
  }
  models_.assign(paths.size(), Model());
  for (size_t i = 0; i < paths.size(); ++i)
    if (Status st = load_model(paths[i], &models_[i]); !st.ok()) return st;
  if (Status st = check_model_set(models_, paths); !st.ok()) return st;
  if (o.verdicts_path.empty() && !o.lines_on_stdout) {
    out_ = nullptr;
  } else if (o.verdicts_path.empty() || o.verdicts_path == "-") {
    out_ = stdout;
  } else {
    out_ = std::fopen(o.verdicts_path.c_str(), "w");
    if (!out_) return Status::IoError(o.verdicts_path + ": " + std::strerror(errno));
    own_out_ = true;
  }
  det_ = std::make_unique<Detector>(models_, o.strikes);
  return Status::Ok();
}

void DetectStage::on_samples(const std::vector<DomainSample>& period, double hz) {
  det_->on_samples(period, hz, &verdicts_);
  const bool acting = actions_.spec.kind != ActionKind::kNone;
  for (const Verdict& v : verdicts_) {
    std::string action, result, held;
    if (acting && v.kind == VerdictKind::kNormal) guard_.on_judged(v.domid, v.generation);
    if (acting && v.kind == VerdictKind::kFaulty) {
      action = actions_.spec.kind == ActionKind::kExec ? "exec:" + actions_.spec.command
                                                       : action_name(actions_.spec.kind);
      guard_.on_faulty(v.t);
      if (v.domid == 0) {  // never acted on (act() says so); not an action the guard counts
        result = actions_.act(v.domid, v.generation, v.t, v.score);
      } else {
        const GuardDecision g = guard_.check(v.t, v.domid, v.generation, v.judged_s, det_->scored_last());
        if (!g.alarm.empty()) {
          ++stats_[Stat::host_alarms];
          if (out_) std::fprintf(out_, "%s\n", g.alarm.c_str());
          std::fprintf(actions_.log, "vtrace: host alarm at t=%.3f s: %s; every action is held for %.0f s\n",
                       v.t, guard_.alarm_reason.c_str(), kGuardWindowS);
        }
        if (g.act) {
          result = actions_.act(v.domid, v.generation, v.t, v.score);
          guard_.on_acted(v.t, v.domid);
          ++stats_[Stat::actions_taken];
        } else {
          result = "held";
          held = g.held;
          ++stats_[Stat::actions_held];
          std::fprintf(actions_.log, "vtrace: held: not acting on domain %u (t=%.3f s): %s\n", v.domid, v.t,
                       held.c_str());
        }
      }
    }
    if (out_) std::fprintf(out_, "%s\n", verdict_json(v, action, result, held).c_str());
  }
  if (out_ && !verdicts_.empty()) std::fflush(out_);
  actions_.reap(false);
}

void DetectStage::finish() {
  actions_.reap(true);
  if (out_) std::fflush(out_);
}

DetectStage::~DetectStage() {
  if (own_out_ && out_) std::fclose(out_);
}

}  // namespace vt
