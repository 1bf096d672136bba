// The one conversion from a policy outcome to the store's record: live
// processing, the handoff (dual write) and re-processing runs all write
// records through it, so the same event and generation give the same bytes
// whichever path wrote them.
//
// Thread-safety: pure functions.
#ifndef RETRO_PIPELINE_RECORD_CONVERT_H_
#define RETRO_PIPELINE_RECORD_CONVERT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "policy/evaluator.h"
#include "store/record.h"

namespace retro::pipeline {

// The record object of a matched outcome's JSON: what GET /v1/records
// serves, byte for byte the `record` of `retro policy preview -o json`.
// `scratch` is reused between calls.
std::string RecordPayload(const policy::Outcome& outcome, std::string* scratch);

// The store record of a matched outcome of policy `policy` (the store's
// name) at `generation`, for the event (type, id, time).
// REQUIRES: outcome.kind == kMatched.
store::Record ToStoreRecord(const policy::Outcome& outcome,
                            std::string_view policy, uint64_t generation,
                            std::string_view type, std::string_view id,
                            absl::Time time, std::string* scratch);

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_RECORD_CONVERT_H_
