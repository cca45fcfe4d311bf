// The file source end to end: windows in file order, records merged by TSC
// across CPUs, into the trackers.
#include "src/source/file_source.h"

#include <gtest/gtest.h>

#include "src/trackers/trackers.h"
#include "tests/support/trace_builder.h"

namespace {

using namespace vt::test;
constexpr int R = xt::kRunning, Q = xt::kRunnable, B = xt::kBlocked;

vt::Trackers track(const std::vector<uint8_t>& image, vt::FileResult* res = nullptr) {
  vt::FileSource src;
  src.open_memory(image.data(), image.size(), "test");
  vt::TrackerOptions o;
  o.cpu_hz = 1000;
  vt::Trackers t(o);
  vt::FileResult r = src.run([&](uint32_t cpu, const xt::Record& rec) {
    t.on_record(cpu, rec);
    return true;
  });
  t.finish(vt::EndRule::kTraceEnd);
  if (res) *res = r;
  return t;
}

const vt::Vcpu& find(const vt::Trackers& t, uint32_t dom, uint32_t id) {
  for (const vt::Vcpu& v : t.table.vcpus)
    if (v.domid == dom && v.id == id) return v;
  static vt::Vcpu none;
  ADD_FAILURE() << "no d" << dom << "v" << id;
  return none;
}

// d1v0 runs on CPU 0 and blocks; dom0 on CPU 1 wakes it (the wake and the
// blocked->runnable change are in CPU 1's buffer, which xentrace wrote to
// the file after CPU 0's later records); CPU 0 then runs it again.
TEST(FileSource, CrossCpuWakeIsMergedInTscOrder) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, Q, R), runstate(200, 1, 0, R, B), runstate(350, 1, 0, Q, R),
                runstate(500, 1, 0, R, B)})
      .window(1, {runstate(150, 0, 0, Q, R), wake(300, 1, 0), runstate(300, 1, 0, B, Q),
                  runstate(600, 0, 0, R, B)});
  vt::FileResult res;
  vt::Trackers t = track(fb.image, &res);
  EXPECT_FALSE(res.has_fault);
  const vt::Vcpu& v = find(t, 1, 0);
  EXPECT_EQ(v.c.n[vt::kInconsistent], 0u);  // merged in order: every old state agrees
  EXPECT_EQ(v.c.cycles[vt::kRunning], 100u + 150u);
  EXPECT_EQ(v.c.cycles[vt::kBlocked], 100u + 100u);  // 200..300, 500..600 (trace end)
  EXPECT_EQ(v.c.cycles[vt::kRunnable], 50u);
  EXPECT_EQ(v.c.n[vt::kWakes], 1u);
}

TEST(FileSource, WindowsOfACpuInAnyOrderOfThePass) {
  // CPU 1's first window comes after CPU 0's second one: nothing is merged
  // out of order (every CPU is known before the merge starts).
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, Q, R)})
      .window(0, {runstate(400, 1, 0, R, B)})
      .window(1, {runstate(50, 2, 0, Q, R), runstate(300, 2, 0, R, B)});
  std::vector<uint64_t> order;
  vt::FileSource src;
  src.open_memory(fb.image.data(), fb.image.size(), "test");
  src.run([&](uint32_t, const xt::Record& r) {
    order.push_back(r.tsc);
    return true;
  });
  EXPECT_EQ(order, (std::vector<uint64_t>{50, 100, 300, 400}));
}

TEST(FileSource, FaultStopsAfterEverythingBeforeIt) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, Q, R), runstate(200, 1, 0, R, B)});
  fb.image.insert(fb.image.end(), {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
  vt::FileResult res;
  vt::Trackers t = track(fb.image, &res);
  ASSERT_TRUE(res.has_fault);
  EXPECT_EQ(res.fault.offset, 44u);  // 12-byte header + two 16-byte records
  EXPECT_EQ(res.records, 2u);
  EXPECT_EQ(find(t, 1, 0).c.cycles[vt::kRunning], 100u);
}

}  // namespace
