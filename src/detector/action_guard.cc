#include "src/detector/action_guard.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstdio>

#include "src/util/json.h"

namespace vt {
namespace {

uint64_t key(uint16_t domid, uint32_t generation) { return uint64_t(domid) << 32 | generation; }

void forget_before(std::vector<double>* ts, double t) {
  ts->erase(std::remove_if(ts->begin(), ts->end(), [t](double x) { return x <= t - kGuardWindowS; }),
            ts->end());
}

std::string fmt(const char* f, double a, double b = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

}  // namespace

void ActionGuard::on_judged(uint16_t domid, uint32_t generation) {
  if (!query || uuid_of.count(key(domid, generation))) return;
  DomainInfo info;
  if (query(domid, &info).ok() && info.exists) uuid_of[key(domid, generation)] = info.uuid;
}

void ActionGuard::on_faulty(double t) { faulty_t.push_back(t); }

void ActionGuard::on_acted(double t, uint16_t domid) { last_action[domid] = t; }

GuardDecision ActionGuard::check(double t, uint16_t domid, uint32_t generation, uint32_t judged_s,
                                 size_t judged_guests) {
  GuardDecision d;
  const std::string id = std::to_string(domid);
  const std::string name = names ? names(domid) : std::string();
  for (const std::string& g : opt.never_act) {
    const bool by_name = !name.empty() && fnmatch(g.c_str(), name.c_str(), 0) == 0;
    if (by_name || fnmatch(g.c_str(), id.c_str(), 0) == 0) {
      d.held = "never-act: '" + g + "' matches " + (by_name ? name : "domain " + id);
      return d;
    }
  }
  if (double(judged_s) < opt.min_age_s) {
    d.held = fmt("min-age: judged %.0f s of the %.0f s needed", judged_s, opt.min_age_s);
    return d;
  }
  if (auto it = last_action.find(domid); it != last_action.end() && t - it->second < opt.cooldown_s) {
    d.held = fmt("cooldown: acted on %.0f s ago (cooldown %.0f s)", t - it->second, opt.cooldown_s);
    return d;
  }
  if (query) {
    DomainInfo info;
    const Status st = query(domid, &info);
    if (!st.ok()) {
      d.held = "host: cannot tell whether domain " + id + " is still there: " + st.message();
      return d;
    }
    if (!info.exists) {
      d.held = "gone: domain " + id + " no longer exists";
      return d;
    }
    const std::array<uint8_t, 16> zero{};
    auto it = uuid_of.find(key(domid, generation));
    if (it != uuid_of.end() && it->second != zero && info.uuid != zero && it->second != info.uuid) {
      d.held = "replaced: domain " + id + " is another domain (UUID) than the one judged";
      return d;
    }
    if (info.paused || info.shutdown || info.dying) {
      d.held = "state: domain " + id + " is " +
               (info.dying      ? "dying"
                : info.shutdown ? "shutting down"
                                : "paused");
      return d;
    }
  }
  // Host-wide: this one counts as an action whether or not it is held.
  forget_before(&faulty_t, t);
  forget_before(&action_t, t);
  action_t.push_back(t);
  std::string reason;
  if (int(action_t.size()) > opt.max_actions) {
    reason = fmt("max-actions: %.0f actions within %.0f s", double(action_t.size()), kGuardWindowS);
    reason += " (at most " + std::to_string(opt.max_actions) + ")";
  } else if (int(faulty_t.size()) >= kHostFaultyMin &&
             double(faulty_t.size()) > kHostFaultyFrac * double(judged_guests)) {
    reason = fmt("host-wide: %.0f of %.0f judged guests turned faulty", double(faulty_t.size()),
                 double(judged_guests));
    reason += fmt(" within %.0f s", kGuardWindowS);
  }
  if (!reason.empty()) {
    if (t >= alarm_until) {  // a new alarm
      alarm_reason = reason;
      char b[64];
      std::snprintf(b, sizeof b, "{\"t\": %.3f, \"host_alarm\": ", t);
      d.alarm = b + json_string(reason) + "}";
    }
    alarm_until = t + kGuardWindowS;
  }
  if (t < alarm_until) {
    d.held = "host alarm: " + alarm_reason;
    return d;
  }
  d.act = true;
  return d;
}

}  // namespace vt
