#include "pipeline/live_processor.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/hash.h"
#include "base/log.h"
#include "pipeline/handoff_writer.h"
#include "pipeline/record_convert.h"
#include "policy/evaluator.h"

namespace retro::pipeline {
namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr size_t kMaxEventsPerCommit = 4096;

}  // namespace

LiveProcessor::LiveProcessor(store::Store* store, Catalog* catalog,
                             Metrics* metrics, LiveOptions options,
                             HandoffRegistry* handoffs)
    : store_(store),
      catalog_(catalog),
      metrics_(metrics),
      options_(options),
      handoffs_(handoffs) {
  if (options_.workers < 1) options_.workers = 1;
}

LiveProcessor::~LiveProcessor() { Stop(); }

std::string LiveProcessor::CursorName(int i) const {
  return absl::StrCat("live/", i, "of", options_.workers);
}

std::string LiveProcessor::HandoffCheckpointName(int i) const {
  return absl::StrCat(base::AV(kHandoffCheckpointPrefix), i, "of",
                      options_.workers);
}

absl::Status LiveProcessor::Start() {
  uint64_t min_cursor = UINT64_MAX;
  for (int i = 0; i < options_.workers; ++i) {
    auto w = std::make_unique<Worker>();
    auto cursor = store_->records().GetCursor(CursorName(i));
    if (!cursor.ok()) return cursor.status();
    w->cursor = *cursor;
    w->done = *cursor;
    min_cursor = std::min(min_cursor, w->cursor);
    workers_.push_back(std::move(w));
  }
  for (int i = 0; i < options_.workers; ++i) {
    workers_[i]->thread = std::thread([this, i] { RunWorker(i); });
  }
  uint64_t to = store_->events().MaxSeq();
  if (to > min_cursor) {
    recovering_ = true;
    recovery_pending_ = to - min_cursor;
    recovery_ =
        std::thread([this, min_cursor, to] { Recover(min_cursor, to); });
  }
  return absl::OkStatus();
}

void LiveProcessor::Stop() {
  stopping_ = true;
  if (recovery_.joinable()) recovery_.join();
  for (auto& w : workers_) {
    { std::lock_guard<std::mutex> lock(w->mu); }
    w->cv.notify_all();
    if (w->thread.joinable()) w->thread.join();
  }
}

bool LiveProcessor::HasRoom(size_t n) const {
  return depth_.load() + n <= options_.queue_capacity;
}

int LiveProcessor::PartitionOf(const store::Event& e) const {
  std::string key;
  key.reserve(e.type.size() + 1 + e.id.size());
  key.append(e.type).push_back('\0');
  key.append(e.id);
  return static_cast<int>(base::Hash64(key) %
                          static_cast<uint64_t>(options_.workers));
}

void LiveProcessor::Submit(std::vector<LiveEvent> events,
                           uint64_t through_seq) {
  Dispatch(std::move(events), through_seq);
}

void LiveProcessor::Dispatch(std::vector<LiveEvent> events,
                             uint64_t through_seq) {
  std::vector<std::vector<LiveEvent>> parts(options_.workers);
  for (LiveEvent& e : events) {
    parts[PartitionOf(e.event)].push_back(std::move(e));
  }
  depth_ += events.size();
  metrics_->queue_depth->Set(static_cast<double>(depth_.load()));
  for (int i = 0; i < options_.workers; ++i) {
    Worker& w = *workers_[i];
    {
      std::lock_guard<std::mutex> lock(w.mu);
      if (!w.queue.empty() && w.queue.back().events.empty() &&
          parts[i].empty()) {
        w.queue.back().through_seq = through_seq;  // coalesce cursor moves
      } else {
        w.queue.push_back({std::move(parts[i]), through_seq});
      }
    }
    w.cv.notify_one();
  }
}

void LiveProcessor::Recover(uint64_t from, uint64_t to) {
  uint64_t after = from;
  while (!stopping_ && after < to) {
    auto page = store_->events().ScanSeq(after, to, 2048);
    if (!page.ok()) {
      spdlog::error("live recovery: {}; retrying", page.status().ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    uint64_t through = page->empty() ? to : page->back().seq;
    if (page->size() < 2048) through = to;
    while (!stopping_ && !HasRoom(page->size())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::vector<LiveEvent> events;
    events.reserve(page->size());
    for (store::Event& e : *page) events.push_back({std::move(e), 0});
    {
      // Per page, like a worker's batch: a Quiesce holder sees no page
      // half handed over.
      std::shared_lock<std::shared_mutex> batch_lock = LockBatch();
      Dispatch(std::move(events), through);
    }
    after = through;
    recovery_pending_ = to - after;
    metrics_->live_cursor_lag->Set(static_cast<double>(to - after));
  }
  recovering_ = false;
  idle_cv_.notify_all();
}

std::shared_lock<std::shared_mutex> LiveProcessor::LockBatch() {
  while (quiesce_waiting_.load(std::memory_order_acquire) > 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return std::shared_lock<std::shared_mutex>(batch_mu_);
}

void LiveProcessor::RunWorker(int index) {
  Worker& w = *workers_[index];
  const std::string cursor_name = CursorName(index);
  HandoffWriter handoff(&store_->records(), HandoffCheckpointName(index));
  std::shared_ptr<const CatalogSnapshot> snap;
  std::unique_ptr<policy::Evaluator> evaluator;
  std::string scratch;
  std::vector<WorkItem> items;
  // Per policy of the snapshot: the current event's outcome kind (read by
  // the dual write) and counts by OutcomeKind.
  std::vector<policy::OutcomeKind> kinds;
  std::vector<std::array<uint64_t, 5>> counts;
  LagWindow::Batch lags;
  for (;;) {
    items.clear();
    {
      std::unique_lock<std::mutex> lock(w.mu);
      w.cv.wait(lock, [&] { return stopping_ || !w.queue.empty(); });
      if (w.queue.empty()) return;  // stopping
      size_t n = 0;
      while (!w.queue.empty() && n < kMaxEventsPerCommit) {
        n += w.queue.front().events.size();
        items.push_back(std::move(w.queue.front()));
        w.queue.pop_front();
      }
      w.busy = true;
    }
    // From the snapshots through the commit: Quiesce waits for this batch,
    // and the next one sees what the Quiesce holder changed.
    std::shared_lock<std::shared_mutex> batch_lock = LockBatch();
    auto current = catalog_->Current();
    if (current != snap || !evaluator) {
      snap = current;
      // Live events were accepted by ingest's Load (or read back from the
      // store after a restart).
      evaluator = std::make_unique<policy::Evaluator>(
          &snap->sources(), policy::StoredEventOptions());
    }
    for (;;) {
      absl::Status st =
          handoff.Begin(handoffs_ ? handoffs_->Current() : nullptr, *snap);
      if (st.ok()) break;
      spdlog::error("live worker {}: reading handoff counters: {}", index,
                    st.ToString());
      if (stopping_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const bool dual = handoff.active();
    kinds.assign(snap->policies.size(), policy::OutcomeKind::kUnselected);
    counts.assign(snap->policies.size(), {});
    store::RecordBatch batch;
    uint64_t through = w.cursor;
    size_t n_events = 0;
    for (const WorkItem& item : items) {
      through = std::max(through, item.through_seq);
      n_events += item.events.size();
      for (const LiveEvent& le : item.events) {
        const store::Event& e = le.event;
        if (e.seq <= w.cursor) continue;  // already done before a restart
        (void)evaluator->Load(e.type, e.data);
        for (size_t p = 0; p < snap->policies.size(); ++p) {
          const ActivePolicy& ap = snap->policies[p];
          const policy::Outcome& o = evaluator->Evaluate(*ap.compiled);
          kinds[p] = o.kind;
          ++counts[p][static_cast<int>(o.kind)];
          if (o.kind != policy::OutcomeKind::kMatched) continue;
          batch.Put(ToStoreRecord(o, ap.name, ap.generation, e.type, e.id,
                                  e.time, &scratch));
        }
        if (dual) handoff.Handle(e, evaluator.get(), kinds, &batch, &scratch);
      }
    }
    if (through > w.cursor) batch.SetCursor(cursor_name, through);
    if (dual) handoff.Finish(&batch);
    if (!batch.empty()) {
      store::WriteOptions wo;
      wo.sync = options_.sync_records;
      for (;;) {
        absl::Status st = store_->records().Commit(batch, wo);
        if (st.ok()) break;
        // A run stopped staging after the snapshot: commit without it (each
        // round drops at least one run, so this ends).
        if (dual && absl::IsFailedPrecondition(st) &&
            handoff.DropFailedRuns(*handoffs_->Current())) {
          spdlog::warn("live worker {}: {}; committing without that run", index,
                       st.ToString());
          batch = handoff.WithoutDropped(batch);
          continue;
        }
        spdlog::error("live worker {}: commit failed: {}", index,
                      st.ToString());
        if (stopping_) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    if (dual) handoff.Committed();
    batch_lock.unlock();
    w.cursor = through;
    int64_t now = SteadyNanos();
    lags.Clear();
    for (const WorkItem& item : items) {
      // The events of one request share their acknowledgement time:
      // record each run of equal times at once.
      const std::vector<LiveEvent>& evs = item.events;
      for (size_t j = 0, k = 0; j < evs.size(); j = k) {
        const int64_t acked = evs[j].acked_nanos;
        for (k = j + 1; k < evs.size() && evs[k].acked_nanos == acked; ++k) {
        }
        if (acked == 0) continue;
        const int64_t lag = now - acked;
        for (size_t m = j; m < k; ++m) lags.Add(lag);
        metrics_->ObserveLag(lag, k - j);
      }
    }
    recent_lag_.Add(lags, now);
    for (size_t p = 0; p < counts.size(); ++p) {
      for (int k = 1; k < 5; ++k) {
        if (counts[p][k] == 0) continue;
        metrics_->Outcome(snap->policies[p].name,
                          std::string(policy::OutcomeKindName(
                              static_cast<policy::OutcomeKind>(k))),
                          static_cast<double>(counts[p][k]));
      }
    }
    depth_ -= n_events;
    metrics_->queue_depth->Set(static_cast<double>(depth_.load()));
    {
      std::lock_guard<std::mutex> lock(w.mu);
      w.busy = false;
      w.done = through;
    }
    { std::lock_guard<std::mutex> lock(idle_mu_); }
    idle_cv_.notify_all();
  }
}

void LiveProcessor::WaitIdle() {
  for (;;) {
    bool idle = !recovering_;
    for (auto& w : workers_) {
      std::lock_guard<std::mutex> lock(w->mu);
      if (w->busy || !w->queue.empty()) idle = false;
    }
    if (idle) return;
    std::unique_lock<std::mutex> lock(idle_mu_);
    idle_cv_.wait_for(lock, std::chrono::milliseconds(5));
  }
}

std::unique_lock<std::shared_mutex> LiveProcessor::Quiesce() {
  quiesce_waiting_.fetch_add(1, std::memory_order_acq_rel);
  std::unique_lock<std::shared_mutex> lock(batch_mu_);
  quiesce_waiting_.fetch_sub(1, std::memory_order_acq_rel);
  return lock;
}

bool LiveProcessor::WaitProcessed(uint64_t seq, absl::Duration timeout) {
  // Clamped so an infinite timeout does not overflow the clock.
  const auto deadline =
      std::chrono::steady_clock::now() +
      absl::ToChronoNanoseconds(std::min(timeout, absl::Hours(24 * 365)));
  auto caught_up = [&] {
    if (workers_.empty()) return false;  // not started
    for (auto& w : workers_) {
      std::lock_guard<std::mutex> lock(w->mu);
      if (w->done < seq) return false;
    }
    return true;
  };
  std::unique_lock<std::mutex> lock(idle_mu_);
  for (;;) {
    if (caught_up()) return true;
    if (idle_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return caught_up();
    }
  }
}

int64_t LiveProcessor::RecentLagNanos() const {
  return recent_lag_.Quantile(0.99, SteadyNanos());
}

void LiveProcessor::AddAppendLatency(int64_t nanos) {
  LagWindow::Batch one;
  one.Add(nanos);
  recent_append_.Add(one, SteadyNanos());
}

int64_t LiveProcessor::RecentAppendNanos(uint64_t min_count) const {
  uint64_t count = 0;
  int64_t p99 = recent_append_.Quantile(0.99, SteadyNanos(), &count);
  return count >= min_count ? p99 : 0;
}

}  // namespace retro::pipeline
