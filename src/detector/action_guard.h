// The action guard: whether a faulty verdict's action may run now. An
// action on a healthy guest is the worst thing vtrace can do, and what
// makes many guests look faulty at once (a host-wide stall, a TSC or clock
// jump, a dom0 under load, a detector error) is not a guest's fault, so
// every action passes these checks first, in this order; the first that
// fails holds it, with a one-line reason for the verdict line:
//
//  1. never-act: a --never-act glob (fnmatch) matches the domain's name,
//     or its decimal domid (names come from a DomainNames callback; without
//     one, or when it has no name, only the domid is matched).
//  2. min-age: the domain has fewer than min_age_s judged seconds in its
//     history (Verdict::judged_s).
//  3. cooldown: the guest (domid) was acted on less than cooldown_s ago.
//  4. the host (live only, a DomainQuery): the domain must still exist, be
//     the same domain as when first judged (its UUID, when the host knows
//     it), and be neither paused, shutting down nor dying. Without a query
//     (replay) this check is skipped.
//  5. host-wide, over the last kGuardWindowS of trace time: more than
//     max_actions actions that passed 1-4 (this one included, held ones
//     too), or at least kHostFaultyMin faulty verdicts that are more than
//     kHostFaultyFrac of the judged guests, raise a host alarm: every
//     action is held until kGuardWindowS pass without either. The alarm is
//     one JSON line when it starts ({"t": .., "host_alarm": REASON}). One
//     guest alone never raises it.
//
// A held action is dropped, not retried: the verdict stays faulty and the
// operator has the line. Times are the verdicts' `t` (trace time), so
// replay and live behave alike. Plain data, one thread (the classifier's);
// called per verdict, never per record.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/util/status.h"

namespace vt {

constexpr double kGuardWindowS = 60;      // the host-wide rules' window
constexpr double kHostFaultyFrac = 0.10;  // of the judged guests, within the window
constexpr int kHostFaultyMin = 2;         // faulty verdicts before the fraction counts

struct GuardOptions {
  double min_age_s = 60;               // judged seconds a domain needs before any action
  int max_actions = 1;                 // actions allowed within kGuardWindowS, host-wide
  double cooldown_s = 300;             // a guest acted on is left alone this long
  std::vector<std::string> never_act;  // globs on domain names (or decimal domids)
};

// What the host says of a domain (live path). `uuid` all zero: not known.
struct DomainInfo {
  bool exists = false;
  std::array<uint8_t, 16> uuid{};
  bool paused = false, shutdown = false, dying = false;
};
// Fails (any code) when the host cannot say; the guard then holds the action.
using DomainQuery = std::function<Status(uint16_t domid, DomainInfo* out)>;
// A domain's name, "" when unknown.
using DomainNames = std::function<std::string(uint16_t domid)>;

struct GuardDecision {
  bool act = false;
  std::string held;   // why not, when !act
  std::string alarm;  // a host alarm line (JSON, no newline) that starts now, or ""
};

struct ActionGuard {
  GuardOptions opt;
  DomainQuery query;  // empty in replay
  DomainNames names;  // empty: match globs against the domid alone

  // A domain's first judged second (its "normal" verdict): remembers the
  // host's UUID for it, to tell a reused domid later.
  void on_judged(uint16_t domid, uint32_t generation);
  // A faulty verdict. Call for every one, acted on or not: the host-wide
  // rule counts them all.
  void on_faulty(double t);
  // Whether the action for this faulty verdict may run (call after
  // on_faulty for it); `judged_guests`: domains scored this second. Records
  // it as an action when it passes 1-4.
  GuardDecision check(double t, uint16_t domid, uint32_t generation, uint32_t judged_s, size_t judged_guests);
  // The action ran (or, dry run, would have): starts the guest's cooldown.
  void on_acted(double t, uint16_t domid);

  // State (plain, inspected by tests).
  std::vector<double> faulty_t, action_t;  // within the window
  std::unordered_map<uint16_t, double> last_action;
  std::unordered_map<uint64_t, std::array<uint8_t, 16>> uuid_of;  // (domid << 32 | generation)
  double alarm_until = -1;                                        // actions held while t < alarm_until
  std::string alarm_reason;
};

}  // namespace vt
