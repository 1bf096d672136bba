// Ingestor: a request's events from body to durable raw log to the live
// processor. Each item is parsed and its envelope read with the type's
// Source (the catalog's); items that fail are rejected on their own, with
// their index and why. The valid ones are appended atomically and synced:
// when Ingest returns, every accepted event is durable.
//
// Group commit: concurrent requests queue; the one at the front (the leader)
// appends the valid events of every queued request in one store Append (one
// synced WAL write), hands them to the live processor in seq order, and
// wakes the others. Each request's outcome is what it would be had the
// requests of a group been appended one after another in queue order.
//
// Thread-safety: Ingest may be called from any number of threads; appends
// and the hand-off to live processing are serialised (seq order).
#ifndef RETRO_PIPELINE_INGESTOR_H_
#define RETRO_PIPELINE_INGESTOR_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "pipeline/body.h"
#include "pipeline/catalog.h"
#include "pipeline/live_processor.h"
#include "pipeline/metrics.h"
#include "store/store.h"

namespace retro::pipeline {

struct IngestOptions {
  size_t max_events_per_request = 100'000;
  bool sync = true;  // durable acknowledgements
  // A group commit takes queued requests until it holds this many events
  // (at least one request).
  size_t max_events_per_group = 16'384;
};

// Who is ingesting, for the audit ledger entry Ingest writes in the same
// atomic write as the events (action "events.ingest", target "events/<T>").
struct IngestAudit {
  std::string actor;
};

struct IngestResult {
  struct Rejection {
    size_t index;
    std::string code;  // "invalid", "conflict", "out_of_range", "too_large"
    std::string error;
  };
  size_t items = 0;
  size_t accepted = 0;
  // The audit entry was written with the events (only when an IngestAudit
  // was given and at least one item reached the store).
  bool audited = false;
  size_t duplicates = 0;
  std::vector<Rejection> rejected;  // in index order
  size_t conflicts() const;
};

class Ingestor {
 public:
  Ingestor(store::Store* store, Catalog* catalog, LiveProcessor* live,
           Metrics* metrics, IngestOptions options = {});

  // Errors: InvalidArgument (the body as a whole is unusable: empty, a
  // broken array, too many events), ResourceExhausted (the live queue is
  // full: retry later), Unavailable (recovering after a restart), or the
  // store's error (nothing was written).
  // With `audit`, an audited result's ledger entry (outcome "ok", or
  // "conflict" when every item conflicts) is durable with the events.
  [[nodiscard]] absl::StatusOr<IngestResult> Ingest(
      std::string_view type, std::string_view body, std::string_view source,
      const IngestAudit* audit = nullptr);

 private:
  // One request waiting in the commit queue.
  struct Pending {
    std::string_view type;
    const IngestAudit* audit = nullptr;
    std::vector<store::Event> events;
    std::vector<size_t> index_of;  // events[i] is item index_of[i]
    std::vector<bool> has_time;    // per event: the payload gave its time
    IngestResult* result = nullptr;
    absl::Status status;
    bool done = false;
  };

  // Appends and submits the group (leader only, in queue order).
  void CommitGroup(const std::vector<Pending*>& group);

  store::Store* store_;
  Catalog* catalog_;
  LiveProcessor* live_;
  Metrics* metrics_;
  IngestOptions options_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending*> queue_;  // guarded by queue_mu_; front = the leader
};

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_INGESTOR_H_
