#include "reprocess/run_json.h"

// TODO(runs-api): the JSON forms of docs/api/runs.md.
namespace retro::reprocess {

absl::StatusOr<RunRequest> ParseRunRequest(std::string_view, absl::Time) {
  return absl::UnimplementedError("ParseRunRequest");
}
void AppendRunJson(const RunInfo&, std::string* out) { out->append("{}"); }
void AppendDiffJson(std::string_view, const Diff&, std::string* out) {
  out->append("{}");
}
void AppendErrorsJson(std::string_view, const ErrorReport&, std::string* out) {
  out->append("{}");
}
void AppendInsightsJson(const std::vector<Insight>&, std::string* out) {
  out->append("{}");
}

}  // namespace retro::reprocess
