#include "reprocess/run_manager.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "reprocess/progress.h"
#include "reprocess/run_doc.h"
#include "reprocess/run_plan.h"
#include "reprocess/slice_worker.h"
#include "reprocess/throttle.h"

namespace retro::reprocess {
namespace {

using base::AV;

constexpr auto kTick = std::chrono::milliseconds(100);
// LiveProcessor::RecentAppendNanos looks at about the last second.
constexpr auto kAppendWindow = std::chrono::seconds(1);
// Slices smaller than this are not worth a slice of their own.
constexpr uint64_t kMinSliceEvents = 4096;

enum class StopReason : int { kNone, kPause, kCancel, kShutdown };

bool Executable(RunState s) {
  return s == RunState::kQueued || s == RunState::kRunning;
}

// Puts the calling thread in Linux's SCHED_IDLE class, or failing that
// lowers its nice value to 19 (both are per thread). Best effort: a failure
// leaves the thread as it was.
void YieldToEveryThread() {
  const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
  sched_param param{};
  if (::sched_setscheduler(tid, SCHED_IDLE, &param) == 0) return;
  spdlog::debug("run worker: SCHED_IDLE: {}", std::strerror(errno));
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 19) != 0) {
    spdlog::debug("run worker: setpriority: {}", std::strerror(errno));
  }
}

bool Finished(RunState s) {
  return s != RunState::kQueued && s != RunState::kRunning &&
         s != RunState::kPaused;
}

std::string StateError(const RunInfo& info, std::string_view action,
                       std::string_view allowed) {
  return absl::StrCat("run ", info.id, " is ", AV(RunStateName(info.state)),
                      "; ", AV(action), " needs a run that is ", AV(allowed));
}

struct SliceSlot {
  std::mutex mu;
  SliceProgress p;
};

struct RunEntry {
  RunDoc doc;  // guarded by Impl::mu_ (as are the fields up to `executing`)
  std::vector<std::unique_ptr<SliceSlot>> slices;
  bool progress_loaded = false;
  std::shared_ptr<const CompiledRun> compiled;
  std::thread driver;
  bool executing = false;
  // Written by the actions, read by the driver and workers.
  std::atomic<int> stop{0};
  TokenBucket bucket;
  std::atomic<uint64_t> scanned_live{0};
  std::atomic<double> rate{0};
};

}  // namespace

class RunManager::Impl {
 public:
  Impl(Deps deps, RunManagerOptions options)
      : deps_(deps), options_(std::move(options)) {}
  ~Impl() { Stop(); }

  absl::Status Recover();
  absl::Status Start();
  void Stop();
  absl::StatusOr<RunInfo> Create(const RunRequest& request,
                                 std::string_view actor);
  absl::StatusOr<RunInfo> Get(std::string_view id);
  absl::StatusOr<RunList> List(const RunListQuery& query);
  absl::StatusOr<Diff> GetDiff(std::string_view id, size_t samples);
  absl::StatusOr<ErrorReport> GetErrors(std::string_view id, size_t limit);
  absl::StatusOr<RunInfo> Pause(std::string_view id);
  absl::StatusOr<RunInfo> Resume(std::string_view id);
  absl::StatusOr<RunInfo> Cancel(std::string_view id);
  absl::StatusOr<RunInfo> Rethrottle(std::string_view id, double max_rate,
                                     std::optional<bool> adaptive);
  absl::StatusOr<RunInfo> Promote(std::string_view id, bool force,
                                  std::string_view actor);
  absl::StatusOr<RunInfo> Discard(std::string_view id);
  absl::StatusOr<RunInfo> Rollback(std::string_view id);
  std::vector<Insight> Insights();
  RunManager::Stats GetStats();
  absl::StatusOr<RunInfo> Wait(std::string_view id, absl::Duration timeout);

 private:
  // All REQUIRE mu_ held unless they say otherwise.
  absl::Status EnsureLoaded();
  absl::StatusOr<RunEntry*> Find(std::string_view id);
  absl::Status Persist(RunEntry* e);
  absl::Status LoadProgress(RunEntry* e);
  RunInfo Info(RunEntry* e);
  std::vector<std::unique_lock<std::mutex>> LockSlices(
      RunEntry* e, std::vector<const SliceProgress*>* out);
  Counters HandoffCounters(const RunEntry& e);
  void ApplyGates(RunInfo* info);
  absl::Status CheckNoOpenRun(const std::vector<std::string>& policies,
                              std::string_view except);
  void StartExecution(RunEntry* e);
  // Pauses a queued or running run: stops its execution, or marks it.
  // REQUIRES mu_ held via `lock` (released while joining).
  absl::Status PauseEntry(RunEntry* e, std::unique_lock<std::mutex>* lock);
  // REQUIRES mu_ held via `lock`; releases it while joining.
  void StopExecution(RunEntry* e, StopReason reason,
                     std::unique_lock<std::mutex>* lock);
  void Audit(std::string action, const std::string& id, std::string outcome,
             std::string details);

  // The driver thread of one execution, and its steps (no lock held).
  void Drive(RunEntry* e);
  absl::Status Execute(RunEntry* e);
  absl::Status OpenStaging(RunEntry* e, const CompiledRun& compiled);
  absl::Status Plan(RunEntry* e, const CompiledRun& compiled);
  absl::StatusOr<std::vector<std::string>> RetryKeys(const RunDoc& doc);
  void InstallHandoffs(const RunDoc& doc, const CompiledRun& compiled);
  void Finish(RunEntry* e, const absl::Status& status);
  // Without mu_ held.
  absl::StatusOr<RunInfo> PromoteNow(RunEntry* e, bool forced);

  Deps deps_;
  RunManagerOptions options_;
  std::mutex create_mu_;  // serialises Create and Resume (open-run checks)
  std::mutex mu_;
  std::condition_variable cv_;  // state changes
  bool loaded_ = false;
  bool started_ = false;
  std::map<std::string, std::unique_ptr<RunEntry>, std::less<>> runs_;
};

// ---------------------------------------------------------------------------
// Loading and persistence

absl::Status RunManager::Impl::EnsureLoaded() {
  if (loaded_) return absl::OkStatus();
  RETRO_ASSIGN_OR_RETURN(auto docs,
                         deps_.store->control().ListDocuments(kRunDocKind));
  for (const store::Document& d : docs) {
    auto doc = DecodeRunDoc(d.body);
    if (!doc.ok()) {
      spdlog::error("run {}: {}; ignoring it", d.name, doc.status().ToString());
      continue;
    }
    auto e = std::make_unique<RunEntry>();
    e->doc = std::move(*doc);
    e->bucket.SetRate(e->doc.info.request.max_rate);
    runs_.emplace(e->doc.info.id, std::move(e));
  }
  loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<RunEntry*> RunManager::Impl::Find(std::string_view id) {
  RETRO_RETURN_IF_ERROR(EnsureLoaded());
  auto it = runs_.find(id);
  if (it == runs_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no run ", AV(id), " (list the runs with GET /v1/runs)"));
  }
  return it->second.get();
}

absl::Status RunManager::Impl::Persist(RunEntry* e) {
  store::Document d;
  d.kind = std::string(kRunDocKind);
  d.name = e->doc.info.id;
  d.updated = absl::Now();
  d.body = EncodeRunDoc(e->doc);
  return deps_.store->control().PutDocument(d);
}

absl::Status RunManager::Impl::LoadProgress(RunEntry* e) {
  if (e->progress_loaded) return absl::OkStatus();
  if (!e->doc.planned) return absl::OkStatus();
  std::vector<SliceProgress> slices(e->doc.slices.size());
  RETRO_ASSIGN_OR_RETURN(
      auto cps, deps_.store->records().GetCheckpointsWithPrefix(e->doc.info.id,
                                                                kSlicePrefix));
  RETRO_RETURN_IF_ERROR(LoadSlices(cps, &slices));
  e->slices.clear();
  for (SliceProgress& p : slices) {
    auto slot = std::make_unique<SliceSlot>();
    slot->p = std::move(p);
    e->slices.push_back(std::move(slot));
  }
  e->progress_loaded = true;
  return absl::OkStatus();
}

std::vector<std::unique_lock<std::mutex>> RunManager::Impl::LockSlices(
    RunEntry* e, std::vector<const SliceProgress*>* out) {
  std::vector<std::unique_lock<std::mutex>> locks;
  absl::Status st = LoadProgress(e);
  if (!st.ok()) spdlog::error("run {}: {}", e->doc.info.id, st.ToString());
  for (auto& s : e->slices) {
    locks.emplace_back(s->mu);
    out->push_back(&s->p);
  }
  return locks;
}

Counters RunManager::Impl::HandoffCounters(const RunEntry& e) {
  Counters c;
  if (e.doc.info.request.mode == RunMode::kDryRun || !e.doc.has_cutoff) {
    return c;
  }
  auto cps = deps_.store->records().GetCheckpointsWithPrefix(
      e.doc.info.id, pipeline::kHandoffCheckpointPrefix);
  if (!cps.ok()) return c;
  pipeline::HandoffCounts sum;
  for (const auto& [name, value] : *cps) {
    auto h = pipeline::HandoffCounts::Decode(value);
    if (h.ok()) sum.Add(*h);
  }
  c.processed = sum.processed;
  c.matched = sum.matched;
  c.unmatched = sum.unmatched;
  c.dropped = sum.dropped;
  c.errors = sum.errors;
  c.removed = sum.removed;
  return c;
}

void RunManager::Impl::ApplyGates(RunInfo* info) {
  const reprocess::Gates& g = info->request.gates;
  std::vector<std::string>& reasons = info->blocking_reasons;
  reasons.clear();
  double coverage = info->total == 0 ? 1.0
                                     : static_cast<double>(info->scanned) /
                                           static_cast<double>(info->total);
  if (info->total == 0 && !Finished(info->state)) coverage = 0;
  if (coverage < g.min_coverage) {
    reasons.push_back(absl::StrFormat("coverage %.1f%% < %g%%", coverage * 100,
                                      g.min_coverage * 100));
  }
  uint64_t errors = info->counters.errors + info->handoff.errors;
  if (errors > g.max_errors) {
    reasons.push_back(
        absl::StrCat(errors, " errors (max_errors ", g.max_errors, ")"));
  }
  uint64_t removed = info->counters.removed + info->handoff.removed;
  if (g.max_changed_ratio && info->counters.processed > 0) {
    double ratio =
        static_cast<double>(info->counters.changed + info->counters.removed) /
        static_cast<double>(info->counters.processed);
    if (ratio > *g.max_changed_ratio) {
      reasons.push_back(
          absl::StrFormat("changed ratio %.3f > max_changed_ratio %g", ratio,
                          *g.max_changed_ratio));
    }
  }
  if (g.max_removed && removed > *g.max_removed) {
    reasons.push_back(
        absl::StrCat(removed, " removed (max_removed ", *g.max_removed, ")"));
  }
  if (info->request.mode == RunMode::kDryRun) {
    reasons.push_back("a dry run writes nothing to promote");
  }
  info->ready_to_promote =
      info->state == RunState::kSucceeded && reasons.empty();
}

RunInfo RunManager::Impl::Info(RunEntry* e) {
  RunInfo info = e->doc.info;
  std::vector<const SliceProgress*> slices;
  {
    auto locks = LockSlices(e, &slices);
    Totals t = SumSlices(slices);
    info.counters = t.counters;
    info.scanned = t.scanned;
    info.skipped = t.skipped;
  }
  info.handoff = HandoffCounters(*e);
  info.waiting = e->doc.waiting;
  if (e->executing) {
    info.rate = e->rate.load();
    info.current_rate = e->bucket.rate();
    if (info.rate > 0 && info.state == RunState::kRunning) {
      uint64_t left = info.total > info.scanned ? info.total - info.scanned : 0;
      info.eta_seconds = static_cast<double>(left) / info.rate;
    }
  } else {
    info.current_rate = info.request.max_rate;
  }
  ApplyGates(&info);
  return info;
}

void RunManager::Impl::Audit(std::string action, const std::string& id,
                             std::string outcome, std::string details) {
  store::AuditEntry entry;
  entry.time = absl::Now();
  entry.actor = "system";
  entry.action = std::move(action);
  entry.target = absl::StrCat("run/", id);
  entry.outcome = std::move(outcome);
  entry.details = std::move(details);
  auto n = deps_.store->control().AppendAudit(std::move(entry));
  if (!n.ok()) spdlog::error("audit: {}", n.status().ToString());
}

// ---------------------------------------------------------------------------
// Lifecycle of the manager

absl::Status RunManager::Impl::Recover() {
  std::lock_guard<std::mutex> lock(mu_);
  RETRO_RETURN_IF_ERROR(EnsureLoaded());
  for (auto& [id, ep] : runs_) {
    RunEntry* e = ep.get();
    RunDoc& doc = e->doc;
    RunState s = doc.info.state;
    if (doc.info.request.mode == RunMode::kDryRun || !doc.has_cutoff ||
        s == RunState::kDiscarded || s == RunState::kRolledBack) {
      continue;
    }
    auto staging = deps_.store->records().GetStaging(id);
    if (!staging.ok() && !absl::IsNotFound(staging.status())) {
      return staging.status();
    }
    if (!staging.ok()) {
      if (s != RunState::kQueued && s != RunState::kRunning &&
          s != RunState::kPaused) {
        continue;
      }
      // The cutoff was taken (under Quiesce) but the process died before
      // the staging opened: live has processed nothing past the cutoff.
      std::vector<store::StagingTarget> targets;
      for (const RunTarget& t : doc.info.targets) {
        targets.push_back({t.policy, t.target_generation, 0, ""});
      }
      absl::Status st = deps_.store->records().BeginStaging(
          id, std::move(targets), absl::Now());
      if (!st.ok()) {
        doc.info.state = RunState::kFailed;
        doc.info.error = std::string(st.message());
        doc.info.finished = absl::Now();
        RETRO_RETURN_IF_ERROR(Persist(e));
        continue;
      }
    } else {
      // The store's staging state is the truth for promote, rollback and
      // discard (a crash between the store's step and the run document).
      RunState want = s;
      switch (staging->state) {
        case store::StagingState::kStaging:
          break;
        case store::StagingState::kPromoted:
        case store::StagingState::kFolding:
        case store::StagingState::kFolded:
          want = RunState::kPromoted;
          if (s != RunState::kPromoted)
            doc.info.promoted = staging->promoted_at;
          break;
        case store::StagingState::kRolledBack:
          want = RunState::kRolledBack;
          if (s != RunState::kRolledBack) doc.info.rolled_back = absl::Now();
          break;
        case store::StagingState::kDiscarded:
          want = RunState::kDiscarded;
          break;
      }
      if (want != s) {
        doc.info.state = want;
        RETRO_RETURN_IF_ERROR(Persist(e));
      }
      if (staging->state != store::StagingState::kStaging) continue;
    }
    if (!e->compiled) {
      auto compiled = CompileRun(deps_.store, deps_.catalog, doc);
      if (!compiled.ok()) {
        spdlog::error("run {}: cannot re-install its handoff: {}", id,
                      compiled.status().ToString());
        continue;
      }
      e->compiled = *compiled;
    }
    InstallHandoffs(doc, *e->compiled);
  }
  return absl::OkStatus();
}

absl::Status RunManager::Impl::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  RETRO_RETURN_IF_ERROR(EnsureLoaded());
  started_ = true;
  for (auto& [id, e] : runs_) {
    if (Executable(e->doc.info.state) && !e->executing) {
      StartExecution(e.get());
    }
  }
  return absl::OkStatus();
}

void RunManager::Impl::Stop() {
  std::unique_lock<std::mutex> lock(mu_);
  started_ = false;
  for (auto& [id, e] : runs_) {
    StopExecution(e.get(), StopReason::kShutdown, &lock);
    if (e->driver.joinable()) {
      std::thread t = std::move(e->driver);
      lock.unlock();
      t.join();
      lock.lock();
    }
  }
}

void RunManager::Impl::StartExecution(RunEntry* e) {
  if (e->driver.joinable()) e->driver.join();  // a finished execution
  e->stop = static_cast<int>(StopReason::kNone);
  e->bucket.Reset();
  e->bucket.SetRate(e->doc.info.request.max_rate);
  e->rate = 0;
  e->executing = true;
  e->driver = std::thread([this, e] { Drive(e); });
}

void RunManager::Impl::StopExecution(RunEntry* e, StopReason reason,
                                     std::unique_lock<std::mutex>* lock) {
  if (!e->executing) return;
  int none = static_cast<int>(StopReason::kNone);
  e->stop.compare_exchange_strong(none, static_cast<int>(reason));
  e->bucket.Cancel();
  if (e->driver.joinable()) {
    std::thread t = std::move(e->driver);
    lock->unlock();
    t.join();
    lock->lock();
  }
  cv_.wait(*lock, [e] { return !e->executing; });
}

// ---------------------------------------------------------------------------
// Create

absl::Status RunManager::Impl::CheckNoOpenRun(
    const std::vector<std::string>& policies, std::string_view except) {
  for (const auto& [id, e] : runs_) {
    if (id == except) continue;
    const RunInfo& info = e->doc.info;
    if (!IsOpen(info.request.mode, info.state)) continue;
    for (const RunTarget& t : info.targets) {
      if (std::find(policies.begin(), policies.end(), t.policy) !=
          policies.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("policy ", t.policy, " already has an open run: ", id,
                         " (", AV(RunStateName(info.state)),
                         "); promote, discard or cancel it first"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RunInfo> RunManager::Impl::Create(const RunRequest& request,
                                                 std::string_view actor) {
  std::lock_guard<std::mutex> create_lock(create_mu_);
  const absl::Time now = absl::Now();
  RunDoc doc;
  RunInfo& info = doc.info;
  info.request = request;
  RunRequest& r = info.request;
  if (r.from == absl::InfinitePast()) r.from = now - absl::Hours(48);
  if (r.to && *r.to <= r.from) {
    return absl::InvalidArgumentError(
        "'from' must be before 'to': give an earlier from or a later to");
  }
  if (r.parallelism <= 0) {
    r.parallelism =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  r.parallelism = std::min(r.parallelism, 64);
  if (r.max_rate < 0) {
    return absl::InvalidArgumentError(
        "max_rate must be >= 0 (events/s; 0 = unlimited)");
  }
  store::ControlStore& control = deps_.store->control();

  // The source run of a retry.
  std::vector<std::string> source_policies;
  if (!r.retry_errors_of.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    RETRO_ASSIGN_OR_RETURN(RunEntry * src, Find(r.retry_errors_of));
    if (!Finished(src->doc.info.state)) {
      return absl::FailedPreconditionError(
          absl::StrCat("run ", r.retry_errors_of, " is ",
                       AV(RunStateName(src->doc.info.state)),
                       "; retry its errors once it has finished"));
    }
    for (const RunTarget& t : src->doc.info.targets) {
      source_policies.push_back(t.policy);
    }
  }

  // Policies: names, a selector, or the retried run's.
  std::vector<std::string> policies = r.policies;
  if (!r.selector.empty()) {
    if (!policies.empty()) {
      return absl::InvalidArgumentError(
          "give either 'policies' or 'selector', not both");
    }
    RETRO_ASSIGN_OR_RETURN(LabelSelector sel, ParseSelector(r.selector));
    RETRO_ASSIGN_OR_RETURN(auto all, control.ListPolicies());
    for (const store::PolicyInfo& p : all) {
      if (p.deleted || p.latest_generation == 0) continue;
      auto ct = CompileTarget(deps_.store, deps_.catalog, p.name,
                              p.latest_generation);
      if (ct.ok() && sel.Matches(ct->compiled->labels())) {
        policies.push_back(p.name);
      }
    }
    if (policies.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "selector '", r.selector,
          "' matches no policy: check the labels with GET /v1/policies"));
    }
  }
  if (policies.empty()) policies = source_policies;
  if (policies.empty()) {
    return absl::InvalidArgumentError(
        "a run needs 'policies' (names) or a 'selector' (labels)");
  }
  std::sort(policies.begin(), policies.end());
  policies.erase(std::unique(policies.begin(), policies.end()), policies.end());
  r.policies = policies;

  std::vector<CompiledTarget> targets;
  for (const std::string& name : policies) {
    auto p = control.GetPolicy(name);
    if (absl::IsNotFound(p.status()) || (p.ok() && p->deleted)) {
      return absl::NotFoundError(absl::StrCat(
          "no policy '", name, "' (list them with GET /v1/policies)"));
    }
    if (!p.ok()) return p.status();
    info.targets.push_back({name, p->active_generation, p->latest_generation});
    RETRO_ASSIGN_OR_RETURN(
        CompiledTarget ct,
        CompileTarget(deps_.store, deps_.catalog, name, p->latest_generation));
    targets.push_back(std::move(ct));
  }

  // The range against retention.
  absl::Time oldest = deps_.store->events().OldestRetained();
  if (r.retry_errors_of.empty() && oldest != absl::InfinitePast() &&
      r.from < oldest) {
    return absl::OutOfRangeError(absl::StrCat(
        "'from' ",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", r.from, absl::UTCTimeZone()),
        " is before the oldest retained day ",
        absl::FormatTime("%Y-%m-%d", oldest, absl::UTCTimeZone()),
        "; start at or after it"));
  }

  // The types the scan reads.
  if (!r.types.empty()) {
    doc.scan_types = r.types;
  } else {
    std::vector<std::string> present = {"audit", "event"};
    RETRO_ASSIGN_OR_RETURN(auto sources, control.ListDocuments("source"));
    for (const store::Document& d : sources) present.push_back(d.name);
    doc.scan_types = TypesRead(targets, present);
  }
  if (!r.filter.empty()) {
    RETRO_RETURN_IF_ERROR(
        CompileFilter(deps_.catalog, r.filter, doc.scan_types).status());
  }

  std::lock_guard<std::mutex> lock(mu_);
  RETRO_RETURN_IF_ERROR(EnsureLoaded());
  RETRO_RETURN_IF_ERROR(CheckNoOpenRun(policies, ""));
  do {
    info.id = NewRunId(now);
  } while (runs_.contains(info.id));
  info.state = RunState::kQueued;
  info.created_by = std::string(actor);
  info.created = now;
  auto e = std::make_unique<RunEntry>();
  e->doc = std::move(doc);
  RETRO_RETURN_IF_ERROR(Persist(e.get()));
  RunEntry* entry = e.get();
  runs_.emplace(entry->doc.info.id, std::move(e));
  if (started_) StartExecution(entry);
  return Info(entry);
}

// ---------------------------------------------------------------------------
// Execution

void RunManager::Impl::InstallHandoffs(const RunDoc& doc,
                                       const CompiledRun& compiled) {
  if (deps_.handoffs == nullptr) return;
  const RunRequest& r = doc.info.request;
  for (const CompiledTarget& t : compiled.targets) {
    auto h = std::make_shared<pipeline::Handoff>();
    h->run_id = doc.info.id;
    h->policy = t.policy;
    h->generation = t.generation;
    h->set = t.set;
    h->target = t.compiled;
    h->cutoff_seq = doc.info.cutoff_seq;
    h->from = r.from;
    h->to = r.to.value_or(absl::InfiniteFuture());
    for (const std::string& x : doc.scan_types) h->types.insert(x);
    for (const std::string& x : r.tenants) h->tenants.insert(x);
    h->filter_set = compiled.filter_set;
    h->filter = compiled.filter;
    h->purge_unmatched = r.purge_unmatched;
    deps_.handoffs->Set(std::move(h));
  }
}

absl::Status RunManager::Impl::OpenStaging(RunEntry* e,
                                           const CompiledRun& compiled) {
  RunDoc doc;
  {
    std::lock_guard<std::mutex> lock(mu_);
    doc = e->doc;
  }
  const std::string& id = doc.info.id;
  if (doc.info.request.mode == RunMode::kDryRun) {
    if (doc.has_cutoff) return absl::OkStatus();
    std::lock_guard<std::mutex> lock(mu_);
    e->doc.info.cutoff_seq = deps_.store->events().MaxSeq();
    e->doc.has_cutoff = true;
    return Persist(e);
  }
  if (doc.has_cutoff) {
    // Resumed: the staging opened at the first start must still be open.
    auto staging = deps_.store->records().GetStaging(id);
    if (!staging.ok() || staging->state != store::StagingState::kStaging) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the staging area of run ", id,
          " is no longer open; discard the run and start a new one"));
    }
    InstallHandoffs(doc, compiled);
    return absl::OkStatus();
  }
  // Cutoff, staging and handoff in one step as far as live processing can
  // tell: no live batch commits in between, so every event after the cutoff
  // is dual-written. The cutoff is persisted first: after a crash, Recover
  // opens the staging before live processing starts.
  auto quiet = deps_.live->Quiesce();
  uint64_t cutoff = deps_.store->events().MaxSeq();
  {
    std::lock_guard<std::mutex> lock(mu_);
    e->doc.info.cutoff_seq = cutoff;
    e->doc.has_cutoff = true;
    RETRO_RETURN_IF_ERROR(Persist(e));
    doc = e->doc;
  }
  std::vector<store::StagingTarget> targets;
  for (const RunTarget& t : doc.info.targets) {
    targets.push_back({t.policy, t.target_generation, 0, ""});
  }
  RETRO_RETURN_IF_ERROR(
      deps_.store->records().BeginStaging(id, std::move(targets), absl::Now()));
  InstallHandoffs(doc, compiled);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RunManager::Impl::RetryKeys(
    const RunDoc& doc) {
  RETRO_ASSIGN_OR_RETURN(auto cps,
                         deps_.store->records().GetCheckpointsWithPrefix(
                             doc.info.request.retry_errors_of, kErrorPrefix));
  std::vector<std::string> keys;
  keys.reserve(cps.size());
  for (auto& [name, value] : cps)
    keys.push_back(name.substr(kErrorPrefix.size()));
  return keys;
}

absl::Status RunManager::Impl::Plan(RunEntry* e, const CompiledRun& compiled) {
  RunDoc doc;
  {
    std::lock_guard<std::mutex> lock(mu_);
    doc = e->doc;
  }
  const RunRequest& r = doc.info.request;
  const size_t max_slices =
      std::max<size_t>(1, static_cast<size_t>(options_.target_slices));
  auto slice_count = [&](uint64_t total) {
    uint64_t want = (total + kMinSliceEvents - 1) / kMinSliceEvents;
    want = std::max<uint64_t>(want, static_cast<uint64_t>(r.parallelism));
    return static_cast<size_t>(std::min<uint64_t>(want, max_slices));
  };
  uint64_t total = 0;
  std::vector<SlicePlan> slices;
  if (!r.retry_errors_of.empty()) {
    RETRO_ASSIGN_OR_RETURN(std::vector<std::string> keys, RetryKeys(doc));
    total = keys.size();
    size_t n = std::max<size_t>(
        1, std::min<size_t>(slice_count(total), std::max<size_t>(1, total)));
    for (size_t i = 0; i < n; ++i) {
      SlicePlan p;
      p.begin = total * i / n;
      p.end = total * (i + 1) / n;
      slices.push_back(p);
    }
  } else {
    store::EventFilter f;
    f.from = r.from;
    f.to = r.to.value_or(absl::InfiniteFuture());
    for (const std::string& t : doc.scan_types) f.types.insert(t);
    for (const std::string& t : r.tenants) f.tenants.insert(t);
    RETRO_ASSIGN_OR_RETURN(store::EventTotals totals,
                           deps_.store->events().Count(f));
    total = totals.total;
    // Count's snapshot may hold events past the cutoff: take them out.
    uint64_t after = doc.info.cutoff_seq;
    while (after < totals.cutoff_seq) {
      RETRO_ASSIGN_OR_RETURN(
          std::vector<store::Event> page,
          deps_.store->events().ScanSeq(after, totals.cutoff_seq, 4096));
      if (page.empty()) break;
      for (const store::Event& ev : page) {
        if (ev.time >= f.from && ev.time < f.to &&
            (f.types.empty() || f.types.contains(ev.type)) &&
            (f.tenants.empty() || f.tenants.contains(ev.tenant)) && total > 0) {
          --total;
        }
      }
      after = page.back().seq;
    }
    RETRO_ASSIGN_OR_RETURN(std::vector<store::HourCount> hours,
                           deps_.store->events().HourlyCounts(f));
    slices = CutSlices(f.from, f.to, hours, total, slice_count(total));
  }
  std::lock_guard<std::mutex> lock(mu_);
  e->doc.info.total = total;
  e->doc.slices = std::move(slices);
  e->doc.planned = true;
  e->progress_loaded = false;
  e->slices.clear();
  return Persist(e);
}

absl::Status RunManager::Impl::Execute(RunEntry* e) {
  auto stopped = [e] { return e->stop.load() != 0; };
  std::shared_ptr<const CompiledRun> compiled;
  {
    std::lock_guard<std::mutex> lock(mu_);
    compiled = e->compiled;
  }
  if (!compiled) {
    RunDoc doc;
    {
      std::lock_guard<std::mutex> lock(mu_);
      doc = e->doc;
    }
    RETRO_ASSIGN_OR_RETURN(compiled,
                           CompileRun(deps_.store, deps_.catalog, doc));
    std::lock_guard<std::mutex> lock(mu_);
    e->compiled = compiled;
  }
  RETRO_RETURN_IF_ERROR(OpenStaging(e, *compiled));

  // Live ingest's append p99 before the run's workers start: the adaptive
  // throttle keeps it within adaptive_append_factor of this.
  const int64_t append_baseline =
      deps_.live->RecentAppendNanos(options_.adaptive_append_min_samples);

  // The visible records the run compares with must include every event up
  // to the cutoff.
  uint64_t cutoff;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cutoff = e->doc.info.cutoff_seq;
  }
  while (!deps_.live->WaitProcessed(cutoff, absl::Milliseconds(200))) {
    if (stopped()) return absl::OkStatus();
    std::lock_guard<std::mutex> lock(mu_);
    e->doc.waiting = absl::StrCat(
        "waiting for live processing to reach the cutoff (seq ", cutoff, ")");
  }
  if (stopped()) return absl::OkStatus();

  bool planned;
  {
    std::lock_guard<std::mutex> lock(mu_);
    planned = e->doc.planned;
  }
  if (!planned) RETRO_RETURN_IF_ERROR(Plan(e, *compiled));

  ExecContext ctx;
  std::vector<SliceSlot*> pending;
  std::vector<SlicePlan> plans;
  int parallelism;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RETRO_RETURN_IF_ERROR(LoadProgress(e));
    RunDoc& doc = e->doc;
    const RunRequest& r = doc.info.request;
    doc.waiting.clear();
    if (doc.info.state != RunState::kRunning) {
      doc.info.state = RunState::kRunning;
      if (doc.info.started == absl::InfinitePast()) {
        doc.info.started = absl::Now();
      }
      RETRO_RETURN_IF_ERROR(Persist(e));
    }
    ctx.run_id = doc.info.id;
    ctx.stage = r.mode != RunMode::kDryRun;
    ctx.purge_unmatched = r.purge_unmatched;
    ctx.cutoff_seq = doc.info.cutoff_seq;
    ctx.compiled = compiled;
    for (const std::string& t : doc.scan_types) ctx.types.insert(t);
    for (const std::string& t : r.tenants) ctx.tenants.insert(t);
    ctx.samples_per_category = options_.samples_per_category;
    ctx.issues_kept = options_.issues_kept;
    ctx.retry = !r.retry_errors_of.empty();
    plans = doc.slices;
    parallelism = r.parallelism;
    uint64_t scanned = 0;
    for (auto& s : e->slices) {
      scanned += s->p.scanned;
      if (!s->p.done) pending.push_back(s.get());
    }
    e->scanned_live = scanned;
  }
  if (ctx.retry) {
    RunDoc doc;
    {
      std::lock_guard<std::mutex> lock(mu_);
      doc = e->doc;
    }
    RETRO_ASSIGN_OR_RETURN(ctx.retry_keys, RetryKeys(doc));
    for (const SlicePlan& p : plans) {
      if (p.end > ctx.retry_keys.size()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the errors of run ", doc.info.request.retry_errors_of,
            " changed since this run was planned; start a new retry run"));
      }
    }
  }

  // Index of each pending slot in the plan.
  std::vector<size_t> indices;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (SliceSlot* s : pending) {
      for (size_t i = 0; i < e->slices.size(); ++i) {
        if (e->slices[i].get() == s) indices.push_back(i);
      }
    }
  }
  std::atomic<size_t> next{0};
  // Workers still going; the last one to end wakes the tick loop below.
  int active = 0;
  std::mutex active_mu;
  std::condition_variable active_cv;
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  absl::Status error;
  auto halted = [&] { return stopped() || failed.load(); };
  auto work = [&] {
    if (options_.idle_workers) YieldToEveryThread();
    SliceWorker worker(&ctx, deps_.store);
    while (!halted()) {
      size_t k = next.fetch_add(1);
      if (k >= pending.size()) break;
      SliceSlot* slot = pending[k];
      const size_t index = indices[k];
      bool done = false;
      while (!done && !halted()) {
        size_t n = options_.batch_events;
        uint64_t suggested = e->bucket.SuggestedBatch();
        if (suggested > 0) n = std::min<size_t>(n, suggested);
        if (!e->bucket.Acquire(n)) break;
        std::lock_guard<std::mutex> lock(slot->mu);
        auto read = worker.RunBatch(index, plans[index], n, &slot->p);
        if (!read.ok()) {
          std::lock_guard<std::mutex> el(error_mu);
          if (error.ok()) error = read.status();
          failed = true;
          e->bucket.Cancel();
          return;
        }
        e->scanned_live += *read;
        done = slot->p.done;
      }
    }
  };
  const int n_threads = static_cast<int>(
      std::min<size_t>(pending.size(), static_cast<size_t>(parallelism)));
  std::vector<std::thread> threads;
  active = n_threads;
  for (int i = 0; i < n_threads; ++i) {
    threads.emplace_back([&] {
      pthread_setname_np(pthread_self(), "retro-run");  // for top and perf
      work();
      std::lock_guard<std::mutex> lock(active_mu);
      if (--active == 0) active_cv.notify_all();
    });
  }
  // Rate, and the adaptive throttle, every tick until the workers end. The
  // run ends when its last worker does, not at the next tick (a 1 M-event
  // run takes about ten ticks).
  auto last_time = std::chrono::steady_clock::now();
  uint64_t last_scanned = e->scanned_live.load();
  double ema = 0;
  const int64_t append_limit = static_cast<int64_t>(
      static_cast<double>(append_baseline) * options_.adaptive_append_factor);
  // After a cut for slow appends the rate holds, and the next look waits
  // until the window holds only appends made at the new rate.
  auto appends_looked = last_time - kAppendWindow;
  bool appends_slow = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(active_mu);
      if (active_cv.wait_until(lock, last_time + kTick,
                               [&] { return active == 0; })) {
        break;
      }
    }
    auto now = std::chrono::steady_clock::now();
    double dt = std::chrono::duration<double>(now - last_time).count();
    uint64_t scanned = e->scanned_live.load();
    double inst = dt > 0 ? static_cast<double>(scanned - last_scanned) / dt : 0;
    ema = ema == 0 ? inst : 0.8 * ema + 0.2 * inst;
    e->rate = ema;
    last_time = now;
    last_scanned = scanned;
    bool adaptive;
    double max_rate;
    {
      std::lock_guard<std::mutex> lock(mu_);
      adaptive = e->doc.info.request.adaptive;
      max_rate = e->doc.info.request.max_rate;
    }
    if (adaptive && !stopped()) {
      AimdInput in;
      in.lag_nanos = deps_.live->RecentLagNanos();
      in.queue_depth = deps_.live->depth();
      in.queue_capacity = std::max<size_t>(1, options_.live_queue_capacity);
      in.observed_rate = ema;
      if (append_limit > 0 && now - appends_looked >= kAppendWindow) {
        appends_slow = deps_.live->RecentAppendNanos(
                           options_.adaptive_append_min_samples) > append_limit;
        in.appends_slow = appends_slow;
        if (appends_slow) appends_looked = now;
      } else {
        in.hold = appends_slow;
      }
      double next_rate = AimdStep(e->bucket.rate(), max_rate, in,
                                  options_.adaptive_lag_target);
      if (next_rate != e->bucket.rate()) e->bucket.SetRate(next_rate);
    }
  }
  for (std::thread& t : threads) t.join();
  std::lock_guard<std::mutex> el(error_mu);
  return error;
}

void RunManager::Impl::Drive(RunEntry* e) {
  absl::Status st = Execute(e);
  Finish(e, st);
}

void RunManager::Impl::Finish(RunEntry* e, const absl::Status& status) {
  bool promote = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RunDoc& doc = e->doc;
    RunInfo& info = doc.info;
    const auto reason = static_cast<StopReason>(e->stop.load());
    bool all_done = doc.planned && e->progress_loaded;
    for (auto& s : e->slices) {
      std::lock_guard<std::mutex> sl(s->mu);
      all_done = all_done && s->p.done;
    }
    doc.waiting.clear();
    bool changed = true;
    if (!status.ok()) {
      info.state = RunState::kFailed;
      info.error = std::string(status.message());
      info.finished = absl::Now();
      Audit("run.fail", info.id, absl::StrCat("error: ", info.error), "");
      spdlog::error("run {} failed: {}", info.id, info.error);
    } else if (all_done) {
      info.state = RunState::kSucceeded;
      info.finished = absl::Now();
      promote = info.request.mode == RunMode::kDirect;
    } else if (reason == StopReason::kPause) {
      info.state = RunState::kPaused;
    } else if (reason == StopReason::kCancel) {
      info.state = RunState::kCancelled;
      info.finished = absl::Now();
    } else {
      changed = false;  // shutdown: resumes on the next Start
    }
    if (changed) {
      absl::Status st = Persist(e);
      if (!st.ok()) spdlog::error("run {}: {}", info.id, st.ToString());
    }
    if (promote) {
      RunInfo now = Info(e);
      promote = now.ready_to_promote;
      if (!promote) {
        Audit("run.promote", info.id, "blocked",
              absl::StrJoin(now.blocking_reasons, "; "));
      }
    }
  }
  cv_.notify_all();
  if (promote) {
    auto promoted = PromoteNow(e, false);
    Audit("run.promote", e->doc.info.id,
          promoted.ok() ? "ok"
                        : absl::StrCat("error: ", promoted.status().message()),
          "direct mode: the gates passed");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    e->executing = false;
  }
  cv_.notify_all();
}

// ---------------------------------------------------------------------------
// Reads

absl::StatusOr<RunInfo> RunManager::Impl::Get(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  RETRO_ASSIGN_OR_RETURN(RunEntry * e, Find(id));
  return Info(e);
}

absl::StatusOr<RunList> RunManager::Impl::List(const RunListQuery& query) {
  std::lock_guard<std::mutex> lock(mu_);
  RETRO_RETURN_IF_ERROR(EnsureLoaded());
  RunList out;
  size_t limit =
      std::clamp<size_t>(query.limit == 0 ? 50 : query.limit, 1, 1000);
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    const RunInfo& info = it->second->doc.info;
    if (!query.cursor.empty() && info.id >= query.cursor) continue;
    if (!query.state.empty() && RunStateName(info.state) != query.state) {
      continue;
    }
    if (!query.policy.empty() &&
        std::none_of(
            info.targets.begin(), info.targets.end(),
            [&](const RunTarget& t) { return t.policy == query.policy; })) {
      continue;
    }
    if (out.runs.size() == limit) {
      out.next_cursor = out.runs.back().id;
      break;
    }
    out.runs.push_back(Info(it->second.get()));
  }
  return out;
}

absl::StatusOr<Diff> RunManager::Impl::GetDiff(std::string_view id,
                                               size_t samples) {
  std::lock_guard<std::mutex> lock(mu_);
  RETRO_ASSIGN_OR_RETURN(RunEntry * e, Find(id));
  if (samples == 0 || samples > options_.samples_per_category) {
    samples = options_.samples_per_category;
  }
  std::vector<const SliceProgress*> slices;
  auto locks = LockSlices(e, &slices);
  Diff d = MergeDiff(slices, samples);
  // Finish() sets an ended state only once the workers have joined, so the
  // slices no longer change (a direct run may still be promoting itself).
  d.final = Finished(e->doc.info.state);
  return d;
}

absl::StatusOr<ErrorReport> RunManager::Impl::GetErrors(std::string_view id,
                                                        size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  RETRO_ASSIGN_OR_RETURN(RunEntry * e, Find(id));
  if (limit == 0 || limit > options_.issues_kept) limit = options_.issues_kept;
  std::vector<const SliceProgress*> slices;
  auto locks = LockSlices(e, &slices);
  return MergeErrors(slices, limit);
}

// ---------------------------------------------------------------------------
// Actions

absl::Status RunManager::Impl::PauseEntry(RunEntry* e,
                                          std::unique_lock<std::mutex>* lock) {
  if (e->executing) {
    StopExecution(e, StopReason::kPause, lock);
    return absl::OkStatus();
  }
  e->doc.info.state = RunState::kPaused;
  return Persist(e);
}

absl::StatusOr<RunInfo> RunManager::Impl::Pause(std::string_view id) {
  std::unique_lock<std::mutex> lock(mu_);
  RETRO_ASSIGN_OR_RETURN(RunEntry * e, Find(id));
  RunInfo& info = e->doc.info;
  if (info.state == RunState::kPaused) return Info(e);
  if (!Executable(info.state)) {
    return absl::FailedPreconditionError(
        StateError(info, "pause", "queued or running"));
  }
  RETRO_RETURN_IF_ERROR(PauseEntry(e, &lock));
  return Info(e);
}

absl::StatusOr<RunInfo> RunManager::Impl::Resume(std::string_view id) {
  std::lock_guard<std::mutex> create_lock(create_mu_);
  std::unique_lock<std::mutex> lock(mu_);
  RETRO_ASSIGN_OR_RETURN(RunEntry * e, Find(id));
  RunInfo& info = e->doc.info;
  if (info.state != RunState::kPaused && info.state != RunState::kFailed &&
      info.state != RunState::kCancelled) {
    return absl::FailedPreconditionError(
        StateError(info, "resume", "paused, failed or cancelled"));
  }
  if (e->executing) StopExecution(e, StopReason::kShutdown, &lock);
  for (const RunTarget& t : info.targets) {
    auto p = deps_.store->control().GetPolicy(t.policy);
    if (!p.ok() || p->deleted) {
      return absl::FailedPreconditionError(absl::StrCat(
          "policy ", t.policy, " no longer exists; discard the run"));
    }
    if (p->latest_generation != t.target_generation) {
      return absl::FailedPreconditionError(absl::StrCat(
          "policy ", t.policy, " is at generation ", p->latest_generation,
          " now but the run targets generation ", t.target_generation,
          "; discard it and start a new run"));
    }
  }
  if (info.request.mode == RunMode::kDryRun) {
    std::vector<std::string> policies;
    for (const RunTarget& t : info.targets) policies.push_back(t.policy);
    RETRO_RETURN_IF_ERROR(CheckNoOpenRun(policies, info.id));
  }
  info.state = e->doc.planned ? RunState::kRunning : RunState::kQueued;
  info.error.clear();
  info.finished = absl::InfinitePast();
  e->progress_loaded = false;  // a failed batch may have left memory ahead
  e->slices.clear();
  RETRO_RETURN_IF_ERROR(Persist(e));
  if (started_) StartExecution(e);
  return Info(e);
}

absl::StatusOr<RunInfo> RunManager::Impl::Cancel(std::string_view id) {
  std::unique_lock<std::mutex> lock(mu_);
  RETRO_ASSIGN_OR_RETURN(RunEntry * e, Find(id));
  RunInfo& info = e->doc.info;
  if (!Executable(info.state) && info.state != RunState::kPaused) {
    return absl::FailedPreconditionError(
        StateError(info, "cancel", "queued, running or paused"));
  }
  if (e->executing) {
    StopExecution(e, StopReason::kCancel, &lock);
  }
  if (!Finished(info.state)) {
    info.state = RunState::kCancelled;
    info.finished = absl::Now();
    RETRO_RETURN_IF_ERROR(Persist(e));
  }
  return Info(e);
}

absl::StatusOr<RunInfo> RunManager::Impl::Rethrottle(
    std::string_view id, double max_rate, std::optional<bool> adaptive) {
  std::unique_lock<std::mutex> lock(mu_);
  RETRO_ASSIGN_OR_RETURN(RunEntry * e, Find(id));
  RunInfo& info = e->doc.info;
  if (!Executable(info.state) && info.state != RunState::kPaused) {
    return absl::FailedPreconditionError(
        StateError(info, "rethrottle", "queued, running or paused"));
  }
  if (std::isnan(max_rate)) {
    return absl::InvalidArgumentError("max_rate must be a number");
  }
  if (adaptive) info.request.adaptive = *adaptive;
  if (max_rate > 0) {
    info.request.max_rate = std::isinf(max_rate) ? 0 : max_rate;
    e->bucket.SetRate(info.request.max_rate);
  }
  RETRO_RETURN_IF_ERROR(Persist(e));
  if (max_rate == 0 && Executable(info.state)) {
    RETRO_RETURN_IF_ERROR(PauseEntry(e, &lock));
  }
  return Info(e);
}

absl::StatusOr<RunInfo> RunManager::Impl::PromoteNow(RunEntry* e, bool forced) {
  const std::string id = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    return e->doc.info.id;
  }();
  {
    auto quiet = deps_.live->Quiesce();
    RETRO_RETURN_IF_ERROR(deps_.store->records().Promote(id, absl::Now()));
    if (deps_.handoffs) deps_.handoffs->Remove(id);
    absl::Status st = deps_.catalog->Reload();
    if (!st.ok())
      spdlog::error("run {}: catalog reload: {}", id, st.ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  e->doc.info.state = RunState::kPromoted;
  e->doc.info.promoted = absl::Now();
  e->doc.info.forced = forced;
  RETRO_RETURN_IF_ERROR(Persist(e));
  cv_.notify_all();
  return Info(e);
}

absl::StatusOr<RunInfo> RunManager::Impl::Promote(std::string_view id,
                                                  bool force,
                                                  std::string_view) {
  RunEntry* e;
  bool forced = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RETRO_ASSIGN_OR_RETURN(e, Find(id));
    RunInfo info = Info(e);
    if (info.state != RunState::kSucceeded ||
        info.request.mode == RunMode::kDryRun) {
      return absl::FailedPreconditionError(
          info.request.mode == RunMode::kDryRun &&
                  info.state == RunState::kSucceeded
              ? absl::StrCat("run ", info.id,
                             " is a dry run: it wrote nothing to promote; "
                             "start a shadow run")
              : StateError(info, "promote", "succeeded"));
    }
    if (!info.ready_to_promote) {
      if (!force) {
        return absl::FailedPreconditionError(
            absl::StrCat("run ", info.id, " is blocked by its gates: ",
                         absl::StrJoin(info.blocking_reasons, "; "),
                         " (an admin may force the promote)"));
      }
      forced = true;
    }
  }
  return PromoteNow(e, forced);
}

absl::StatusOr<RunInfo> RunManager::Impl::Discard(std::string_view id) {
  RunEntry* e;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RETRO_ASSIGN_OR_RETURN(e, Find(id));
    RunInfo& info = e->doc.info;
    if (info.state != RunState::kSucceeded && info.state != RunState::kFailed &&
        info.state != RunState::kCancelled) {
      return absl::FailedPreconditionError(
          StateError(info, "discard", "succeeded, failed or cancelled"));
    }
    if (info.request.mode == RunMode::kDryRun || !e->doc.has_cutoff) {
      info.state = RunState::kDiscarded;
      RETRO_RETURN_IF_ERROR(Persist(e));
      return Info(e);
    }
  }
  {
    auto quiet = deps_.live->Quiesce();
    auto staging = deps_.store->records().GetStaging(id);
    if (staging.ok() && staging->state == store::StagingState::kStaging) {
      RETRO_RETURN_IF_ERROR(deps_.store->records().Discard(id));
    } else if (!staging.ok() && !absl::IsNotFound(staging.status())) {
      return staging.status();
    }
    if (deps_.handoffs) deps_.handoffs->Remove(id);
  }
  std::lock_guard<std::mutex> lock(mu_);
  e->doc.info.state = RunState::kDiscarded;
  RETRO_RETURN_IF_ERROR(Persist(e));
  return Info(e);
}

absl::StatusOr<RunInfo> RunManager::Impl::Rollback(std::string_view id) {
  RunEntry* e;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RETRO_ASSIGN_OR_RETURN(e, Find(id));
    if (e->doc.info.state != RunState::kPromoted) {
      return absl::FailedPreconditionError(
          StateError(e->doc.info, "rollback", "promoted"));
    }
  }
  {
    auto quiet = deps_.live->Quiesce();
    RETRO_RETURN_IF_ERROR(deps_.store->records().Rollback(id, absl::Now()));
    absl::Status st = deps_.catalog->Reload();
    if (!st.ok())
      spdlog::error("run {}: catalog reload: {}", id, st.ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  e->doc.info.state = RunState::kRolledBack;
  e->doc.info.rolled_back = absl::Now();
  RETRO_RETURN_IF_ERROR(Persist(e));
  return Info(e);
}

std::vector<Insight> RunManager::Impl::Insights() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Insight> out;
  if (!EnsureLoaded().ok()) return out;
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    RunEntry* e = it->second.get();
    const RunInfo& doc = e->doc.info;
    if (doc.state == RunState::kDiscarded) continue;
    std::vector<std::string> names;
    for (const RunTarget& t : doc.targets) names.push_back(t.policy);
    const std::string policy = absl::StrJoin(names, ",");
    if (doc.state == RunState::kFailed) {
      out.push_back({"run_failed", "critical", doc.id, policy,
                     absl::StrCat("run ", doc.id, " failed: ", doc.error),
                     doc.finished});
      continue;
    }
    if (!Finished(doc.state)) continue;
    RunInfo info = Info(e);
    uint64_t had_visible = 0;
    {
      std::vector<const SliceProgress*> slices;
      auto locks = LockSlices(e, &slices);
      for (const SliceProgress* s : slices) {
        for (const auto& [k, n] : s->transitions) {
          size_t a = k.find('\x1f');
          if (k.size() > a + 1 && k[a + 1] != '\x1f') had_visible += n;
        }
      }
    }
    if (info.counters.matched + info.handoff.matched == 0 && had_visible > 0) {
      out.push_back({"no_output", "critical", doc.id, policy,
                     absl::StrCat("run ", doc.id, " produced no records where ",
                                  had_visible,
                                  " visible records exist: the target "
                                  "generation matches nothing"),
                     doc.finished});
    }
    uint64_t processed = info.counters.processed + info.handoff.processed;
    uint64_t errors = info.counters.errors + info.handoff.errors;
    if (processed > 0 &&
        static_cast<double>(errors) / static_cast<double>(processed) >
            options_.insight_error_rate) {
      out.push_back(
          {"error_rate", "warning", doc.id, policy,
           absl::StrFormat("run %s: %d of %d events errored (%.1f%% > %g%%)",
                           doc.id, errors, processed,
                           100.0 * static_cast<double>(errors) /
                               static_cast<double>(processed),
                           options_.insight_error_rate * 100),
           doc.finished});
    }
  }
  return out;
}

RunManager::Stats RunManager::Impl::GetStats() {
  std::lock_guard<std::mutex> lock(mu_);
  RunManager::Stats out;
  constexpr RunState kStates[] = {
      RunState::kQueued,    RunState::kRunning,   RunState::kPaused,
      RunState::kSucceeded, RunState::kFailed,    RunState::kCancelled,
      RunState::kPromoted,  RunState::kDiscarded, RunState::kRolledBack};
  std::array<uint64_t, std::size(kStates)> counts{};
  if (!EnsureLoaded().ok()) return out;
  for (const auto& [id, entry] : runs_) {
    const RunState state = entry->doc.info.state;
    ++counts[static_cast<size_t>(state)];
    if (state != RunState::kQueued && state != RunState::kRunning &&
        state != RunState::kPaused) {
      continue;
    }
    RunInfo info = Info(entry.get());
    std::vector<std::string> names;
    for (const RunTarget& t : info.targets) names.push_back(t.policy);
    out.open.push_back({info.id, absl::StrJoin(names, ","),
                        std::string(RunStateName(state)),
                        info.total == 0 ? 0
                                        : static_cast<double>(info.scanned) /
                                              static_cast<double>(info.total),
                        info.rate});
  }
  for (RunState s : kStates) {
    out.by_state.emplace_back(std::string(RunStateName(s)),
                              counts[static_cast<size_t>(s)]);
  }
  return out;
}

absl::StatusOr<RunInfo> RunManager::Impl::Wait(std::string_view id,
                                               absl::Duration timeout) {
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  std::unique_lock<std::mutex> lock(mu_);
  RETRO_ASSIGN_OR_RETURN(RunEntry * e, Find(id));
  cv_.wait_until(lock, deadline, [e] {
    return !Executable(e->doc.info.state) &&
           !(e->executing && e->doc.info.request.mode == RunMode::kDirect &&
             e->doc.info.state == RunState::kSucceeded);
  });
  return Info(e);
}

// ---------------------------------------------------------------------------

RunManager::RunManager(Deps deps, RunManagerOptions options)
    : impl_(std::make_unique<Impl>(deps, std::move(options))) {}
RunManager::~RunManager() = default;
absl::Status RunManager::Recover() { return impl_->Recover(); }
absl::Status RunManager::Start() { return impl_->Start(); }
void RunManager::Stop() { impl_->Stop(); }
absl::StatusOr<RunInfo> RunManager::Create(const RunRequest& request,
                                           std::string_view actor) {
  return impl_->Create(request, actor);
}
absl::StatusOr<RunInfo> RunManager::Get(std::string_view id) {
  return impl_->Get(id);
}
absl::StatusOr<RunList> RunManager::List(const RunListQuery& query) {
  return impl_->List(query);
}
absl::StatusOr<Diff> RunManager::GetDiff(std::string_view id,
                                         size_t samples_per_category) {
  return impl_->GetDiff(id, samples_per_category);
}
absl::StatusOr<ErrorReport> RunManager::GetErrors(std::string_view id,
                                                  size_t limit) {
  return impl_->GetErrors(id, limit);
}
absl::StatusOr<RunInfo> RunManager::Pause(std::string_view id,
                                          std::string_view) {
  return impl_->Pause(id);
}
absl::StatusOr<RunInfo> RunManager::Resume(std::string_view id,
                                           std::string_view) {
  return impl_->Resume(id);
}
absl::StatusOr<RunInfo> RunManager::Cancel(std::string_view id,
                                           std::string_view) {
  return impl_->Cancel(id);
}
absl::StatusOr<RunInfo> RunManager::Rethrottle(std::string_view id,
                                               double max_rate,
                                               std::optional<bool> adaptive,
                                               std::string_view) {
  return impl_->Rethrottle(id, max_rate, adaptive);
}
absl::StatusOr<RunInfo> RunManager::Promote(std::string_view id, bool force,
                                            std::string_view actor) {
  return impl_->Promote(id, force, actor);
}
absl::StatusOr<RunInfo> RunManager::Discard(std::string_view id,
                                            std::string_view) {
  return impl_->Discard(id);
}
absl::StatusOr<RunInfo> RunManager::Rollback(std::string_view id,
                                             std::string_view) {
  return impl_->Rollback(id);
}
std::vector<Insight> RunManager::Insights() { return impl_->Insights(); }
RunManager::Stats RunManager::GetStats() { return impl_->GetStats(); }
absl::StatusOr<RunInfo> RunManager::Wait(std::string_view id,
                                         absl::Duration timeout) {
  return impl_->Wait(id, timeout);
}

}  // namespace retro::reprocess
