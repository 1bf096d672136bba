// Ingestor: a request's events from body to durable raw log to the live
// processor. Each item is parsed and its envelope read with the type's
// Source (the catalog's); items that fail are rejected on their own, with
// their index and why. The valid ones are appended in one atomic, synced
// write: when Ingest returns, every accepted event is durable.
//
// Thread-safety: Ingest may be called from any number of threads; the
// append and the hand-off to live processing are serialised (seq order).
#ifndef RETRO_PIPELINE_INGESTOR_H_
#define RETRO_PIPELINE_INGESTOR_H_

#include <cstdint>
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
};

struct IngestResult {
  struct Rejection {
    size_t index;
    std::string code;  // "invalid", "conflict", "out_of_range", "too_large"
    std::string error;
  };
  size_t items = 0;
  size_t accepted = 0;
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
  [[nodiscard]] absl::StatusOr<IngestResult> Ingest(std::string_view type,
                                                    std::string_view body,
                                                    std::string_view source);

 private:
  store::Store* store_;
  Catalog* catalog_;
  LiveProcessor* live_;
  Metrics* metrics_;
  IngestOptions options_;
  std::mutex append_mu_;  // append + submit, in seq order
};

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_INGESTOR_H_
