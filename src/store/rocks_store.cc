#include "store/rocks_store.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "base/strings.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "store/codec.h"
#include "store/rocks_values.h"

namespace retro::store::rocks {
namespace {

using base::AV;

constexpr uint64_t kFormatVersion = 1;
constexpr const char* kCfNames[] = {"default",   "events",       "event_seq",
                                    "event_ids", "event_counts", "records",
                                    "staging",   "control",      "audit"};

// Combines u64be operands with `combine`: addition for event_counts, max for
// the meta counters (written by concurrent appends, whose batches may land
// in either order).
class U64MergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  using Combine = uint64_t (*)(uint64_t, uint64_t);
  U64MergeOperator(const char* name, Combine combine)
      : name_(name), combine_(combine) {}

  bool Merge(const rocksdb::Slice& /*key*/,
             const rocksdb::Slice* existing_value, const rocksdb::Slice& value,
             std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    uint64_t a = 0, b = 0;
    if (existing_value != nullptr) {
      std::string_view in(existing_value->data(), existing_value->size());
      if (!codec::GetU64BE(&in, &a)) return false;
    }
    std::string_view in(value.data(), value.size());
    if (!codec::GetU64BE(&in, &b)) return false;
    new_value->clear();
    codec::PutU64BE(new_value, combine_(a, b));
    return true;
  }
  const char* Name() const override { return name_; }

 private:
  const char* name_;
  Combine combine_;
};

}  // namespace

absl::Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(AV(context), ": ", s.ToString());
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(msg);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(msg);
    case rocksdb::Status::kNotSupported:
      return absl::UnimplementedError(msg);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(msg);
    case rocksdb::Status::kIOError:
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kIncomplete:
    case rocksdb::Status::kShutdownInProgress:
      return absl::UnavailableError(msg);
    case rocksdb::Status::kAborted:
    case rocksdb::Status::kColumnFamilyDropped:
      return absl::AbortedError(msg);
    case rocksdb::Status::kMergeInProgress:
    case rocksdb::Status::kExpired:
    case rocksdb::Status::kCompactionTooLarge:
    case rocksdb::Status::kOk:
    case rocksdb::Status::kMaxCode:
      return absl::InternalError(msg);
  }
  return absl::InternalError(msg);
}

RocksStore::RocksStore(const StoreOptions& options, RocksTestHooks hooks)
    : options_(options),
      hooks_(std::move(hooks)),
      retention_floor_ns_(std::numeric_limits<int64_t>::min()) {}

RocksStore::~RocksStore() {
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (db_ != nullptr && h != nullptr) {
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
  }
  handles_.clear();
  if (db_ != nullptr) db_->Close().PermitUncheckedError();
}

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::Open(
    const StoreOptions& options, RocksTestHooks hooks) {
  if (options.retention_days < 1) {
    return absl::InvalidArgumentError("retention_days must be at least 1");
  }
  std::unique_ptr<RocksStore> store(new RocksStore(options, std::move(hooks)));
  if (absl::Status s = store->OpenDb(); !s.ok()) return s;
  if (absl::Status s = store->LoadState(); !s.ok()) return s;
  return store;
}

absl::Status RocksStore::Compact() {
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (int i = 0; i < kNumCfs; ++i) {
    RETRO_RETURN_IF_ERROR(FromRocks(
        db_->CompactRange(o, cf(static_cast<Cf>(i)), nullptr, nullptr),
        "compacting"));
  }
  return absl::OkStatus();
}

absl::Status RocksStore::OpenDb() {
  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = options_.create_if_missing;
  if (hooks_.file_system != nullptr) {
    env_ = rocksdb::NewCompositeEnv(hooks_.file_system);
    db_opts.env = env_.get();
  }
  db_opts.create_missing_column_families = true;
  db_opts.IncreaseParallelism(2);
  db_opts.max_background_jobs = 2;
  db_opts.keep_log_file_num = 4;
  db_opts.max_total_wal_size = uint64_t{256} << 20;
  // Concurrent appends' batches (an ingest request each, often 1 MB) share
  // one WAL write and sync: let a group hold many of them.
  db_opts.max_write_batch_group_size_bytes = uint64_t{32} << 20;
  // Writers waiting for their group block rather than spin: on a machine
  // with few cores a spinning follower takes the CPU its leader needs.
  db_opts.enable_write_thread_adaptive_yield = false;

  // Compression: LZ4 for upper levels and ZSTD for the bottom when built in,
  // except raw events (below).
  rocksdb::CompressionType upper = rocksdb::kNoCompression;
  rocksdb::CompressionType bottom = rocksdb::kNoCompression;
  for (rocksdb::CompressionType t : rocksdb::GetSupportedCompressions()) {
    if (t == rocksdb::kLZ4Compression) upper = t;
    if (t == rocksdb::kZSTD) bottom = t;
  }
  if (bottom == rocksdb::kNoCompression) bottom = upper;

  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(options_.block_cache_bytes);
  auto table = [&](bool bloom, size_t block_size) {
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    t.block_size = block_size;
    t.cache_index_and_filter_blocks = true;
    t.pin_l0_filter_and_index_blocks_in_cache = true;
    if (bloom) t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    return std::shared_ptr<rocksdb::TableFactory>(
        rocksdb::NewBlockBasedTableFactory(t));
  };
  std::shared_ptr<rocksdb::TableFactory> plain = table(false, 16 * 1024);
  std::shared_ptr<rocksdb::TableFactory> bloomed = table(true, 16 * 1024);
  std::shared_ptr<rocksdb::TableFactory> scanned = table(false, 64 * 1024);
  auto merge = std::make_shared<U64MergeOperator>(
      "retro.u64add", [](uint64_t a, uint64_t b) { return a + b; });
  auto max_merge = std::make_shared<U64MergeOperator>(
      "retro.u64max", [](uint64_t a, uint64_t b) { return std::max(a, b); });

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (int i = 0; i < kNumCfs; ++i) {
    rocksdb::ColumnFamilyOptions o;
    o.compression = upper;
    // Raw events are what runs read over and over: LZ4 at every level.
    // Measured on 1 M generated audit events (904 MB of JSON): 439 MB on
    // disk against ZSTD's 365 MB, and a shadow run 1.3x as fast (the scan
    // spent a third of its time in ZSTD).
    o.bottommost_compression = i == kEvents ? upper : bottom;
    o.write_buffer_size = (i == kEvents ? 64 : 16) << 20;
    o.level_compaction_dynamic_level_bytes = true;
    bool point_lookups = i == kEventIds || i == kRecords || i == kStaging;
    o.table_factory = point_lookups ? bloomed : plain;
    // Raw events are scanned, not looked up: larger blocks compress
    // better and cost a run fewer reads, checksums and cache lookups.
    if (i == kEvents) o.table_factory = scanned;
    if (i == kEventCounts) o.merge_operator = merge;
    if (i == kDefault) o.merge_operator = max_merge;
    if (i == kEventIds) {
      // Ingest's dedup lookups are mostly of new keys: a memtable bloom
      // filter answers them without searching the skip list.
      o.memtable_prefix_bloom_size_ratio = 0.1;
      o.memtable_whole_key_filtering = true;
    }
    cfs.emplace_back(kCfNames[i], o);
  }
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_opts, options_.path, cfs, &handles_, &db);
  if (!s.ok()) {
    return FromRocks(s, absl::StrCat("opening store at ", options_.path));
  }
  db_.reset(db);
  // This reference links rocks_crc32c.cc, with its faster CRC32C, into
  // every binary that opens a store.
  (void)HardwareCrc32cCalls();
  return absl::OkStatus();
}

absl::Status RocksStore::Write(rocksdb::WriteBatch* batch, bool sync,
                               std::string_view context) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Write(wo, batch), context);
}

absl::StatusOr<std::optional<std::string>> RocksStore::GetRaw(
    Cf c, std::string_view key, const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s =
      db_->Get(ro, cf(c), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading");
  return value;
}

absl::Status RocksStore::LoadState() {
  auto read_u64 = [&](std::string_view key,
                      uint64_t* out) -> absl::StatusOr<bool> {
    RETRO_ASSIGN_OR_RETURN(std::optional<std::string> v, GetRaw(kDefault, key));
    if (!v) return false;
    std::string_view in = *v;
    if (!codec::GetU64BE(&in, out)) {
      return absl::DataLossError(
          absl::StrCat("malformed meta value ", AV(key)));
    }
    return true;
  };

  uint64_t format = 0;
  RETRO_ASSIGN_OR_RETURN(bool has_format, read_u64("format", &format));
  if (!has_format) {
    std::string v;
    codec::PutU64BE(&v, kFormatVersion);
    RETRO_RETURN_IF_ERROR(
        FromRocks(db_->Put(rocksdb::WriteOptions(), cf(kDefault), "format", v),
                  "writing format version"));
  } else if (format != kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("store at ", options_.path, " has format version ", format,
                     "; this build reads version ", kFormatVersion));
  }

  uint64_t next_seq = 1;
  RETRO_ASSIGN_OR_RETURN(bool has_seq, read_u64("next_seq", &next_seq));
  (void)has_seq;
  {
    // The last seq index entry is authoritative too (same batch as meta).
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), cf(kEventSeq)));
    it->SeekToLast();
    if (it->Valid()) {
      std::string_view k(it->key().data(), it->key().size());
      uint64_t last = 0;
      if (codec::GetU64BE(&k, &last) && last + 1 > next_seq) {
        next_seq = last + 1;
      }
    }
    RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "reading event_seq"));
  }
  {
    absl::MutexLock l(&events_mu_);
    next_seq_ = std::max<uint64_t>(next_seq, 1);
    max_seq_.store(next_seq_ - 1);
  }

  RETRO_ASSIGN_OR_RETURN(std::optional<std::string> floor,
                         GetRaw(kDefault, "retention_floor"));
  if (floor) {
    std::string_view in = *floor;
    absl::Time t;
    if (!codec::GetTime(&in, &t)) {
      return absl::DataLossError("malformed meta value retention_floor");
    }
    retention_floor_ns_.store(codec::TimeNanos(t));
  }

  uint64_t next_vseq = 1;
  RETRO_ASSIGN_OR_RETURN(bool has_vseq, read_u64("next_vseq", &next_vseq));
  (void)has_vseq;
  {
    absl::MutexLock l(&records_mu_);
    next_vseq_ = std::max<uint64_t>(next_vseq, 1);
  }
  uint64_t next_audit = 1;
  RETRO_ASSIGN_OR_RETURN(bool has_audit, read_u64("next_audit", &next_audit));
  (void)has_audit;
  {
    absl::MutexLock l(&control_mu_);
    next_audit_ = std::max<uint64_t>(next_audit, 1);
  }

  // Run visibility table; finish drops interrupted by a crash.
  std::vector<std::string> to_drop;
  {
    absl::MutexLock l(&state_mu_);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), cf(kControl)));
    for (it->Seek("R"); it->Valid() && it->key().starts_with("R"); it->Next()) {
      std::string_view k(it->key().data() + 1, it->key().size() - 1);
      StagingInfo info;
      if (!codec::GetStr(&k, &info.run_id) ||
          !ParseRunState({it->value().data(), it->value().size()}, &info)) {
        return absl::DataLossError("malformed run visibility entry");
      }
      if (info.state == StagingState::kRolledBack ||
          info.state == StagingState::kDiscarded ||
          info.state == StagingState::kFolded) {
        to_drop.push_back(info.run_id);
      }
      runs_.emplace(info.run_id, std::move(info));
    }
    RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "loading runs"));
  }
  for (const std::string& run : to_drop) {
    RETRO_RETURN_IF_ERROR(DropStaging(run).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RocksStore::DropStaging(std::string_view run_id) {
  std::string begin = StagingPrefix(run_id);
  std::string end = codec::StrPrefixEnd(run_id);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(kStaging)));
  it->Seek(begin);
  bool any = it->Valid() && it->key().compare(end) < 0;
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "scanning staging"));
  if (!any) return false;
  RETRO_RETURN_IF_ERROR(FromRocks(
      db_->DeleteRange(rocksdb::WriteOptions(), cf(kStaging), begin, end),
      absl::StrCat("dropping staging of run ", AV(run_id))));
  return true;
}

}  // namespace retro::store::rocks
