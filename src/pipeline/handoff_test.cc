// HandoffCounts' checkpoint encoding and the registry's snapshots.
#include "pipeline/handoff.h"

#include "gtest/gtest.h"

namespace retro::pipeline {
namespace {

TEST(HandoffCountsTest, EncodeDecodeRoundTrip) {
  HandoffCounts c{12, 7, 2, 1, 2, 7, 3};
  auto decoded = HandoffCounts::Decode(c.Encode());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, c);
  auto zero = HandoffCounts::Decode(HandoffCounts{}.Encode());
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, HandoffCounts{});
  HandoffCounts big;
  big.processed = UINT64_MAX;
  EXPECT_EQ(*HandoffCounts::Decode(big.Encode()), big);
}

TEST(HandoffCountsTest, MissingFieldsAreZeroAndUnknownOnesIgnored) {
  auto c = HandoffCounts::Decode(R"({"matched": 4, "future": [1], "x": "y"})");
  ASSERT_TRUE(c.ok()) << c.status();
  HandoffCounts want;
  want.matched = 4;
  EXPECT_EQ(*c, want);
}

TEST(HandoffCountsTest, BadInputIsRefusedWithTheReason) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"", "not valid JSON"},
      {"{\"matched\":", "not valid JSON"},
      {"[1,2]", "must be a JSON object"},
      {"7", "must be a JSON object"},
      {R"({"matched":-1})", "'matched' must be a non-negative integer, not -1"},
      {R"({"errors":1.5})", "'errors' must be a non-negative integer"},
      {R"({"staged":"3"})",
       "'staged' must be a non-negative integer, not \"3\""},
      {R"({"removed":null})", "'removed' must be a non-negative integer"},
  };
  for (const Case& c : cases) {
    auto decoded = HandoffCounts::Decode(c.text);
    ASSERT_FALSE(decoded.ok()) << c.text;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find(c.message), std::string::npos)
        << c.text << " -> " << decoded.status();
  }
}

TEST(HandoffCountsTest, AddSumsEveryField) {
  HandoffCounts a{1, 1, 0, 0, 0, 1, 0};
  a.Add({5, 1, 2, 1, 1, 1, 2});
  EXPECT_EQ(a, (HandoffCounts{6, 2, 2, 1, 1, 2, 2}));
}

TEST(HandoffRegistryTest, SnapshotsAreImmutableAndSetReplacesByRunId) {
  HandoffRegistry registry;
  auto empty = registry.Current();
  ASSERT_NE(empty, nullptr);
  EXPECT_TRUE(empty->empty());
  auto a = std::make_shared<Handoff>();
  a->run_id = "r1";
  a->cutoff_seq = 5;
  registry.Set(a);
  auto b = std::make_shared<Handoff>();
  b->run_id = "r1";
  b->cutoff_seq = 9;
  registry.Set(b);
  auto now = registry.Current();
  ASSERT_EQ(now->size(), 1u);
  EXPECT_EQ((*now)[0]->cutoff_seq, 9u);
  EXPECT_TRUE(empty->empty());  // an old snapshot does not change
  registry.Remove("r1");
  EXPECT_TRUE(registry.Current()->empty());
  EXPECT_EQ(now->size(), 1u);
}

}  // namespace
}  // namespace retro::pipeline
