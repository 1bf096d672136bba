// Derived records (silver) as the store keeps them, and RecordBatch: the one
// atomic unit of record writes — live versions, staged versions of runs,
// live cursors and run checkpoints, committed together or not at all.
//
// Thread-safety: plain values; a RecordBatch is not safe for concurrent
// mutation, but a built batch may be committed from any thread.
#ifndef RETRO_STORE_RECORD_H_
#define RETRO_STORE_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "base/hash.h"

namespace retro::store {

// The logical key is (policy, origin_type, origin_id); `time` is the origin
// event's time, which never changes for an origin (events are immutable), and
// orders a policy's records by time.
struct RecordKey {
  std::string policy;
  std::string origin_type;
  std::string origin_id;
  absl::Time time;

  friend bool operator==(const RecordKey&, const RecordKey&) = default;
};

// Stable across generations: Hasher("retro.record.v1", policy, type, id).
base::Hash128 RecordIdOf(const RecordKey& key);

struct Record {
  RecordKey key;
  std::string rule;         // the rule that matched
  uint64_t generation = 0;  // the policy generation that produced it
  std::string tenant;
  base::Hash128 content_hash{};  // hash of the canonical content
  std::string payload;           // opaque to the store (summary, fields, …)

  base::Hash128 record_id() const { return RecordIdOf(key); }
  friend bool operator==(const Record&, const Record&) = default;
};

// A staged version: a record, or a tombstone (the record is to be removed
// when the run is promoted).
struct StagedRecord {
  Record record;  // for a tombstone only key and generation are meaningful
  bool tombstone = false;
  friend bool operator==(const StagedRecord&, const StagedRecord&) = default;
};

class RecordBatch {
 public:
  struct PutOp {
    Record record;
  };
  struct DeleteOp {
    RecordKey key;
    uint64_t generation;
  };
  struct StageOp {
    std::string run_id;
    StagedRecord staged;
  };
  struct CursorOp {
    std::string name;
    uint64_t seq;
  };
  struct PutCheckpointOp {
    std::string run_id, name, value;
  };
  struct DeleteCheckpointOp {
    std::string run_id, name;
  };
  using Op = std::variant<PutOp, DeleteOp, StageOp, CursorOp, PutCheckpointOp,
                          DeleteCheckpointOp>;

  // A live write: visible as soon as the batch commits.
  void Put(Record record) { ops_.push_back(PutOp{std::move(record)}); }
  // A live removal: the record stops existing when the batch commits.
  void Delete(RecordKey key, uint64_t generation) {
    ops_.push_back(DeleteOp{std::move(key), generation});
  }
  // A staged version for `run_id` (REQUIRES: the run is staging and targets
  // the record's policy, checked at commit). Invisible until promote.
  void Stage(std::string run_id, Record record) {
    ops_.push_back(StageOp{std::move(run_id), {std::move(record), false}});
  }
  void StageTombstone(std::string run_id, RecordKey key, uint64_t generation) {
    Record r;
    r.key = std::move(key);
    r.generation = generation;
    ops_.push_back(StageOp{std::move(run_id), {std::move(r), true}});
  }
  // The last event seq covered by this batch for the live cursor `name`.
  void SetCursor(std::string name, uint64_t seq) {
    ops_.push_back(CursorOp{std::move(name), seq});
  }
  // Opaque run progress (slice cursors, counters), committed atomically with
  // the outputs it covers. Allowed for any run id (also dry runs).
  void PutCheckpoint(std::string run_id, std::string name, std::string value) {
    ops_.push_back(
        PutCheckpointOp{std::move(run_id), std::move(name), std::move(value)});
  }
  void DeleteCheckpoint(std::string run_id, std::string name) {
    ops_.push_back(DeleteCheckpointOp{std::move(run_id), std::move(name)});
  }

  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void Clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

}  // namespace retro::store

#endif  // RETRO_STORE_RECORD_H_
