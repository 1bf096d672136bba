// Outcomes as JSON lines: the format of `retro policy preview -o json` (and,
// later, the server's preview endpoint):
//   {"index", "id", "policy", "outcome", "rule", "rule_index",
//    "record": {"summary", "links", "fields", "record_id", "content_hash",
//               "tenant", "time"}, "reason"}
// with each field present where it applies. Pure functions; thread-safe.
#ifndef RETRO_POLICY_OUTCOME_JSON_H_
#define RETRO_POLICY_OUTCOME_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "policy/compiled.h"
#include "policy/evaluator.h"

namespace retro::policy {

// Appends one JSON object (no newline). `id` is the event's origin id.
void AppendOutcomeJson(const Outcome& outcome, int64_t index,
                       std::string_view id, std::string* out);
// The line for an input that no policy selects.
void AppendUnselectedJson(int64_t index, std::string_view id, std::string* out);

// `t` as a JSON string in base::FormatRfc3339's form, byte for byte
// ("2026-11-20T00:01:56.579795Z": 0, 3, 6 or 9 fraction digits), without
// absl's formatter for years 1000-9999.
void AppendRfc3339Json(absl::Time t, std::string* out);

// Evaluates one raw JSON line of `type` with `policy` and returns the outcome
// as a JSON object (index 0): the convenience for golden tests and tools.
std::string EvaluateLineToJson(const CompiledPolicy& policy,
                               const SourceSet& sources, std::string_view type,
                               std::string_view line);

}  // namespace retro::policy

#endif  // RETRO_POLICY_OUTCOME_JSON_H_
