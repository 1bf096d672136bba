#include "store/rocks_values.h"

#include "store/codec.h"

namespace retro::store::rocks {

using codec::GetHash;
using codec::GetLp;
using codec::GetStr;
using codec::GetTime;
using codec::GetU64BE;
using codec::GetVarint;
using codec::kValueVersion;
using codec::PutHash;
using codec::PutLp;
using codec::PutStr;
using codec::PutTime;
using codec::PutU64BE;
using codec::PutVarint;

namespace {
bool TakeVersion(std::string_view* in) {
  if (in->empty() || static_cast<uint8_t>((*in)[0]) != kValueVersion) {
    return false;
  }
  in->remove_prefix(1);
  return true;
}
bool GetLpString(std::string_view* in, std::string* s) {
  std::string_view v;
  if (!GetLp(in, &v)) return false;
  s->assign(v);
  return true;
}
}  // namespace

std::string EventKey(absl::Time time, uint64_t seq) {
  std::string k;
  k.reserve(16);
  PutTime(&k, time);
  PutU64BE(&k, seq);
  return k;
}

bool ParseEventKey(std::string_view key, absl::Time* time, uint64_t* seq) {
  return key.size() == 16 && GetTime(&key, time) && GetU64BE(&key, seq);
}

std::string EventValue(const Event& e) {
  std::string v;
  v.reserve(16 + e.type.size() + e.id.size() + e.tenant.size() +
            e.source.size() + e.data.size());
  v.push_back(static_cast<char>(kValueVersion));
  PutLp(&v, e.type);
  PutLp(&v, e.id);
  PutLp(&v, e.tenant);
  PutLp(&v, e.source);
  PutLp(&v, e.data);
  return v;
}

bool ParseEventValue(std::string_view value, EventView* view) {
  return TakeVersion(&value) && GetLp(&value, &view->type) &&
         GetLp(&value, &view->id) && GetLp(&value, &view->tenant) &&
         GetLp(&value, &view->source) && GetLp(&value, &view->data) &&
         value.empty();
}

std::string EventIdKey(std::string_view type, std::string_view id) {
  std::string k;
  PutLp(&k, type);
  k.append(id);
  return k;
}

std::string EncodeEventId(const EventIdValue& v) {
  std::string out;
  out.push_back(static_cast<char>(kValueVersion));
  PutU64BE(&out, v.seq);
  PutTime(&out, v.time);
  PutHash(&out, v.content_hash);
  return out;
}

bool ParseEventId(std::string_view value, EventIdValue* v) {
  return TakeVersion(&value) && GetU64BE(&value, &v->seq) &&
         GetTime(&value, &v->time) && GetHash(&value, &v->content_hash);
}

base::Hash128 EventContentHash(const Event& e) {
  std::string t;
  PutU64BE(&t, static_cast<uint64_t>(codec::TimeNanos(e.time)));
  base::Hasher h;
  h.Add("retro.event.v1").Add(e.tenant).Add(t).Add(e.data);
  return h.Finish();
}

std::string CountKey(absl::Time time, std::string_view type,
                     std::string_view tenant) {
  std::string k;
  codec::PutHour(&k, time);
  PutStr(&k, type);
  PutStr(&k, tenant);
  return k;
}

bool ParseCountKey(std::string_view key, int64_t* hour, std::string* type,
                   std::string* tenant) {
  uint64_t h;
  if (!GetU64BE(&key, &h)) return false;
  *hour = static_cast<int64_t>(h ^ (uint64_t{1} << 63));
  return GetStr(&key, type) && GetStr(&key, tenant) && key.empty();
}

std::string PolicyPrefix(std::string_view policy) {
  std::string k;
  PutStr(&k, policy);
  return k;
}

std::string RecordSuffix(const RecordKey& key) {
  std::string k;
  PutTime(&k, key.time);
  PutStr(&k, key.origin_type);
  PutStr(&k, key.origin_id);
  return k;
}

std::string RecordKeyBytes(const RecordKey& key) {
  return PolicyPrefix(key.policy) + RecordSuffix(key);
}

bool ParseRecordSuffix(std::string_view suffix, std::string_view policy,
                       RecordKey* key) {
  key->policy.assign(policy);
  return GetTime(&suffix, &key->time) && GetStr(&suffix, &key->origin_type) &&
         GetStr(&suffix, &key->origin_id) && suffix.empty();
}

std::string StagingPrefix(std::string_view run_id) {
  std::string k;
  PutStr(&k, run_id);
  return k;
}

std::string EncodeRecordVersion(const Record& r, bool tombstone,
                                uint64_t vseq) {
  std::string v;
  v.reserve(48 + r.rule.size() + r.tenant.size() + r.payload.size());
  v.push_back(static_cast<char>(kValueVersion));
  v.push_back(tombstone ? 1 : 0);
  PutU64BE(&v, vseq);
  PutVarint(&v, r.generation);
  PutLp(&v, tombstone ? std::string_view() : r.rule);
  PutLp(&v, tombstone ? std::string_view() : r.tenant);
  PutHash(&v, tombstone ? base::Hash128{} : r.content_hash);
  PutLp(&v, tombstone ? std::string_view() : r.payload);
  return v;
}

bool ParseRecordVersion(std::string_view value, RecordVersion* v) {
  if (!TakeVersion(&value) || value.empty()) return false;
  uint8_t flags = static_cast<uint8_t>(value[0]);
  value.remove_prefix(1);
  v->tombstone = (flags & 1) != 0;
  return GetU64BE(&value, &v->vseq) && GetVarint(&value, &v->generation) &&
         GetLp(&value, &v->rule) && GetLp(&value, &v->tenant) &&
         GetHash(&value, &v->content_hash) && GetLp(&value, &v->payload) &&
         value.empty();
}

void FillRecord(const RecordVersion& v, Record* r) {
  r->rule.assign(v.rule);
  r->generation = v.generation;
  r->tenant.assign(v.tenant);
  r->content_hash = v.content_hash;
  r->payload.assign(v.payload);
}

std::string PolicyGenPrefix(std::string_view policy) {
  std::string k = "P";
  PutStr(&k, policy);
  return k;
}

std::string PolicyGenKey(std::string_view policy, uint64_t gen) {
  std::string k = PolicyGenPrefix(policy);
  PutU64BE(&k, gen);
  return k;
}

std::string EncodePolicyGen(const PolicyGeneration& g) {
  std::string v;
  v.push_back(static_cast<char>(kValueVersion));
  PutHash(&v, g.content_hash);
  PutTime(&v, g.created);
  PutLp(&v, g.spec);
  return v;
}

bool ParsePolicyGen(std::string_view value, PolicyGeneration* g) {
  return TakeVersion(&value) && GetHash(&value, &g->content_hash) &&
         GetTime(&value, &g->created) && GetLpString(&value, &g->spec) &&
         value.empty();
}

std::string PolicyStateKey(std::string_view policy) {
  std::string k = "A";
  PutStr(&k, policy);
  return k;
}

std::string EncodePolicyState(const PolicyInfo& p) {
  std::string v;
  v.push_back(static_cast<char>(kValueVersion));
  PutVarint(&v, p.latest_generation);
  PutVarint(&v, p.active_generation);
  v.push_back(p.deleted ? 1 : 0);
  PutLp(&v, p.active_run);
  return v;
}

bool ParsePolicyState(std::string_view value, PolicyInfo* p) {
  if (!TakeVersion(&value) || !GetVarint(&value, &p->latest_generation) ||
      !GetVarint(&value, &p->active_generation) || value.empty()) {
    return false;
  }
  p->deleted = (value[0] & 1) != 0;
  value.remove_prefix(1);
  return GetLpString(&value, &p->active_run) && value.empty();
}

std::string DocKey(std::string_view kind, std::string_view name) {
  std::string k = "D";
  PutStr(&k, kind);
  PutStr(&k, name);
  return k;
}

std::string CursorKey(std::string_view name) {
  std::string k = "L";
  PutStr(&k, name);
  return k;
}

std::string RunKey(std::string_view run_id) {
  std::string k = "R";
  PutStr(&k, run_id);
  return k;
}

std::string EncodeRunState(const StagingInfo& s) {
  std::string v;
  v.push_back(static_cast<char>(kValueVersion));
  v.push_back(static_cast<char>(s.state));
  PutU64BE(&v, s.promote_vseq);
  PutTime(&v, s.created);
  PutTime(&v, s.promoted_at);
  PutVarint(&v, s.targets.size());
  for (const StagingTarget& t : s.targets) {
    PutLp(&v, t.policy);
    PutVarint(&v, t.generation);
    PutVarint(&v, t.prior_generation);
    PutLp(&v, t.prior_run);
  }
  return v;
}

bool ParseRunState(std::string_view value, StagingInfo* s) {
  if (!TakeVersion(&value) || value.empty()) return false;
  int state = static_cast<uint8_t>(value[0]);
  if (state < 1 || state > 6) return false;
  s->state = static_cast<StagingState>(state);
  value.remove_prefix(1);
  uint64_t n;
  if (!GetU64BE(&value, &s->promote_vseq) || !GetTime(&value, &s->created) ||
      !GetTime(&value, &s->promoted_at) || !GetVarint(&value, &n) ||
      n > value.size()) {
    return false;
  }
  s->targets.resize(n);
  for (StagingTarget& t : s->targets) {
    if (!GetLpString(&value, &t.policy) || !GetVarint(&value, &t.generation) ||
        !GetVarint(&value, &t.prior_generation) ||
        !GetLpString(&value, &t.prior_run)) {
      return false;
    }
  }
  return value.empty();
}

std::string CheckpointPrefix(std::string_view run_id) {
  std::string k = "C";
  PutStr(&k, run_id);
  return k;
}

std::string CheckpointKey(std::string_view run_id, std::string_view name) {
  std::string k = CheckpointPrefix(run_id);
  PutStr(&k, name);
  return k;
}

std::string AuditKey(absl::Time time, uint64_t number) {
  std::string k;
  PutTime(&k, time);
  PutU64BE(&k, number);
  return k;
}

std::string EncodeAudit(const AuditEntry& e) {
  std::string v;
  v.push_back(static_cast<char>(kValueVersion));
  PutLp(&v, e.actor);
  PutLp(&v, e.action);
  PutLp(&v, e.target);
  PutLp(&v, e.outcome);
  PutLp(&v, e.details);
  return v;
}

bool ParseAudit(std::string_view key, std::string_view value, AuditEntry* e) {
  return key.size() == 16 && GetTime(&key, &e->time) &&
         GetU64BE(&key, &e->number) && TakeVersion(&value) &&
         GetLpString(&value, &e->actor) && GetLpString(&value, &e->action) &&
         GetLpString(&value, &e->target) && GetLpString(&value, &e->outcome) &&
         GetLpString(&value, &e->details) && value.empty();
}

}  // namespace retro::store::rocks
