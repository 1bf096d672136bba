// Store: one data directory's storage — raw events, records, control data —
// behind backend-neutral interfaces. OpenStore opens (or creates) the
// embedded RocksDB backend; reopening a directory resumes everything (seqs,
// cursors, stagings, policies).
//
// Thread-safety: a Store and its three parts may be used from any number of
// threads. One process at a time may open a directory (RocksDB's LOCK file;
// a second open fails with Unavailable). Destroying the Store closes it;
// REQUIRES: no call in flight.
#ifndef RETRO_STORE_STORE_H_
#define RETRO_STORE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/control_store.h"
#include "store/event_store.h"
#include "store/record_store.h"

namespace retro::store {

struct StoreOptions {
  std::string path = "./retro-data";
  bool create_if_missing = true;
  // Raw events are kept for this many whole UTC days (today included).
  int retention_days = 60;
  // A promote can be rolled back for this long.
  absl::Duration rollback_horizon = absl::Hours(24 * 7);
  // Shared block cache for all column families.
  size_t block_cache_bytes = size_t{128} << 20;
  // Input bounds (an event over them is rejected, InvalidArgument).
  size_t max_event_bytes = size_t{1} << 20;
  size_t max_key_bytes = 1024;  // type, id, tenant, source, names
};

class Store {
 public:
  virtual ~Store() = default;
  virtual EventStore& events() = 0;
  virtual RecordStore& records() = 0;
  virtual ControlStore& control() = 0;
  virtual const StoreOptions& options() const = 0;
  // Compacts everything written so far, as it would be at rest (benchmarks
  // of history; maintenance after a bulk load). Blocks until done.
  [[nodiscard]] virtual absl::Status Compact() { return absl::OkStatus(); }
};

// Opens the embedded (RocksDB) store at options.path.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Store>> OpenStore(
    const StoreOptions& options);

}  // namespace retro::store

#endif  // RETRO_STORE_STORE_H_
