// Ingestor: a request's events from body to durable raw log to the live
// processor. Each item is parsed and its envelope read with the type's
// Source (the catalog's); items that fail are rejected on their own, with
// their index and why. The valid ones are appended atomically and synced:
// when Ingest returns, every accepted event is durable.
//
// Each request is one store Append. Concurrent requests write at once:
// the store decides them one at a time (dedup, seqs) and lets RocksDB merge
// their WAL syncs, and hands each request's new events to the live
// processor in seq order once they are durable. Each request's outcome is
// what it would be had the requests been appended one after another in the
// order the store decided them.
//
// Thread-safety: Ingest may be called from any number of threads.
#ifndef RETRO_PIPELINE_INGESTOR_H_
#define RETRO_PIPELINE_INGESTOR_H_

#include <cstdint>
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
  // Appends a request's parsed events (item index_of[i] each) and fills in
  // its outcome.
  absl::Status Append(std::string_view type, const IngestAudit* audit,
                      std::vector<store::Event>* events,
                      const std::vector<size_t>& index_of,
                      const std::vector<bool>& arrival_time,
                      IngestResult* result);

  store::Store* store_;
  Catalog* catalog_;
  LiveProcessor* live_;
  Metrics* metrics_;
  IngestOptions options_;
};

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_INGESTOR_H_
