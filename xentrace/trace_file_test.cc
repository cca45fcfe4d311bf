#include "xentrace/trace_file.h"

#include <cstring>
#include <gtest/gtest.h>

#include "tests/support/trace_builder.h"
#include "xentrace/mapped_file.h"

namespace {

using namespace vt::test;

std::vector<xt::Window> windows(const std::vector<uint8_t>&, xt::WindowCursor* c) {
  std::vector<xt::Window> out;
  xt::Window w;
  while (c->next(&w)) out.push_back(w);
  return out;
}

TEST(WindowCursor, WalksWindowsInFileOrder) {
  FileBuilder fb;
  fb.window(0, {wake(10, 1, 0), block(20, 1, 0)})
      .window(1, {wake(15, 2, 0)})
      .window(0, {})
      .window(3, {yield(30, 1, 0)});
  xt::WindowCursor c(fb.image.data(), fb.image.size());
  auto w = windows(fb.image, &c);
  EXPECT_FALSE(c.has_fault());
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].cpu, 0u);
  EXPECT_EQ(w[0].data_offset, 12u);
  EXPECT_EQ(w[0].size, 40u);  // two 20-byte records
  EXPECT_EQ(w[1].header_offset, 52u);
  EXPECT_EQ(w[2].size, 0u);
  EXPECT_EQ(w[3].cpu, 3u);
  EXPECT_EQ(c.position(), fb.image.size());
}

TEST(WindowCursor, EmptyFileIsAFaultAtZero) {
  xt::WindowCursor c(nullptr, 0);
  xt::Window w;
  EXPECT_FALSE(c.next(&w));
  ASSERT_TRUE(c.has_fault());
  EXPECT_EQ(c.fault().offset, 0u);
  EXPECT_NE(c.fault().what.find("empty"), std::string::npos);
}

TEST(WindowCursor, NotATrace) {
  std::vector<uint8_t> text(100, 'a');
  xt::WindowCursor c(text.data(), text.size());
  EXPECT_TRUE(windows(text, &c).empty());
  ASSERT_TRUE(c.has_fault());
  EXPECT_EQ(c.fault().offset, 0u);
  EXPECT_NE(c.fault().what.find("not a xentrace file: starts with 0x61616161"), std::string::npos);
}

TEST(WindowCursor, TruncatedWindowKeepsItsCompleteRecords) {
  FileBuilder fb;
  fb.window(0, {wake(10, 1, 0)}).window(1, {wake(11, 2, 0), block(12, 2, 0), yield(13, 2, 0)});
  std::vector<uint8_t> f = fb.image;
  f.resize(f.size() - 10);  // the third record of CPU 1 loses its tail
  xt::WindowCursor c(f.data(), f.size());
  auto w = windows(f, &c);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[1].size, 40u);  // two complete records of 20 bytes
  ASSERT_TRUE(c.has_fault());
  EXPECT_EQ(c.fault().offset, 32u);
  EXPECT_NE(c.fault().what.find("truncated file: window of CPU 1 declares 60 bytes, only 50 remain"),
            std::string::npos)
      << c.fault().what;
}

TEST(WindowCursor, WindowSizePastTheEnd) {
  FileBuilder fb;
  fb.window(0, {wake(10, 1, 0)});
  std::vector<uint8_t> f = fb.image;
  const uint32_t huge = 1u << 30;
  std::memcpy(f.data() + 8, &huge, 4);
  xt::WindowCursor c(f.data(), f.size());
  auto w = windows(f, &c);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].size, 20u);
  EXPECT_NE(c.fault().what.find("declares 1073741824 bytes, only 20 remain"), std::string::npos);
}

TEST(WindowCursor, BadHeadersAfterGoodWindows) {
  FileBuilder fb;
  fb.window(0, {wake(10, 1, 0)}).window(5000, {wake(11, 1, 0)});
  xt::WindowCursor c(fb.image.data(), fb.image.size());
  EXPECT_EQ(windows(fb.image, &c).size(), 1u);
  EXPECT_EQ(c.fault().offset, 32u);
  EXPECT_NE(c.fault().what.find("CPU 5000"), std::string::npos);

  std::vector<uint8_t> f(fb.image.begin(), fb.image.begin() + 32 + 7);
  xt::WindowCursor c2(f.data(), f.size());
  EXPECT_EQ(windows(f, &c2).size(), 1u);
  EXPECT_NE(c2.fault().what.find("truncated window header: 7 of 12 bytes"), std::string::npos);

  FileBuilder g;
  g.window(0, {wake(10, 1, 0)});
  g.image.insert(g.image.end(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  xt::WindowCursor c3(g.image.data(), g.image.size());
  EXPECT_EQ(windows(g.image, &c3).size(), 1u);
  EXPECT_EQ(c3.fault().offset, 32u);
  EXPECT_NE(c3.fault().what.find("expected a CPU-change record"), std::string::npos);

  FileBuilder h;
  h.window(0, {wake(10, 1, 0)});
  const uint32_t odd = 18;
  std::memcpy(h.image.data() + 8, &odd, 4);
  xt::WindowCursor c4(h.image.data(), h.image.size());
  EXPECT_TRUE(windows(h.image, &c4).empty());
  EXPECT_NE(c4.fault().what.find("not a multiple of 4"), std::string::npos);
}

TEST(WindowCursor, RealTraceIsClean) {
  xt::MappedFile m;
  const vt::Status st = m.open(std::string(VTRACE_TEST_DATA) + "/xen417-dom0-all-10s.xtr");
  ASSERT_TRUE(st.ok()) << st.message();
  xt::WindowCursor c(m.data(), m.size());
  uint64_t bytes = 0, n = 0;
  xt::Window w;
  while (c.next(&w)) bytes += w.size, ++n;
  EXPECT_FALSE(c.has_fault()) << c.fault().what;
  EXPECT_EQ(bytes + 12 * n, m.size());
  EXPECT_GT(n, 10u);
}

}  // namespace
