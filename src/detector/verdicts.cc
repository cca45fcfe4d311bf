#include "src/detector/verdicts.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>

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
    case VerdictKind::kPaused: return "paused";
    case VerdictKind::kShutdown: return "shutdown";
    case VerdictKind::kCrashed: return "crashed";
    case VerdictKind::kDying: return "dying";
  }
  return "?";
}

std::string rfc3339_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  char b[40];
  const size_t n = std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &t);
  std::snprintf(b + n, sizeof b - n, ".%03ldZ", long(ts.tv_nsec / 1000000));
  return b;
}

std::string verdict_json(const Verdict& v, const std::string& action, const std::string& result,
                         const std::string& held, const DomainId* id, const std::string& time) {
  char b[256];
  // The guest type says which model judged (one per type); an unknown
  // verdict has no score.
  std::string s;
  std::snprintf(b, sizeof b, "{\"t\": %.3f", v.t);
  s = b;
  if (!time.empty()) s += ", \"time\": " + json_string(time);
  std::snprintf(b, sizeof b, ", \"domid\": %u, \"generation\": %u", v.domid, v.generation);
  s += b;
  if (id) s += ", \"name\": " + json_string(id->name) + ", \"uuid\": " + json_string(id->uuid);
  int n = std::snprintf(b, sizeof b, ", \"verdict\": \"%s\", \"guest_type\": \"%s\"", verdict_name(v.kind),
                        guest_type_name(v.type));
  const bool judged =
      v.kind == VerdictKind::kNormal || v.kind == VerdictKind::kFaulty || v.kind == VerdictKind::kRecovered;
  if (judged && n > 0 && size_t(n) < sizeof b)
    std::snprintf(b + n, sizeof b - size_t(n), ", \"score\": %.6f", v.score);
  s += b;
  if (!judged && v.reason) s += ", \"reason\": " + json_string(v.reason);
  if (!action.empty()) s += ", \"action\": " + json_string(action);
  if (!result.empty()) s += ", \"action_result\": " + json_string(result);
  if (!held.empty()) s += ", \"held\": " + json_string(held);
  return s + "}";
}

Detector::Detector(const Model& m, int strikes, double threshold)
    : Detector(std::vector<Model>{m}, strikes, threshold) {}

Detector::Detector(const std::vector<Model>& models, int strikes, double threshold)
    : window_(models.at(0).window), slot_of_(size_t(xt::kMaxDomid) + 1, kNone) {
  set_models(models, strikes, threshold);
}

void Detector::set_models(const std::vector<Model>& models, int strikes, double threshold) {
  parts_.clear();
  for (uint32_t& p : part_of_type_) p = kNone;
  for (const Model& m : models) {
    Part p;
    p.ens = compile(m);
    p.strikes = strikes > 0 ? strikes : m.strikes;
    p.threshold = std::isnan(threshold) ? m.threshold : threshold;
    for (GuestType t : m.guest_types) part_of_type_[size_t(t)] = uint32_t(parts_.size());
    parts_.push_back(std::move(p));
  }
  cap_ = 0;  // the next call sizes the new models' batches
}

void Detector::replace_models(const std::vector<Model>& models, int strikes, double threshold) {
  uint32_t old_of_type[kNumGuestTypes];
  std::copy(std::begin(part_of_type_), std::end(part_of_type_), std::begin(old_of_type));
  set_models(models, strikes, threshold);
  // A domain's strikes and age are its model's: they go on under the model
  // that now judges its type, so that the next second does not take it for
  // a change of model. By the domain's own type, not the old model's: one
  // old model may have judged types that new models now share out.
  for (const std::unique_ptr<Slot>& s : slots_) {
    if (s->part == kNone) continue;
    const size_t t = size_t(s->type());
    s->part = old_of_type[t] == s->part ? part_of_type_[t] : kNone;  // kNone: its type changed since
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
    if (s.seen && s.generation != r.generation) s = Slot();  // a new domain with this id
    s.seen = true;
    s.generation = r.generation;
    s.pv += pv_records(r);
    s.hvm += hvm_records(r);
    if (r.host_hvm >= 0) s.host_hvm = r.host_hvm;
    if (r.domid == 0 && !judge_dom0_) {  // the control domain: it runs vtrace; no model was trained on it
      if (s.state != State::kUnknown) {
        s.state = State::kUnknown;
        Verdict v{r.t + r.span_s, r.domid, r.generation, VerdictKind::kUnknown, 0, s.type()};
        v.reason = "dom0 is not judged";
        out->push_back(v);
      }
      continue;
    }
    if (r.state != DomainState::kActive) {
      on_stopped(s, r, out);
      continue;
    }
    const double t_end = r.t + r.span_s;
    if (s.state == State::kStopped) {  // running again: a history of its own, judged after its warm-up
      s.state = State::kUnjudged;
      s.shutdown_told = xt::kNoShutdown;
    }
    if (r.vcpus_up != 0 && s.vcpus_up != 0 && r.vcpus_up != s.vcpus_up) {  // vCPUs plugged or unplugged
      restart(s);
      if (s.state == State::kNormal || s.state == State::kFaulty) {
        s.state = State::kUnknown;
        Verdict v{t_end, r.domid, r.generation, VerdictKind::kUnknown, 0, s.type()};
        v.reason = "vCPUs changed";
        out->push_back(v);
      }
    }
    if (r.vcpus_up != 0) s.vcpus_up = r.vcpus_up;
    if (r.age_s >= 0 && !s.booted) {  // created while traced: booting until it idles, or the grace ends
      // Idle: blocked at least as long as it ran (time spent waiting for a
      // CPU says nothing of the guest: on a busy host it is most of it).
      const double blocked = r.state_s[kBlocked], ran = r.state_s[kRunning];
      s.idle_run = blocked > 0 && blocked >= ran ? s.idle_run + 1 : 0;
      // The grace counts from its first running second: building a domain
      // (memory, kernel image) before it runs can take minutes on a busy dom0.
      if (ran > 0 && s.boot_t0 < 0) s.boot_t0 = r.t;
      const bool grace_over = s.boot_t0 >= 0 && r.t + r.span_s - s.boot_t0 >= boot_grace_s_;
      if (grace_over || s.idle_run >= kBootIdleS) {
        s.booted = true;
        restart(s);  // its window held boot seconds
      } else {
        if (s.state != State::kUnknown) {
          s.state = State::kUnknown;
          Verdict v{t_end, r.domid, r.generation, VerdictKind::kUnknown, 0, s.type()};
          v.reason = "booting";
          out->push_back(v);
        }
        continue;
      }
    }
    bool restarted = false;
    const Push p = push_row(&s.w, window_, r, f, &restarted);
    if (restarted) s.faulty_run = s.normal_run = s.judged = 0;
    if (r.blinded & (kBlindSharedRings | kBlindLost)) {  // some of its records are missing: no judging
      s.faulty_run = s.normal_run = s.judged = 0;
      if (s.state != State::kUnknown) {
        s.state = State::kUnknown;
        Verdict v{t_end, r.domid, r.generation, VerdictKind::kUnknown, 0, s.type()};
        v.reason = r.blinded & kBlindSharedRings ? "another reader of the rings" : "records lost";
        out->push_back(v);
      }
      continue;
    }
    if (p != Push::kJudged) continue;
    batch_slot_[nb] = si;
    batch_row_[nb] = &r;
    batch_part_[nb] = part_of_type_[size_t(s.type())];
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
    Verdict v{r.t + r.span_s, r.domid, r.generation, VerdictKind::kNormal, 0, s.type()};
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
    if (s.generation != v.generation) continue;  // its id was reused within the call
    s.has_verdict = true;
    s.verdict = v.kind;
  }
}

void Detector::on_stopped(Slot& s, const SecondRow& r, std::vector<Verdict>* out) {
  restart(s);
  Verdict v{r.t + r.span_s, r.domid, r.generation, VerdictKind::kNormal, 0, s.type()};
  auto emit = [&](VerdictKind k, const char* reason) {
    v.kind = k;
    v.reason = reason;
    out->push_back(v);
    s.state = State::kStopped;
    s.stopped = k;
  };
  // The guest's own shutdown first: a crash the toolstack destroyed in the
  // same second is still reported as a crash.
  if (r.shutdown_reason != xt::kNoShutdown && r.shutdown_reason != s.shutdown_told) {
    s.shutdown_told = r.shutdown_reason;
    emit(r.shutdown_reason == xt::kShutdownCrash ? VerdictKind::kCrashed : VerdictKind::kShutdown,
         xt::shutdown_reason_name(r.shutdown_reason));
  }
  VerdictKind k = VerdictKind::kPaused;
  if (r.state == DomainState::kDying) k = VerdictKind::kDying;
  if (r.state == DomainState::kCrashed) k = VerdictKind::kCrashed;
  if (r.state == DomainState::kShutdown) k = VerdictKind::kShutdown;
  if (s.state != State::kStopped || s.stopped != k) emit(k, nullptr);
}

Detector::Standing Detector::standing(uint16_t domid, uint32_t generation) const {
  const uint32_t si = slot_of_[domid & xt::kMaxDomid];
  if (si == kNone) return {};
  const Slot& s = *slots_[si];
  if (!s.seen || s.generation != generation) return {};
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

namespace {

// The models at `given` (the default ones when empty), loaded and checked
// as a set; *paths (if asked) gets where they came from.
Status load_model_set(const std::vector<std::string>& given, std::vector<Model>* models,
                      std::vector<std::string>* paths) {
  std::vector<std::string> at = given;
  if (at.empty()) {
    std::string searched;
    at = default_model_paths(&searched);
    if (at.empty()) return Status::Unavailable("no default model found (looked in " + searched + ")");
  }
  models->assign(at.size(), Model());
  for (size_t i = 0; i < at.size(); ++i)
    if (Status st = load_model(at[i], &(*models)[i]); !st.ok()) return st;
  if (paths) *paths = at;
  return check_model_set(*models, at);
}

}  // namespace

Status DetectStage::open(const DetectOptions& o) {
  actions_.spec = ActionSpec();
  actions_.spec.dry_run = o.dry_run;
  actions_.control = o.control;
  guard_ = ActionGuard();
  guard_.opt = o.guard;
  guard_.query = o.query;
  identity_ = o.identity;
  wall_time_ = o.wall_time;
  guard_.names = nullptr;
  if (identity_)
    guard_.names = [id = identity_](uint16_t domid) {
      const DomainId* x = id(domid);
      return x ? x->name : std::string();
    };
  stats_ = Stats();
  if (Status st = parse_action(o.action, &actions_.spec); !st.ok()) return st;
  if (Status st = actions_.check(); !st.ok()) return st;
  if (Status st = check_strikes(o.strikes); !st.ok()) return st;
  if (Status st = load_model_set(o.model_paths, &models_, nullptr); !st.ok()) return st;
  if (o.verdicts_path.empty() && !o.lines_on_stdout) {
    out_ = nullptr;
  } else if (o.verdicts_path.empty() || o.verdicts_path == "-") {
    out_ = stdout;
  } else {
    // Appending: a service restarted keeps the verdicts it wrote before.
    out_ = std::fopen(o.verdicts_path.c_str(), "a");
    if (!out_) return Status::IoError(o.verdicts_path + ": " + std::strerror(errno));
    own_out_ = true;
    out_path_ = o.verdicts_path;
  }
  det_ = std::make_unique<Detector>(models_, o.strikes);
  det_->set_boot_grace(o.boot_grace_s);
  det_->set_judge_dom0(o.judge_dom0);
  return Status::Ok();
}

Status DetectStage::reload(const DetectOptions& o) {
  // Everything is checked before anything changes.
  ActionRunner probe;
  probe.spec.dry_run = o.dry_run;
  probe.control = actions_.control;
  if (Status st = parse_action(o.action, &probe.spec); !st.ok()) return st;
  if (Status st = probe.check(); !st.ok()) return st;
  if (Status st = check_strikes(o.strikes); !st.ok()) return st;
  std::vector<Model> models;
  std::vector<std::string> paths;
  if (Status st = load_model_set(o.model_paths, &models, &paths); !st.ok()) return st;
  const WindowConfig& w = det_->window();
  if (models[0].window.window != w.window || models[0].window.warmup != w.warmup)
    return Status::InvalidArgument(
        paths[0] + ": its window (" + std::to_string(models[0].window.window) + " s, warm-up " +
        std::to_string(models[0].window.warmup) + " s) is not the running models' (" +
        std::to_string(w.window) + " s, warm-up " + std::to_string(w.warmup) +
        " s): every domain's history is kept in that window; restart to change it");
  std::FILE* out = nullptr;
  if (own_out_) {
    out = std::fopen(out_path_.c_str(), "a");
    if (!out) return Status::IoError(out_path_ + ": " + std::strerror(errno));
  }
  det_->replace_models(models, o.strikes);
  det_->set_boot_grace(o.boot_grace_s);
  det_->set_judge_dom0(o.judge_dom0);
  models_ = std::move(models);
  actions_.spec = probe.spec;  // running commands are still reaped
  guard_.opt = o.guard;        // its history (actions, cooldowns, alarm) stays
  if (own_out_) {
    std::fclose(out_);
    out_ = out;
  }
  return Status::Ok();
}

void DetectStage::on_samples(const std::vector<DomainSample>& period, double hz) {
  det_->on_samples(period, hz, &verdicts_);
  emit();
}

void DetectStage::on_rows(const SecondRow* rows, size_t n) {
  det_->on_rows(rows, n, &verdicts_);
  emit();
}

void DetectStage::emit() {
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
    const DomainId* id = identity_ ? identity_(v.domid) : nullptr;
    if (out_)
      std::fprintf(
          out_, "%s\n",
          verdict_json(v, action, result, held, id, wall_time_ ? rfc3339_now() : std::string()).c_str());
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
