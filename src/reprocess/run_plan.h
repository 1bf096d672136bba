// Planning a run: label selectors, the compiled targets and filter, the
// event types a scan reads, and the cut of the range into slices of roughly
// equal event counts.
//
// Thread-safety: pure functions; CompiledRun is immutable once built.
#ifndef RETRO_REPROCESS_RUN_PLAN_H_
#define RETRO_REPROCESS_RUN_PLAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pipeline/catalog.h"
#include "policy/policy_set.h"
#include "reprocess/run_doc.h"
#include "store/event_store.h"
#include "store/store.h"

namespace retro::reprocess {

// "a=b,c!=d,e": ANDed terms; "e" means the label is present.
struct LabelSelector {
  struct Term {
    std::string key, value;
    enum class Op { kEquals, kNotEquals, kExists } op = Op::kExists;
  };
  std::vector<Term> terms;

  bool Matches(
      const std::vector<std::pair<std::string, std::string>>& labels) const;
};
// InvalidArgument naming the bad term.
[[nodiscard]] absl::StatusOr<LabelSelector> ParseSelector(std::string_view s);

struct CompiledTarget {
  std::string policy;  // the store's name
  uint64_t generation = 0;
  std::shared_ptr<const policy::PolicySet> set;  // owns `compiled`
  const policy::CompiledPolicy* compiled = nullptr;
};

struct CompiledRun {
  std::vector<CompiledTarget> targets;
  std::shared_ptr<const policy::PolicySet> filter_set;  // null: no filter
  const policy::CompiledPolicy* filter = nullptr;
  const policy::SourceSet& sources() const {
    return targets.front().set->sources();
  }
};

// Compiles generation `generation` of `policy` with the catalog's sources.
// InvalidArgument with the problems when it no longer compiles.
[[nodiscard]] absl::StatusOr<CompiledTarget> CompileTarget(
    store::Store* store, pipeline::Catalog* catalog, const std::string& policy,
    uint64_t generation);

// The run's filter as a retro/v1 Policy reading `types` whose select is
// `filter`. InvalidArgument with the CEL message when it does not compile.
[[nodiscard]] absl::StatusOr<std::shared_ptr<const policy::PolicySet>>
CompileFilter(pipeline::Catalog* catalog, const std::string& filter,
              const std::vector<std::string>& types);

// Compiles the doc's targets and filter.
[[nodiscard]] absl::StatusOr<std::shared_ptr<const CompiledRun>> CompileRun(
    store::Store* store, pipeline::Catalog* catalog, const RunDoc& doc);

// The event types the targets can read: native policies' inputs, and for
// ActivityPolicies every type in `present` whose source reads Kubernetes
// audit (or event) payloads. Sorted, unique.
std::vector<std::string> TypesRead(const std::vector<CompiledTarget>& targets,
                                   const std::vector<std::string>& present);

// Cuts [from, to) into at most `max_slices` slices of roughly equal counts
// by the per-hour counts (boundaries on whole hours). Never empty; the first
// slice starts at `from`, the last ends at `to`.
std::vector<SlicePlan> CutSlices(absl::Time from, absl::Time to,
                                 const std::vector<store::HourCount>& hours,
                                 uint64_t total, size_t max_slices);

}  // namespace retro::reprocess

#endif  // RETRO_REPROCESS_RUN_PLAN_H_
