// LiveProcessor over a real RocksDB store: the dual write for an open run
// (cutoff, scope, purge, counters, crash between batches, a run that stops
// staging), Quiesce, WaitProcessed and RecentLagNanos.
#include "pipeline/live_processor.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/hash.h"
#include "gtest/gtest.h"
#include "pipeline/record_convert.h"
#include "policy/evaluator.h"
#include "store/test_util.h"

namespace retro::pipeline {

// Readable failures.
void PrintTo(const HandoffCounts& c, std::ostream* os) { *os << c.Encode(); }

namespace {

using store::testing::T0;

constexpr char kSource[] = R"yaml(apiVersion: retro/v1
kind: Source
metadata: {name: usage}
spec:
  format: json
  id: data.id
  time: data.createdAt
  tenant: "has(data.org) ? data.org : 'unknown'"
)yaml";

// Generation 1 (active): every call is a record.
constexpr char kGen1[] = R"yaml(apiVersion: retro/v1
kind: Policy
metadata: {name: calls}
spec:
  input: usage
  rules:
    - name: call
      match: "has(data.model)"
      summary: "{{ data.org }} called {{ data.model }}"
)yaml";

// Generation 2 (the run's target): 'old' models no longer match, a user is
// required, and n == 0 is an error.
constexpr char kGen2[] = R"yaml(apiVersion: retro/v1
kind: Policy
metadata: {name: calls}
spec:
  input: usage
  rules:
    - name: call2
      match: "has(data.model) && data.model != 'old'"
      require: ["data.user"]
      summary: "{{ data.user }} called {{ data.model }} ({{ string(100 / data.n) }})"
)yaml";

// The run's scope filter: eu only.
constexpr char kFilter[] = R"yaml(apiVersion: retro/v1
kind: Policy
metadata: {name: run-filter}
spec:
  input: usage
  select: "data.region == 'eu'"
  rules:
    - name: any
      match: "true"
      summary: "in scope"
)yaml";

struct Spec {
  std::string id;
  std::string org = "acme";
  absl::Duration at = absl::ZeroDuration();  // after T0
  std::string extra = R"("model":"m1","user":"bob","n":4,"region":"eu")";
  std::string type = "usage";
};

store::Event MakeUsage(const Spec& s) {
  absl::Time t = T0() + s.at;
  std::string data = absl::StrCat(
      R"({"id":")", s.id, R"(","org":")", s.org, R"(","createdAt":")",
      absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()), "\"",
      s.extra.empty() ? "" : ",", s.extra, "}");
  return store::testing::MakeEvent(s.type, s.id, s.org, t, data);
}

std::vector<store::StagingTarget> Targets(
    std::vector<std::pair<std::string, uint64_t>> policies) {
  std::vector<store::StagingTarget> targets;
  for (auto& [policy, generation] : policies) {
    store::StagingTarget t;
    t.policy = policy;
    t.generation = generation;
    targets.push_back(t);
  }
  return targets;
}

store::RecordKey KeyOf(const store::Event& e) {
  return {"calls", e.type, e.id, e.time};
}

HandoffCounts SumCounts(store::Store* store, const std::string& run) {
  HandoffCounts sum;
  auto checkpoints = store->records().GetCheckpoints(run);
  EXPECT_TRUE(checkpoints.ok()) << checkpoints.status();
  if (!checkpoints.ok()) return sum;
  for (const auto& [name, value] : *checkpoints) {
    if (!name.starts_with(kHandoffCheckpointPrefix)) continue;
    auto c = HandoffCounts::Decode(value);
    EXPECT_TRUE(c.ok()) << name << ": " << c.status();
    if (c.ok()) sum.Add(*c);
  }
  return sum;
}

class LiveProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpenStore();
    ASSERT_TRUE(store_->control()
                    .PutDocument({"source", "usage", absl::Now(), kSource})
                    .ok());
    Apply(kGen1, true);
    Apply(kGen2, false);
    ASSERT_TRUE(catalog_->Reload().ok());
    ASSERT_EQ(catalog_->Current()->policies.size(), 1u);
  }
  void TearDown() override { live_.reset(); }

  void Apply(const char* text, bool activate) {
    auto r = store_->control().ApplyPolicy("calls", text,
                                           base::Hasher().Add(text).Finish(),
                                           absl::Now(), activate);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  void OpenStore() {
    store::StoreOptions options;
    options.path = dir_.path();
    store_ = store::testing::OpenOrDie(options);
    ASSERT_NE(store_, nullptr);
    catalog_ = std::make_unique<Catalog>(store_.get());
    ASSERT_TRUE(catalog_->Reload().ok());
  }
  void StartLive(HandoffRegistry* registry) {
    LiveOptions options;
    options.workers = 2;
    live_ = std::make_unique<LiveProcessor>(store_.get(), catalog_.get(),
                                            &metrics_, options, registry);
    ASSERT_TRUE(live_->Start().ok());
  }
  // A process crash and restart: nothing in memory survives but `registry_`
  // (the run manager re-installs handoffs before live starts).
  void Restart() {
    live_.reset();
    catalog_.reset();
    store_.reset();
    OpenStore();
    StartLive(&registry_);
  }

  // Appends the events; hands them to live unless `submit` is false (as if
  // the process died right after acknowledging them). Returns MaxSeq.
  uint64_t Ingest(std::vector<store::Event>* events, bool submit = true) {
    store::AppendOptions options;
    options.sync = false;
    auto appended = store_->events().Append(*events, options);
    EXPECT_TRUE(appended.ok()) << appended.status();
    EXPECT_EQ(appended->accepted, events->size());
    int64_t acked = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
    std::vector<LiveEvent> live;
    for (size_t i = 0; i < events->size(); ++i) {
      (*events)[i].seq = appended->seqs[i];
      live.push_back({(*events)[i], acked});
    }
    uint64_t max_seq = store_->events().MaxSeq();
    if (submit) live_->Submit(std::move(live), max_seq);
    return max_seq;
  }

  // A handoff of `run_id` to generation `generation` (whose text is `text`)
  // of the stored policy `policy`, with no scope limits and cutoff 0.
  std::shared_ptr<Handoff> TargetHandoff(const std::string& run_id,
                                         const std::string& policy,
                                         const std::string& text,
                                         uint64_t generation) {
    auto handoff = std::make_shared<Handoff>();
    handoff->run_id = run_id;
    handoff->policy = policy;
    handoff->generation = generation;
    auto set = catalog_->CompileWithSources("policy/" + policy, text);
    EXPECT_TRUE(set.ok()) << set.status();
    handoff->set = *set;
    handoff->target = (*set)->Find(policy);
    EXPECT_NE(handoff->target, nullptr);
    return handoff;
  }

  // What RunManager does to open a shadow run of gen 2 with this scope.
  // `queued` events are ingested under the lock just before the cutoff is
  // taken: acknowledged, not yet evaluated, and the scan's to handle.
  std::shared_ptr<Handoff> OpenRun(
      const std::string& run_id, bool purge,
      std::vector<store::Event>* queued = nullptr) {
    auto handoff = TargetHandoff(run_id, "calls", kGen2, 2);
    auto filter = catalog_->CompileWithSources("filter", kFilter);
    EXPECT_TRUE(filter.ok()) << filter.status();
    handoff->filter_set = *filter;
    handoff->filter = (*filter)->Find("run-filter");
    EXPECT_NE(handoff->filter, nullptr);
    handoff->from = T0();
    handoff->to = T0() + absl::Hours(1);
    handoff->types = {"usage"};
    handoff->tenants = {"acme", "globex"};
    handoff->purge_unmatched = purge;
    auto lock = live_->Quiesce();
    if (queued != nullptr) Ingest(queued);
    handoff->cutoff_seq = store_->events().MaxSeq();
    EXPECT_TRUE(store_->records()
                    .BeginStaging(run_id, Targets({{"calls", 2}}), absl::Now())
                    .ok());
    registry_.Set(handoff);
    return handoff;
  }

  // What generation 2 stages for `e`, computed independently.
  store::Record Expected(const Handoff& h, const store::Event& e) {
    policy::Evaluator evaluator(&h.set->sources());
    const policy::Outcome& o =
        evaluator.EvaluateLine(*h.target, e.type, e.data);
    EXPECT_EQ(o.kind, policy::OutcomeKind::kMatched) << o.reason;
    std::string scratch;
    return ToStoreRecord(o, "calls", 2, e.type, e.id, e.time, &scratch);
  }

  std::optional<store::StagedRecord> Staged(const std::string& run,
                                            const store::Event& e) {
    auto s = store_->records().GetStaged(run, KeyOf(e));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : std::nullopt;
  }
  std::optional<store::Record> Visible(const store::Event& e) {
    auto r = store_->records().Get(KeyOf(e));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::nullopt;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Catalog> catalog_;
  Metrics metrics_;
  HandoffRegistry registry_;
  std::unique_ptr<LiveProcessor> live_;
};

constexpr absl::Duration kWait = absl::Seconds(20);

// The events after the cutoff, by what the run must do with them.
struct AfterCutoff {
  std::vector<store::Event> events;
  std::vector<size_t> staged, tombstoned, untouched;
};

AfterCutoff MakeAfterCutoff(const std::string& prefix, absl::Duration at) {
  AfterCutoff a;
  auto add = [&](Spec s, std::vector<size_t>* bucket) {
    s.id = prefix + s.id;
    s.at += at;
    bucket->push_back(a.events.size());
    a.events.push_back(MakeUsage(s));
  };
  add({.id = "match-acme"}, &a.staged);
  add({.id = "match-globex", .org = "globex"}, &a.staged);
  add({.id = "other-tenant", .org = "initech"}, &a.untouched);
  add({.id = "before-from", .at = -absl::Minutes(1)}, &a.untouched);
  add({.id = "at-to", .at = absl::Hours(1)}, &a.untouched);
  add({.id = "filter-false",
       .extra = R"("model":"m1","user":"bob","n":4,"region":"us")"},
      &a.untouched);
  add({.id = "other-type", .type = "misc"}, &a.untouched);
  add({.id = "now-unmatched",
       .extra = R"("model":"old","user":"bob","n":4,"region":"eu")"},
      &a.tombstoned);
  add({.id = "now-dropped", .extra = R"("model":"m1","n":4,"region":"eu")"},
      &a.tombstoned);
  add({.id = "now-error",
       .extra = R"("model":"m1","user":"bob","n":0,"region":"eu")"},
      &a.untouched);
  add({.id = "never-matched", .extra = R"("user":"bob","region":"eu")"},
      &a.untouched);
  return a;
}

// processed = the 2 staged + 2 tombstoned + error + never-matched.
constexpr HandoffCounts kAfterCutoffCounts{6, 2, 2, 1, 1, 2, 2};

TEST_F(LiveProcessorTest,
       DualWriteStagesTargetOutputOfInScopeEventsAfterCutoff) {
  StartLive(&registry_);
  std::vector<store::Event> before = {MakeUsage({.id = "pre-1"}),
                                      MakeUsage({.id = "pre-2"})};
  ASSERT_TRUE(live_->WaitProcessed(Ingest(&before), kWait));
  // In scope, but at or before the cutoff (still queued when it is taken).
  std::vector<store::Event> queued = {MakeUsage({.id = "queued-1"}),
                                      MakeUsage({.id = "queued-2"}),
                                      MakeUsage({.id = "queued-3"})};
  auto run = OpenRun("run-1", /*purge=*/true, &queued);
  AfterCutoff after = MakeAfterCutoff("", absl::Seconds(10));
  ASSERT_TRUE(live_->WaitProcessed(Ingest(&after.events), kWait));
  before.insert(before.end(), queued.begin(), queued.end());

  for (const store::Event& e : before) {
    EXPECT_FALSE(Staged("run-1", e).has_value()) << e.id;
    EXPECT_TRUE(Visible(e).has_value()) << e.id;
  }
  for (size_t i : after.staged) {
    const store::Event& e = after.events[i];
    auto s = Staged("run-1", e);
    ASSERT_TRUE(s.has_value()) << e.id;
    EXPECT_FALSE(s->tombstone);
    EXPECT_EQ(s->record, Expected(*run, e)) << e.id;
    // Live still wrote generation 1's record, visible.
    auto v = Visible(e);
    ASSERT_TRUE(v.has_value()) << e.id;
    EXPECT_EQ(v->generation, 1u);
  }
  for (size_t i : after.tombstoned) {
    const store::Event& e = after.events[i];
    auto s = Staged("run-1", e);
    ASSERT_TRUE(s.has_value()) << e.id;
    EXPECT_TRUE(s->tombstone) << e.id;
    EXPECT_EQ(s->record.generation, 2u);
    EXPECT_TRUE(Visible(e).has_value()) << e.id;  // until promote
  }
  for (size_t i : after.untouched) {
    EXPECT_FALSE(Staged("run-1", after.events[i]).has_value())
        << after.events[i].id;
  }
  EXPECT_EQ(SumCounts(store_.get(), "run-1"), kAfterCutoffCounts);
}

TEST_F(LiveProcessorTest, WithoutPurgeNothingIsTombstoned) {
  StartLive(&registry_);
  OpenRun("run-keep", /*purge=*/false);
  AfterCutoff after = MakeAfterCutoff("", absl::Seconds(10));
  ASSERT_TRUE(live_->WaitProcessed(Ingest(&after.events), kWait));
  for (size_t i : after.tombstoned) {
    EXPECT_FALSE(Staged("run-keep", after.events[i]).has_value());
  }
  HandoffCounts want = kAfterCutoffCounts;
  want.removed = 0;
  EXPECT_EQ(SumCounts(store_.get(), "run-keep"), want);
}

TEST_F(LiveProcessorTest, CountersSurviveACrashBetweenBatchesWithoutDoubles) {
  StartLive(&registry_);
  auto run = OpenRun("run-crash", /*purge=*/true);
  AfterCutoff first = MakeAfterCutoff("a-", absl::Seconds(10));
  ASSERT_TRUE(live_->WaitProcessed(Ingest(&first.events), kWait));
  EXPECT_EQ(SumCounts(store_.get(), "run-crash"), kAfterCutoffCounts);

  // Acknowledged, never evaluated: the process dies here.
  AfterCutoff second = MakeAfterCutoff("b-", absl::Seconds(20));
  uint64_t last = Ingest(&second.events, /*submit=*/false);
  Restart();
  ASSERT_TRUE(live_->WaitProcessed(last, kWait));
  EXPECT_FALSE(live_->recovering());

  HandoffCounts want = kAfterCutoffCounts;
  want.Add(kAfterCutoffCounts);
  EXPECT_EQ(SumCounts(store_.get(), "run-crash"), want);
  for (size_t i : second.staged) {
    auto s = Staged("run-crash", second.events[i]);
    ASSERT_TRUE(s.has_value()) << second.events[i].id;
    EXPECT_EQ(s->record, Expected(*run, second.events[i]));
  }
  for (size_t i : second.tombstoned) {
    auto s = Staged("run-crash", second.events[i]);
    ASSERT_TRUE(s.has_value()) << second.events[i].id;
    EXPECT_TRUE(s->tombstone);
  }

  // A clean restart re-evaluates nothing: the counters stay.
  Restart();
  ASSERT_TRUE(live_->WaitProcessed(last, kWait));
  EXPECT_EQ(SumCounts(store_.get(), "run-crash"), want);
}

TEST_F(LiveProcessorTest, RunThatStopsStagingIsDroppedAndLiveRecordsKept) {
  StartLive(&registry_);
  OpenRun("run-gone", /*purge=*/true);
  // Discarded behind live's back (no Quiesce, handoff still registered):
  // the first commit fails with FailedPrecondition and is rebuilt.
  ASSERT_TRUE(store_->records().Discard("run-gone").ok());
  AfterCutoff after = MakeAfterCutoff("", absl::Seconds(10));
  ASSERT_TRUE(live_->WaitProcessed(Ingest(&after.events), kWait));
  for (size_t i : after.staged) {
    EXPECT_TRUE(Visible(after.events[i]).has_value()) << after.events[i].id;
  }
  EXPECT_EQ(SumCounts(store_.get(), "run-gone"), HandoffCounts{});
  // Later batches go on without it.
  AfterCutoff later = MakeAfterCutoff("later-", absl::Seconds(20));
  ASSERT_TRUE(live_->WaitProcessed(Ingest(&later.events), kWait));
  for (size_t i : later.staged) {
    EXPECT_TRUE(Visible(later.events[i]).has_value());
  }
}

TEST_F(LiveProcessorTest, QuiesceHoldsCommitsAndTheNextBatchSeesNewHandoffs) {
  StartLive(&registry_);
  AfterCutoff after = MakeAfterCutoff("", absl::Seconds(10));
  uint64_t last;
  {
    auto lock = live_->Quiesce();
    last = Ingest(&after.events);
    EXPECT_FALSE(live_->WaitProcessed(last, absl::Milliseconds(300)));
    for (const store::Event& e : after.events) {
      EXPECT_FALSE(Visible(e).has_value()) << e.id;
    }
    // Installed while quiesced, with the cutoff before the queued events:
    // the batches that were waiting must stage for it.
    ASSERT_TRUE(store_->records()
                    .BeginStaging("run-q", Targets({{"calls", 2}}), absl::Now())
                    .ok());
    auto handoff = TargetHandoff("run-q", "calls", kGen2, 2);
    handoff->cutoff_seq = after.events[0].seq - 1;
    registry_.Set(handoff);
  }
  ASSERT_TRUE(live_->WaitProcessed(last, kWait));
  for (size_t i : after.staged) {
    EXPECT_TRUE(Visible(after.events[i]).has_value());
    EXPECT_TRUE(Staged("run-q", after.events[i]).has_value());
  }
}

TEST_F(LiveProcessorTest, RunOfTwoPoliciesKeepsOneCheckpointPerWorker) {
  std::string other = kGen1;
  other.replace(other.find("{name: calls}"), 13, "{name: calls-b}");
  auto applied = store_->control().ApplyPolicy(
      "calls-b", other, base::Hasher().Add(other).Finish(), absl::Now(), true);
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_TRUE(catalog_->Reload().ok());
  StartLive(&registry_);
  {
    auto lock = live_->Quiesce();
    ASSERT_TRUE(store_->records()
                    .BeginStaging("run-2p",
                                  Targets({{"calls", 2}, {"calls-b", 1}}),
                                  absl::Now())
                    .ok());
    auto a = TargetHandoff("run-2p", "calls", kGen2, 2);
    auto b = TargetHandoff("run-2p", "calls-b", other, 1);
    a->cutoff_seq = b->cutoff_seq = store_->events().MaxSeq();
    registry_.Set(a);
    registry_.Set(b);
    ASSERT_EQ(registry_.Current()->size(), 2u);
  }
  std::vector<store::Event> events;
  for (int i = 0; i < 8; ++i) {
    events.push_back(MakeUsage({.id = absl::StrCat("e", i)}));
  }
  ASSERT_TRUE(live_->WaitProcessed(Ingest(&events), kWait));
  for (const store::Event& e : events) {
    EXPECT_TRUE(Staged("run-2p", e).has_value()) << e.id;
    auto b = store_->records().GetStaged("run-2p",
                                         {"calls-b", e.type, e.id, e.time});
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(b->has_value()) << e.id;
  }
  EXPECT_EQ(SumCounts(store_.get(), "run-2p"),
            (HandoffCounts{16, 16, 0, 0, 0, 16, 0}));
  auto checkpoints = store_->records().GetCheckpoints("run-2p");
  ASSERT_TRUE(checkpoints.ok());
  EXPECT_LE(checkpoints->size(), 2u);  // one per worker, not per policy
}

TEST_F(LiveProcessorTest, WaitProcessedCountsWorkersThatGotNoEvents) {
  StartLive(nullptr);  // no registry at all
  std::vector<store::Event> one = {MakeUsage({.id = "only"})};
  uint64_t seq = Ingest(&one);
  ASSERT_TRUE(live_->WaitProcessed(seq, kWait));
  EXPECT_TRUE(Visible(one[0]).has_value());
  EXPECT_FALSE(live_->WaitProcessed(seq + 1, absl::Milliseconds(50)));
  EXPECT_TRUE(live_->WaitProcessed(0, absl::ZeroDuration()));
}

TEST_F(LiveProcessorTest, RecentLagIsPositiveAfterTrafficAndZeroWhenIdle) {
  StartLive(&registry_);
  EXPECT_EQ(live_->RecentLagNanos(), 0);
  AfterCutoff traffic = MakeAfterCutoff("", absl::Seconds(10));
  ASSERT_TRUE(live_->WaitProcessed(Ingest(&traffic.events), kWait));
  EXPECT_GT(live_->RecentLagNanos(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(live_->RecentLagNanos(), 0);
}

}  // namespace
}  // namespace retro::pipeline
