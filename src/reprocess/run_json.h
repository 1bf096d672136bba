// JSON forms of runs (docs/api/runs.md): the request the API and the CLI
// send, and the run, diff, errors and insights they receive.
//
// Thread-safety: pure functions.
#ifndef RETRO_REPROCESS_RUN_JSON_H_
#define RETRO_REPROCESS_RUN_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reprocess/run.h"

namespace retro::reprocess {

// Parses a POST /v1/runs body; relative times ("-48h") are taken from
// `now`. InvalidArgument naming the field and the fix on any problem.
[[nodiscard]] absl::StatusOr<RunRequest> ParseRunRequest(std::string_view json,
                                                         absl::Time now);

void AppendRunJson(const RunInfo& run, std::string* out);
void AppendDiffJson(std::string_view run_id, const Diff& diff,
                    std::string* out);
void AppendErrorsJson(std::string_view run_id, const ErrorReport& report,
                      std::string* out);
void AppendInsightsJson(const std::vector<Insight>& insights, std::string* out);

}  // namespace retro::reprocess

#endif  // RETRO_REPROCESS_RUN_JSON_H_
