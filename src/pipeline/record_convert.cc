#include "pipeline/record_convert.h"

#include "policy/outcome_json.h"

namespace retro::pipeline {
namespace {

constexpr std::string_view kRecordKey = ",\"record\":";

}  // namespace

std::string RecordPayload(const policy::Outcome& outcome,
                          std::string* scratch) {
  scratch->clear();
  policy::AppendOutcomeJson(outcome, 0, outcome.record.origin_id, scratch);
  size_t pos = scratch->find(kRecordKey);
  if (pos == std::string::npos) return "{}";
  size_t begin = pos + kRecordKey.size();
  return scratch->substr(begin, scratch->size() - 1 - begin);
}

store::Record ToStoreRecord(const policy::Outcome& outcome,
                            std::string_view policy, uint64_t generation,
                            std::string_view type, std::string_view id,
                            absl::Time time, std::string* scratch) {
  store::Record r;
  r.key.policy = std::string(policy);
  r.key.origin_type = std::string(type);
  r.key.origin_id = std::string(id);
  r.key.time = time;
  r.rule = std::string(outcome.rule);
  r.generation = generation;
  r.tenant = std::string(outcome.record.tenant);
  r.content_hash = outcome.record.content_hash;
  r.payload = RecordPayload(outcome, scratch);
  return r;
}

}  // namespace retro::pipeline
