#include "src/util/status.h"

#include <gtest/gtest.h>

namespace {

TEST(Status, OkAndFailuresCarryTheirCodeAndMessage) {
  const vt::Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.code(), vt::Status::Code::kOk);
  EXPECT_TRUE(ok.with_context("--flag").ok());  // context on ok is still ok, no message
  EXPECT_EQ(ok.with_context("--flag").message(), "");
  const vt::Status bad = vt::Status::Corruption("t.xtr: byte 12: what");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), vt::Status::Code::kCorruption);
  const vt::Status ctx = bad.with_context("while reading");
  EXPECT_EQ(ctx.code(), vt::Status::Code::kCorruption);
  EXPECT_EQ(ctx.message(), "while reading: t.xtr: byte 12: what");
  EXPECT_EQ(vt::Status::InvalidArgument("x").code(), vt::Status::Code::kInvalidArgument);
  EXPECT_EQ(vt::Status::IoError("x").code(), vt::Status::Code::kIoError);
  EXPECT_EQ(vt::Status::Unavailable("x").code(), vt::Status::Code::kUnavailable);
}

}  // namespace
