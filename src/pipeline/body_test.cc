#include "pipeline/body.h"

#include "gtest/gtest.h"

namespace retro::pipeline {
namespace {

TEST(SplitBodyTest, SplitsNdjsonSkippingBlankLines) {
  auto items = SplitBody("{\"a\":1}\n\n  {\"b\":2}\r\n");
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].json, "{\"a\":1}");
  EXPECT_EQ((*items)[1].json, "{\"b\":2}");
  EXPECT_EQ((*items)[1].line, 3);
}

TEST(SplitBodyTest, SplitsArrayAndFlagsNonObjects) {
  auto items = SplitBody("[{\"a\": 1}, 5, {\"b\":[1, 2]}]");
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].json, "{\"a\":1}");
  EXPECT_FALSE((*items)[1].error.empty());
  EXPECT_EQ((*items)[2].json, "{\"b\":[1,2]}");
}

TEST(SplitBodyTest, KeepsPrettyPrintedObjectWhole) {
  auto items = SplitBody("{\n  \"a\": 1\n}\n");
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 1u);
}

TEST(SplitBodyTest, RejectsEmptyAndBrokenArray) {
  EXPECT_FALSE(SplitBody("  \n").ok());
  EXPECT_FALSE(SplitBody("[{\"a\":1},").ok());
}

TEST(SplitBodyTest, EnforcesMaxItems) {
  BodyOptions options;
  options.max_items = 1;
  EXPECT_FALSE(SplitBody("{}\n{}\n", options).ok());
}

}  // namespace
}  // namespace retro::pipeline
