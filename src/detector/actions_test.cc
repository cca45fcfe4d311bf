// Actions: parsing, what needs a live host, dry runs, exec with the
// verdict in its environment, and a domain control callback.
#include "src/detector/actions.h"

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>

#include "tests/support/temp_path.h"

namespace vt {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(Actions, Parse) {
  ActionSpec a;
  ASSERT_TRUE(parse_action("exec:logger hung", &a).ok());
  EXPECT_EQ(a.kind, ActionKind::kExec);
  EXPECT_EQ(a.command, "logger hung");
  for (const char* s : {"none", "pause", "shutdown", "destroy"}) {
    ASSERT_TRUE(parse_action(s, &a).ok()) << s;
    EXPECT_STREQ(action_name(a.kind), s);
  }
  for (const char* s : {"exec:", "reboot", "", "PAUSE"}) {
    const Status st = parse_action(s, &a);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << s;
    EXPECT_EQ(st.message(),
              std::string("'") + s + "' is not one of none, pause, shutdown, destroy, exec:CMD");
  }
}

TEST(Actions, DomainActionsNeedALiveHostUnlessDryRun) {
  ActionRunner r;
  r.spec.kind = ActionKind::kDestroy;
  const Status st = r.check();
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "destroy needs a live host (libxenctrl); on a trace only a dry run can show what it would do");
  r.spec.dry_run = true;
  EXPECT_TRUE(r.check().ok());
  r.spec.dry_run = false;
  r.control = [](ActionKind, uint16_t) { return Status::Ok(); };
  EXPECT_TRUE(r.check().ok());
  r.spec.kind = ActionKind::kExec;
  r.control = nullptr;
  EXPECT_TRUE(r.check().ok());
}

TEST(Actions, DryRunSaysWhatItWouldDo) {
  const std::string log = vt::test::temp_path("actions.log");
  ActionRunner r;
  r.log = std::fopen(log.c_str(), "w");
  r.spec.kind = ActionKind::kPause;
  r.spec.dry_run = true;
  EXPECT_EQ(r.act(4, 0, 12.5, 0.25), "dry-run");
  r.spec.kind = ActionKind::kExec;
  r.spec.command = "touch /tmp/should-not-exist";
  EXPECT_EQ(r.act(4, 0, 12.5, 0.25), "dry-run");
  std::fclose(r.log);
  EXPECT_EQ(
      slurp(log),
      "vtrace: dry run: would pause domain 4 (t=12.500 s, score 0.250)\n"
      "vtrace: dry run: would run 'touch /tmp/should-not-exist' for domain 4 (t=12.500 s, score 0.250)\n");
}

TEST(Actions, ExecGetsTheVerdictInItsEnvironment) {
  const std::string out = vt::test::temp_path("action-out.txt");
  std::remove(out.c_str());
  ActionRunner r;
  r.spec.kind = ActionKind::kExec;
  r.spec.command =
      "echo \"$VTRACE_DOMID $VTRACE_GENERATION $VTRACE_T $VTRACE_SCORE $VTRACE_VERDICT\" > " + out;
  EXPECT_EQ(r.act(5, 2, 83, 0.12), "started");
  r.reap(true);
  EXPECT_TRUE(r.running.empty());
  EXPECT_EQ(slurp(out), "5 2 83.000000 0.120000 faulty\n");
}

TEST(Actions, FailingCommandIsReported) {
  const std::string log = vt::test::temp_path("actions2.log");
  ActionRunner r;
  r.log = std::fopen(log.c_str(), "w");
  r.spec.kind = ActionKind::kExec;
  r.spec.command = "exit 3";
  EXPECT_EQ(r.act(1, 0, 1, 0), "started");
  r.reap(true);
  std::fclose(r.log);
  EXPECT_EQ(slurp(log), "vtrace: action 'exit 3' exited with status 3\n");
}

TEST(Actions, DomainControlIsCalled) {
  ActionRunner r;
  ActionKind seen = ActionKind::kNone;
  uint16_t dom = 0;
  r.spec.kind = ActionKind::kShutdown;
  r.control = [&](ActionKind k, uint16_t d) {
    seen = k, dom = d;
    return Status::Ok();
  };
  EXPECT_EQ(r.act(7, 0, 1, 0), "done");
  EXPECT_EQ(seen, ActionKind::kShutdown);
  EXPECT_EQ(dom, 7);
  r.log = std::fopen("/dev/null", "w");
  r.control = [](ActionKind, uint16_t) { return Status::IoError("xc_domain_shutdown: permission denied"); };
  EXPECT_EQ(r.act(7, 0, 1, 0), "failed: xc_domain_shutdown: permission denied");
  std::fclose(r.log);
}

TEST(Actions, NeverOnDom0) {
  ActionRunner r;
  bool called = false;
  r.log = std::fopen("/dev/null", "w");
  r.spec.kind = ActionKind::kDestroy;
  r.control = [&](ActionKind, uint16_t) {
    called = true;
    return Status::Ok();
  };
  EXPECT_EQ(r.act(0, 0, 1, 0), "skipped: dom0");
  EXPECT_FALSE(called);
  std::fclose(r.log);
}

}  // namespace
}  // namespace vt
