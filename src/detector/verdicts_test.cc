// Runtime detector: the strike rule second by second, blindness, new
// generations, batches of many domains, the DomainSample path, verdict
// lines, and DetectStage end to end with a dry-run action.
#include "src/detector/verdicts.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>

#include "tests/support/temp_path.h"

namespace vt {
namespace {

// One tree: hypercalls_per_s <= 10 ? FAULTY : normal. Window 1, no
// warm-up, so each second is judged on its own row.
Model stump(int window = 1, int warmup = 0) {
  Model m;
  m.features = {"hypercalls_per_s"};
  m.window = {window, warmup};
  m.threshold = 0.5;
  m.strikes = 3;
  ModelTree t;
  t.feature = {0, -1, -1};
  t.threshold = {10, 0, 0};
  t.left = {1, -1, -1};
  t.right = {2, -1, -1};
  t.value = {0.5, 0.0, 1.0};
  m.trees = {t};
  const Status st = validate_model(&m);
  EXPECT_TRUE(st.ok()) << st.message();
  return m;
}

SecondRow row(uint16_t domid, uint64_t t, uint64_t hypercalls, bool blinded = false, uint32_t gen = 0) {
  SecondRow r;
  r.index = t;
  r.t = double(t);
  r.span_s = 1;
  r.domid = domid;
  r.generation = gen;
  r.n[kHypercalls] = hypercalls;
  r.n[kPvOther] = 1;  // a PV guest's records, whatever its hypercalls: the model judges it
  r.blinded = blinded;
  return r;
}

std::string run(Detector* d, const std::vector<SecondRow>& rows) {
  std::string s;
  std::vector<Verdict> v;
  for (const SecondRow& r : rows) {
    d->on_rows(&r, 1, &v);
    for (const Verdict& x : v) s += std::to_string(int(x.t)) + ":" + verdict_name(x.kind) + " ";
  }
  return s;
}

TEST(Runtime, StrikeRuleSecondBySecond) {
  Detector d(stump());
  // hypercalls: 100 100 0 0 100 0 0 0 0 100 100 0 100 100 100
  // votes:        n   n f f   n f f f f   n   n f   n   n   n
  // verdicts: normal at t=0 (end 1); three faulty in a row at t=5,6,7:
  // faulty at end 8; three normal in a row at 12,13,14: recovered at end 15.
  const uint64_t hc[] = {100, 100, 0, 0, 100, 0, 0, 0, 0, 100, 100, 0, 100, 100, 100};
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 15; ++t) rows.push_back(row(7, t, hc[t]));
  EXPECT_EQ(run(&d, rows), "1:normal 8:faulty 15:recovered ");
}

// The standing the metrics show (vtrace_domain_faulty, _score) follows the
// verdict lines: faulty from the faulty verdict to the recovered one, not
// from one second's vote; the score is the last judged second's.
TEST(Runtime, StandingFollowsTheVerdicts) {
  Detector d(stump());
  const uint64_t hc[] = {100, 100, 0, 0, 100, 0, 0, 0, 0, 100, 100, 0, 100, 100, 100};
  std::vector<Verdict> v;
  std::string faulty;
  EXPECT_FALSE(d.standing(7, 0).scored);  // never seen
  for (uint64_t t = 0; t < 15; ++t) {
    const SecondRow r = row(7, t, hc[t]);
    d.on_rows(&r, 1, &v);
    const Detector::Standing st = d.standing(7, 0);
    faulty += st.faulty ? '1' : '0';
    EXPECT_TRUE(st.scored);
    EXPECT_EQ(st.score, hc[t] > 10 ? 1.0 : 0.0) << t;  // the stump's vote fraction for normal
  }
  // Verdicts (StrikeRuleSecondBySecond): faulty at the end of t=7, recovered at the end of t=14.
  EXPECT_EQ(faulty, "000000011111110");
  EXPECT_FALSE(d.standing(7, 1).scored);  // another generation: not this domain
  EXPECT_FALSE(d.standing(8, 0).scored);
}

// vtrace top's verdict column: the kind of the domain's last verdict line,
// none before the first, none for a new generation until its own.
TEST(Runtime, StandingSaysTheLastVerdictLine) {
  Detector d(stump(3, 2));  // a 3 s window, 2 s of warm-up: the first verdict at t=2
  const uint64_t hc[] = {100, 100, 100, 100, 100, 0, 0, 0, 0, 0, 0};
  std::vector<Verdict> v;
  std::string seen;
  for (uint64_t t = 0; t < 11; ++t) {
    const SecondRow r = row(7, t, hc[t]);
    d.on_rows(&r, 1, &v);
    const Detector::Standing st = d.standing(7, 0);
    seen += st.has_verdict ? verdict_name(st.verdict)[0] : '-';
  }
  // The window's mean falls to 10 hypercalls/s or less (faulty votes) at
  // t=7 (100, 0, 0 is 33 at t=6): the third faulty vote, and the verdict, at t=9.
  EXPECT_EQ(seen, "--nnnnnnnff");
  const SecondRow r = row(7, 11, 100, false, 1);  // the id reused
  d.on_rows(&r, 1, &v);
  EXPECT_FALSE(d.standing(7, 1).has_verdict);
  EXPECT_FALSE(d.standing(7, 0).has_verdict);
}

TEST(Runtime, StrikesFromTheCaller) {
  Detector d(stump(), 1);
  std::vector<SecondRow> rows{row(7, 0, 100), row(7, 1, 0), row(7, 2, 100), row(7, 3, 100)};
  EXPECT_EQ(run(&d, rows), "1:normal 2:faulty 3:recovered ");
}

// Lost records leave too little evidence: unknown at once, strikes
// cleared, judged again on the next clean window.
TEST(Runtime, LostRecordsMakeTheDomainUnknown) {
  Detector d(stump());
  // Faulty, faulty, lost, faulty x3: the count starts over after the loss.
  std::vector<SecondRow> rows{row(7, 0, 0), row(7, 1, 0), row(7, 2, 0, true),
                              row(7, 3, 0), row(7, 4, 0), row(7, 5, 0)};
  EXPECT_EQ(run(&d, rows), "1:normal 3:unknown 4:normal 6:faulty ");
  std::vector<Verdict> v;
  d.on_rows(&rows[2], 1, &v);  // a later loss: the reason is on the line
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(verdict_json(v[0]),
            R"({"t": 3.000, "domid": 7, "generation": 0, "verdict": "unknown", "guest_type": "pv", )"
            R"("reason": "records lost"})");
}

SecondRow in_state(SecondRow r, DomainState st, uint8_t reason = xt::kNoShutdown) {
  r.state = st;
  r.shutdown_reason = reason;
  return r;
}

// A paused guest is paused, never judged, and starts a new history when it
// runs again: no strike carried over, the warm-up unjudged again.
TEST(Runtime, PauseIsAStateAndRestartsTheHistory) {
  Detector d(stump(1, 2));  // window 1, warm-up 2: the first two rows unjudged
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 4; ++t) rows.push_back(row(7, t, t < 2 ? 100 : 0));  // two faulty votes
  for (uint64_t t = 4; t < 8; ++t) rows.push_back(in_state(row(7, t, 0), DomainState::kPaused));
  for (uint64_t t = 8; t < 14; ++t) rows.push_back(row(7, t, 0));  // faulty again after the pause
  // Judged from t=2 (normal at 3); paused at 5; unpaused at 8: rows 8, 9
  // are its new warm-up, 10 is judged (normal at 11), the third strike is
  // row 12 (faulty at 13): the two strikes before the pause did not count.
  EXPECT_EQ(run(&d, rows), "3:normal 5:paused 11:normal 13:faulty ");
}

// A crash is reported at once, without strikes; a crash destroyed in the
// same second gives both lines; a shutdown carries the guest's reason.
TEST(Runtime, CrashShutdownAndDestroyAreStateVerdicts) {
  Detector d(stump());
  std::vector<SecondRow> rows{row(3, 0, 100), row(4, 0, 100), row(5, 0, 100)};
  rows.push_back(in_state(row(3, 1, 0), DomainState::kCrashed, xt::kShutdownCrash));
  rows.push_back(in_state(row(4, 1, 0), DomainState::kDying, xt::kShutdownCrash));
  rows.push_back(in_state(row(5, 1, 0), DomainState::kShutdown, xt::kShutdownReboot));
  rows.push_back(
      in_state(row(3, 2, 0), DomainState::kCrashed, xt::kShutdownCrash));  // preserved: no new line
  rows.push_back(in_state(row(5, 2, 0), DomainState::kDying, xt::kShutdownReboot));
  std::vector<std::string> lines;
  for (size_t from = 0; from < rows.size();) {  // one call per second, as the sampler delivers them
    size_t to = from;
    while (to < rows.size() && rows[to].index == rows[from].index) ++to;
    std::vector<Verdict> v;
    d.on_rows(rows.data() + from, to - from, &v);
    for (const Verdict& x : v) lines.push_back(verdict_json(x));
    from = to;
  }
  const std::vector<std::string> want = {
      R"({"t": 1.000, "domid": 3, "generation": 0, "verdict": "normal", "guest_type": "pv", "score": 1.000000})",
      R"({"t": 1.000, "domid": 4, "generation": 0, "verdict": "normal", "guest_type": "pv", "score": 1.000000})",
      R"({"t": 1.000, "domid": 5, "generation": 0, "verdict": "normal", "guest_type": "pv", "score": 1.000000})",
      R"({"t": 2.000, "domid": 3, "generation": 0, "verdict": "crashed", "guest_type": "pv", "reason": "crash"})",
      R"({"t": 2.000, "domid": 4, "generation": 0, "verdict": "crashed", "guest_type": "pv", "reason": "crash"})",
      R"({"t": 2.000, "domid": 4, "generation": 0, "verdict": "dying", "guest_type": "pv"})",
      R"({"t": 2.000, "domid": 5, "generation": 0, "verdict": "shutdown", "guest_type": "pv", "reason": "reboot"})",
      R"({"t": 3.000, "domid": 5, "generation": 0, "verdict": "dying", "guest_type": "pv"})",
  };
  EXPECT_EQ(lines, want);
  EXPECT_FALSE(d.standing(3, 0).faulty);
}

// vCPUs unplugged or plugged (xl vcpu-set): the history restarts, with an
// unknown line when the domain had been judged.
TEST(Runtime, AChangeOfVcpusRestartsTheHistory) {
  Detector d(stump(1, 1));
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 8; ++t) {
    rows.push_back(row(7, t, t < 3 ? 100 : 0));
    rows.back().vcpus_up = t < 4 ? 2 : 1;  // one unplugged at t=4
  }
  // Judged from t=1 (normal at 2); faulty votes at 3; unplug at 4: unknown,
  // row 4 is the new warm-up; strikes at 5, 6, 7: faulty at 8.
  EXPECT_EQ(run(&d, rows), "2:normal 5:unknown 6:normal 8:faulty ");
  // A table without the count (vcpus_up 0) never restarts for it.
  Detector e(stump(1, 1));
  for (SecondRow& r : rows) r.vcpus_up = 0;
  EXPECT_EQ(run(&e, rows), "2:normal 6:faulty ");
}

TEST(Runtime, WarmupAndWindowFromTheModel) {
  Detector d(stump(5, 5));
  // Rows 0..9 at 100 hypercalls/s, then 0 from t=10. First judged: t=5
  // (warm-up). The 5 s mean is 80 at t=10, 60, 40, 20, then 0 at t=14:
  // faulty votes from t=14, the third at t=16 (verdict at its end, 17).
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 20; ++t) rows.push_back(row(7, t, t < 10 ? 100 : 0));
  EXPECT_EQ(run(&d, rows), "6:normal 17:faulty ");
}

TEST(Runtime, NewGenerationIsANewDomain) {
  Detector d(stump());
  std::vector<SecondRow> rows{row(7, 0, 0), row(7, 1, 0), row(7, 2, 0), row(7, 3, 0, false, 1),
                              row(7, 4, 0, false, 1)};
  EXPECT_EQ(run(&d, rows), "1:normal 3:faulty 4:normal ");
}

// A model judges the guest types it was trained on (features.h): a domain
// whose records say HVM, or that made no PV or HVM record yet, is unknown,
// never scored, never faulty; once its records say PV it is judged.
TEST(Runtime, DomainsOfAnotherTypeAreUnknown) {
  Detector d(stump());  // guest_types: pv (validate_model's default)
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 6; ++t) {
    SecondRow hvm = row(3, t, 0);
    hvm.n[kPvOther] = 0;
    hvm.n[kHvmRecords] = 500;  // VM exits and their handlers: an HVM or PVH guest
    SecondRow silent = row(4, t, 0);
    silent.n[kPvOther] = t < 3 ? 0 : 1;  // no record of either class until t=3
    rows.push_back(hvm);
    rows.push_back(silent);
  }
  std::vector<Verdict> v;
  std::vector<Judgement> judged;
  std::string seen;
  for (size_t i = 0; i < rows.size(); i += 2) {
    d.on_rows(&rows[i], 2, &v, &judged);
    for (const Verdict& x : v)
      seen += std::to_string(x.domid) + "@" + std::to_string(int(x.t)) + ":" + verdict_name(x.kind) + "/" +
              guest_type_name(x.type) + " ";
  }
  // d3: unknown once, never scored; d4: unknown until its records say PV,
  // then judged (0 hypercalls: faulty votes from t=3, the third at t=5).
  EXPECT_EQ(seen, "3@1:unknown/hvm 4@1:unknown/unknown 4@4:normal/pv 4@6:faulty/pv ");
  for (const Judgement& j : judged) EXPECT_EQ(j.domid, 4) << j.t;
  Verdict u{12, 3, 0, VerdictKind::kUnknown, 0, GuestType::kHvm};
  EXPECT_EQ(verdict_json(u),
            R"({"t": 12.000, "domid": 3, "generation": 0, "verdict": "unknown", "guest_type": "hvm"})");

  // A model trained on HVM guests judges d3 and leaves the PV guest alone.
  Model m = stump();
  m.guest_types = {GuestType::kHvm};
  Detector h(m);
  std::string seen_h;
  for (size_t i = 0; i < rows.size(); i += 2) {
    h.on_rows(&rows[i], 2, &v);
    for (const Verdict& x : v) seen_h += std::to_string(x.domid) + ":" + verdict_name(x.kind) + " ";
  }
  EXPECT_EQ(seen_h, "3:normal 4:unknown 3:faulty ");
}

// One model per guest type: each domain is judged by its type's model, with
// that model's threshold and strikes, in one call.
TEST(Runtime, OneModelPerGuestType) {
  Model pv = stump();  // hypercalls_per_s <= 10: faulty; 3 strikes
  Model hvm = stump();
  hvm.guest_types = {GuestType::kHvm};
  hvm.strikes = 1;
  hvm.trees[0].threshold[0] = 100;  // faulty below 100 hypercalls a second
  ASSERT_TRUE(check_model_set({pv, hvm}, {"pv.json", "hvm.json"}).ok());
  Detector d(std::vector<Model>{pv, hvm});
  std::string seen;
  std::vector<Verdict> v;
  for (uint64_t t = 0; t < 5; ++t) {
    SecondRow rows[2] = {row(1, t, 50), row(2, t, 50)};  // both make 50 hypercalls a second
    rows[1].n[kPvOther] = 0;
    rows[1].n[kHvmRecords] = 500;
    d.on_rows(rows, 2, &v);
    for (const Verdict& x : v)
      seen += std::to_string(x.domid) + "@" + std::to_string(int(x.t)) + ":" + verdict_name(x.kind) + " ";
  }
  // d1 (PV): 50 > 10, normal throughout; d2 (HVM): 50 <= 100, faulty at its first strike.
  EXPECT_EQ(seen, "1@1:normal 2@1:normal 2@1:faulty ");

  // A domain whose records turn from PV to HVM (from t=6 its HVM records
  // outnumber all its PV ones, hypercalls included) leaves the PV model's
  // faulty state behind: the HVM model judges it afresh (normal at its first
  // second, 500 hypercalls a second being above both models' splits).
  Detector e(std::vector<Model>{pv, hvm});
  std::string seen_e;
  for (uint64_t t = 0; t < 10; ++t) {
    SecondRow r = row(3, t, t < 6 ? 0 : 500);
    if (t >= 6) r.n[kHvmRecords] = 10000;
    e.on_rows(&r, 1, &v);
    for (const Verdict& x : v)
      seen_e += std::to_string(int(x.t)) + ":" + verdict_name(x.kind) + "/" + guest_type_name(x.type) + " ";
  }
  EXPECT_EQ(seen_e, "1:normal/pv 3:faulty/pv 7:normal/hvm ");

  Model pv2 = pv;
  pv2.guest_types = {GuestType::kPv, GuestType::kHvm};
  Status st = check_model_set({pv, pv2}, {"a.json", "b.json"});
  EXPECT_EQ(st.message(), "b.json and a.json both judge pv guests: give one model per guest type");
  Model wide = hvm;
  wide.window = {5, 5};
  st = check_model_set({pv, wide}, {"a.json", "b.json"});
  EXPECT_EQ(st.message(), "b.json: its window (5 s, warm-up 5 s) is not a.json's");
  EXPECT_FALSE(check_model_set({}, {}).ok());
}

TEST(Runtime, ManyDomainsInOneBatchMatchOneByOne) {
  Detector batch(stump(2, 2)), single(stump(2, 2));
  batch.set_judge_dom0(true);  // domids from 0
  single.set_judge_dom0(true);
  std::vector<Verdict> vb, vs, all_single;
  std::vector<Judgement> jb, js;
  for (uint64_t t = 0; t < 12; ++t) {
    std::vector<SecondRow> rows;
    for (uint16_t dom = 0; dom < 37; ++dom) rows.push_back(row(dom, t, (t * 7 + dom * 13) % 23));
    batch.on_rows(rows.data(), rows.size(), &vb, &jb);
    for (const SecondRow& r : rows) {
      single.on_rows(&r, 1, &vs, &js);
      all_single.insert(all_single.end(), vs.begin(), vs.end());
    }
    ASSERT_EQ(vb.size(), all_single.size()) << t;
    for (size_t i = 0; i < vb.size(); ++i) {
      EXPECT_EQ(vb[i].domid, all_single[i].domid);
      EXPECT_EQ(vb[i].kind, all_single[i].kind);
      EXPECT_EQ(vb[i].score, all_single[i].score);
    }
    all_single.clear();
  }
  ASSERT_EQ(jb.size(), js.size());
  EXPECT_EQ(jb.size(), 37u * 10u);  // seconds 2..11 judged
  EXPECT_EQ(batch.domains(), 37u);
}

TEST(Runtime, SamplesPathEqualsRowsPath) {
  const double hz = 1e9;
  Detector a(stump()), b(stump());
  std::vector<Verdict> va, vb;
  for (uint64_t t = 0; t < 6; ++t) {
    DomainSample s;
    s.index = t;
    s.start_s = double(t);
    s.span_s = 1;
    s.domid = 3;
    s.vcpus = 1;
    s.d.cycles[kRunning] = uint64_t(0.5 * hz);
    s.d.n[kHypercalls] = t < 2 ? 100 : 0;
    a.on_samples({s}, hz, &va);
    const SecondRow r = row_from_sample(s, hz);
    b.on_rows(&r, 1, &vb);
    ASSERT_EQ(va.size(), vb.size());
    for (size_t i = 0; i < va.size(); ++i) EXPECT_EQ(va[i].kind, vb[i].kind);
  }
}

TEST(Runtime, VerdictLine) {
  Verdict v{83.0, 5, 1, VerdictKind::kFaulty, 0.12, GuestType::kPv};
  EXPECT_EQ(
      verdict_json(v),
      R"({"t": 83.000, "domid": 5, "generation": 1, "verdict": "faulty", "guest_type": "pv", "score": 0.120000})");
  EXPECT_EQ(
      verdict_json(v, "pause", "dry-run"),
      R"({"t": 83.000, "domid": 5, "generation": 1, "verdict": "faulty", "guest_type": "pv", "score": 0.120000, )"
      R"("action": "pause", "action_result": "dry-run"})");
}

TEST(Runtime, DetectStageWritesVerdictsAndDryRunsTheAction) {
  const std::string model = vt::test::temp_path("stump.json");
  const Status saved = save_model(model, stump());
  ASSERT_TRUE(saved.ok()) << saved.message();
  DetectOptions o;
  o.model_paths = {model};
  o.verdicts_path = vt::test::temp_path("verdicts.jsonl");
  o.action = "pause";
  {
    DetectStage bad;
    const Status refused = bad.open(o);  // pause on a trace needs a dry run
    EXPECT_EQ(refused.code(), Status::Code::kInvalidArgument);
    EXPECT_NE(refused.message().find("pause needs a live host"), std::string::npos) << refused.message();
  }
  o.dry_run = true;
  DetectStage st;
  const Status opened = st.open(o);
  ASSERT_TRUE(opened.ok()) << opened.message();
  const double hz = 1e9;
  for (uint64_t t = 0; t < 5; ++t) {
    DomainSample s;
    s.index = t;
    s.start_s = double(t);
    s.span_s = 1;
    s.domid = 9;
    s.vcpus = 1;
    s.d.n[kTraps] = 1;       // a PV guest's records
    st.on_samples({s}, hz);  // no hypercalls: faulty votes
  }
  st.finish();
  std::ifstream f(o.verdicts_path);
  std::string l1, l2, l3;
  std::getline(f, l1);
  std::getline(f, l2);
  EXPECT_EQ(
      l1,
      R"({"t": 1.000, "domid": 9, "generation": 0, "verdict": "normal", "guest_type": "pv", "score": 0.000000})");
  // Judged for 3 s only: the guard holds it (--min-age-s, 60 s by default).
  EXPECT_EQ(
      l2,
      R"({"t": 3.000, "domid": 9, "generation": 0, "verdict": "faulty", "guest_type": "pv", "score": 0.000000, )"
      R"("action": "pause", "action_result": "held", "held": "min-age: judged 3 s of the 60 s needed"})");
  EXPECT_FALSE(std::getline(f, l3));
  EXPECT_EQ(st.stats()[Stat::actions_held], 1u);
  EXPECT_EQ(st.stats()[Stat::actions_taken], 0u);
}

DomainSample sample(uint16_t domid, uint64_t t, uint64_t hypercalls) {
  DomainSample s;
  s.index = t;
  s.start_s = double(t);
  s.span_s = 1;
  s.domid = domid;
  s.vcpus = 1;
  s.d.n[kTraps] = 1;  // a PV guest's records
  s.d.n[kHypercalls] = hypercalls;
  return s;
}

// Domains 1..n for 80 s, each at 100 hypercalls/s except `hung` ones, at 0
// from t=70 (faulty votes at 70, 71, 72: faulty at the end of 72, t=73,
// after 73 judged seconds). Returns the verdict lines from t=73 on.
std::vector<std::string> run_stage(uint16_t n, const std::vector<uint16_t>& hung, Stats* stats) {
  const std::string model = vt::test::temp_path("stump-guard.json");
  EXPECT_TRUE(save_model(model, stump()).ok());
  DetectOptions o;
  o.model_paths = {model};
  o.verdicts_path = vt::test::temp_path("verdicts-guard.jsonl");
  std::remove(o.verdicts_path.c_str());  // a verdict file is appended to; each run starts its own
  o.action = "pause";
  o.dry_run = true;
  {
    DetectStage st;
    const Status opened = st.open(o);
    EXPECT_TRUE(opened.ok()) << opened.message();
    for (uint64_t t = 0; t < 80; ++t) {
      std::vector<DomainSample> period;
      for (uint16_t d = 1; d <= n; ++d) {
        const bool h = std::find(hung.begin(), hung.end(), d) != hung.end();
        period.push_back(sample(d, t, h && t >= 70 ? 0 : 100));
      }
      st.on_samples(period, 1e9);
    }
    st.finish();
    *stats = st.stats();
  }
  std::ifstream f(o.verdicts_path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(f, l);)
    if (l.rfind("{\"t\": 1.000", 0) != 0) lines.push_back(l);  // the first judged second's normals
  return lines;
}

// One hung guest among 30 healthy ones: acted on (a dry run here) once.
TEST(Runtime, OneFaultyGuestAmongManyIsActedOnOnce) {
  Stats stats;
  const std::vector<std::string> lines = run_stage(30, {7}, &stats);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(
      lines[0],
      R"({"t": 73.000, "domid": 7, "generation": 0, "verdict": "faulty", "guest_type": "pv", "score": 0.000000, )"
      R"("action": "pause", "action_result": "dry-run"})");
  EXPECT_EQ(stats[Stat::actions_taken], 1u);
  EXPECT_EQ(stats[Stat::actions_held], 0u);
  EXPECT_EQ(stats[Stat::host_alarms], 0u);
}

// Five of 20 guests faulty in the same second: the first is acted on, the
// second raises the host alarm (2 actions within 60 s, --max-actions 1),
// and it and the other three are held; one alarm line, before the verdict
// that raised it.
TEST(Runtime, ABurstOfFaultyVerdictsHoldsActionsWithOneHostAlarm) {
  Stats stats;
  const std::vector<std::string> lines = run_stage(20, {1, 2, 3, 4, 5}, &stats);
  const std::string held =
      R"j("action": "pause", "action_result": "held", "held": "host alarm: max-actions: 2 actions within 60 s (at most 1)"})j";
  const std::vector<std::string> want = {
      R"({"t": 73.000, "domid": 1, "generation": 0, "verdict": "faulty", "guest_type": "pv", "score": 0.000000, )"
      R"("action": "pause", "action_result": "dry-run"})",
      R"j({"t": 73.000, "host_alarm": "max-actions: 2 actions within 60 s (at most 1)"})j",
      R"({"t": 73.000, "domid": 2, "generation": 0, "verdict": "faulty", "guest_type": "pv", "score": 0.000000, )" +
          held,
      R"({"t": 73.000, "domid": 3, "generation": 0, "verdict": "faulty", "guest_type": "pv", "score": 0.000000, )" +
          held,
      R"({"t": 73.000, "domid": 4, "generation": 0, "verdict": "faulty", "guest_type": "pv", "score": 0.000000, )" +
          held,
      R"({"t": 73.000, "domid": 5, "generation": 0, "verdict": "faulty", "guest_type": "pv", "score": 0.000000, )" +
          held,
  };
  EXPECT_EQ(lines, want);
  EXPECT_EQ(stats[Stat::actions_taken], 1u);
  EXPECT_EQ(stats[Stat::actions_held], 4u);
  EXPECT_EQ(stats[Stat::host_alarms], 1u);
}

// Another reader of the rings (rows blinded with kBlindSharedRings): the
// domain is unknown at once, its strike count cleared, and judged again
// once a window holds none of those rows.
TEST(Runtime, AnotherReaderMakesDomainsUnknownUntilTheirWindowIsClean) {
  // Window 5, no warm-up: first judged at row 4 (t=5). Rows 5 and 6 shared:
  // unknown at the end of row 5; windows up to row 10 contain row 6; row 11
  // is judged again (normal at 12).
  Detector d(stump(5, 0));
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 13; ++t) {
    rows.push_back(row(1, t, 100));
    if (t == 5 || t == 6) rows.back().blinded = kBlindSharedRings;
  }
  EXPECT_EQ(run(&d, rows), "5:normal 6:unknown 12:normal ");
  // Window 1, 3 strikes: two faulty votes, a shared second, then faulty
  // votes again: the count starts over (faulty at 6, not at 4).
  Detector s(stump());
  std::vector<SecondRow> r2;
  for (uint64_t t = 0; t < 6; ++t) {
    r2.push_back(row(2, t, 0));
    if (t == 2) r2.back().blinded = kBlindSharedRings;
  }
  EXPECT_EQ(run(&s, r2), "1:normal 3:unknown 4:normal 6:faulty ");
  Verdict u{6, 1, 0, VerdictKind::kUnknown, 0, GuestType::kPv};
  u.reason = "another reader of the rings";
  EXPECT_EQ(verdict_json(u), R"({"t": 6.000, "domid": 1, "generation": 0, "verdict": "unknown", )"
                             R"("guest_type": "pv", "reason": "another reader of the rings"})");
}

TEST(Runtime, DetectStageRejectsABadModelAndAction) {
  DetectOptions o;
  o.model_paths = {vt::test::temp_path("none.json")};
  DetectStage st;
  Status r = st.open(o);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.message().find("none.json"), std::string::npos);
  const std::string model = vt::test::temp_path("stump2.json");
  ASSERT_TRUE(save_model(model, stump()).ok());
  o.model_paths = {model};
  o.action = "reboot";
  r = st.open(o);
  EXPECT_EQ(r.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.message(), "'reboot' is not one of none, pause, shutdown, destroy, exec:CMD");
}

// SIGHUP's new models: every domain goes on where it was. Two strikes
// before the swap and one after make the verdict at the same second as
// without a swap; the warm-up and the 5 s window go on too (a history lost
// would judge nothing before t=9 and say "normal" again).
TEST(Runtime, ReplacedModelsKeepEveryDomainsHistoryAndStrikes) {
  const uint64_t hc[] = {100, 100, 100, 100, 100, 100, 100, 100, 0, 0, 0, 0, 0, 0, 0, 0};
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 16; ++t) rows.push_back(row(7, t, hc[t]));
  Detector plain(stump(5, 5));
  const std::string once = run(&plain, rows);
  // The 5 s mean falls to 0 at t=12: faulty votes at 12, 13, 14.
  EXPECT_EQ(once, "6:normal 15:faulty ");
  for (size_t cut :
       {size_t(3), size_t(7), size_t(13), size_t(14)}) {  // in the warm-up, judged, 1 and 2 strikes
    Detector d(stump(5, 5));
    std::string seen = run(&d, std::vector<SecondRow>(rows.begin(), rows.begin() + long(cut)));
    d.replace_models({stump(5, 5)});
    seen += run(&d, std::vector<SecondRow>(rows.begin() + long(cut), rows.end()));
    EXPECT_EQ(seen, once) << "swapped before t=" << cut;
  }
  // New strikes apply to the counts kept: 1 strike at the swap, 2 needed.
  Detector d(stump(5, 5));
  std::string seen = run(&d, std::vector<SecondRow>(rows.begin(), rows.begin() + 13));
  d.replace_models({stump(5, 5)}, 2);
  seen += run(&d, std::vector<SecondRow>(rows.begin() + 13, rows.end()));
  EXPECT_EQ(seen, "6:normal 14:faulty ");
  // A set without a model for the domain's type: its next second is unknown.
  Detector e(stump());
  seen = run(&e, {row(7, 0, 100), row(7, 1, 0)});
  Model hvm = stump();
  hvm.guest_types = {GuestType::kHvm};
  e.replace_models({hvm});
  seen += run(&e, {row(7, 2, 0), row(7, 3, 0)});
  EXPECT_EQ(seen, "1:normal 3:unknown ");
}

// A set split by type on reload: the old model judged PV and HVM guests,
// the new set has one model for each. An HVM domain goes on under the HVM
// model with its strikes (it was once handed the PV model's part, which
// its next second took for a change of model: history and strikes lost).
TEST(Runtime, ModelsSplitByTypeKeepEachDomainsStrikes) {
  const uint64_t hc[] = {100, 100, 100, 100, 100, 100, 100, 100, 0, 0, 0, 0, 0, 0, 0, 0};
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 16; ++t) {
    rows.push_back(row(7, t, hc[t]));
    rows.back().host_hvm = 1;
  }
  Model both = stump(5, 5), pv = stump(5, 5), hvm = stump(5, 5);
  both.guest_types = {GuestType::kPv, GuestType::kHvm};
  pv.guest_types = {GuestType::kPv};
  hvm.guest_types = {GuestType::kHvm};
  Detector plain(both);
  const std::string once = run(&plain, rows);
  EXPECT_EQ(once, "6:normal 15:faulty ");
  for (size_t cut : {size_t(7), size_t(13), size_t(14)}) {
    Detector d(both);
    std::string seen = run(&d, std::vector<SecondRow>(rows.begin(), rows.begin() + long(cut)));
    d.replace_models({pv, hvm});
    seen += run(&d, std::vector<SecondRow>(rows.begin() + long(cut), rows.end()));
    EXPECT_EQ(seen, once) << "split before t=" << cut;
  }
}

// DetectStage::reload: a model that fails its checks, or whose window is
// not the running one's, changes nothing (the old model goes on, strikes
// and all); a good one brings its settings while the strikes go on, and
// the verdict file is opened again at its path (a rotated log).
TEST(Runtime, DetectStageReloadRefusesABadModelAndKeepsTheOld) {
  const std::string model = vt::test::temp_path("stump-reload.json");
  ASSERT_TRUE(save_model(model, stump()).ok());
  const std::string wide = vt::test::temp_path("stump-wide.json");
  ASSERT_TRUE(save_model(wide, stump(5, 5)).ok());
  const std::string bad = vt::test::temp_path("bad-model.json");
  {
    std::ifstream in(model);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const size_t at = text.find("\"threshold\": 0.5");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, 16, "\"threshold\": 7");
    std::ofstream(bad) << text;
  }
  DetectOptions o;
  o.model_paths = {model};
  o.verdicts_path = vt::test::temp_path("verdicts-reload.jsonl");
  DetectStage st;
  ASSERT_TRUE(st.open(o).ok());
  st.on_samples({sample(9, 0, 100)}, 1e9);  // normal
  st.on_samples({sample(9, 1, 0)}, 1e9);    // strike 1
  DetectOptions refused = o;
  refused.model_paths = {bad};
  Status r = st.reload(refused);
  EXPECT_EQ(r.code(), Status::Code::kCorruption);
  EXPECT_EQ(r.message().find(bad + ": threshold"), 0u) << r.message();
  refused.model_paths = {wide};
  r = st.reload(refused);
  EXPECT_EQ(r.message(), wide +
                             ": its window (5 s, warm-up 5 s) is not the running models' (1 s, warm-up 0 s): "
                             "every domain's history is kept in that window; restart to change it");
  st.on_samples({sample(9, 2, 0)}, 1e9);  // strike 2
  // Log rotation moves the file away; the reload starts another.
  const std::string rotated = o.verdicts_path + ".1";
  ASSERT_EQ(std::rename(o.verdicts_path.c_str(), rotated.c_str()), 0);
  DetectOptions next = o;
  next.action = "pause";
  next.dry_run = true;
  next.guard.min_age_s = 0;
  r = st.reload(next);
  ASSERT_TRUE(r.ok()) << r.message();
  st.on_samples({sample(9, 3, 0)}, 1e9);  // strike 3: faulty, acted on (a dry run)
  st.finish();
  std::ifstream f(o.verdicts_path), g(rotated);
  std::string l1, l2;
  std::getline(g, l1);
  EXPECT_EQ(l1.find(R"({"t": 1.000, "domid": 9, "generation": 0, "verdict": "normal")"), 0u) << l1;
  EXPECT_FALSE(std::getline(g, l2));
  std::getline(f, l1);
  EXPECT_EQ(
      l1,
      R"({"t": 4.000, "domid": 9, "generation": 0, "verdict": "faulty", "guest_type": "pv", "score": 0.000000, )"
      R"("action": "pause", "action_result": "dry-run"})");
  EXPECT_FALSE(std::getline(f, l2));
}

TEST(Runtime, DefaultModelIsFoundFromTheBuildTree) {
  std::string searched;
  unsetenv("VTRACE_MODEL");
  const std::string p = default_model_path(&searched);
  // The test binary lives in the build tree: the source tree's model.
  EXPECT_NE(p.find("models/default.json"), std::string::npos) << searched;
  setenv("VTRACE_MODEL", "/some/where.json", 1);
  EXPECT_EQ(default_model_path(&searched), "/some/where.json");
  unsetenv("VTRACE_MODEL");
}

}  // namespace
}  // namespace vt

namespace vt {
namespace {

// Live, the host's domain info says the guest type, and that wins over the
// records: a domain whose records look PV but which the host calls HVM is
// not judged by a PV model (unknown), and the other way round.
TEST(Runtime, TheHostsGuestTypeWinsOverTheRecords) {
  Detector d(stump());  // judges PV guests only
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 3; ++t) {
    rows.push_back(row(7, t, 100));  // PV-looking records
    rows.back().host_hvm = 1;
    SecondRow h = row(8, t, 100);
    h.n[kPvOther] = 0;
    h.n[kHvmRecords] = 50;  // HVM-looking records
    h.host_hvm = 0;
    rows.push_back(h);
  }
  std::string s;
  for (size_t i = 0; i < rows.size(); i += 2) {
    std::vector<Verdict> v;
    d.on_rows(&rows[i], 2, &v);
    for (const Verdict& x : v)
      s += std::to_string(x.domid) + ":" + verdict_name(x.kind) + ":" + guest_type_name(x.type) + " ";
  }
  EXPECT_EQ(s, "7:unknown:hvm 8:normal:pv ");
}

}  // namespace
}  // namespace vt

namespace vt {
namespace {

// A guest created while traced (age_s >= 0) is "booting" until a second in
// which it idled, or the grace ends; then its history restarts.
TEST(Runtime, AGuestCreatedWhileTracedIsBootingUntilItIdles) {
  Detector d(stump(1, 1));  // window 1, warm-up 1
  d.set_boot_grace(30);
  std::vector<SecondRow> rows;
  for (uint64_t t = 0; t < 16; ++t) {
    SecondRow r = row(7, t, t >= 8 && t < 10 ? 100 : 0);  // no hypercalls: a faulty vote, were it judged
    r.age_s = float(t + 1);
    r.vcpus = 1;
    // A wait for a device at 2 (one idle second: still booting), then idle
    // from 3 to 7 (five in a row: booted at row 7).
    r.state_s[kRunning] = 0.3;
    if (t == 1 || (t >= 3 && t <= 7)) r.state_s[kBlocked] = 0.4;
    rows.push_back(r);
  }
  // Booting at 1; booted at row 7, its warm-up; judged from row 8: normal
  // at 9, faulty votes from row 10: faulty at 13.
  EXPECT_EQ(run(&d, rows), "1:unknown 9:normal 13:faulty ");
  // Never idle: the grace (5 s from its first running second, row 0) ends
  // it at row 4, its warm-up; judged from row 5: normal at 6, faulty at 8.
  Detector e(stump(1, 1));
  e.set_boot_grace(5);
  for (SecondRow& r : rows) r.state_s[kBlocked] = 0;
  EXPECT_EQ(run(&e, rows), "1:unknown 6:normal 8:faulty ");
}

}  // namespace
}  // namespace vt
