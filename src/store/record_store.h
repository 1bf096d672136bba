// RecordStore: derived records with versioned visibility (DESIGN.md,
// "Visibility"). For every record key exactly one version is visible. Live
// writes are visible at once; a run stages versions (records and tombstones)
// that no reader sees until Promote makes all of them visible and the run's
// target generations active, in one atomic step; Rollback restores, in one
// atomic step, what was visible before that promote; Discard drops a run's
// staging. Promote and rollback are pointer flips: O(policies), not
// O(records) (docs/formats/store.md, "Visibility").
//
// Thread-safety: all methods may be called concurrently. Commits, promotes,
// rollbacks and discards are linearizable: a Commit that stages for a run
// either lands before that run's Promote (and is promoted with it) or fails
// with FailedPrecondition after it. Every read sees one consistent state
// (a snapshot), never half of a promote.
#ifndef RETRO_STORE_RECORD_STORE_H_
#define RETRO_STORE_RECORD_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/strings.h"
#include "store/record.h"

namespace retro::store {

struct WriteOptions {
  bool sync = true;  // WAL synced before returning
};

// Visible records of one policy, time range [from, to), optional tenants.
struct RecordQuery {
  std::string policy;
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  base::StringSet tenants;  // empty = all
};

struct RecordPage {
  std::vector<Record> records;  // in (time, origin type, origin id) order
  std::string next_cursor;      // empty at the end
};

enum class StagingState {
  kStaging = 1,
  kPromoted = 2,
  kRolledBack = 3,
  kDiscarded = 4,
  kFolded = 5,   // promoted, past the rollback horizon, merged into the base
  kFolding = 6,  // promoted, past the rollback horizon, being merged
};
std::string_view StagingStateName(StagingState s);

struct StagingTarget {
  std::string policy;
  uint64_t generation = 0;  // the generation Promote makes active
  // Filled by Promote: what Rollback restores.
  uint64_t prior_generation = 0;
  std::string prior_run;
};

struct StagingInfo {
  std::string run_id;
  StagingState state = StagingState::kStaging;
  std::vector<StagingTarget> targets;
  absl::Time created;
  absl::Time promoted_at = absl::InfinitePast();
  uint64_t promote_vseq = 0;
};

struct MaintenanceResult {
  size_t runs_folded = 0;
  size_t stagings_dropped = 0;
  uint64_t versions_folded = 0;
};

using RecordVisitor = std::function<bool(const Record&)>;
using StagedVisitor = std::function<bool(const StagedRecord&)>;

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  // Commits every op of `batch` atomically (nothing on error). Staged ops
  // need their run to be staging and to target the record's policy, else
  // FailedPrecondition and nothing is written.
  [[nodiscard]] virtual absl::Status Commit(const RecordBatch& batch,
                                            const WriteOptions& options) = 0;

  // The visible record for the key, or nullopt.
  [[nodiscard]] virtual absl::StatusOr<std::optional<Record>> Get(
      const RecordKey& key) = 0;

  // Visible records in key order, after `cursor`, at most `limit` (> 0).
  [[nodiscard]] virtual absl::StatusOr<RecordPage> Query(
      const RecordQuery& query, std::string_view cursor, size_t limit) = 0;

  // The same without paging; stops when `visit` returns false.
  [[nodiscard]] virtual absl::Status VisitVisible(
      const RecordQuery& query, const RecordVisitor& visit) = 0;

  // Opens the staging area of a run. REQUIRES: every target's generation
  // exists. FailedPrecondition (naming the blocking run) when another run is
  // staging for one of the policies; AlreadyExists when run_id was used.
  [[nodiscard]] virtual absl::Status BeginStaging(
      std::string_view run_id, std::vector<StagingTarget> targets,
      absl::Time now) = 0;

  [[nodiscard]] virtual absl::StatusOr<StagingInfo> GetStaging(
      std::string_view run_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<StagingInfo>>
  ListStagings() = 0;

  // The staged version of `key` in run `run_id`, or nullopt.
  [[nodiscard]] virtual absl::StatusOr<std::optional<StagedRecord>> GetStaged(
      std::string_view run_id, const RecordKey& key) = 0;
  // A run's staged versions of one policy in [from, to), in key order.
  [[nodiscard]] virtual absl::Status VisitStaged(
      std::string_view run_id, const RecordQuery& query,
      const StagedVisitor& visit) = 0;

  // Makes every staged version of the run visible and each target's
  // generation active, atomically and durably. REQUIRES: state kStaging.
  [[nodiscard]] virtual absl::Status Promote(std::string_view run_id,
                                             absl::Time now) = 0;
  // Restores exactly the versions and active generations visible before the
  // run's promote (keys written live after it keep their later versions).
  // REQUIRES: state kPromoted, within the rollback horizon, and the run is
  // the last promote of each target policy (roll back later ones first).
  [[nodiscard]] virtual absl::Status Rollback(std::string_view run_id,
                                              absl::Time now) = 0;
  // Drops the staging of a run that was not promoted. REQUIRES: kStaging.
  [[nodiscard]] virtual absl::Status Discard(std::string_view run_id) = 0;

  // The live cursor `name` (0 when never set).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> GetCursor(
      std::string_view name) = 0;
  // A run's checkpoints as (name, value), in name order.
  [[nodiscard]] virtual absl::StatusOr<
      std::vector<std::pair<std::string, std::string>>>
  GetCheckpoints(std::string_view run_id) = 0;
  // The run's checkpoints whose name starts with `prefix`, in name order
  // (e.g. a run's "slice/" progress without its "err/" entries).
  [[nodiscard]] virtual absl::StatusOr<
      std::vector<std::pair<std::string, std::string>>>
  GetCheckpointsWithPrefix(std::string_view run_id, std::string_view prefix) {
    auto all = GetCheckpoints(run_id);
    if (!all.ok()) return all.status();
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& cp : *all) {
      if (std::string_view(cp.first).substr(0, prefix.size()) == prefix) {
        out.push_back(std::move(cp));
      }
    }
    return out;
  }

  // Background upkeep: folds promoted runs past the rollback horizon into
  // the base versions and drops the staging rows of discarded, rolled back
  // and folded runs. Never changes what is visible. Idempotent.
  [[nodiscard]] virtual absl::StatusOr<MaintenanceResult> Maintain(
      absl::Time now) = 0;
};

}  // namespace retro::store

#endif  // RETRO_STORE_RECORD_STORE_H_
