// RunManager against a real RocksDB store, catalog and live processor: a
// policy changed from generation 1 to 2 over a few thousand events, checked
// record by record against what each generation produces.
#include "reprocess/run_manager.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "pipeline/record_convert.h"
#include "policy/evaluator.h"
#include "store/test_util.h"

namespace retro::reprocess {
namespace {

using store::testing::TempDir;

constexpr int kEvents = 3000;

// n in 0..99; gen 2: "big" changes its summary, "small" becomes "medium"
// from 20 on (10..19 stop matching), "tiny" drops events without `extra`,
// and n == 7 errors (division by zero).
const char* kGen1 = R"(apiVersion: retro/v1
kind: Policy
metadata:
  name: p
spec:
  input: ev
  rules:
    - name: big
      match: "data.n >= 50"
      summary: "big {{ string(data.n) }}"
    - name: small
      match: "data.n >= 10"
      summary: "small {{ string(data.n) }}"
)";

const char* kGen2 = R"(apiVersion: retro/v1
kind: Policy
metadata:
  name: p
spec:
  input: ev
  rules:
    - name: boom
      match: "data.n == 7 && 10 / (data.n - 7) > 0"
      summary: "never"
    - name: big
      match: "data.n >= 50"
      summary: "large {{ string(data.n) }}"
    - name: medium
      match: "data.n >= 20"
      summary: "small {{ string(data.n) }}"
    - name: tiny
      match: "data.n >= 3 && data.n < 5"
      require: ["data.extra"]
      summary: "tiny {{ string(data.n) }}"
)";

// Generation 2 without the erroring rule.
const char* kGen3 = R"(apiVersion: retro/v1
kind: Policy
metadata:
  name: p
spec:
  input: ev
  rules:
    - name: big
      match: "data.n >= 50"
      summary: "large {{ string(data.n) }}"
    - name: medium
      match: "data.n >= 20"
      summary: "small {{ string(data.n) }}"
    - name: tiny
      match: "data.n >= 3 && data.n < 5"
      require: ["data.extra"]
      summary: "tiny {{ string(data.n) }}"
)";

struct Rec {
  std::string rule;
  base::Hash128 hash{};
  std::string payload;
  friend bool operator==(const Rec&, const Rec&) = default;
};
using Records = std::map<std::string, Rec>;  // by origin id

absl::Time Base() { return absl::Now() - absl::Hours(10); }

std::vector<store::Event> MakeEvents(absl::Time base) {
  std::vector<store::Event> out;
  for (int i = 0; i < kEvents; ++i) {
    std::string id = absl::StrFormat("e%05d", i);
    std::string data = absl::StrCat("{\"id\":\"", id, "\",\"n\":", i % 100,
                                    i % 2 ? ",\"extra\":1" : "", "}");
    out.push_back(store::testing::MakeEvent("ev", id, absl::StrCat("t", i % 3),
                                            base + absl::Seconds(10 * i),
                                            data));
  }
  return out;
}

class Env {
 public:
  explicit Env(std::string path, RunManagerOptions options = {})
      : path_(std::move(path)), options_(options) {
    Open();
  }
  ~Env() { Close(); }

  void Open() {
    store::StoreOptions so;
    so.path = path_;
    store_ = store::testing::OpenOrDie(so);
    catalog_ = std::make_unique<pipeline::Catalog>(store_.get());
    ASSERT_TRUE(catalog_->Reload().ok());
    pipeline::LiveOptions lo;
    lo.workers = 2;
    live_ = std::make_unique<pipeline::LiveProcessor>(
        store_.get(), catalog_.get(), &metrics_, lo, &handoffs_);
    runs_ = std::make_unique<RunManager>(
        RunManager::Deps{store_.get(), catalog_.get(), live_.get(), &handoffs_,
                         &metrics_},
        options_);
  }
  void StartAll() {
    ASSERT_TRUE(runs_->Recover().ok());
    ASSERT_TRUE(live_->Start().ok());
    ASSERT_TRUE(runs_->Start().ok());
  }
  void Close() {
    runs_.reset();
    if (live_) live_->Stop();
    live_.reset();
    catalog_.reset();
    store_.reset();
  }

  uint64_t Apply(const char* spec, bool activate) {
    auto set = catalog_->CompileWithSources("test", spec);
    EXPECT_TRUE(set.ok() && (*set)->policies().size() == 1);
    auto r = store_->control().ApplyPolicy(
        "p", spec, (*set)->policies()[0]->generation(), absl::Now(), activate);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(catalog_->Reload().ok());
    return r->generation;
  }

  void Append(const std::vector<store::Event>& events) {
    auto r = store_->events().Append(events, {.sync = false});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->accepted, events.size());
  }

  Records Visible() {
    Records out;
    store::RecordQuery q;
    q.policy = "p";
    EXPECT_TRUE(
        store_->records()
            .VisitVisible(
                q,
                [&](const store::Record& r) {
                  out[r.key.origin_id] = {r.rule, r.content_hash, r.payload};
                  return true;
                })
            .ok());
    return out;
  }

  // What `spec` produces for every stored event (matched ones only), and
  // the kind of each outcome.
  Records Expected(const char* spec,
                   std::map<std::string, policy::OutcomeKind>* kinds) {
    auto set = catalog_->CompileWithSources("expected", spec);
    EXPECT_TRUE(set.ok());
    const policy::CompiledPolicy* p = (*set)->Find("p");
    policy::Evaluator ev(&(*set)->sources());
    Records out;
    std::string scratch;
    store::EventFilter f;
    auto st = store_->events().Visit(f, "", 0, [&](const store::EventView& v) {
      (void)ev.Load(v.type, v.data);
      const policy::Outcome& o = ev.Evaluate(*p);
      if (kinds) (*kinds)[std::string(v.id)] = o.kind;
      if (o.kind == policy::OutcomeKind::kMatched) {
        store::Record r =
            pipeline::ToStoreRecord(o, "p", 0, v.type, v.id, v.time, &scratch);
        out[std::string(v.id)] = {r.rule, r.content_hash, r.payload};
      }
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.status();
    return out;
  }

  RunInfo RunToEnd(RunRequest req, absl::Duration timeout = absl::Seconds(60)) {
    auto run = runs_->Create(req, "test");
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return {};
    auto done = runs_->Wait(run->id, timeout);
    EXPECT_TRUE(done.ok()) << done.status();
    return *done;
  }

  std::string path_;
  RunManagerOptions options_;
  pipeline::Metrics metrics_;
  pipeline::HandoffRegistry handoffs_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<pipeline::Catalog> catalog_;
  std::unique_ptr<pipeline::LiveProcessor> live_;
  std::unique_ptr<RunManager> runs_;
};

RunManagerOptions SmallBatches() {
  RunManagerOptions o;
  o.batch_events = 256;
  o.target_slices = 8;
  o.insight_error_rate = 0.005;
  return o;
}

// A store with generation 1 live over kEvents events and generation 2
// applied (not active).
std::unique_ptr<Env> MakeEnv(const std::string& dir, absl::Time base,
                             RunManagerOptions options = SmallBatches()) {
  auto env = std::make_unique<Env>(dir, options);
  EXPECT_EQ(env->Apply(kGen1, true), 1u);
  env->Append(MakeEvents(base));
  env->StartAll();
  env->live_->WaitIdle();
  EXPECT_EQ(env->Apply(kGen2, false), 2u);
  return env;
}

RunRequest Req(RunMode mode) {
  RunRequest r;
  r.policies = {"p"};
  r.mode = mode;
  r.parallelism = 2;
  r.gates.max_errors = 1'000'000;
  return r;
}

void ExpectInvariants(const RunInfo& run) {
  const Counters& c = run.counters;
  EXPECT_EQ(c.processed, c.matched + c.unmatched + c.dropped + c.errors);
  EXPECT_EQ(c.matched, c.added + c.changed + c.unchanged);
  EXPECT_EQ(run.scanned, run.total);
  EXPECT_EQ(run.total, static_cast<uint64_t>(kEvents));
}

// Expected counters of generation 2 against generation 1's records.
Counters ExpectedCounters(bool purge) {
  Counters c;
  for (int i = 0; i < kEvents; ++i) {
    int n = i % 100;
    bool had = n >= 10;
    ++c.processed;
    if (n == 7) {
      ++c.errors;
    } else if (n >= 50) {
      ++c.matched, ++c.changed;  // new summary
    } else if (n >= 20) {
      ++c.matched, ++c.changed;  // renamed rule
    } else if (n >= 3 && n < 5) {
      if (i % 2) {
        ++c.matched, ++c.added;
      } else {
        ++c.dropped;
      }
    } else {
      ++c.unmatched;
      if (purge && had) ++c.removed;
    }
  }
  // Unselected events never happen here (one type); n in 0..2, 5, 6, 8, 9
  // and 10..19 are unmatched; only 10..19 had records.
  return c;
}

TEST(RunManagerTest, DryRunWritesNothingAndCountsLikeShadow) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  Records before = env->Visible();
  EXPECT_EQ(before, env->Expected(kGen1, nullptr));

  RunInfo dry = env->RunToEnd(Req(RunMode::kDryRun));
  EXPECT_EQ(dry.state, RunState::kSucceeded) << dry.error;
  ExpectInvariants(dry);
  EXPECT_EQ(dry.counters, ExpectedCounters(false));
  EXPECT_FALSE(env->store_->records().GetStaging(dry.id).ok());
  EXPECT_EQ(env->Visible(), before);
  EXPECT_FALSE(dry.ready_to_promote);

  RunInfo shadow = env->RunToEnd(Req(RunMode::kShadow));
  EXPECT_EQ(shadow.state, RunState::kSucceeded) << shadow.error;
  EXPECT_EQ(shadow.counters, dry.counters);
  EXPECT_EQ(env->Visible(), before);  // staged, not visible
  auto d1 = env->runs_->GetDiff(dry.id, 5);
  auto d2 = env->runs_->GetDiff(shadow.id, 5);
  ASSERT_TRUE(d1.ok() && d2.ok());
  EXPECT_TRUE(d1->final);
  ASSERT_EQ(d1->transitions.size(), d2->transitions.size());
  for (size_t i = 0; i < d1->transitions.size(); ++i) {
    EXPECT_EQ(d1->transitions[i].count, d2->transitions[i].count);
    EXPECT_EQ(d1->transitions[i].from_rule, d2->transitions[i].from_rule);
    EXPECT_EQ(d1->transitions[i].to_rule, d2->transitions[i].to_rule);
  }
  ASSERT_EQ(d1->tenants.size(), 3u);
  EXPECT_EQ(d1->tenants[0].tenant, "t0");
  Counters sum;
  for (const TenantCounters& t : d1->tenants) sum.Add(t.counters);
  EXPECT_EQ(sum, dry.counters);
  // small -> medium for n in 20..49: 30 per 100 events.
  uint64_t renamed = 0;
  for (const Transition& t : d1->transitions) {
    if (t.from_rule == "small" && t.to_rule == "medium") renamed = t.count;
  }
  EXPECT_EQ(renamed, kEvents / 100 * 30u);
  bool changed_sample = false;
  for (const Sample& s : d1->samples) {
    if (s.category == "changed") {
      changed_sample = true;
      EXPECT_NE(s.old_record.find("\"rule\":\"small\""), std::string::npos)
          << s.old_record;
      EXPECT_FALSE(s.new_record.empty());
    }
  }
  EXPECT_TRUE(changed_sample);
  auto errors = env->runs_->GetErrors(shadow.id, 10);
  ASSERT_TRUE(errors.ok());
  ASSERT_EQ(errors->error_reasons.size(), 1u);
  EXPECT_EQ(errors->error_reasons[0].second, kEvents / 100u);
  EXPECT_EQ(errors->errors.size(), 10u);
  ASSERT_EQ(errors->drop_reasons.size(), 1u);
  EXPECT_EQ(errors->drop_reasons[0].first, "missing data.extra");
}

TEST(RunManagerTest, ShadowPromoteAndRollbackRecordByRecord) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  Records gen1 = env->Expected(kGen1, nullptr);
  Records gen2 = env->Expected(kGen2, nullptr);
  RunRequest req = Req(RunMode::kShadow);
  req.gates.max_errors = 0;
  RunInfo run = env->RunToEnd(req);
  ASSERT_EQ(run.state, RunState::kSucceeded) << run.error;
  EXPECT_FALSE(run.ready_to_promote);
  ASSERT_EQ(run.blocking_reasons.size(), 1u);
  EXPECT_EQ(run.blocking_reasons[0], "30 errors (max_errors 0)");
  auto refused = env->runs_->Promote(run.id, false, "op");
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_EQ(env->Visible(), gen1);

  auto promoted = env->runs_->Promote(run.id, true, "admin");
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  EXPECT_EQ(promoted->state, RunState::kPromoted);
  EXPECT_TRUE(promoted->forced);
  // Every record gen 2 produces is visible; the others keep gen 1's.
  Records want = gen1;
  for (const auto& [id, r] : gen2) want[id] = r;
  EXPECT_EQ(env->Visible(), want);
  EXPECT_EQ(env->store_->control().GetPolicy("p")->active_generation, 2u);
  EXPECT_EQ(env->catalog_->Current()->policies[0].generation, 2u);

  auto rolled = env->runs_->Rollback(run.id, "op");
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_EQ(rolled->state, RunState::kRolledBack);
  EXPECT_EQ(env->Visible(), gen1);
  EXPECT_EQ(env->store_->control().GetPolicy("p")->active_generation, 1u);
}

TEST(RunManagerTest, PurgeUnmatchedStagesTombstones) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  std::map<std::string, policy::OutcomeKind> kinds;
  Records gen1 = env->Expected(kGen1, nullptr);
  Records gen2 = env->Expected(kGen2, &kinds);
  RunRequest req = Req(RunMode::kShadow);
  req.purge_unmatched = true;
  RunInfo run = env->RunToEnd(req);
  ASSERT_EQ(run.state, RunState::kSucceeded) << run.error;
  ExpectInvariants(run);
  EXPECT_EQ(run.counters, ExpectedCounters(true));
  EXPECT_EQ(run.counters.removed, kEvents / 100 * 10u);
  ASSERT_TRUE(env->runs_->Promote(run.id, false, "op").ok());
  Records want;
  for (const auto& [id, kind] : kinds) {
    if (kind == policy::OutcomeKind::kMatched) {
      want[id] = gen2[id];
    } else if (kind == policy::OutcomeKind::kError && gen1.contains(id)) {
      want[id] = gen1[id];  // errors never purge
    }
  }
  EXPECT_EQ(env->Visible(), want);
}

TEST(RunManagerTest, RetryRunsOnlyTheErroredEvents) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  RunInfo first = env->RunToEnd(Req(RunMode::kShadow));
  ASSERT_EQ(first.state, RunState::kSucceeded);
  ASSERT_EQ(first.counters.errors, kEvents / 100u);
  ASSERT_TRUE(env->runs_->Discard(first.id, "op").ok());
  EXPECT_EQ(env->Apply(kGen3, false), 3u);
  RunRequest retry;
  retry.retry_errors_of = first.id;
  retry.mode = RunMode::kShadow;
  RunInfo run = env->RunToEnd(retry);
  ASSERT_EQ(run.state, RunState::kSucceeded) << run.error;
  EXPECT_EQ(run.total, kEvents / 100u);
  EXPECT_EQ(run.scanned, run.total);
  EXPECT_EQ(run.counters.processed, kEvents / 100u);
  EXPECT_EQ(run.counters.errors, 0u);
  EXPECT_EQ(run.counters.unmatched, kEvents / 100u);  // n == 7
  EXPECT_TRUE(run.ready_to_promote);
  ASSERT_EQ(run.targets.size(), 1u);
  EXPECT_EQ(run.targets[0].target_generation, 3u);
}

TEST(RunManagerTest, RefusesBadRequestsBeforeWritingAnything) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  RunRequest unknown = Req(RunMode::kShadow);
  unknown.policies = {"nope"};
  auto r = env->runs_->Create(unknown, "op");
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("nope"), std::string::npos);

  RunRequest backwards = Req(RunMode::kShadow);
  backwards.from = absl::Now() - absl::Hours(1);
  backwards.to = absl::Now() - absl::Hours(2);
  EXPECT_TRUE(
      absl::IsInvalidArgument(env->runs_->Create(backwards, "op").status()));

  RunRequest bad_filter = Req(RunMode::kShadow);
  bad_filter.filter = "data.n >";
  r = env->runs_->Create(bad_filter, "op");
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();

  RunRequest selector = Req(RunMode::kShadow);
  selector.policies.clear();
  selector.selector = "team=nobody";
  EXPECT_TRUE(
      absl::IsInvalidArgument(env->runs_->Create(selector, "op").status()));

  ASSERT_TRUE(env->store_->events().ApplyRetention(absl::Now()).ok());
  RunRequest old = Req(RunMode::kShadow);
  old.from = absl::Now() - absl::Hours(24 * 100);
  r = env->runs_->Create(old, "op");
  EXPECT_TRUE(absl::IsOutOfRange(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("oldest retained day"),
            std::string::npos);
  EXPECT_TRUE(env->runs_->List({})->runs.empty());

  RunRequest slow = Req(RunMode::kShadow);
  slow.max_rate = 500;
  auto first = env->runs_->Create(slow, "op");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = env->runs_->Create(Req(RunMode::kDryRun), "op");
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status()));
  EXPECT_NE(second.status().message().find(first->id), std::string::npos)
      << second.status();
  ASSERT_TRUE(env->runs_->Cancel(first->id, "op").ok());
  // Cancelled, its staging stays open: still in the way until discarded.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      env->runs_->Create(Req(RunMode::kShadow), "op").status()));
  ASSERT_TRUE(env->runs_->Discard(first->id, "op").ok());
  EXPECT_TRUE(env->runs_->Create(Req(RunMode::kDryRun), "op").ok());
  EXPECT_EQ(env->runs_->List({})->runs.size(), 2u);
}

// The scheduling policy (field 41 of /proc/self/task/<tid>/stat) of every
// thread named `comm`.
std::vector<int> PoliciesOfThreads(const std::string& comm) {
  std::vector<int> out;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string line;
    std::getline(in, line);
    size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos ||
        line.substr(open + 1, close - open - 1) != comm) {
      continue;
    }
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 41 && rest >> field; ++i) {
      if (i == 41) out.push_back(std::stoi(field));
    }
  }
  return out;
}

TEST(RunManagerTest, WorkersYieldToEveryOtherThread) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  RunRequest req = Req(RunMode::kShadow);
  req.max_rate = 500;
  auto run = env->runs_->Create(req, "op");
  ASSERT_TRUE(run.ok()) << run.status();
  std::vector<int> policies;
  for (int i = 0; i < 200 && policies.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    policies = PoliciesOfThreads("retro-run");
  }
  ASSERT_FALSE(policies.empty()) << "no run worker thread seen";
  for (int p : policies) EXPECT_EQ(p, SCHED_IDLE);
  // Only the workers: the thread that asked for the run keeps its class.
  EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
  ASSERT_TRUE(env->runs_->Cancel(run->id, "op").ok());
}

// The adaptive throttle against live ingest's append latency (the Ingestor
// reports each request's; fed directly here): appends no slower than before
// the run leave it at its ceiling, appends 10x slower halve it.
TEST(RunManagerTest, AdaptiveBacksOffWhileLiveAppendsAreSlow) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  std::atomic<int64_t> append_nanos{1'000'000};
  std::atomic<bool> stop{false};
  std::thread ingest([&] {  // 50 appends a second
    while (!stop.load()) {
      env->live_->AddAppendLatency(append_nanos.load());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  RunRequest req = Req(RunMode::kDryRun);
  req.adaptive = true;
  req.max_rate = 1000;  // a ceiling: 3 s for the 3,000 events
  auto run = env->runs_->Create(req, "op");
  ASSERT_TRUE(run.ok()) << run.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  auto calm = env->runs_->Get(run->id);
  ASSERT_TRUE(calm.ok());
  EXPECT_EQ(calm->current_rate, 1000);
  append_nanos = 10'000'000;
  double lowest = 1000;
  for (int i = 0; i < 150 && lowest >= 1000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto info = env->runs_->Get(run->id);
    ASSERT_TRUE(info.ok());
    lowest = std::min(lowest, info->current_rate);
  }
  EXPECT_EQ(lowest, 500);
  stop = true;
  ingest.join();
  ASSERT_TRUE(env->runs_->Cancel(run->id, "op").ok());
}

TEST(RunManagerTest, PauseResumeCancelAndRethrottle) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  RunRequest req = Req(RunMode::kShadow);
  req.max_rate = 3000;  // ~1 s for 3000 events
  auto start = std::chrono::steady_clock::now();
  RunInfo throttled = env->RunToEnd(req);
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_EQ(throttled.state, RunState::kSucceeded) << throttled.error;
  EXPECT_GE(secs, 0.8);
  ASSERT_TRUE(env->runs_->Discard(throttled.id, "op").ok());

  req.max_rate = 2000;
  auto run = env->runs_->Create(req, "op");
  ASSERT_TRUE(run.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto paused = env->runs_->Pause(run->id, "op");
  ASSERT_TRUE(paused.ok()) << paused.status();
  EXPECT_EQ(paused->state, RunState::kPaused);
  uint64_t at_pause = paused->scanned;
  EXPECT_LT(at_pause, static_cast<uint64_t>(kEvents));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(env->runs_->Get(run->id)->scanned, at_pause);
  // Rethrottle to unlimited and resume: finishes at once.
  ASSERT_TRUE(env->runs_->Rethrottle(run->id, 1e12, std::nullopt, "op").ok());
  ASSERT_TRUE(env->runs_->Resume(run->id, "op").ok());
  auto done = env->runs_->Wait(run->id, absl::Seconds(30));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, RunState::kSucceeded) << done->error;
  EXPECT_EQ(done->counters, throttled.counters);
  ASSERT_TRUE(env->runs_->Discard(run->id, "op").ok());

  // Rethrottle to 0 pauses; cancel; resume of a cancelled run.
  req.max_rate = 1000;
  run = env->runs_->Create(req, "op");
  ASSERT_TRUE(run.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto zero = env->runs_->Rethrottle(run->id, 0, std::nullopt, "op");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->state, RunState::kPaused);
  auto cancelled = env->runs_->Cancel(run->id, "op");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, RunState::kCancelled);
  EXPECT_TRUE(
      absl::IsFailedPrecondition(env->runs_->Pause(run->id, "op").status()));
  ASSERT_TRUE(env->runs_->Rethrottle(run->id, 1e12, std::nullopt, "op")
                  .status()
                  .code() == absl::StatusCode::kFailedPrecondition);
  auto resumed = env->runs_->Resume(run->id, "op");
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_TRUE(env->runs_->Rethrottle(run->id, 1e12, std::nullopt, "op").ok());
  done = env->runs_->Wait(run->id, absl::Seconds(30));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, RunState::kSucceeded);
  EXPECT_EQ(done->counters, throttled.counters);
  ASSERT_TRUE(env->runs_->Discard(run->id, "op").ok());
}

// Interrupted (the manager, live processor and store destroyed mid-run,
// then reopened) and uninterrupted runs agree exactly.
TEST(RunManagerTest, ResumesAfterRestartWithIdenticalResults) {
  absl::Time base = Base();
  TempDir a, b;
  RunInfo clean;
  Diff clean_diff;
  Records clean_records;
  {
    auto env = MakeEnv(a.path(), base);
    RunRequest req = Req(RunMode::kShadow);
    req.purge_unmatched = true;
    clean = env->RunToEnd(req);
    ASSERT_EQ(clean.state, RunState::kSucceeded);
    clean_diff = *env->runs_->GetDiff(clean.id, 20);
    ASSERT_TRUE(env->runs_->Promote(clean.id, false, "op").ok());
    clean_records = env->Visible();
  }
  std::string id;
  {
    auto env = MakeEnv(b.path(), base);
    RunRequest req = Req(RunMode::kShadow);
    req.purge_unmatched = true;
    req.max_rate = 3000;
    auto run = env->runs_->Create(req, "op");
    ASSERT_TRUE(run.ok());
    id = run->id;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    uint64_t scanned = env->runs_->Get(id)->scanned;
    EXPECT_GT(scanned, 0u);
    EXPECT_LT(scanned, static_cast<uint64_t>(kEvents));
  }  // "crash": everything torn down mid-run
  {
    Env env(b.path(), SmallBatches());
    auto before = env.runs_->Get(id);
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(before->state, RunState::kRunning);
    ASSERT_TRUE(env.runs_->Rethrottle(id, 1e12, std::nullopt, "op").ok());
    env.StartAll();
    auto done = env.runs_->Wait(id, absl::Seconds(30));
    ASSERT_TRUE(done.ok());
    ASSERT_EQ(done->state, RunState::kSucceeded) << done->error;
    EXPECT_EQ(done->counters, clean.counters);
    EXPECT_EQ(done->scanned, clean.scanned);
    EXPECT_EQ(done->total, clean.total);
    Diff diff = *env.runs_->GetDiff(id, 20);
    ASSERT_EQ(diff.transitions.size(), clean_diff.transitions.size());
    for (size_t i = 0; i < diff.transitions.size(); ++i) {
      EXPECT_EQ(diff.transitions[i].count, clean_diff.transitions[i].count);
    }
    ASSERT_EQ(diff.samples.size(), clean_diff.samples.size());
    for (size_t i = 0; i < diff.samples.size(); ++i) {
      EXPECT_EQ(diff.samples[i].origin_id, clean_diff.samples[i].origin_id);
      EXPECT_EQ(diff.samples[i].new_record, clean_diff.samples[i].new_record);
    }
    ASSERT_TRUE(env.runs_->Promote(id, false, "op").ok());
    EXPECT_EQ(env.Visible(), clean_records);
  }
}

// Events ingested after the cutoff reach the run through live processing's
// dual write: after promote they carry generation 2, none lost, none twice.
TEST(RunManagerTest, HandoffCoversEventsAfterTheCutoff) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  RunInfo run = env->RunToEnd(Req(RunMode::kShadow));
  ASSERT_EQ(run.state, RunState::kSucceeded) << run.error;
  std::vector<store::Event> later;
  for (int i = 0; i < 200; ++i) {
    std::string id = absl::StrFormat("late%04d", i);
    later.push_back(store::testing::MakeEvent(
        "ev", id, "t9", absl::Now() - absl::Minutes(1),
        absl::StrCat("{\"id\":\"", id, "\",\"n\":", 50 + i % 50, "}")));
  }
  auto appended = env->store_->events().Append(later, {.sync = false});
  ASSERT_TRUE(appended.ok());
  std::vector<pipeline::LiveEvent> live;
  for (size_t i = 0; i < later.size(); ++i) {
    later[i].seq = appended->seqs[i];
    live.push_back({later[i], 0});
  }
  env->live_->Submit(std::move(live), env->store_->events().MaxSeq());
  env->live_->WaitIdle();
  auto info = env->runs_->Get(run.id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->handoff.processed, 200u);
  EXPECT_EQ(info->handoff.matched, 200u);
  // Live wrote generation 1's records; the run staged generation 2's.
  Records visible = env->Visible();
  EXPECT_EQ(visible["late0000"].payload.find("large"), std::string::npos);
  ASSERT_TRUE(env->runs_->Promote(run.id, false, "op").ok());
  Records gen1 = env->Expected(kGen1, nullptr);
  Records gen2 = env->Expected(kGen2, nullptr);
  Records want = gen1;
  for (const auto& [id, r] : gen2) want[id] = r;
  EXPECT_EQ(env->Visible(), want);
  EXPECT_EQ(want.count("late0199"), 1u);
}

// A run ends when its last worker does, not at the next tick of the loop
// that samples its rate (100 ms): the quickest of a few dry runs over ten
// events takes well under one tick (also under a sanitizer).
TEST(RunManagerTest, EndsWhenItsWorkersDo) {
  TempDir dir;
  const absl::Time base = Base();
  auto env = MakeEnv(dir.path(), base);
  RunRequest ten = Req(RunMode::kDryRun);
  ten.from = base;
  ten.to = base + absl::Seconds(100);  // an event every 10 s
  absl::Duration quickest = absl::InfiniteDuration();
  for (int i = 0; i < 5; ++i) {
    RunInfo run = env->RunToEnd(ten);
    ASSERT_EQ(run.state, RunState::kSucceeded) << run.error;
    EXPECT_EQ(run.scanned, 10u);
    quickest = std::min(quickest, run.finished - run.started);
  }
  EXPECT_LT(quickest, absl::Milliseconds(100));
}

TEST(RunManagerTest, DirectModePromotesItselfWhenTheGatesPass) {
  TempDir dir;
  auto env = MakeEnv(dir.path(), Base());
  RunInfo run = env->RunToEnd(Req(RunMode::kDirect));
  EXPECT_EQ(run.state, RunState::kPromoted) << run.error;
  EXPECT_EQ(env->store_->control().GetPolicy("p")->active_generation, 2u);
  RunRequest blocked = Req(RunMode::kDirect);
  ASSERT_TRUE(env->runs_->Rollback(run.id, "op").ok());
  blocked.gates.max_errors = 0;
  RunInfo second = env->RunToEnd(blocked);
  EXPECT_EQ(second.state, RunState::kSucceeded);
  EXPECT_FALSE(second.blocking_reasons.empty());
  auto insights = env->runs_->Insights();
  bool error_rate = false;
  for (const Insight& i : insights) error_rate |= i.kind == "error_rate";
  EXPECT_TRUE(error_rate);
}

}  // namespace
}  // namespace retro::reprocess
