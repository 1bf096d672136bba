// ControlStore on RocksDB: policies, documents (control CF) and the audit
// ledger (audit CF).
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "base/strings.h"
#include "rocksdb/write_batch.h"
#include "store/codec.h"
#include "store/rocks_store.h"
#include "store/rocks_values.h"

namespace retro::store::rocks {
namespace {

using base::AV;

absl::Status ValidateName(std::string_view what, std::string_view name,
                          size_t max) {
  if (name.empty())
    return absl::InvalidArgumentError(absl::StrCat(AV(what), " name is empty"));
  if (name.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        AV(what), " name is ", name.size(), " bytes; the limit is ", max));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<PolicyInfo>> RocksStore::ReadPolicyState(
    std::string_view name) {
  RETRO_ASSIGN_OR_RETURN(std::optional<std::string> v,
                         GetRaw(kControl, PolicyStateKey(name)));
  if (!v) return std::nullopt;
  PolicyInfo p;
  p.name = std::string(name);
  if (!ParsePolicyState(*v, &p)) {
    return absl::DataLossError(
        absl::StrCat("malformed state of policy ", AV(name)));
  }
  return p;
}

absl::StatusOr<ApplyPolicyResult> RocksStore::ApplyPolicy(
    std::string_view name, std::string_view spec,
    const base::Hash128& content_hash, absl::Time now, bool activate) {
  RETRO_RETURN_IF_ERROR(ValidateName("policy", name, options_.max_key_bytes));
  absl::MutexLock lock(&control_mu_);
  RETRO_ASSIGN_OR_RETURN(std::optional<PolicyInfo> state,
                         ReadPolicyState(name));
  PolicyInfo p;
  p.name = std::string(name);
  if (state) p = *state;
  rocksdb::WriteBatch wb;
  if (state && state->latest_generation > 0) {
    RETRO_ASSIGN_OR_RETURN(PolicyGeneration latest,
                           GetGeneration(name, state->latest_generation));
    if (latest.content_hash == content_hash) {
      if (state->deleted ||
          (activate && state->active_generation != state->latest_generation)) {
        p.deleted = false;
        if (activate) {
          p.active_generation = p.latest_generation;
          p.active_run.clear();
        }
        wb.Put(cf(kControl), PolicyStateKey(name), EncodePolicyState(p));
        RETRO_RETURN_IF_ERROR(Write(&wb, true, "applying a policy"));
      }
      return ApplyPolicyResult{state->latest_generation, false};
    }
  }
  PolicyGeneration g;
  g.policy = std::string(name);
  g.generation = p.latest_generation + 1;
  g.content_hash = content_hash;
  g.created = now;
  g.spec = std::string(spec);
  wb.Put(cf(kControl), PolicyGenKey(name, g.generation), EncodePolicyGen(g));
  p.latest_generation = g.generation;
  if (activate || p.active_generation == 0) {
    p.active_generation = g.generation;
    p.active_run.clear();
  }
  p.deleted = false;
  wb.Put(cf(kControl), PolicyStateKey(name), EncodePolicyState(p));
  RETRO_RETURN_IF_ERROR(Write(&wb, true, "applying a policy"));
  return ApplyPolicyResult{g.generation, true};
}

absl::StatusOr<PolicyInfo> RocksStore::GetPolicy(std::string_view name) {
  RETRO_ASSIGN_OR_RETURN(std::optional<PolicyInfo> p, ReadPolicyState(name));
  if (!p) return absl::NotFoundError(absl::StrCat("no policy ", AV(name)));
  return *p;
}

absl::StatusOr<std::vector<PolicyInfo>> RocksStore::ListPolicies() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(kControl)));
  std::vector<PolicyInfo> out;
  for (it->Seek("A"); it->Valid() && it->key().starts_with("A"); it->Next()) {
    std::string_view k(it->key().data() + 1, it->key().size() - 1);
    PolicyInfo p;
    if (!codec::GetStr(&k, &p.name) ||
        !ParsePolicyState({it->value().data(), it->value().size()}, &p)) {
      return absl::DataLossError("malformed policy state");
    }
    out.push_back(std::move(p));
  }
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "listing policies"));
  return out;
}

absl::StatusOr<PolicyGeneration> RocksStore::GetGeneration(
    std::string_view name, uint64_t generation) {
  RETRO_ASSIGN_OR_RETURN(std::optional<std::string> v,
                         GetRaw(kControl, PolicyGenKey(name, generation)));
  if (!v) {
    return absl::NotFoundError(
        absl::StrCat("policy ", AV(name), " has no generation ", generation));
  }
  PolicyGeneration g;
  g.policy = std::string(name);
  g.generation = generation;
  if (!ParsePolicyGen(*v, &g)) {
    return absl::DataLossError("malformed policy generation");
  }
  return g;
}

absl::StatusOr<std::vector<PolicyGeneration>> RocksStore::ListGenerations(
    std::string_view name) {
  const std::string prefix = PolicyGenPrefix(name);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(kControl)));
  std::vector<PolicyGeneration> out;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    std::string_view k(it->key().data() + prefix.size(),
                       it->key().size() - prefix.size());
    PolicyGeneration g;
    g.policy = std::string(name);
    if (!codec::GetU64BE(&k, &g.generation) ||
        !ParsePolicyGen({it->value().data(), it->value().size()}, &g)) {
      return absl::DataLossError("malformed policy generation");
    }
    out.push_back(std::move(g));
  }
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "listing generations"));
  if (out.empty()) {
    return absl::NotFoundError(absl::StrCat("no policy ", AV(name)));
  }
  return out;
}

absl::Status RocksStore::SetActiveGeneration(std::string_view name,
                                             uint64_t generation) {
  absl::MutexLock lock(&control_mu_);
  RETRO_ASSIGN_OR_RETURN(std::optional<PolicyInfo> p, ReadPolicyState(name));
  if (!p || p->deleted) {
    return absl::NotFoundError(absl::StrCat("no policy ", AV(name)));
  }
  if (generation < 1 || generation > p->latest_generation) {
    return absl::NotFoundError(
        absl::StrCat("policy ", AV(name), " has no generation ", generation));
  }
  p->active_generation = generation;
  p->active_run.clear();
  rocksdb::WriteBatch wb;
  wb.Put(cf(kControl), PolicyStateKey(name), EncodePolicyState(*p));
  return Write(&wb, true, "setting the active generation");
}

absl::Status RocksStore::DeletePolicy(std::string_view name) {
  absl::MutexLock lock(&control_mu_);
  RETRO_ASSIGN_OR_RETURN(std::optional<PolicyInfo> p, ReadPolicyState(name));
  if (!p || p->deleted) {
    return absl::NotFoundError(absl::StrCat("no policy ", AV(name)));
  }
  p->deleted = true;
  rocksdb::WriteBatch wb;
  wb.Put(cf(kControl), PolicyStateKey(name), EncodePolicyState(*p));
  return Write(&wb, true, "deleting a policy");
}

absl::Status RocksStore::PutDocument(const Document& doc) {
  RETRO_RETURN_IF_ERROR(
      ValidateName("document kind", doc.kind, options_.max_key_bytes));
  RETRO_RETURN_IF_ERROR(
      ValidateName("document", doc.name, options_.max_key_bytes));
  std::string v;
  v.push_back(static_cast<char>(codec::kValueVersion));
  codec::PutTime(&v, doc.updated);
  codec::PutLp(&v, doc.body);
  rocksdb::WriteBatch wb;
  wb.Put(cf(kControl), DocKey(doc.kind, doc.name), v);
  return Write(&wb, true, "writing a document");
}

namespace {
bool ParseDoc(std::string_view value, Document* d) {
  std::string_view body;
  if (value.empty() || static_cast<uint8_t>(value[0]) != codec::kValueVersion) {
    return false;
  }
  value.remove_prefix(1);
  if (!codec::GetTime(&value, &d->updated) || !codec::GetLp(&value, &body)) {
    return false;
  }
  d->body.assign(body);
  return value.empty();
}
}  // namespace

absl::StatusOr<Document> RocksStore::GetDocument(std::string_view kind,
                                                 std::string_view name) {
  RETRO_ASSIGN_OR_RETURN(std::optional<std::string> v,
                         GetRaw(kControl, DocKey(kind, name)));
  if (!v)
    return absl::NotFoundError(absl::StrCat("no ", AV(kind), " ", AV(name)));
  Document d{std::string(kind), std::string(name), {}, {}};
  if (!ParseDoc(*v, &d)) return absl::DataLossError("malformed document");
  return d;
}

absl::StatusOr<std::vector<Document>> RocksStore::ListDocuments(
    std::string_view kind) {
  std::string prefix = "D";
  codec::PutStr(&prefix, kind);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(kControl)));
  std::vector<Document> out;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    std::string_view k(it->key().data() + prefix.size(),
                       it->key().size() - prefix.size());
    Document d;
    d.kind = std::string(kind);
    if (!codec::GetStr(&k, &d.name) ||
        !ParseDoc({it->value().data(), it->value().size()}, &d)) {
      return absl::DataLossError("malformed document");
    }
    out.push_back(std::move(d));
  }
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "listing documents"));
  return out;
}

absl::Status RocksStore::DeleteDocument(std::string_view kind,
                                        std::string_view name) {
  absl::MutexLock lock(&control_mu_);
  RETRO_ASSIGN_OR_RETURN(std::optional<std::string> v,
                         GetRaw(kControl, DocKey(kind, name)));
  if (!v)
    return absl::NotFoundError(absl::StrCat("no ", AV(kind), " ", AV(name)));
  rocksdb::WriteBatch wb;
  wb.Delete(cf(kControl), DocKey(kind, name));
  return Write(&wb, true, "deleting a document");
}

absl::StatusOr<uint64_t> RocksStore::AppendAudit(AuditEntry entry) {
  absl::MutexLock lock(&control_mu_);
  entry.number = next_audit_;
  rocksdb::WriteBatch wb;
  wb.Put(cf(kAudit), AuditKey(entry.time, entry.number), EncodeAudit(entry));
  std::string v;
  codec::PutU64BE(&v, entry.number + 1);
  wb.Put(cf(kDefault), "next_audit", v);
  RETRO_RETURN_IF_ERROR(Write(&wb, true, "appending to the audit ledger"));
  ++next_audit_;
  return entry.number;
}

absl::StatusOr<AuditPage> RocksStore::QueryAudit(absl::Time from, absl::Time to,
                                                 std::string_view cursor,
                                                 size_t limit) {
  if (limit == 0) return absl::InvalidArgumentError("limit must be positive");
  std::string lower = AuditKey(from, 0);
  if (!cursor.empty()) {
    std::string raw;
    if (!codec::FromHex(cursor, &raw) || raw.size() != 17 || raw[0] != '\x01') {
      return absl::InvalidArgumentError("malformed cursor");
    }
    std::string after = raw.substr(1);
    if (after >= lower) lower = codec::Successor(after);
  }
  std::string upper = AuditKey(to, 0);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kAudit)));
  AuditPage page;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    if (page.entries.size() == limit) {
      page.next_cursor =
          codec::ToHex("\x01" + AuditKey(page.entries.back().time,
                                         page.entries.back().number));
      break;
    }
    AuditEntry e;
    if (!ParseAudit({it->key().data(), it->key().size()},
                    {it->value().data(), it->value().size()}, &e)) {
      return absl::DataLossError("malformed audit entry");
    }
    page.entries.push_back(std::move(e));
  }
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "reading the audit ledger"));
  return page;
}

}  // namespace retro::store::rocks
