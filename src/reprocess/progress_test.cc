// Slice progress encoding and merging, slicing, selectors and the throttle.
#include "reprocess/progress.h"

#include <chrono>

#include "gtest/gtest.h"
#include "reprocess/run_doc.h"
#include "reprocess/run_plan.h"
#include "reprocess/throttle.h"

namespace retro::reprocess {
namespace {

SliceProgress Sample1() {
  SliceProgress p;
  p.cursor = std::string("\x01\x00\xff", 3);
  p.done = true;
  p.scanned = 12;
  p.skipped = 3;
  p.counters.processed = 9;
  p.counters.matched = 9;
  p.counters.changed = 9;
  p.tenants["acme"].processed = 9;
  p.transitions
      ["p\x1f"
       "a\x1f"
       "b"] = 9;
  p.error_reasons["boom"] = 2;
  p.drop_reasons["missing x"] = 1;
  p.chunks = 4;
  return p;
}

TEST(SliceProgressTest, RoundTrips) {
  SliceProgress p = Sample1();
  SliceProgress q;
  ASSERT_TRUE(q.Decode(p.Encode()).ok());
  EXPECT_EQ(q.cursor, p.cursor);
  EXPECT_TRUE(q.done);
  EXPECT_EQ(q.scanned, 12u);
  EXPECT_EQ(q.skipped, 3u);
  EXPECT_EQ(q.counters, p.counters);
  EXPECT_EQ(q.tenants["acme"].processed, 9u);
  EXPECT_EQ(q.transitions.size(), 1u);
  EXPECT_EQ(q.error_reasons["boom"], 2u);
  EXPECT_EQ(q.chunks, 4u);
  std::string bad = p.Encode();
  bad.pop_back();
  EXPECT_FALSE(q.Decode(bad).ok());
  EXPECT_FALSE(q.Decode("").ok());
}

TEST(SliceProgressTest, LoadsSlicesAndChunksAndMergesInSliceOrder) {
  ProgressChunk c0, c1;
  Sample s;
  s.category = "changed";
  s.origin_id = "a";
  s.time = absl::FromUnixSeconds(-5);
  c0.samples.push_back(s);
  s.origin_id = "b";
  c1.samples.push_back(s);
  c1.errors.push_back({"t", "x", "p", "boom"});
  SliceProgress p0 = Sample1(), p1 = Sample1();
  std::vector<std::pair<std::string, std::string>> cps = {
      {SliceCheckpointName(0), p0.Encode()},
      {ChunkCheckpointName(0, 0), c0.Encode()},
      {SliceCheckpointName(1), p1.Encode()},
      {ChunkCheckpointName(1, 0), c1.Encode()},
  };
  std::vector<SliceProgress> slices(2);
  ASSERT_TRUE(LoadSlices(cps, &slices).ok());
  EXPECT_EQ(slices[1].errors.size(), 1u);
  EXPECT_EQ(slices[0].samples[0].time, absl::FromUnixSeconds(-5));
  std::vector<const SliceProgress*> ptrs = {&slices[0], &slices[1]};
  Diff d = MergeDiff(ptrs, 1);
  ASSERT_EQ(d.samples.size(), 1u);
  EXPECT_EQ(d.samples[0].origin_id, "a");
  EXPECT_EQ(d.counters.processed, 18u);
  ASSERT_EQ(d.transitions.size(), 1u);
  EXPECT_EQ(d.transitions[0].from_rule, "a");
  EXPECT_EQ(d.transitions[0].to_rule, "b");
  EXPECT_EQ(d.transitions[0].count, 18u);
  ErrorReport r = MergeErrors(ptrs, 10);
  EXPECT_EQ(r.error_reasons[0].second, 4u);
  EXPECT_EQ(r.errors.size(), 1u);
  std::vector<SliceProgress> one(1);
  EXPECT_FALSE(LoadSlices(cps, &one).ok());  // slice 1 is not in the plan
}

TEST(RunDocTest, RoundTrips) {
  RunDoc doc;
  doc.info.id = NewRunId(absl::FromUnixSeconds(1764094500));
  EXPECT_EQ(doc.info.id.substr(0, 18), "r-20251125-181500-");
  doc.info.state = RunState::kPaused;
  doc.info.request.mode = RunMode::kDirect;
  doc.info.request.to = absl::FromUnixSeconds(100);
  doc.info.request.gates.max_removed = 7;
  doc.info.request.max_rate = 1234.5;
  doc.info.targets.push_back({"p", 1, 2});
  doc.slices.push_back({absl::InfinitePast(), absl::FromUnixSeconds(5), 0, 0});
  doc.has_cutoff = true;
  auto back = DecodeRunDoc(EncodeRunDoc(doc));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->info.id, doc.info.id);
  EXPECT_EQ(back->info.state, RunState::kPaused);
  EXPECT_EQ(back->info.request.mode, RunMode::kDirect);
  EXPECT_EQ(back->info.request.to, doc.info.request.to);
  EXPECT_EQ(back->info.request.from, absl::InfinitePast());
  EXPECT_EQ(back->info.request.gates.max_removed, 7u);
  EXPECT_FALSE(back->info.request.gates.max_changed_ratio.has_value());
  EXPECT_EQ(back->info.request.max_rate, 1234.5);
  EXPECT_EQ(back->info.targets[0].target_generation, 2u);
  EXPECT_EQ(back->slices[0].from, absl::InfinitePast());
  EXPECT_TRUE(back->has_cutoff);
  EXPECT_FALSE(DecodeRunDoc("{").ok());
}

TEST(RunPlanTest, CutsSlicesOfRoughlyEqualCounts) {
  absl::Time h0 = absl::FromUnixSeconds(3600 * 1000);
  std::vector<store::HourCount> hours;
  for (int i = 0; i < 10; ++i) {
    hours.push_back({h0 + absl::Hours(i), "t", "", 100});
  }
  auto slices = CutSlices(h0, absl::InfiniteFuture(), hours, 1000, 5);
  ASSERT_EQ(slices.size(), 5u);
  EXPECT_EQ(slices[0].from, h0);
  EXPECT_EQ(slices[0].to, h0 + absl::Hours(2));
  EXPECT_EQ(slices[4].to, absl::InfiniteFuture());
  for (size_t i = 1; i < slices.size(); ++i) {
    EXPECT_EQ(slices[i].from, slices[i - 1].to);
  }
  EXPECT_EQ(CutSlices(h0, h0 + absl::Hours(1), {}, 0, 8).size(), 1u);
}

TEST(RunPlanTest, ParsesAndMatchesSelectors) {
  auto sel = ParseSelector("team=apps, tier!=dev,beta");
  ASSERT_TRUE(sel.ok());
  EXPECT_TRUE(sel->Matches({{"team", "apps"}, {"beta", ""}}));
  EXPECT_FALSE(sel->Matches({{"team", "apps"}, {"beta", ""}, {"tier", "dev"}}));
  EXPECT_FALSE(sel->Matches({{"team", "apps"}}));
  EXPECT_FALSE(ParseSelector("a=b,,c").ok());
  EXPECT_FALSE(ParseSelector("=b").ok());
}

TEST(ThrottleTest, TokenBucketLimitsTheRate) {
  TokenBucket bucket(2000);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(bucket.Acquire(50));  // 1000
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_GE(secs, 0.35);
  bucket.Cancel();
  EXPECT_FALSE(bucket.Acquire(1));
}

TEST(ThrottleTest, AimdBacksOffUnderLagAndRecovers) {
  AimdInput calm{0, 0, 1000, 50000};
  AimdInput lagging{absl::ToInt64Nanoseconds(absl::Milliseconds(500)), 0, 1000,
                    50000};
  double r = AimdStep(0, 0, lagging, absl::Milliseconds(50));
  EXPECT_EQ(r, 25000);
  r = AimdStep(r, 0, calm, absl::Milliseconds(50));
  EXPECT_GT(r, 25000);
  AimdInput full{0, 600, 1000, 50000};
  EXPECT_LT(AimdStep(r, 0, full, absl::Milliseconds(50)), r);
  EXPECT_EQ(AimdStep(9000, 10000, calm, absl::Milliseconds(50)), 10000);
}

TEST(ThrottleTest, AimdBacksOffWhileLiveAppendsAreSlow) {
  AimdInput slow{0, 0, 1000, 50000};
  slow.appends_slow = true;
  EXPECT_EQ(AimdStep(0, 0, slow, absl::Milliseconds(50)), 25000);
  EXPECT_EQ(AimdStep(8000, 10000, slow, absl::Milliseconds(50)), 4000);
  AimdInput holding{0, 0, 1000, 50000};
  holding.hold = true;
  EXPECT_EQ(AimdStep(4000, 10000, holding, absl::Milliseconds(50)), 4000);
  holding.lag_nanos = absl::ToInt64Nanoseconds(absl::Seconds(1));
  EXPECT_EQ(AimdStep(4000, 10000, holding, absl::Milliseconds(50)), 2000);
}

}  // namespace
}  // namespace retro::reprocess
