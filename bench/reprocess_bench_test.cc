// The re-processing bench on a few thousand events: its history is what it
// claims (generation 1 live with its records, generation 2 staged as the
// target, live cursors at the end), and a bench round runs the real engine
// over every event. No timing is asserted.
#include <filesystem>
#include <memory>

#include "bench/reprocess_bench_lib.h"
#include "bench/reprocess_history.h"
#include "gtest/gtest.h"
#include "store/store.h"

namespace retro::bench {
namespace {

constexpr int64_t kEvents = 3000;

TEST(ReprocessHistoryTest, HoldsGenerationOneRecordsAndTheTarget) {
  HistoryOptions options;
  options.events = kEvents;
  auto history = BuildHistory(options, 2, nullptr);
  ASSERT_TRUE(history.ok()) << history.status();
  HistoryCleanup cleanup(*history);
  EXPECT_TRUE(history->temporary);
  EXPECT_EQ(history->events, kEvents);
  EXPECT_LT(history->first, history->last);

  store::StoreOptions so;
  so.path = history->dir + "/store";
  auto store = store::OpenStore(so);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->events().MaxSeq(), static_cast<uint64_t>(kEvents));
  auto info = (*store)->control().GetPolicy("deployments");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->active_generation, 1u);
  EXPECT_EQ(info->latest_generation, 2u);
  auto gen2 = (*store)->control().GetGeneration("deployments", 2);
  ASSERT_TRUE(gen2.ok()) << gen2.status();
  EXPECT_NE(gen2->spec.find("summary: \"v2: "), std::string::npos);
  for (const char* cursor : {"live/0of2", "live/1of2"}) {
    auto seq = (*store)->records().GetCursor(cursor);
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, static_cast<uint64_t>(kEvents)) << cursor;
  }
  store::RecordQuery query;
  query.policy = "deployments";
  int64_t records = 0;
  ASSERT_TRUE((*store)
                  ->records()
                  .VisitVisible(query,
                                [&](const store::Record& r) {
                                  EXPECT_EQ(r.generation, 1u);
                                  ++records;
                                  return true;
                                })
                  .ok());
  // Deployments are about a third of the events, most of them matched.
  EXPECT_GT(records, kEvents / 10);
  EXPECT_LT(records, kEvents / 2);
}

TEST(ReprocessHistoryTest, RefusesADirectoryThatHoldsAStore) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     "retro-reprocess-bench-test-existing")
                        .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/store");
  HistoryOptions options;
  options.events = 10;
  options.dir = dir;
  auto history = BuildHistory(options, 1, nullptr);
  EXPECT_EQ(history.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(history.status().message().find("already holds a store"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ReprocessHistoryTest, ReusesTheHistoryItBuiltInADirectory) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     "retro-reprocess-bench-test-reuse")
                        .string();
  std::filesystem::remove_all(dir);
  HistoryOptions options;
  options.events = 300;
  options.dir = dir;
  auto built = BuildHistory(options, 1, nullptr);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_FALSE(built->temporary);
  auto again = BuildHistory(options, 1, nullptr);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->events, 300);
  EXPECT_EQ(again->max_seq, built->max_seq);
  EXPECT_EQ(again->bytes, built->bytes);
  EXPECT_EQ(again->first, built->first);
  EXPECT_EQ(again->last, built->last);
  // Another history is not that one.
  options.seed = 2;
  auto other = BuildHistory(options, 1, nullptr);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST(ReprocessBenchTest, ShadowRunCoversEveryEventAndChangesTheFirstRule) {
  ReprocessBenchOptions options;
  options.history.events = kEvents;
  options.parallelism = 2;
  auto result = RunReprocessBench(options, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->error, "");
  ASSERT_EQ(result->rounds.size(), 1u);
  const ReprocessRound& round = result->rounds[0];
  EXPECT_EQ(round.state, "succeeded");
  EXPECT_EQ(round.scanned, static_cast<uint64_t>(kEvents));
  // Deployments only; the other events are read and skipped.
  EXPECT_EQ(round.counters.processed + round.skipped,
            static_cast<uint64_t>(kEvents));
  EXPECT_GT(round.counters.processed, 0u);
  EXPECT_EQ(round.counters.added, 0u);      // generation 1's records are there
  EXPECT_GT(round.counters.changed, 0u);    // the `rollout` summaries
  EXPECT_GT(round.counters.unchanged, 0u);  // every other rule
  EXPECT_GT(round.limit_events_per_second, 0);
  EXPECT_GT(result->peak_rss, 0);
  EXPECT_NE(ReprocessBenchJson(*result).find("\"error\":\"\""),
            std::string::npos);
}

// Two short rounds over loopback HTTP: each has answers in the phase with
// no run, and the pooled figures hold every answer of every round. (The
// run's phase ends after --seconds even if the run, niced, has not: on a
// loaded machine it may not have.)
TEST(LiveLatencyBenchTest, PoolsAlternatingRounds) {
  LiveLatencyOptions options;
  options.history.events = kEvents;
  options.rate = 400;
  options.batch = 4;
  options.seconds = 1;
  options.rounds = 2;
  options.parallelism = 1;
  auto result = RunLiveLatencyBench(options, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->error, "");
  ASSERT_EQ(result->rounds.size(), 2u);
  int64_t idle = 0, running = 0;
  for (const LiveLatencyRound& r : result->rounds) {
    EXPECT_GT(r.idle.requests, 20);
    EXPECT_GT(r.idle.p99_ms, 0);
    idle += r.idle.requests;
    running += r.running.requests;
  }
  EXPECT_EQ(result->idle.requests, idle);
  EXPECT_EQ(result->running.requests, running);
  EXPECT_TRUE(result->run_state == "succeeded" ||
              result->run_state == "running")
      << result->run_state;
  EXPECT_GT(result->idle.p99_ms, 0);
  EXPECT_GE(result->idle.max_ms, result->idle.p99_ms);
  const std::string json = LiveLatencyJson(*result);
  EXPECT_NE(json.find("\"rounds\":[{"), std::string::npos);
  EXPECT_NE(json.find("\"error\":\"\""), std::string::npos);
}

}  // namespace
}  // namespace retro::bench
