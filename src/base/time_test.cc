#include "base/time.h"

#include "gtest/gtest.h"

namespace retro::base {
namespace {

TEST(TimeTest, ParsesAndFormatsNanoseconds) {
  auto t = ParseRfc3339("2024-05-14T09:21:07.123456789Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(FormatRfc3339(*t), "2024-05-14T09:21:07.123456789Z");
}

TEST(TimeTest, FormatsWithFewestFractionDigits) {
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2024-05-14T09:21:07Z")),
            "2024-05-14T09:21:07Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2024-05-14T09:21:07.5Z")),
            "2024-05-14T09:21:07.500Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2024-05-14T09:21:07.123456Z")),
            "2024-05-14T09:21:07.123456Z");
}

TEST(TimeTest, AppliesOffsets) {
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2024-05-14T11:21:07+02:00")),
            "2024-05-14T09:21:07Z");
}

TEST(TimeTest, RejectsMalformedWithReason) {
  auto t = ParseRfc3339("2024-02-30T00:00:00Z");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("no such day"), std::string::npos);
  EXPECT_FALSE(ParseRfc3339("2024-05-14 09:21").ok());
  EXPECT_FALSE(ParseRfc3339("2024-05-14T09:21:07").ok());
}

TEST(TimeTest, ParsesRelativeTimes) {
  absl::Time now = *ParseRfc3339("2024-05-14T00:00:00Z");
  EXPECT_EQ(*ParseTimeOrRelative("-48h", now), now - absl::Hours(48));
  EXPECT_EQ(*ParseTimeOrRelative("-7d", now), now - absl::Hours(24 * 7));
  EXPECT_EQ(*ParseTimeOrRelative("now", now), now);
  EXPECT_FALSE(ParseTimeOrRelative("-7y", now).ok());
}

}  // namespace
}  // namespace retro::base
