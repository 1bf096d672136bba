#include "reprocess/run_manager.h"

// TODO(runs-engine): the engine.
namespace retro::reprocess {

class RunManager::Impl {
 public:
  Impl(Deps deps, RunManagerOptions options) : deps_(deps), options_(options) {}
  Deps deps_;
  RunManagerOptions options_;
};

namespace {
absl::Status NotYet() { return absl::UnimplementedError("runs: not yet"); }
}  // namespace

RunManager::RunManager(Deps deps, RunManagerOptions options)
    : impl_(std::make_unique<Impl>(deps, options)) {}
RunManager::~RunManager() = default;
absl::Status RunManager::Recover() { return absl::OkStatus(); }
absl::Status RunManager::Start() { return absl::OkStatus(); }
void RunManager::Stop() {}
absl::StatusOr<RunInfo> RunManager::Create(const RunRequest&,
                                           std::string_view) {
  return NotYet();
}
absl::StatusOr<RunInfo> RunManager::Get(std::string_view) { return NotYet(); }
absl::StatusOr<RunList> RunManager::List(const RunListQuery&) {
  return NotYet();
}
absl::StatusOr<Diff> RunManager::GetDiff(std::string_view, size_t) {
  return NotYet();
}
absl::StatusOr<ErrorReport> RunManager::GetErrors(std::string_view, size_t) {
  return NotYet();
}
absl::StatusOr<RunInfo> RunManager::Pause(std::string_view, std::string_view) {
  return NotYet();
}
absl::StatusOr<RunInfo> RunManager::Resume(std::string_view, std::string_view) {
  return NotYet();
}
absl::StatusOr<RunInfo> RunManager::Cancel(std::string_view, std::string_view) {
  return NotYet();
}
absl::StatusOr<RunInfo> RunManager::Rethrottle(std::string_view, double,
                                               std::optional<bool>,
                                               std::string_view) {
  return NotYet();
}
absl::StatusOr<RunInfo> RunManager::Promote(std::string_view, bool,
                                            std::string_view) {
  return NotYet();
}
absl::StatusOr<RunInfo> RunManager::Discard(std::string_view,
                                            std::string_view) {
  return NotYet();
}
absl::StatusOr<RunInfo> RunManager::Rollback(std::string_view,
                                             std::string_view) {
  return NotYet();
}
std::vector<Insight> RunManager::Insights() { return {}; }
absl::StatusOr<RunInfo> RunManager::Wait(std::string_view, absl::Duration) {
  return NotYet();
}

}  // namespace retro::reprocess
