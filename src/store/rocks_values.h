// Encoding and decoding of the embedded store's composite keys and values
// (docs/formats/store.md). Internal to src/store; pure functions.
#ifndef RETRO_STORE_ROCKS_VALUES_H_
#define RETRO_STORE_ROCKS_VALUES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "store/control_store.h"
#include "store/event_store.h"
#include "store/record.h"
#include "store/record_store.h"

namespace retro::store::rocks {

// events: time ‖ seq
std::string EventKey(absl::Time time, uint64_t seq);
bool ParseEventKey(std::string_view key, absl::Time* time, uint64_t* seq);
std::string EventValue(const Event& e);
// Views point into `value`.
bool ParseEventValue(std::string_view value, EventView* view);

// event_ids: lp(type) ‖ id
std::string EventIdKey(std::string_view type, std::string_view id);
struct EventIdValue {
  uint64_t seq = 0;
  absl::Time time;
  base::Hash128 content_hash{};
};
std::string EncodeEventId(const EventIdValue& v);
bool ParseEventId(std::string_view value, EventIdValue* v);
base::Hash128 EventContentHash(const Event& e);

// event_counts: hour ‖ str(type) ‖ str(tenant)
std::string CountKey(absl::Time time, std::string_view type,
                     std::string_view tenant);
bool ParseCountKey(std::string_view key, int64_t* hour, std::string* type,
                   std::string* tenant);

// records / staging. RecordSuffix is time ‖ str(type) ‖ str(id) (the part of
// K after str(policy)).
std::string PolicyPrefix(std::string_view policy);
std::string RecordSuffix(const RecordKey& key);
std::string RecordKeyBytes(const RecordKey& key);  // K
bool ParseRecordSuffix(std::string_view suffix, std::string_view policy,
                       RecordKey* key);
std::string StagingPrefix(std::string_view run_id);

struct RecordVersion {
  bool tombstone = false;
  uint64_t vseq = 0;
  uint64_t generation = 0;
  std::string_view rule, tenant, payload;
  base::Hash128 content_hash{};
};
std::string EncodeRecordVersion(const Record& r, bool tombstone, uint64_t vseq);
bool ParseRecordVersion(std::string_view value, RecordVersion* v);
void FillRecord(const RecordVersion& v, Record* r);

// control
std::string PolicyGenKey(std::string_view policy, uint64_t gen);
std::string PolicyGenPrefix(std::string_view policy);
std::string EncodePolicyGen(const PolicyGeneration& g);
bool ParsePolicyGen(std::string_view value, PolicyGeneration* g);
std::string PolicyStateKey(std::string_view policy);
std::string EncodePolicyState(const PolicyInfo& p);
bool ParsePolicyState(std::string_view value, PolicyInfo* p);
std::string DocKey(std::string_view kind, std::string_view name);
std::string CursorKey(std::string_view name);
std::string RunKey(std::string_view run_id);
std::string EncodeRunState(const StagingInfo& s);
bool ParseRunState(std::string_view value, StagingInfo* s);
std::string CheckpointPrefix(std::string_view run_id);
std::string CheckpointKey(std::string_view run_id, std::string_view name);

// audit
std::string AuditKey(absl::Time time, uint64_t number);
std::string EncodeAudit(const AuditEntry& e);
bool ParseAudit(std::string_view key, std::string_view value, AuditEntry* e);

}  // namespace retro::store::rocks

#endif  // RETRO_STORE_ROCKS_VALUES_H_
