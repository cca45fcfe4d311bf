// The action guard on hand-made verdict sequences: a burst holds every
// action and raises one alarm, the 10% rule, min-age, cooldown, never-act
// globs, and what the host says of a domain.
#include "src/detector/action_guard.h"

#include <gtest/gtest.h>

namespace vt {
namespace {

struct Seen {
  bool act;
  std::string held, alarm;
};

Seen faulty(ActionGuard& g, double t, uint16_t domid, uint32_t judged_s, size_t judged_guests) {
  g.on_faulty(t);
  const GuardDecision d = g.check(t, domid, 0, judged_s, judged_guests);
  if (d.act) g.on_acted(t, domid);
  return {d.act, d.held, d.alarm};
}

// Five of 20 guests turn faulty within 4 s (a host-wide stall looks like
// that): the first acts, the second would make 2 actions within 60 s and
// raises the alarm, the rest are held by it without another alarm line.
// Once 60 s pass without either rule firing, one guest is acted on again.
TEST(ActionGuard, BurstHoldsEveryActionWithOneAlarm) {
  ActionGuard g;
  EXPECT_TRUE(faulty(g, 100, 1, 90, 20).act);
  const Seen second = faulty(g, 100, 2, 90, 20);
  EXPECT_FALSE(second.act);
  EXPECT_EQ(second.held, "host alarm: max-actions: 2 actions within 60 s (at most 1)");
  EXPECT_EQ(second.alarm,
            R"j({"t": 100.000, "host_alarm": "max-actions: 2 actions within 60 s (at most 1)"})j");
  int alarms = 0;
  for (uint16_t d = 3; d <= 5; ++d) {
    const Seen s = faulty(g, 98.0 + d, d, 90, 20);  // t = 101, 102, 103
    EXPECT_FALSE(s.act) << d;
    EXPECT_EQ(s.held, "host alarm: max-actions: 2 actions within 60 s (at most 1)") << d;
    alarms += !s.alarm.empty();
  }
  EXPECT_EQ(alarms, 0);
  // The last held one (t = 103) kept the alarm until 163: still held at
  // 162, which keeps it until 222 (2 actions within 60 s again).
  EXPECT_FALSE(faulty(g, 162, 6, 90, 20).act);
  // After 222 nothing is left in the window.
  EXPECT_TRUE(faulty(g, 222.5, 7, 90, 20).act);
}

// More than 10% of the judged guests faulty within 60 s, whatever
// --max-actions allows: 2 of 10 raise the alarm, 2 of 40 do not; one guest
// alone never does (1 of 5 is 20%).
TEST(ActionGuard, TenPercentOfTheJudgedGuests) {
  ActionGuard g;
  g.opt.max_actions = 10;
  EXPECT_TRUE(faulty(g, 50, 1, 90, 10).act);
  const Seen s = faulty(g, 55, 2, 90, 10);
  EXPECT_FALSE(s.act);
  EXPECT_EQ(s.alarm,
            R"({"t": 55.000, "host_alarm": "host-wide: 2 of 10 judged guests turned faulty within 60 s"})");

  ActionGuard big;
  big.opt.max_actions = 10;
  EXPECT_TRUE(faulty(big, 50, 1, 90, 40).act);
  EXPECT_TRUE(faulty(big, 55, 2, 90, 40).act);

  ActionGuard small;
  EXPECT_TRUE(faulty(small, 50, 1, 90, 5).act);
}

TEST(ActionGuard, MinAgeHoldsAYoungDomain) {
  ActionGuard g;
  const Seen young = faulty(g, 30, 4, 59, 20);
  EXPECT_FALSE(young.act);
  EXPECT_EQ(young.held, "min-age: judged 59 s of the 60 s needed");
  EXPECT_TRUE(young.alarm.empty());
  EXPECT_TRUE(faulty(g, 31, 5, 60, 20).act);  // a held one is no action: 5 is the first
  ActionGuard any;
  any.opt.min_age_s = 0;
  EXPECT_TRUE(faulty(any, 1, 4, 1, 20).act);
}

TEST(ActionGuard, CooldownPerGuest) {
  ActionGuard g;
  EXPECT_TRUE(faulty(g, 100, 7, 90, 20).act);
  const Seen again = faulty(g, 250, 7, 90, 20);  // faulty again, 150 s later
  EXPECT_FALSE(again.act);
  EXPECT_EQ(again.held, "cooldown: acted on 150 s ago (cooldown 300 s)");
  EXPECT_TRUE(faulty(g, 400, 7, 90, 20).act);  // 300 s later: acted on again
}

TEST(ActionGuard, NeverActGlobsOnNamesOrDomids) {
  ActionGuard g;
  g.opt.max_actions = 100;
  g.opt.never_act = {"web*", "1?"};
  g.names = [](uint16_t d) { return d == 3 ? std::string("web3") : d == 4 ? "db4" : ""; };
  const Seen web = faulty(g, 100, 3, 90, 100);
  EXPECT_FALSE(web.act);
  EXPECT_EQ(web.held, "never-act: 'web*' matches web3");
  const Seen twelve = faulty(g, 100, 12, 90, 100);  // no name: its domid
  EXPECT_FALSE(twelve.act);
  EXPECT_EQ(twelve.held, "never-act: '1?' matches domain 12");
  EXPECT_TRUE(faulty(g, 100, 4, 90, 100).act);    // db4
  EXPECT_TRUE(faulty(g, 100, 120, 90, 100).act);  // '1?' is two characters
}

// Live: the host is asked first. A domain gone, replaced (another UUID
// behind the same domid and generation) or paused is not acted on; a host
// that cannot say holds the action too.
TEST(ActionGuard, TheHostMustStillRunTheSameDomain) {
  DomainInfo host;
  host.exists = true;
  host.uuid[0] = 0xaa;
  Status answer = Status::Ok();
  ActionGuard g;
  g.opt.max_actions = 100;
  g.query = [&](uint16_t, DomainInfo* out) {
    *out = host;
    return answer;
  };
  g.on_judged(5, 0);  // first judged: UUID aa...
  host.uuid[0] = 0xbb;
  Seen s = faulty(g, 100, 5, 90, 100);
  EXPECT_EQ(s.held, "replaced: domain 5 is another domain (UUID) than the one judged");
  host.uuid[0] = 0xaa;
  host.paused = true;
  EXPECT_EQ(faulty(g, 101, 5, 90, 100).held, "state: domain 5 is paused");
  host.exists = false;
  EXPECT_EQ(faulty(g, 102, 5, 90, 100).held, "gone: domain 5 no longer exists");
  answer = Status::IoError("xc_domain_getinfo: permission denied");
  EXPECT_EQ(faulty(g, 103, 5, 90, 100).held,
            "host: cannot tell whether domain 5 is still there: xc_domain_getinfo: permission denied");
  answer = Status::Ok();
  host = DomainInfo();
  host.exists = true;
  host.uuid[0] = 0xaa;
  EXPECT_TRUE(faulty(g, 104, 5, 90, 100).act);
}

}  // namespace
}  // namespace vt
