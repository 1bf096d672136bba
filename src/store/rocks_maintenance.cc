// Record maintenance on RocksDB: folding promoted runs past the rollback
// horizon into the base versions, and dropping dead staging areas
// (docs/formats/store.md, "Visibility").
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "rocksdb/write_batch.h"
#include "store/codec.h"
#include "store/rocks_store.h"
#include "store/rocks_values.h"

namespace retro::store::rocks {
namespace {

constexpr size_t kFoldChunk = 1024;
constexpr size_t kVseqOffset = 2;  // version byte, flags byte, then vseq

}  // namespace

absl::Status RocksStore::FoldRun(const StagingInfo& run, uint64_t* versions) {
  StagingInfo info = run;
  if (info.state == StagingState::kPromoted) {
    absl::MutexLock lock(&records_mu_);
    info.state = StagingState::kFolding;
    rocksdb::WriteBatch wb;
    RETRO_RETURN_IF_ERROR(WriteRunState(info, &wb, "starting a fold"));
    absl::MutexLock l(&state_mu_);
    runs_[info.run_id] = info;
  }
  // A folding run's staging is immutable: read it without a lock, copy each
  // chunk under the writer lock so live writes are never overwritten.
  const std::string prefix = StagingPrefix(info.run_id);
  const std::string end = codec::StrPrefixEnd(info.run_id);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &end_slice;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kStaging)));
  it->Seek(prefix);
  while (it->Valid()) {
    std::vector<std::pair<std::string, std::string>> chunk;
    for (; it->Valid() && chunk.size() < kFoldChunk; it->Next()) {
      chunk.emplace_back(it->key().ToString().substr(prefix.size()),
                         it->value().ToString());
    }
    absl::MutexLock lock(&records_mu_);
    rocksdb::WriteBatch wb;
    for (auto& [k, value] : chunk) {
      RETRO_ASSIGN_OR_RETURN(std::optional<std::string> base,
                             GetRaw(kRecords, k));
      RecordVersion bv;
      if (base && !ParseRecordVersion(*base, &bv)) {
        return absl::DataLossError("malformed record");
      }
      if (base && bv.vseq >= info.promote_vseq) continue;  // newer live write
      if (value.size() < kVseqOffset + 8) {
        return absl::DataLossError("malformed staged record");
      }
      std::string vseq;
      codec::PutU64BE(&vseq, info.promote_vseq);
      value.replace(kVseqOffset, 8, vseq);
      wb.Put(cf(kRecords), k, value);
      ++*versions;
    }
    RETRO_RETURN_IF_ERROR(Write(&wb, false, "folding a run"));
  }
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "scanning staging"));
  {
    absl::MutexLock lock(&records_mu_);
    info.state = StagingState::kFolded;
    rocksdb::WriteBatch wb;
    RETRO_RETURN_IF_ERROR(WriteRunState(info, &wb, "finishing a fold"));
    absl::MutexLock l(&state_mu_);
    runs_[info.run_id] = info;
  }
  return DropStaging(info.run_id).status();
}

absl::StatusOr<MaintenanceResult> RocksStore::Maintain(absl::Time now) {
  std::vector<StagingInfo> fold;
  std::vector<std::string> drop;
  {
    absl::ReaderMutexLock l(&state_mu_);
    for (const auto& [id, info] : runs_) {
      switch (info.state) {
        case StagingState::kPromoted:
          if (now - info.promoted_at > options_.rollback_horizon) {
            fold.push_back(info);
          }
          break;
        case StagingState::kFolding:
          fold.push_back(info);
          break;
        case StagingState::kRolledBack:
        case StagingState::kDiscarded:
        case StagingState::kFolded:
          drop.push_back(id);
          break;
        case StagingState::kStaging:
          break;
      }
    }
  }
  MaintenanceResult result;
  for (const StagingInfo& info : fold) {
    RETRO_RETURN_IF_ERROR(FoldRun(info, &result.versions_folded));
    ++result.runs_folded;
  }
  for (const std::string& id : drop) {
    RETRO_ASSIGN_OR_RETURN(bool dropped, DropStaging(id));
    if (dropped) ++result.stagings_dropped;
  }
  return result;
}

}  // namespace retro::store::rocks
