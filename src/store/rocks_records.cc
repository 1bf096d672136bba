// RecordStore on RocksDB: column families records and staging, run
// visibility and checkpoints in control (docs/formats/store.md,
// "Visibility").
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/time.h"
#include "rocksdb/write_batch.h"
#include "store/codec.h"
#include "store/rocks_store.h"
#include "store/rocks_values.h"

namespace retro::store::rocks {
namespace {

using base::AV;

bool IsVisibleRun(StagingState s) {
  return s == StagingState::kPromoted || s == StagingState::kFolding;
}

bool Targets(const StagingInfo& info, std::string_view policy) {
  for (const StagingTarget& t : info.targets) {
    if (t.policy == policy) return true;
  }
  return false;
}

absl::Status ValidateKey(const RecordKey& k) {
  if (k.policy.empty() || k.origin_type.empty() || k.origin_id.empty()) {
    return absl::InvalidArgumentError(
        "a record key needs a policy, an origin type and an origin id");
  }
  if (k.time == absl::InfinitePast() || k.time == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("a record key needs a finite time");
  }
  return absl::OkStatus();
}

std::string EncodeCursor(std::string_view suffix) {
  std::string raw = "\x01";
  raw.append(suffix);
  return codec::ToHex(raw);
}

absl::StatusOr<std::string> DecodeCursor(std::string_view cursor) {
  std::string raw;
  RecordKey unused;
  if (!codec::FromHex(cursor, &raw) || raw.empty() || raw[0] != '\x01' ||
      !ParseRecordSuffix(std::string_view(raw).substr(1), "", &unused)) {
    return absl::InvalidArgumentError("malformed cursor");
  }
  return raw.substr(1);
}

std::string StateError(std::string_view run_id, StagingState s,
                       std::string_view wanted) {
  return absl::StrCat("run ", AV(run_id), " is ", AV(StagingStateName(s)),
                      ", not ", AV(wanted));
}

}  // namespace

class RocksStore::ViewReleaser {
 public:
  ViewReleaser(rocksdb::DB* db, const View& v) : db_(db), v_(v) {}
  ~ViewReleaser() { db_->ReleaseSnapshot(v_.snapshot); }

 private:
  rocksdb::DB* db_;
  const View& v_;
};

RocksStore::View RocksStore::TakeView(std::string_view policy) {
  View v;
  absl::ReaderMutexLock l(&state_mu_);
  for (const auto& [id, info] : runs_) {
    if (IsVisibleRun(info.state) && Targets(info, policy)) {
      v.runs.emplace_back(id, info.promote_vseq);
    }
  }
  std::sort(v.runs.begin(), v.runs.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  v.snapshot = db_->GetSnapshot();
  return v;
}

namespace {

// A little over what the batch's write batch holds (so it is built without
// growing): run batches carry thousands of records.
size_t ApproximateBytes(const RecordBatch& batch) {
  size_t bytes = 64;
  for (const RecordBatch::Op& op : batch.ops()) {
    const Record* r = nullptr;
    if (const auto* put = std::get_if<RecordBatch::PutOp>(&op)) {
      r = &put->record;
    } else if (const auto* st = std::get_if<RecordBatch::StageOp>(&op)) {
      r = &st->staged.record;
      bytes += st->run_id.size();
    }
    bytes += 128;  // keys, headers and small ops
    if (r != nullptr) {
      bytes += r->key.policy.size() + r->key.origin_type.size() +
               r->key.origin_id.size() + r->rule.size() + r->tenant.size() +
               r->payload.size();
    }
  }
  return bytes;
}

}  // namespace

absl::Status RocksStore::Commit(const RecordBatch& batch,
                                const WriteOptions& options) {
  if (batch.empty()) return absl::OkStatus();
  absl::MutexLock lock(&records_mu_);
  const uint64_t vseq = next_vseq_;
  bool visible = false;
  rocksdb::WriteBatch wb(ApproximateBytes(batch));
  {
    absl::ReaderMutexLock l(&state_mu_);
    auto has_visible_runs = [&](std::string_view policy) {
      for (const auto& [id, info] : runs_) {
        if (IsVisibleRun(info.state) && Targets(info, policy)) return true;
      }
      return false;
    };
    for (const RecordBatch::Op& op : batch.ops()) {
      if (const auto* put = std::get_if<RecordBatch::PutOp>(&op)) {
        RETRO_RETURN_IF_ERROR(ValidateKey(put->record.key));
        wb.Put(cf(kRecords), RecordKeyBytes(put->record.key),
               EncodeRecordVersion(put->record, false, vseq));
        visible = true;
      } else if (const auto* del = std::get_if<RecordBatch::DeleteOp>(&op)) {
        RETRO_RETURN_IF_ERROR(ValidateKey(del->key));
        std::string k = RecordKeyBytes(del->key);
        if (has_visible_runs(del->key.policy)) {
          // A promoted run may hold a version of this key: hide it.
          Record r;
          r.generation = del->generation;
          wb.Put(cf(kRecords), k, EncodeRecordVersion(r, true, vseq));
        } else {
          wb.Delete(cf(kRecords), k);
        }
        visible = true;
      } else if (const auto* st = std::get_if<RecordBatch::StageOp>(&op)) {
        const RecordKey& key = st->staged.record.key;
        RETRO_RETURN_IF_ERROR(ValidateKey(key));
        auto it = runs_.find(st->run_id);
        if (it == runs_.end()) {
          return absl::FailedPreconditionError(
              absl::StrCat("no staging area for run ", st->run_id));
        }
        if (it->second.state != StagingState::kStaging) {
          return absl::FailedPreconditionError(
              StateError(st->run_id, it->second.state, "staging"));
        }
        if (!Targets(it->second, key.policy)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "run ", st->run_id, " does not target policy ", key.policy));
        }
        wb.Put(cf(kStaging), StagingPrefix(st->run_id) + RecordKeyBytes(key),
               EncodeRecordVersion(st->staged.record, st->staged.tombstone, 0));
      } else if (const auto* c = std::get_if<RecordBatch::CursorOp>(&op)) {
        std::string v;
        codec::PutU64BE(&v, c->seq);
        wb.Put(cf(kControl), CursorKey(c->name), v);
      } else if (const auto* cp =
                     std::get_if<RecordBatch::PutCheckpointOp>(&op)) {
        wb.Put(cf(kControl), CheckpointKey(cp->run_id, cp->name), cp->value);
      } else if (const auto* dc =
                     std::get_if<RecordBatch::DeleteCheckpointOp>(&op)) {
        wb.Delete(cf(kControl), CheckpointKey(dc->run_id, dc->name));
      }
    }
  }
  if (visible) {
    std::string v;
    codec::PutU64BE(&v, vseq + 1);
    wb.Put(cf(kDefault), "next_vseq", v);
  }
  RETRO_RETURN_IF_ERROR(Write(&wb, options.sync, "committing records"));
  if (visible) next_vseq_ = vseq + 1;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Record>> RocksStore::Get(const RecordKey& key) {
  RETRO_RETURN_IF_ERROR(ValidateKey(key));
  View view = TakeView(key.policy);
  ViewReleaser release(db_.get(), view);
  const std::string k = RecordKeyBytes(key);
  std::optional<std::string> best;
  uint64_t best_vseq = 0;
  RETRO_ASSIGN_OR_RETURN(best, GetRaw(kRecords, k, view.snapshot));
  RecordVersion v;
  if (best) {
    if (!ParseRecordVersion(*best, &v)) {
      return absl::DataLossError("malformed record");
    }
    best_vseq = v.vseq;
  }
  for (const auto& [run, run_vseq] : view.runs) {  // newest first
    if (run_vseq <= best_vseq) break;
    RETRO_ASSIGN_OR_RETURN(
        std::optional<std::string> staged,
        GetRaw(kStaging, StagingPrefix(run) + k, view.snapshot));
    if (staged) {
      best = std::move(staged);
      break;
    }
  }
  if (!best) return std::nullopt;
  if (!ParseRecordVersion(*best, &v)) {
    return absl::DataLossError("malformed record");
  }
  if (v.tombstone) return std::nullopt;
  Record r;
  r.key = key;
  FillRecord(v, &r);
  return r;
}

absl::Status RocksStore::VisitVisibleAt(const RecordQuery& query,
                                        std::string_view after_suffix,
                                        size_t limit,
                                        const RecordVisitor& visit,
                                        std::string* next) {
  next->clear();
  if (query.policy.empty()) {
    return absl::InvalidArgumentError("a record query needs a policy");
  }
  View view = TakeView(query.policy);
  ViewReleaser release(db_.get(), view);

  std::string lower, upper;
  codec::PutTime(&lower, query.from);
  codec::PutTime(&upper, query.to);
  if (!after_suffix.empty() && std::string(after_suffix) >= lower) {
    lower = codec::Successor(after_suffix);
  }
  if (lower >= upper) return absl::OkStatus();

  // One source per place a visible version can live: the base versions and
  // each promoted run's staging, merged by key; the highest vseq wins.
  struct Source {
    std::string prefix;
    std::string upper;
    rocksdb::Slice upper_slice;
    std::unique_ptr<rocksdb::Iterator> it;
    uint64_t run_vseq = 0;  // 0 = base (vseq read from the value)
    std::string_view suffix() const {
      return {it->key().data() + prefix.size(),
              it->key().size() - prefix.size()};
    }
  };
  std::vector<std::unique_ptr<Source>> sources;
  auto add = [&](std::string prefix, Cf c, uint64_t run_vseq) {
    auto s = std::make_unique<Source>();
    s->prefix = std::move(prefix);
    s->upper = s->prefix + upper;
    s->upper_slice = rocksdb::Slice(s->upper);
    s->run_vseq = run_vseq;
    rocksdb::ReadOptions ro;
    ro.snapshot = view.snapshot;
    ro.iterate_upper_bound = &s->upper_slice;
    s->it.reset(db_->NewIterator(ro, cf(c)));
    s->it->Seek(s->prefix + lower);
    sources.push_back(std::move(s));
  };
  const std::string policy_prefix = PolicyPrefix(query.policy);
  add(policy_prefix, kRecords, 0);
  for (const auto& [run, run_vseq] : view.runs) {
    add(StagingPrefix(run) + policy_prefix, kStaging, run_vseq);
  }

  size_t emitted = 0;
  std::string last;
  std::vector<Source*> at_min;
  // Reused from one record to the next: assigning keeps their buffers.
  std::string suffix;
  Record r;
  while (true) {
    at_min.clear();
    std::string_view min;
    for (auto& s : sources) {
      if (!s->it->Valid()) {
        RETRO_RETURN_IF_ERROR(FromRocks(s->it->status(), "scanning records"));
        continue;
      }
      std::string_view suf = s->suffix();
      if (at_min.empty() || suf < min) {
        at_min.assign(1, s.get());
        min = suf;
      } else if (suf == min) {
        at_min.push_back(s.get());
      }
    }
    if (at_min.empty()) break;
    RecordVersion best;
    uint64_t best_vseq = 0;
    bool have = false;
    for (Source* s : at_min) {
      RecordVersion v;
      if (!ParseRecordVersion({s->it->value().data(), s->it->value().size()},
                              &v)) {
        return absl::DataLossError("malformed record");
      }
      uint64_t vs = s->run_vseq != 0 ? s->run_vseq : v.vseq;
      if (!have || vs > best_vseq) {
        best = v;
        best_vseq = vs;
        have = true;
      }
    }
    suffix.assign(min);
    bool emit = !best.tombstone &&
                (query.tenants.empty() || query.tenants.contains(best.tenant));
    if (emit) {
      if (!ParseRecordSuffix(suffix, query.policy, &r.key)) {
        return absl::DataLossError("malformed record key");
      }
      FillRecord(best, &r);  // copies out of the iterators before Next()
    }
    for (Source* s : at_min) s->it->Next();
    if (!emit) continue;
    if (limit != 0 && emitted == limit) {
      *next = EncodeCursor(last);
      return absl::OkStatus();
    }
    ++emitted;
    last.assign(suffix);
    if (!visit(r)) {
      *next = EncodeCursor(last);
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RecordPage> RocksStore::Query(const RecordQuery& query,
                                             std::string_view cursor,
                                             size_t limit) {
  if (limit == 0) return absl::InvalidArgumentError("limit must be positive");
  std::string after;
  if (!cursor.empty()) {
    RETRO_ASSIGN_OR_RETURN(after, DecodeCursor(cursor));
  }
  RecordPage page;
  RETRO_RETURN_IF_ERROR(VisitVisibleAt(
      query, after, limit,
      [&](const Record& r) {
        page.records.push_back(r);
        return true;
      },
      &page.next_cursor));
  return page;
}

absl::Status RocksStore::VisitVisible(const RecordQuery& query,
                                      const RecordVisitor& visit) {
  std::string unused;
  return VisitVisibleAt(query, "", 0, visit, &unused);
}

absl::Status RocksStore::BeginStaging(std::string_view run_id,
                                      std::vector<StagingTarget> targets,
                                      absl::Time now) {
  if (run_id.empty()) return absl::InvalidArgumentError("run id is empty");
  if (targets.empty()) {
    return absl::InvalidArgumentError("a staging area needs a target policy");
  }
  absl::MutexLock records_lock(&records_mu_);
  absl::MutexLock control_lock(&control_mu_);
  for (size_t i = 0; i < targets.size(); ++i) {
    StagingTarget& t = targets[i];
    for (size_t j = 0; j < i; ++j) {
      if (targets[j].policy == t.policy) {
        return absl::InvalidArgumentError(
            absl::StrCat("policy ", t.policy, " is targeted twice"));
      }
    }
    RETRO_ASSIGN_OR_RETURN(std::optional<PolicyInfo> p,
                           ReadPolicyState(t.policy));
    if (!p || p->deleted) {
      return absl::NotFoundError(absl::StrCat("no policy ", t.policy));
    }
    if (t.generation < 1 || t.generation > p->latest_generation) {
      return absl::NotFoundError(absl::StrCat(
          "policy ", t.policy, " has no generation ", t.generation));
    }
    t.prior_generation = 0;
    t.prior_run.clear();
  }
  {
    absl::ReaderMutexLock l(&state_mu_);
    if (runs_.contains(run_id)) {
      return absl::AlreadyExistsError(
          absl::StrCat("run ", AV(run_id), " already has a staging area"));
    }
    for (const auto& [id, info] : runs_) {
      if (info.state != StagingState::kStaging) continue;
      for (const StagingTarget& t : targets) {
        if (Targets(info, t.policy)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "policy ", t.policy, " already has an open run: ", id));
        }
      }
    }
  }
  StagingInfo info;
  info.run_id = std::string(run_id);
  info.state = StagingState::kStaging;
  info.targets = std::move(targets);
  info.created = now;
  rocksdb::WriteBatch wb;
  RETRO_RETURN_IF_ERROR(WriteRunState(info, &wb, "opening a staging area"));
  absl::MutexLock l(&state_mu_);
  runs_.emplace(info.run_id, std::move(info));
  return absl::OkStatus();
}

absl::Status RocksStore::WriteRunState(const StagingInfo& info,
                                       rocksdb::WriteBatch* wb,
                                       std::string_view context) {
  wb->Put(cf(kControl), RunKey(info.run_id), EncodeRunState(info));
  return Write(wb, true, context);
}

absl::StatusOr<StagingInfo> RocksStore::GetStaging(std::string_view run_id) {
  absl::ReaderMutexLock l(&state_mu_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no staging area for run ", AV(run_id)));
  }
  return it->second;
}

absl::StatusOr<std::vector<StagingInfo>> RocksStore::ListStagings() {
  absl::ReaderMutexLock l(&state_mu_);
  std::vector<StagingInfo> out;
  out.reserve(runs_.size());
  for (const auto& [id, info] : runs_) out.push_back(info);
  return out;
}

absl::StatusOr<std::optional<StagedRecord>> RocksStore::GetStaged(
    std::string_view run_id, const RecordKey& key) {
  RETRO_RETURN_IF_ERROR(ValidateKey(key));
  RETRO_ASSIGN_OR_RETURN(
      std::optional<std::string> value,
      GetRaw(kStaging, StagingPrefix(run_id) + RecordKeyBytes(key)));
  if (!value) return std::nullopt;
  RecordVersion v;
  if (!ParseRecordVersion(*value, &v)) {
    return absl::DataLossError("malformed staged record");
  }
  StagedRecord s;
  s.tombstone = v.tombstone;
  s.record.key = key;
  FillRecord(v, &s.record);
  return s;
}

absl::Status RocksStore::VisitStaged(std::string_view run_id,
                                     const RecordQuery& query,
                                     const StagedVisitor& visit) {
  const std::string prefix = StagingPrefix(run_id) + PolicyPrefix(query.policy);
  std::string lower = prefix, upper = prefix;
  codec::PutTime(&lower, query.from);
  codec::PutTime(&upper, query.to);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kStaging)));
  for (it->Seek(lower); it->Valid(); it->Next()) {
    StagedRecord s;
    RecordVersion v;
    std::string_view key(it->key().data(), it->key().size());
    if (!ParseRecordSuffix(key.substr(prefix.size()), query.policy,
                           &s.record.key) ||
        !ParseRecordVersion({it->value().data(), it->value().size()}, &v)) {
      return absl::DataLossError("malformed staged record");
    }
    if (!query.tenants.empty() && !v.tombstone &&
        !query.tenants.contains(v.tenant)) {
      continue;
    }
    s.tombstone = v.tombstone;
    FillRecord(v, &s.record);
    if (!visit(s)) break;
  }
  return FromRocks(it->status(), "scanning staged records");
}

absl::Status RocksStore::Promote(std::string_view run_id, absl::Time now) {
  absl::MutexLock records_lock(&records_mu_);
  absl::MutexLock control_lock(&control_mu_);
  RETRO_ASSIGN_OR_RETURN(StagingInfo info, GetStaging(run_id));
  if (info.state != StagingState::kStaging) {
    return absl::FailedPreconditionError(
        StateError(run_id, info.state, "staging"));
  }
  rocksdb::WriteBatch wb;
  for (StagingTarget& t : info.targets) {
    RETRO_ASSIGN_OR_RETURN(std::optional<PolicyInfo> p,
                           ReadPolicyState(t.policy));
    if (!p || p->deleted) {
      return absl::FailedPreconditionError(
          absl::StrCat("policy ", t.policy, " no longer exists"));
    }
    t.prior_generation = p->active_generation;
    t.prior_run = p->active_run;
    p->active_generation = t.generation;
    p->active_run = info.run_id;
    wb.Put(cf(kControl), PolicyStateKey(t.policy), EncodePolicyState(*p));
  }
  info.state = StagingState::kPromoted;
  info.promote_vseq = next_vseq_;
  info.promoted_at = now;
  std::string v;
  codec::PutU64BE(&v, next_vseq_ + 1);
  wb.Put(cf(kDefault), "next_vseq", v);
  RETRO_RETURN_IF_ERROR(WriteRunState(info, &wb, "promoting"));
  ++next_vseq_;
  absl::MutexLock l(&state_mu_);
  runs_[info.run_id] = std::move(info);
  return absl::OkStatus();
}

absl::Status RocksStore::Rollback(std::string_view run_id, absl::Time now) {
  {
    absl::MutexLock records_lock(&records_mu_);
    absl::MutexLock control_lock(&control_mu_);
    RETRO_ASSIGN_OR_RETURN(StagingInfo info, GetStaging(run_id));
    if (info.state == StagingState::kFolded ||
        info.state == StagingState::kFolding ||
        (info.state == StagingState::kPromoted &&
         now - info.promoted_at > options_.rollback_horizon)) {
      return absl::FailedPreconditionError(
          absl::StrCat("run ", AV(run_id), " was promoted at ",
                       base::FormatRfc3339(info.promoted_at),
                       ", past the rollback horizon of ",
                       absl::FormatDuration(options_.rollback_horizon)));
    }
    if (info.state != StagingState::kPromoted) {
      return absl::FailedPreconditionError(
          StateError(run_id, info.state, "promoted"));
    }
    rocksdb::WriteBatch wb;
    for (const StagingTarget& t : info.targets) {
      RETRO_ASSIGN_OR_RETURN(std::optional<PolicyInfo> p,
                             ReadPolicyState(t.policy));
      if (!p) {
        return absl::FailedPreconditionError(
            absl::StrCat("policy ", t.policy, " no longer exists"));
      }
      if (p->active_run != run_id) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the active generation of policy ", t.policy, " was set after run ",
            AV(run_id), "'s promote",
            p->active_run.empty() ? std::string(" (directly)")
                                  : absl::StrCat(" (by run ", p->active_run,
                                                 "); roll that back first")));
      }
      p->active_generation = t.prior_generation;
      p->active_run = t.prior_run;
      wb.Put(cf(kControl), PolicyStateKey(t.policy), EncodePolicyState(*p));
    }
    info.state = StagingState::kRolledBack;
    RETRO_RETURN_IF_ERROR(WriteRunState(info, &wb, "rolling back"));
    absl::MutexLock l(&state_mu_);
    runs_[info.run_id] = std::move(info);
  }
  // Invisible from here on; a failed drop is finished by Maintain or reopen.
  DropStaging(run_id).status().IgnoreError();
  return absl::OkStatus();
}

absl::Status RocksStore::Discard(std::string_view run_id) {
  {
    absl::MutexLock records_lock(&records_mu_);
    RETRO_ASSIGN_OR_RETURN(StagingInfo info, GetStaging(run_id));
    if (info.state != StagingState::kStaging) {
      return absl::FailedPreconditionError(
          StateError(run_id, info.state, "staging"));
    }
    info.state = StagingState::kDiscarded;
    rocksdb::WriteBatch wb;
    RETRO_RETURN_IF_ERROR(WriteRunState(info, &wb, "discarding"));
    absl::MutexLock l(&state_mu_);
    runs_[info.run_id] = std::move(info);
  }
  // A failed drop is finished by Maintain or reopen.
  DropStaging(run_id).status().IgnoreError();
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> RocksStore::GetCursor(std::string_view name) {
  RETRO_ASSIGN_OR_RETURN(std::optional<std::string> v,
                         GetRaw(kControl, CursorKey(name)));
  if (!v) return uint64_t{0};
  std::string_view in = *v;
  uint64_t seq;
  if (!codec::GetU64BE(&in, &seq)) {
    return absl::DataLossError("malformed cursor value");
  }
  return seq;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
RocksStore::GetCheckpoints(std::string_view run_id) {
  return GetCheckpointsWithPrefix(run_id, "");
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
RocksStore::GetCheckpointsWithPrefix(std::string_view run_id,
                                     std::string_view name_prefix) {
  const std::string prefix = CheckpointPrefix(run_id);
  // str(name) starts with str(name_prefix) minus its terminator exactly
  // when name starts with name_prefix.
  std::string seek = prefix;
  codec::PutStr(&seek, name_prefix);
  seek.resize(seek.size() - 2);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(kControl)));
  std::vector<std::pair<std::string, std::string>> out;
  for (it->Seek(seek); it->Valid() && it->key().starts_with(seek); it->Next()) {
    std::string_view k(it->key().data() + prefix.size(),
                       it->key().size() - prefix.size());
    std::string name;
    if (!codec::GetStr(&k, &name)) {
      return absl::DataLossError("malformed checkpoint key");
    }
    out.emplace_back(std::move(name), it->value().ToString());
  }
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "reading checkpoints"));
  return out;
}

}  // namespace retro::store::rocks
