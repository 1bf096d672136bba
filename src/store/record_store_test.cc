#include <map>
#include <string>
#include <vector>

#include "base/hash.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "store/test_util.h"

namespace retro::store {
namespace {

using testing::OpenOrDie;
using testing::T0;
using testing::TempDir;

RecordKey Key(std::string id, int minute, std::string policy = "p") {
  return RecordKey{std::move(policy), "audit", std::move(id),
                   T0() + absl::Minutes(minute)};
}

Record Rec(RecordKey key, uint64_t gen, std::string summary,
           std::string tenant = "t") {
  Record r;
  r.key = std::move(key);
  r.rule = "rule" + std::to_string(gen);
  r.generation = gen;
  r.tenant = std::move(tenant);
  r.payload = std::move(summary);
  r.content_hash = base::Hash128Of(r.payload);
  return r;
}

std::vector<StagingTarget> Target(std::string policy, uint64_t generation) {
  StagingTarget t;
  t.policy = std::move(policy);
  t.generation = generation;
  return {t};
}

using VisibleSet = std::map<std::string, Record>;

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reopen();
    ApplyGenerations("p");
    ApplyGenerations("q");
  }
  void Reopen() {
    store_.reset();
    StoreOptions o;
    o.path = dir_.path();
    store_ = OpenOrDie(o);
    ASSERT_NE(store_, nullptr);
  }
  void ApplyGenerations(const std::string& policy) {
    for (int g = 1; g <= 3; ++g) {
      std::string spec = policy + " spec " + std::to_string(g);
      auto r = store_->control().ApplyPolicy(policy, spec,
                                             base::Hash128Of(spec), T0(),
                                             /*activate=*/g == 1);
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }
  RecordStore& records() { return store_->records(); }

  void Commit(const RecordBatch& b) {
    absl::Status s = records().Commit(b, WriteOptions{});
    ASSERT_TRUE(s.ok()) << s;
  }
  VisibleSet Visible(const std::string& policy = "p") {
    VisibleSet out;
    RecordQuery q;
    q.policy = policy;
    absl::Status s = records().VisitVisible(q, [&](const Record& r) {
      out.emplace(r.key.origin_id, r);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    // Point gets agree with the scan.
    for (const auto& [id, r] : out) {
      auto got = records().Get(r.key);
      EXPECT_TRUE(got.ok() && got->has_value() && **got == r) << id;
    }
    return out;
  }
  uint64_t Active(const std::string& policy = "p") {
    auto p = store_->control().GetPolicy(policy);
    EXPECT_TRUE(p.ok());
    return p.ok() ? p->active_generation : 0;
  }
  // Live records a0..a9 (generation 1) at minutes 0..9.
  void WriteLive() {
    RecordBatch b;
    for (int i = 0; i < 10; ++i) {
      b.Put(Rec(Key("a" + std::to_string(i), i), 1, "old" + std::to_string(i)));
    }
    Commit(b);
  }
  // A run "r1" staging generation 2: changes a0..a4, removes a5, adds n0.
  void StageRun(const std::string& run, uint64_t gen = 2) {
    ASSERT_TRUE(records().BeginStaging(run, Target("p", gen), T0()).ok());
    RecordBatch b;
    for (int i = 0; i < 5; ++i) {
      b.Stage(run, Rec(Key("a" + std::to_string(i), i), gen,
                       run + "-new" + std::to_string(i)));
    }
    b.StageTombstone(run, Key("a5", 5), gen);
    b.Stage(run, Rec(Key("n0", 30), gen, run + "-added"));
    Commit(b);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(RecordStoreTest, LiveWritesAreVisibleAtOnce) {
  WriteLive();
  VisibleSet v = Visible();
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(v["a3"].payload, "old3");
  EXPECT_EQ(v["a3"].record_id(), RecordIdOf(Key("a3", 99)));
  RecordBatch b;
  b.Put(Rec(Key("a3", 3), 1, "rewritten"));
  b.Delete(Key("a4", 4), 1);
  Commit(b);
  v = Visible();
  EXPECT_EQ(v.size(), 9u);
  EXPECT_EQ(v["a3"].payload, "rewritten");
  EXPECT_FALSE(v.contains("a4"));
}

TEST_F(RecordStoreTest, QueryFiltersByTimeAndTenantAndPagesWithACursor) {
  RecordBatch b;
  for (int i = 0; i < 30; ++i) {
    b.Put(Rec(Key("k" + std::to_string(100 + i), i), 1, "s",
              i % 3 == 0 ? "x" : "y"));
  }
  b.Put(Rec(Key("other", 5, "q"), 1, "s"));
  Commit(b);
  RecordQuery q;
  q.policy = "p";
  q.from = T0() + absl::Minutes(3);
  q.to = T0() + absl::Minutes(27);
  q.tenants = {"y"};
  std::vector<std::string> ids;
  std::string cursor;
  do {
    auto page = records().Query(q, cursor, 4);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->records.size(), 4u);
    for (const Record& r : page->records) ids.push_back(r.key.origin_id);
    cursor = page->next_cursor;
  } while (!cursor.empty());
  std::vector<std::string> want;
  for (int i = 3; i < 27; ++i) {
    if (i % 3 != 0) want.push_back("k" + std::to_string(100 + i));
  }
  EXPECT_EQ(ids, want);
}

TEST_F(RecordStoreTest, StagingIsInvisibleUntilPromote) {
  WriteLive();
  VisibleSet before = Visible();
  StageRun("r1");
  EXPECT_EQ(Visible(), before);
  EXPECT_EQ(Active(), 1u);
  auto staged = records().GetStaged("r1", Key("a5", 5));
  ASSERT_TRUE(staged.ok() && staged->has_value());
  EXPECT_TRUE((*staged)->tombstone);
  int n = 0;
  RecordQuery q;
  q.policy = "p";
  ASSERT_TRUE(records()
                  .VisitStaged("r1", q,
                               [&](const StagedRecord&) {
                                 ++n;
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(n, 7);
}

TEST_F(RecordStoreTest, PromoteAndRollbackAreExact) {
  WriteLive();
  VisibleSet before = Visible();
  StageRun("r1");
  ASSERT_TRUE(records().Promote("r1", T0()).ok());
  VisibleSet want = before;
  for (int i = 0; i < 5; ++i) {
    want["a" + std::to_string(i)] =
        Rec(Key("a" + std::to_string(i), i), 2, "r1-new" + std::to_string(i));
  }
  want.erase("a5");
  want["n0"] = Rec(Key("n0", 30), 2, "r1-added");
  EXPECT_EQ(Visible(), want);
  EXPECT_EQ(Active(), 2u);
  auto info = records().GetStaging("r1");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, StagingState::kPromoted);
  EXPECT_EQ(info->targets[0].prior_generation, 1u);

  ASSERT_TRUE(records().Rollback("r1", T0() + absl::Hours(1)).ok());
  EXPECT_EQ(Visible(), before);
  EXPECT_EQ(Active(), 1u);
  EXPECT_FALSE(records().Rollback("r1", T0()).ok());
  EXPECT_FALSE(records().Promote("r1", T0()).ok());
}

TEST_F(RecordStoreTest, DiscardDropsTheStagingAndLeavesVisibleAlone) {
  WriteLive();
  VisibleSet before = Visible();
  StageRun("r1");
  ASSERT_TRUE(records().Discard("r1").ok());
  EXPECT_EQ(Visible(), before);
  EXPECT_EQ(Active(), 1u);
  auto staged = records().GetStaged("r1", Key("a0", 0));
  ASSERT_TRUE(staged.ok());
  EXPECT_FALSE(staged->has_value());
  RecordBatch b;
  b.Stage("r1", Rec(Key("a0", 0), 2, "late"));
  EXPECT_TRUE(absl::IsFailedPrecondition(records().Commit(b, {})));
  EXPECT_TRUE(absl::IsFailedPrecondition(records().Promote("r1", T0())));
}

TEST_F(RecordStoreTest, StagingAfterPromoteIsRefusedAndWritesNothing) {
  StageRun("r1");
  ASSERT_TRUE(records().Promote("r1", T0()).ok());
  RecordBatch b;
  b.Put(Rec(Key("live", 1), 1, "x"));
  b.SetCursor("live", 42);
  b.Stage("r1", Rec(Key("a0", 0), 2, "late"));
  EXPECT_TRUE(absl::IsFailedPrecondition(records().Commit(b, {})));
  EXPECT_FALSE(Visible().contains("live"));
  EXPECT_EQ(*records().GetCursor("live"), 0u);
}

TEST_F(RecordStoreTest, OneOpenRunPerPolicyAndOnlyItsPolicies) {
  StageRun("r1");
  absl::Status s = records().BeginStaging("r2", Target("p", 3), T0());
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("r1"), std::string::npos);
  EXPECT_TRUE(absl::IsAlreadyExists(
      records().BeginStaging("r1", Target("q", 2), T0())));
  EXPECT_TRUE(
      absl::IsNotFound(records().BeginStaging("r3", Target("q", 9), T0())));
  EXPECT_TRUE(
      absl::IsNotFound(records().BeginStaging("r3", Target("zz", 1), T0())));
  RecordBatch b;
  b.Stage("r1", Rec(Key("x", 1, "q"), 2, "wrong policy"));
  EXPECT_TRUE(absl::IsFailedPrecondition(records().Commit(b, {})));
  ASSERT_TRUE(records().BeginStaging("r4", Target("q", 2), T0()).ok());
}

TEST_F(RecordStoreTest, RollbackOnlyTheLastPromoteOfAPolicy) {
  WriteLive();
  VisibleSet v0 = Visible();
  StageRun("r1", 2);
  ASSERT_TRUE(records().Promote("r1", T0()).ok());
  VisibleSet v1 = Visible();
  StageRun("r2", 3);
  ASSERT_TRUE(records().Promote("r2", T0()).ok());
  EXPECT_EQ(Active(), 3u);
  absl::Status s = records().Rollback("r1", T0());
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("r2"), std::string::npos);
  ASSERT_TRUE(records().Rollback("r2", T0()).ok());
  EXPECT_EQ(Visible(), v1);
  EXPECT_EQ(Active(), 2u);
  ASSERT_TRUE(records().Rollback("r1", T0()).ok());
  EXPECT_EQ(Visible(), v0);
  EXPECT_EQ(Active(), 1u);
}

TEST_F(RecordStoreTest, RollbackPastTheHorizonIsRefused) {
  StageRun("r1");
  ASSERT_TRUE(records().Promote("r1", T0()).ok());
  absl::Status s = records().Rollback("r1", T0() + absl::Hours(24 * 8));
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("horizon"), std::string::npos);
}

TEST_F(RecordStoreTest, DirectActivationBlocksRollbackOfAnEarlierPromote) {
  StageRun("r1");
  ASSERT_TRUE(records().Promote("r1", T0()).ok());
  ASSERT_TRUE(store_->control().SetActiveGeneration("p", 3).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(records().Rollback("r1", T0())));
}

TEST_F(RecordStoreTest, LiveWritesAfterPromoteWinAndSurviveRollback) {
  WriteLive();
  StageRun("r1");
  // A live write before the promote loses to the staged version.
  RecordBatch before;
  before.Put(Rec(Key("a0", 0), 1, "live-before"));
  Commit(before);
  ASSERT_TRUE(records().Promote("r1", T0()).ok());
  EXPECT_EQ(Visible()["a0"].payload, "r1-new0");
  RecordBatch after;
  after.Put(Rec(Key("a1", 1), 2, "live-after"));
  after.Delete(Key("n0", 30), 2);
  Commit(after);
  VisibleSet v = Visible();
  EXPECT_EQ(v["a1"].payload, "live-after");
  EXPECT_FALSE(v.contains("n0"));
  ASSERT_TRUE(records().Rollback("r1", T0()).ok());
  v = Visible();
  EXPECT_EQ(v["a0"].payload, "live-before");
  EXPECT_EQ(v["a1"].payload, "live-after");
  EXPECT_EQ(v["a2"].payload, "old2");
  EXPECT_TRUE(v.contains("a5"));
  EXPECT_FALSE(v.contains("n0"));
}

TEST_F(RecordStoreTest, CursorAndCheckpointsCommitWithTheRecordsTheyCover) {
  StageRun("r1");
  RecordBatch b;
  b.Put(Rec(Key("live1", 1), 1, "x"));
  b.SetCursor("live", 17);
  b.Stage("r1", Rec(Key("s1", 2), 2, "y"));
  b.PutCheckpoint("r1", "slice/0003", "cursor-bytes");
  b.PutCheckpoint("r1", "counters", "c");
  Commit(b);
  EXPECT_EQ(*records().GetCursor("live"), 17u);
  auto cps = records().GetCheckpoints("r1");
  ASSERT_TRUE(cps.ok());
  ASSERT_EQ(cps->size(), 2u);
  EXPECT_EQ((*cps)[1], (std::pair<std::string, std::string>{"slice/0003",
                                                            "cursor-bytes"}));
  RecordBatch d;
  d.DeleteCheckpoint("r1", "counters");
  Commit(d);
  EXPECT_EQ(records().GetCheckpoints("r1")->size(), 1u);
  // A batch that fails validation leaves cursor and checkpoints alone.
  RecordBatch bad;
  bad.SetCursor("live", 99);
  bad.PutCheckpoint("r1", "counters", "bad");
  bad.Stage("nope", Rec(Key("s2", 2), 2, "z"));
  EXPECT_FALSE(records().Commit(bad, {}).ok());
  EXPECT_EQ(*records().GetCursor("live"), 17u);
  EXPECT_EQ(records().GetCheckpoints("r1")->size(), 1u);
}

TEST_F(RecordStoreTest, CheckpointsReadByNamePrefix) {
  RecordBatch b;  // checkpoints need no staging (dry runs write them too)
  b.PutCheckpoint("r1", "slice/0000", "a");
  b.PutCheckpoint("r1", "slice/0001", "b");
  b.PutCheckpoint("r1", std::string("err/audit\x1f") + '\0' + "x", "c");
  b.PutCheckpoint("r1", "sl", "d");
  b.PutCheckpoint("r2", "slice/0000", "e");
  Commit(b);
  auto slices = records().GetCheckpointsWithPrefix("r1", "slice/");
  ASSERT_TRUE(slices.ok()) << slices.status();
  ASSERT_EQ(slices->size(), 2u);
  EXPECT_EQ((*slices)[0].second, "a");
  EXPECT_EQ((*slices)[1].second, "b");
  auto errs = records().GetCheckpointsWithPrefix("r1", "err/");
  ASSERT_TRUE(errs.ok());
  ASSERT_EQ(errs->size(), 1u);
  EXPECT_EQ((*errs)[0].first, std::string("err/audit\x1f") + '\0' + "x");
  EXPECT_EQ(records().GetCheckpointsWithPrefix("r1", "")->size(), 4u);
  EXPECT_EQ(records().GetCheckpointsWithPrefix("r3", "slice/")->size(), 0u);
}

TEST_F(RecordStoreTest, EverythingResumesAfterReopen) {
  WriteLive();
  VisibleSet before = Visible();
  StageRun("r1");
  RecordBatch b;
  b.SetCursor("live", 5);
  Commit(b);
  Reopen();
  EXPECT_EQ(Visible(), before);
  EXPECT_EQ(*records().GetCursor("live"), 5u);
  ASSERT_TRUE(records().Promote("r1", T0()).ok());
  VisibleSet promoted = Visible();
  Reopen();
  EXPECT_EQ(Visible(), promoted);
  // A live write after reopen still outranks the promote (vseq persisted).
  RecordBatch live;
  live.Put(Rec(Key("a0", 0), 2, "after-reopen"));
  Commit(live);
  EXPECT_EQ(Visible()["a0"].payload, "after-reopen");
  ASSERT_TRUE(records().Rollback("r1", T0()).ok());
  Reopen();
  VisibleSet v = Visible();
  EXPECT_EQ(v["a0"].payload, "after-reopen");
  EXPECT_EQ(v["a1"].payload, "old1");
  EXPECT_EQ(Active(), 1u);
}

TEST_F(RecordStoreTest, MaintainFoldsOldPromotesWithoutChangingVisibility) {
  WriteLive();
  StageRun("r1");
  ASSERT_TRUE(records().Promote("r1", T0()).ok());
  RecordBatch live;
  live.Put(Rec(Key("a1", 1), 2, "live-after"));
  Commit(live);
  StageRun("r2", 3);
  ASSERT_TRUE(records().Discard("r2").ok());
  VisibleSet v = Visible();
  auto m = records().Maintain(T0() + absl::Hours(1));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->runs_folded, 0u);
  m = records().Maintain(T0() + absl::Hours(24 * 8));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->runs_folded, 1u);
  EXPECT_EQ(m->versions_folded, 6u);  // a1 has a newer live version
  EXPECT_EQ(Visible(), v);
  EXPECT_EQ(records().GetStaging("r1")->state, StagingState::kFolded);
  EXPECT_FALSE(records().GetStaged("r1", Key("a0", 0))->has_value());
  EXPECT_TRUE(absl::IsFailedPrecondition(records().Rollback("r1", T0())));
  Reopen();
  EXPECT_EQ(Visible(), v);
}

}  // namespace
}  // namespace retro::store
