// The file source's per-CPU streams: every CPU known before the merge,
// windows in file order, a fault named with its byte offset.
#include "src/source/file_source.h"

#include <gtest/gtest.h>

#include "src/sorter/sorter.h"
#include "tests/support/trace_builder.h"

namespace {

using namespace vt::test;
constexpr int R = xt::kRunning, Q = xt::kRunnable, B = xt::kBlocked;

std::vector<uint64_t> merged_tscs(vt::FileSource& src, vt::SortStatus* st) {
  std::vector<uint64_t> order;
  vt::Sorter<vt::FileSource::Stream> sorter(&src.streams());
  *st = sorter.run([&](uint32_t, const xt::Record& r) {
    order.push_back(r.tsc);
    return true;
  });
  return order;
}

TEST(FileSource, WindowsOfACpuInAnyOrderOfThePass) {
  // CPU 1's first window comes after CPU 0's second one: nothing is merged
  // out of order (every CPU is known before the merge starts).
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, Q, R)})
      .window(0, {runstate(400, 1, 0, R, B)})
      .window(1, {runstate(50, 2, 0, Q, R), runstate(300, 2, 0, R, B)});
  vt::FileSource src;
  src.open_memory(fb.image.data(), fb.image.size(), "test");
  ASSERT_EQ(src.streams().size(), 2u);
  EXPECT_EQ(src.streams()[1].cpu(), 1u);
  vt::SortStatus st;
  EXPECT_EQ(merged_tscs(src, &st), (std::vector<uint64_t>{50, 100, 300, 400}));
  EXPECT_EQ(st, vt::SortStatus::kDone);
  EXPECT_TRUE(src.fault(-1).ok());
  EXPECT_EQ(src.stats()[vt::Stat::windows], 3u);
}

// A record whose header claims more words than its window holds: the
// stream stops on it, everything before it is merged, and the fault names
// the file and the record's byte offset.
TEST(FileSource, OverrunningRecordIsAFaultAtItsOffset) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, Q, R), runstate(200, 1, 0, R, B), wake(300, 1, 0)});
  const uint32_t lying = 0x80000000u | (7u << 28) | TRC_SCHED_WAKE;  // 7 words: past the window
  std::memcpy(fb.image.data() + 12 + 16 + 16, &lying, 4);
  vt::FileSource src;
  src.open_memory(fb.image.data(), fb.image.size(), "lying.xtr");
  vt::SortStatus st;
  vt::Sorter<vt::FileSource::Stream> sorter(&src.streams());
  std::vector<uint64_t> order;
  st = sorter.run([&](uint32_t, const xt::Record& r) {
    order.push_back(r.tsc);
    return true;
  });
  ASSERT_EQ(st, vt::SortStatus::kBad);
  EXPECT_EQ(order, (std::vector<uint64_t>{100, 200}));
  const vt::Status f = src.fault(sorter.bad_stream());
  EXPECT_EQ(f.code(), vt::Status::Code::kCorruption);
  EXPECT_EQ(f.message(),
            "lying.xtr: byte 44: record of CPU 0 runs past the end of its window (corrupt header)");
}

// Garbage after the last window: the first pass saw it, so the merge ends
// with the fault where the garbage starts.
TEST(FileSource, StructuralFaultIsReportedAfterTheMerge) {
  FileBuilder fb;
  fb.window(0, {runstate(100, 1, 0, Q, R), runstate(200, 1, 0, R, B)});
  fb.image.insert(fb.image.end(), {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
  vt::FileSource src;
  src.open_memory(fb.image.data(), fb.image.size(), "junk.xtr");
  vt::SortStatus st;
  EXPECT_EQ(merged_tscs(src, &st).size(), 2u);
  const vt::Status f = src.fault(-1);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.message().rfind("junk.xtr: byte 44: ", 0), 0u) << f.message();
}

}  // namespace
