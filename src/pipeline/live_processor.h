// LiveProcessor: evaluates acknowledged events with the active generation of
// every policy that selects them and writes the records.
//
// Events are partitioned by Hash64(type, id) over N worker threads; worker i
// owns the live cursor `live/<i>of<N>`: every event of partition i with
// seq <= cursor has its records visible. Records and the cursor are written
// in one atomic RecordBatch, so after a crash Start() re-evaluates exactly
// the events past each cursor (identically: evaluation is deterministic).
// Keys never share a partition across workers, so per-key results equal a
// single thread's.
//
// Dual write (handoff.h): each batch takes the catalog and the handoff
// registry snapshot together, under a shared batch lock held until its
// commit; Quiesce takes the lock exclusively. Events past a run's cutoff
// and in its scope are also evaluated with the run's target generation and
// staged in the same RecordBatch as the live records, the cursor and the
// run's handoff counters ("handoff/<i>of<N>"). With an empty registry the
// cost is one check per batch.
//
// Thread-safety: Submit must be called by one thread at a time, in seq order
// (the Ingestor calls it from the store's durable callback, which the store
// runs one append at a time in seq order); the rest may be called from any
// thread.
#ifndef RETRO_PIPELINE_LIVE_PROCESSOR_H_
#define RETRO_PIPELINE_LIVE_PROCESSOR_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "pipeline/catalog.h"
#include "pipeline/handoff.h"
#include "pipeline/lag_window.h"
#include "pipeline/metrics.h"
#include "store/store.h"

namespace retro::pipeline {

struct LiveOptions {
  int workers = 2;
  // Events acknowledged but not yet evaluated; over it, ingest answers 429.
  size_t queue_capacity = 200'000;
  // Records are written without fsync: the WAL survives a process crash, and
  // after a machine crash the cursor and records are still consistent
  // (written together), so the lost tail is simply re-evaluated.
  bool sync_records = false;
};

struct LiveEvent {
  store::Event event;
  int64_t acked_nanos = 0;  // steady clock at acknowledgement; 0 = recovery
};

class LiveProcessor {
 public:
  // `handoffs` may be null (no dual writes).
  LiveProcessor(store::Store* store, Catalog* catalog, Metrics* metrics,
                LiveOptions options, HandoffRegistry* handoffs = nullptr);
  ~LiveProcessor();
  LiveProcessor(const LiveProcessor&) = delete;
  LiveProcessor& operator=(const LiveProcessor&) = delete;

  // Reads the cursors, starts the workers and a recovery pass over the
  // events past the cursors (recovering() until it is done).
  [[nodiscard]] absl::Status Start();
  void Stop();

  bool recovering() const { return recovering_.load(); }
  uint64_t recovery_pending() const { return recovery_pending_.load(); }
  // Whether `n` more events fit in the queue.
  bool HasRoom(size_t n) const;
  size_t depth() const { return depth_.load(); }

  // Hands over newly acknowledged events (seq order); `through_seq` is the
  // store's MaxSeq after their append. REQUIRES: !recovering().
  void Submit(std::vector<LiveEvent> events, uint64_t through_seq);

  // Blocks until every submitted event is evaluated (tests, bench).
  void WaitIdle();
  // The live cursor name of worker i.
  std::string CursorName(int i) const;
  // The handoff counters checkpoint name of worker i ("handoff/<i>of<N>").
  std::string HandoffCheckpointName(int i) const;

  // Holds every worker between two batches until the returned lock is
  // released: no record or staged version is written meanwhile, and the
  // next batch takes a fresh catalog and handoff snapshot. Runs take it
  // around begin-staging, promote, discard and rollback. Ingest goes on
  // (events queue up). REQUIRES: the holder does not wait for live
  // progress (WaitProcessed, WaitIdle) while holding it.
  [[nodiscard]] std::unique_lock<std::shared_mutex> Quiesce();
  // Blocks until every event with seq <= `seq` has been evaluated and its
  // records committed, or `timeout` passes (false).
  bool WaitProcessed(uint64_t seq, absl::Duration timeout);
  // Live lag (acknowledged -> visible) at the 99th percentile over about
  // the last second; 0 when nothing was processed in it. The adaptive run
  // throttle reads it.
  int64_t RecentLagNanos() const;
  // Ingest's synced append of one request, timed by the Ingestor; the
  // adaptive run throttle compares its 99th percentile over about the last
  // second (RecentAppendNanos: 0 with fewer than `min_count` appends in
  // it) with its value before the run.
  void AddAppendLatency(int64_t nanos);
  int64_t RecentAppendNanos(uint64_t min_count) const;

 private:
  struct WorkItem {
    std::vector<LiveEvent> events;
    uint64_t through_seq = 0;
  };
  struct Worker {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<WorkItem> queue;
    uint64_t cursor = 0;  // the worker thread's own copy
    uint64_t done = 0;    // guarded by mu: cursor as committed
    bool busy = false;
    std::thread thread;
  };

  int PartitionOf(const store::Event& e) const;
  void Dispatch(std::vector<LiveEvent> events, uint64_t through_seq);
  void RunWorker(int index);
  void Recover(uint64_t from, uint64_t to);
  // The shared side of batch_mu_, after any pending Quiesce got it (the
  // shared mutex alone may let a stream of batches starve a writer).
  std::shared_lock<std::shared_mutex> LockBatch();

  store::Store* store_;
  Catalog* catalog_;
  Metrics* metrics_;
  LiveOptions options_;
  HandoffRegistry* handoffs_;
  std::shared_mutex batch_mu_;  // shared: a worker's batch; unique: Quiesce
  std::atomic<int> quiesce_waiting_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread recovery_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> recovering_{false};
  std::atomic<uint64_t> recovery_pending_{0};
  std::atomic<size_t> depth_{0};
  std::mutex idle_mu_;  // notified under it after every batch
  std::condition_variable idle_cv_;
  LagWindow recent_lag_;
  LagWindow recent_append_;
};

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_LIVE_PROCESSOR_H_
