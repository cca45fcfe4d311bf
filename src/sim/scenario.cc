#include "src/sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>

#include "xentrace/events.h"

namespace vt::sim {

const char* behaviour_name(Behaviour b) {
  switch (b) {
    case Behaviour::kIdle: return "idle";
    case Behaviour::kIo: return "io";
    case Behaviour::kCpu: return "cpu";
    case Behaviour::kStorm: return "storm";
    case Behaviour::kHang: return "hang";
    case Behaviour::kHangIrqsOn: return "hangirq";
    case Behaviour::kDom0: return "dom0";
  }
  return "?";
}

bool parse_behaviour(const std::string& s, Behaviour* b) {
  static const std::map<std::string, Behaviour> names = {
      {"idle", Behaviour::kIdle},   {"io", Behaviour::kIo},     {"cpu", Behaviour::kCpu},
      {"storm", Behaviour::kStorm}, {"hang", Behaviour::kHang}, {"hangirq", Behaviour::kHangIrqsOn}};
  auto it = names.find(s);
  if (it == names.end()) return false;
  *b = it->second;
  return true;
}

namespace {

bool number(const std::string& s, double lo, double hi, double* out) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

struct Fault {
  uint32_t count = 0;
  double at = 0;
};

bool parse_fault(const std::string& v, Fault* f) {
  const size_t at = v.find('@');
  double n, s;
  if (at == std::string::npos || !number(v.substr(0, at), 0, 100000, &n) ||
      !number(v.substr(at + 1), 0, 1e6, &s))
    return false;
  f->count = uint32_t(n);
  f->at = s;
  return true;
}

// One life=... event: KIND:D@S[:ARG].
bool parse_life(const std::string& v, uint32_t* domid, LifeEvent* e) {
  const size_t colon = v.find(':'), at = v.find('@');
  if (colon == std::string::npos || at == std::string::npos || at < colon) return false;
  const std::string kind = v.substr(0, colon);
  const size_t arg_colon = v.find(':', at);
  const std::string when =
      v.substr(at + 1, arg_colon == std::string::npos ? std::string::npos : arg_colon - at - 1);
  const std::string arg = arg_colon == std::string::npos ? "" : v.substr(arg_colon + 1);
  double d, t, a = 0;
  if (!number(v.substr(colon + 1, at - colon - 1), 1, xt::kDomidFirstReserved - 1, &d) ||
      !number(when, 0, 1e6, &t))
    return false;
  const bool needs_arg = kind == "pause" || kind == "save" || kind == "vcpus";
  if (needs_arg == arg.empty() || (needs_arg && !number(arg, kind == "vcpus" ? 1 : 0.001, 1e6, &a)))
    return false;
  if (kind == "pause")
    e->kind = LifeKind::kPause;
  else if (kind == "crash")
    e->kind = LifeKind::kCrash;
  else if (kind == "save")
    e->kind = LifeKind::kSave;
  else if (kind == "vcpus")
    e->kind = LifeKind::kVcpus;
  else if (kind == "poweroff")
    e->kind = LifeKind::kPoweroff;
  else
    return false;
  if (e->kind == LifeKind::kSave && a <= t) return false;  // restored after it was saved
  *domid = uint32_t(d);
  e->at_s = t;
  e->arg = a;
  return true;
}

}  // namespace

Status parse_scenario(const std::string& spec, Scenario* out) {
  Scenario sc;
  std::map<std::string, std::string> kv;
  std::stringstream in(spec);
  std::string item;
  bool first = true;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      if (!first)
        return Status::InvalidArgument("'" + item + "' is not key=value (a preset name may only come first)");
      kv["preset"] = item;
    } else {
      kv[item.substr(0, eq)] = item.substr(eq + 1);
    }
    first = false;
  }
  const std::string preset = kv.count("preset") ? kv["preset"] : (kv.empty() ? "demo" : "custom");
  // Defaults per preset; explicit keys override them.
  std::string mix = "idle:1";
  uint32_t guests = 1, vcpus = 1;
  Fault hang, hangirq, hangone;
  uint32_t churn = 0;
  if (preset == "demo") {
    sc.pcpus = 4;
  } else if (preset == "dense") {
    sc.pcpus = 4;
    guests = 1000;
    mix = "idle:5+io:2+cpu:2+storm:1";
  } else if (preset == "overload") {
    sc.pcpus = 2;
    guests = 8;
    mix = "cpu:1";
  } else if (preset != "custom") {
    return Status::InvalidArgument("unknown preset '" + preset +
                                   "' (demo, dense, overload, or key=value pairs)");
  }
  sc.name = preset;
  for (const auto& kv_pair : kv) {
    const std::string& k = kv_pair.first;  // named, not bound: clang 14 cannot capture bindings
    const std::string& v = kv_pair.second;
    double d = 0;
    auto bad = [&](const char* what) { return Status::InvalidArgument(k + "=" + v + ": " + what); };
    if (k == "preset") continue;
    if (k == "pcpus") {
      if (!number(v, 1, 512, &d)) return bad("expected 1..512");
      sc.pcpus = uint32_t(d);
    } else if (k == "threads") {
      if (!number(v, 1, 64, &d)) return bad("expected 1..64");
      sc.threads = uint32_t(d);
    } else if (k == "guests") {
      if (!number(v, 0, 30000, &d)) return bad("expected 0..30000");
      guests = uint32_t(d);
    } else if (k == "vcpus") {
      if (!number(v, 1, 64, &d)) return bad("expected 1..64");
      vcpus = uint32_t(d);
    } else if (k == "mix") {
      mix = v;
    } else if (k == "hang") {
      if (!parse_fault(v, &hang)) return bad("expected N@SECONDS");
    } else if (k == "hangirq") {
      if (!parse_fault(v, &hangirq)) return bad("expected N@SECONDS");
    } else if (k == "hangone") {
      if (!parse_fault(v, &hangone)) return bad("expected N@SECONDS");
    } else if (k == "churn") {
      if (!number(v, 0, 1000, &d)) return bad("expected 0..1000");
      churn = uint32_t(d);
    } else if (k == "life") {
      // Checked here, applied once the guests exist (below).
      std::stringstream events(v);
      for (std::string ev; std::getline(events, ev, '+');) {
        uint32_t domid;
        LifeEvent e;
        if (!parse_life(ev, &domid, &e))
          return bad(
              "expected EVENT+EVENT+... with EVENT pause:D@S:SECONDS, crash:D@S, save:D@S:RESTORE_S, "
              "vcpus:D@S:N or poweroff:D@S");
      }
    } else if (k == "reader") {
      if (v.empty()) return bad("expected the other reader's name");
      sc.other_reader = v;
    } else if (k == "speed") {
      if (!number(v, 0, 1e6, &d)) return bad("expected 0 (as fast as possible) or a positive factor");
      sc.speed = d;
    } else if (k == "rate") {
      if (!number(v, 0, 1000, &d)) return bad("expected 0..1000");
      sc.hypercall_rate = d;
    } else if (k == "credit2") {
      if (v != "0" && v != "1") return bad("expected 0 or 1");
      sc.credit2_records = v == "1";
    } else if (k == "seed") {
      if (!number(v, 0, 1e15, &d)) return bad("expected a non-negative integer");
      sc.seed = uint64_t(d);
    } else {
      return Status::InvalidArgument("unknown key '" + k +
                                     "' (pcpus, threads, guests, vcpus, mix, hang, hangirq, hangone, churn, "
                                     "life, reader, speed, rate, credit2, seed)");
    }
  }
  if (sc.threads > sc.pcpus) sc.threads = sc.pcpus;

  if (preset == "demo" && !kv.count("guests") && !kv.count("mix")) {
    // A small host where every behaviour is visible.
    const Behaviour kinds[] = {Behaviour::kIdle,  Behaviour::kIo,  Behaviour::kCpu,
                               Behaviour::kStorm, Behaviour::kCpu, Behaviour::kIdle};
    uint32_t domid = 1;
    for (Behaviour b : kinds) {
      GuestSpec g;
      g.domid = domid++;
      g.behaviour = b;
      g.vcpus = vcpus;
      sc.guests.push_back(g);
    }
    sc.guests[4].fault_at_s = 20;  // a CPU-bound guest whose kernel hangs, interrupts off
    sc.guests[5].fault_at_s = 20;  // an idle guest whose kernel spins with interrupts on
    sc.guests[5].fault = Behaviour::kHangIrqsOn;
  } else {
    // Weighted mix, drawn with the seed.
    std::vector<std::pair<Behaviour, double>> weights;
    std::stringstream m(mix);
    std::string part;
    while (std::getline(m, part, '+')) {
      const size_t colon = part.find(':');
      Behaviour b;
      double w = 1;
      if (!parse_behaviour(part.substr(0, colon), &b) ||
          (colon != std::string::npos && !number(part.substr(colon + 1), 0, 1e6, &w)))
        return Status::InvalidArgument("mix=" + mix + ": '" + part +
                                       "' is not behaviour[:weight] (idle, io, cpu, storm, hang, hangirq)");
      weights.push_back({b, w});
    }
    double total = 0;
    for (auto& [b, w] : weights) total += w;
    if (weights.empty() || total <= 0) return Status::InvalidArgument("mix=" + mix + ": no positive weight");
    std::mt19937_64 rng(sc.seed);
    std::uniform_real_distribution<double> u(0, total);
    for (uint32_t i = 0; i < guests; ++i) {
      double x = u(rng);
      Behaviour b = weights.back().first;
      for (auto& [bw, w] : weights) {
        if (x < w) {
          b = bw;
          break;
        }
        x -= w;
      }
      GuestSpec g;
      g.domid = i + 1;
      g.behaviour = b;
      g.vcpus = vcpus;
      sc.guests.push_back(g);
    }
  }
  // Faults go to guests that have none yet, from the end of the list.
  auto assign = [&](const Fault& f, Behaviour kind, bool one) -> bool {
    uint32_t left = f.count;
    for (auto it = sc.guests.rbegin(); it != sc.guests.rend() && left > 0; ++it) {
      if (it->fault_at_s >= 0) continue;
      it->fault_at_s = f.at;
      it->fault = kind;
      it->fault_one_vcpu = one;
      if (one && it->vcpus < 2) it->vcpus = 2;
      --left;
    }
    return left == 0;
  };
  if (!assign(hang, Behaviour::kHang, false) || !assign(hangirq, Behaviour::kHangIrqsOn, false) ||
      !assign(hangone, Behaviour::kHang, true))
    return Status::InvalidArgument("more faults than guests");
  // Churn: short-lived guests reusing a small set of domids.
  const uint32_t base = uint32_t(sc.guests.size()) + 1;
  for (uint32_t i = 0; i < churn; ++i) {
    GuestSpec g;
    g.domid = base + i % 4;  // reuse: four ids for all of them
    g.behaviour = Behaviour::kIdle;
    g.start_s = 1.0 + 2.0 * (i / 4);
    g.stop_s = g.start_s + 1.5;
    sc.guests.push_back(g);
  }
  // Lifecycle events, on the guests alive from the start; a restore is a
  // new guest with the next free domid, created at the restore time.
  if (auto it = kv.find("life"); it != kv.end()) {
    std::stringstream events(it->second);
    for (std::string ev; std::getline(events, ev, '+');) {
      uint32_t domid = 0;
      LifeEvent e;
      if (!parse_life(ev, &domid, &e)) continue;  // checked above
      GuestSpec* g = nullptr;
      for (GuestSpec& x : sc.guests)
        if (x.domid == domid && x.start_s <= 0) g = &x;
      if (!g)
        return Status::InvalidArgument("life=" + it->second + ": no guest has domid " +
                                       std::to_string(domid));
      if (e.kind == LifeKind::kVcpus && e.arg >= g->vcpus)
        return Status::InvalidArgument("life=" + it->second + ": domain " + std::to_string(domid) + " has " +
                                       std::to_string(g->vcpus) + " vCPUs: vcpus:D@S:N needs N below that");
      g->life.push_back(e);
      if (e.kind == LifeKind::kSave || e.kind == LifeKind::kPoweroff) g->stop_s = e.at_s + 0.5;
      if (e.kind == LifeKind::kSave) {
        GuestSpec r = *g;
        r.domid = 0;
        for (const GuestSpec& x : sc.guests) r.domid = std::max(r.domid, x.domid);
        ++r.domid;
        r.start_s = e.arg;
        r.restored_from = g->restored_from ? g->restored_from : g->domid;
        r.stop_s = -1;
        r.life.clear();
        r.fault_at_s = -1;
        sc.guests.push_back(r);
      }
    }
    for (GuestSpec& g : sc.guests)
      std::sort(g.life.begin(), g.life.end(),
                [](const LifeEvent& a, const LifeEvent& b) { return a.at_s < b.at_s; });
  }
  if (sc.guests.size() + 1 >= xt::kDomidFirstReserved)  // dom0 and the guests take ids below
    return Status::InvalidArgument("too many guests for Xen's domain ids");
  *out = std::move(sc);
  return Status::Ok();
}

}  // namespace vt::sim
