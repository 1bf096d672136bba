// RocksStore: the embedded backend — one RocksDB database with the column
// families of docs/formats/store.md, implementing EventStore, RecordStore and
// ControlStore. Internal to src/store; callers use OpenStore (store.h).
//
// Concurrency contract:
// - events_mu_ orders appends: dedup lookups, seq allocation and the
//   append's ticket happen under it. The (synced) writes then run
//   concurrently, so RocksDB merges their WAL syncs into one and applies the
//   batches to the memtables in parallel. Keys decided but not yet written
//   are in inflight_ (inflight_mu_, a leaf lock), so a later append's dedup
//   sees them. Appends finish in ticket order (commit_mu_): max_seq_ is
//   published and the durable callback runs only after every earlier
//   append's. RocksDB may apply two in-flight batches in either order, so a
//   reader that needs a prefix of the appends (Count, retention) first waits
//   for the appends in flight (AwaitAppends, under events_mu_).
// - records_mu_ is the single record writer (commits, promote, rollback,
//   discard, fold steps); the vseq counter lives under it.
// - control_mu_ serialises read-modify-write of control data (policies,
//   audit numbers).
// - state_mu_ guards the in-memory run visibility table (a leaf lock). A
//   reader copies the runs it needs and takes a RocksDB snapshot under it,
//   so each read sees one consistent visibility state.
// Lock order: records_mu_ → control_mu_ → state_mu_, and events_mu_ →
// control_mu_ (an Append that carries audit entries numbers them under
// control_mu_), events_mu_ → commit_mu_ → inflight_mu_; nothing takes
// events_mu_ while holding another lock.
#ifndef RETRO_STORE_ROCKS_STORE_H_
#define RETRO_STORE_ROCKS_STORE_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"
#include "rocksdb/file_system.h"
#include "store/rocks_values.h"
#include "store/store.h"

namespace retro::store::rocks {

// RocksDB status → absl::Status, prefixed with what was being done.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view context);

// How many checksums RocksDB has computed with the SSE4.2 CRC32C of
// rocks_crc32c.cc (none on a CPU without it).
uint64_t HardwareCrc32cCalls();
// The library's own CRC32C, for the test that compares the two.
uint32_t LibraryCrc32cExtend(uint32_t crc, const char* data, size_t n);

// Fault injection for the store's own tests (rocks_fault_test.cc); the
// defaults are what OpenStore uses.
struct RocksTestHooks {
  // The file system RocksDB writes through (default: the machine's).
  std::shared_ptr<rocksdb::FileSystem> file_system;
  // Called by an append that has something to write, after it is decided
  // and before its write, with its ticket (1, 2, ... in decision order).
  std::function<void(uint64_t ticket)> before_append_write;
};

class RocksStore final : public Store,
                         public EventStore,
                         public RecordStore,
                         public ControlStore {
 public:
  static absl::StatusOr<std::unique_ptr<RocksStore>> Open(
      const StoreOptions& options, RocksTestHooks hooks = {});
  ~RocksStore() override;
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

  // Store
  EventStore& events() override { return *this; }
  RecordStore& records() override { return *this; }
  ControlStore& control() override { return *this; }
  const StoreOptions& options() const override { return options_; }
  absl::Status Compact() override;

  // EventStore (rocks_events.cc)
  absl::StatusOr<AppendResult> Append(std::span<const Event> events,
                                      const AppendOptions& options) override;
  absl::StatusOr<std::optional<Event>> Get(std::string_view type,
                                           std::string_view id) override;
  absl::StatusOr<EventPage> Scan(const EventFilter& filter,
                                 std::string_view cursor,
                                 size_t limit) override;
  absl::StatusOr<std::string> Visit(const EventFilter& filter,
                                    std::string_view cursor, size_t limit,
                                    const EventVisitor& visit) override;
  absl::StatusOr<std::vector<Event>> ScanSeq(uint64_t after_seq,
                                             uint64_t max_seq,
                                             size_t limit) override;
  uint64_t MaxSeq() const override { return max_seq_.load(); }
  absl::StatusOr<EventTotals> Count(const EventFilter& filter) override;
  absl::StatusOr<std::vector<HourCount>> HourlyCounts(
      const EventFilter& filter) override;
  absl::StatusOr<RetentionResult> ApplyRetention(absl::Time now) override;
  absl::Time OldestRetained() const override;

  // RecordStore (rocks_records.cc)
  absl::Status Commit(const RecordBatch& batch,
                      const WriteOptions& options) override;
  absl::StatusOr<std::optional<Record>> Get(const RecordKey& key) override;
  absl::StatusOr<RecordPage> Query(const RecordQuery& query,
                                   std::string_view cursor,
                                   size_t limit) override;
  absl::Status VisitVisible(const RecordQuery& query,
                            const RecordVisitor& visit) override;
  absl::Status BeginStaging(std::string_view run_id,
                            std::vector<StagingTarget> targets,
                            absl::Time now) override;
  absl::StatusOr<StagingInfo> GetStaging(std::string_view run_id) override;
  absl::StatusOr<std::vector<StagingInfo>> ListStagings() override;
  absl::StatusOr<std::optional<StagedRecord>> GetStaged(
      std::string_view run_id, const RecordKey& key) override;
  absl::Status VisitStaged(std::string_view run_id, const RecordQuery& query,
                           const StagedVisitor& visit) override;
  absl::Status Promote(std::string_view run_id, absl::Time now) override;
  absl::Status Rollback(std::string_view run_id, absl::Time now) override;
  absl::Status Discard(std::string_view run_id) override;
  absl::StatusOr<uint64_t> GetCursor(std::string_view name) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
  GetCheckpoints(std::string_view run_id) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
  GetCheckpointsWithPrefix(std::string_view run_id,
                           std::string_view prefix) override;
  absl::StatusOr<MaintenanceResult> Maintain(absl::Time now) override;

  // ControlStore (rocks_control.cc)
  absl::StatusOr<ApplyPolicyResult> ApplyPolicy(
      std::string_view name, std::string_view spec,
      const base::Hash128& content_hash, absl::Time now,
      bool activate) override;
  absl::StatusOr<PolicyInfo> GetPolicy(std::string_view name) override;
  absl::StatusOr<std::vector<PolicyInfo>> ListPolicies() override;
  absl::StatusOr<PolicyGeneration> GetGeneration(std::string_view name,
                                                 uint64_t generation) override;
  absl::StatusOr<std::vector<PolicyGeneration>> ListGenerations(
      std::string_view name) override;
  absl::Status SetActiveGeneration(std::string_view name,
                                   uint64_t generation) override;
  absl::Status DeletePolicy(std::string_view name) override;
  absl::Status PutDocument(const Document& doc) override;
  absl::StatusOr<Document> GetDocument(std::string_view kind,
                                       std::string_view name) override;
  absl::StatusOr<std::vector<Document>> ListDocuments(
      std::string_view kind) override;
  absl::Status DeleteDocument(std::string_view kind,
                              std::string_view name) override;
  absl::StatusOr<uint64_t> AppendAudit(AuditEntry entry) override;
  absl::StatusOr<AuditPage> QueryAudit(absl::Time from, absl::Time to,
                                       std::string_view cursor,
                                       size_t limit) override;

 private:
  enum Cf {
    kDefault,
    kEvents,
    kEventSeq,
    kEventIds,
    kEventCounts,
    kRecords,
    kStaging,
    kControl,
    kAudit,
    kNumCfs
  };

  // A consistent read: a snapshot plus the promoted runs (id, promote vseq)
  // that take part in visibility for one policy, newest first.
  struct View {
    const rocksdb::Snapshot* snapshot = nullptr;
    std::vector<std::pair<std::string, uint64_t>> runs;
  };
  class ViewReleaser;

  RocksStore(const StoreOptions& options, RocksTestHooks hooks);
  absl::Status OpenDb();
  absl::Status LoadState();
  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return handles_[c]; }
  absl::Status Write(rocksdb::WriteBatch* batch, bool sync,
                     std::string_view context);
  // Get that maps NotFound to nullopt.
  absl::StatusOr<std::optional<std::string>> GetRaw(
      Cf c, std::string_view key, const rocksdb::Snapshot* snapshot = nullptr);
  absl::Status CheckRetention(absl::Time from) const;
  absl::Status VisitEventsAt(const EventFilter& filter, std::string_view cursor,
                             size_t limit, const rocksdb::Snapshot* snapshot,
                             const EventVisitor& visit, std::string* next);
  absl::Status ValidateEvent(const Event& e) const;
  // Blocks until every append with a ticket <= `ticket` has finished.
  void AwaitAppends(uint64_t ticket) ABSL_LOCKS_EXCLUDED(commit_mu_);
  // Waits for its turn, then publishes an append's outcome (Append).
  absl::Status FinishAppend(uint64_t ticket, const absl::Status& written,
                            uint64_t last_seq,
                            const std::vector<std::string>& fresh_keys,
                            const AppendResult& result,
                            const AppendOptions& options)
      ABSL_LOCKS_EXCLUDED(commit_mu_);

  View TakeView(std::string_view policy) ABSL_LOCKS_EXCLUDED(state_mu_);
  absl::Status VisitVisibleAt(const RecordQuery& query,
                              std::string_view after_suffix, size_t limit,
                              const RecordVisitor& visit, std::string* next);
  // Drops a run's staging rows; true when there were any.
  absl::StatusOr<bool> DropStaging(std::string_view run_id);
  absl::Status FoldRun(const StagingInfo& run, uint64_t* versions)
      ABSL_LOCKS_EXCLUDED(records_mu_);
  absl::Status WriteRunState(const StagingInfo& info, rocksdb::WriteBatch* wb,
                             std::string_view context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(records_mu_);
  absl::StatusOr<std::optional<PolicyInfo>> ReadPolicyState(
      std::string_view name);

  const StoreOptions options_;
  const RocksTestHooks hooks_;
  std::unique_ptr<rocksdb::Env> env_;  // over hooks_.file_system; outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  absl::Mutex events_mu_ ABSL_ACQUIRED_BEFORE(commit_mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(events_mu_) = 1;
  // Appends decided so far (written under events_mu_).
  std::atomic<uint64_t> issued_tickets_{0};
  std::atomic<uint64_t> max_seq_{0};
  absl::Mutex commit_mu_ ABSL_ACQUIRED_BEFORE(inflight_mu_);
  absl::CondVar commit_cv_;
  uint64_t finished_tickets_ ABSL_GUARDED_BY(commit_mu_) = 0;
  // A failed write's ticket poisons the appends decided before it finished
  // (they may count its events as stored): tickets up to this one fail.
  uint64_t poisoned_through_ ABSL_GUARDED_BY(commit_mu_) = 0;
  absl::Mutex inflight_mu_;
  absl::flat_hash_map<std::string, EventIdValue> inflight_
      ABSL_GUARDED_BY(inflight_mu_);
  std::atomic<int64_t> retention_floor_ns_;  // INT64_MIN = none

  absl::Mutex records_mu_ ABSL_ACQUIRED_BEFORE(control_mu_);
  uint64_t next_vseq_ ABSL_GUARDED_BY(records_mu_) = 1;

  absl::Mutex control_mu_ ABSL_ACQUIRED_BEFORE(state_mu_);
  uint64_t next_audit_ ABSL_GUARDED_BY(control_mu_) = 1;

  mutable absl::Mutex state_mu_;
  std::map<std::string, StagingInfo, std::less<>> runs_
      ABSL_GUARDED_BY(state_mu_);
};

}  // namespace retro::store::rocks

#endif  // RETRO_STORE_ROCKS_STORE_H_
