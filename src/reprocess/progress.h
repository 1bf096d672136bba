// Progress of a run: what one slice has done (SliceProgress, persisted as
// checkpoints in the same RecordBatch as the outputs it covers) and the run's
// totals, merged from its slices in slice order so that an interrupted and
// resumed run reports exactly what an uninterrupted one does.
//
// Checkpoint names (all under the run id, docs in README.md):
//   slice/<iiii>           cursor, done flag, scanned, counters, per-tenant
//                          counters, transitions, reason counts
//   slice/<iiii>/x/<nnnnnn> a chunk of samples and issues first seen in one
//                          batch (written only when a batch adds some)
//   err/<type>\x1f<id>     an errored event, "policy\x1freason" (complete,
//                          read by retry runs)
//
// Thread-safety: plain values.
#ifndef RETRO_REPROCESS_PROGRESS_H_
#define RETRO_REPROCESS_PROGRESS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/strings.h"
#include "reprocess/run.h"

namespace retro::reprocess {

// Sample categories, in the order the diff lists them.
enum class Category {
  kAdded,
  kChanged,
  kUnchanged,
  kRemoved,
  kUnmatched,
  kDropped,
  kError,
};
inline constexpr int kNumCategories = 7;
std::string_view CategoryName(Category c);

// Distinct reasons counted per slice; the rest count under kOtherReasons.
inline constexpr size_t kMaxReasonsPerSlice = 256;
inline constexpr std::string_view kOtherReasons = "(other reasons)";

struct SliceProgress {
  std::string cursor;  // EventStore::Visit's cursor ("" = from the start)
  bool done = false;
  uint64_t scanned = 0;  // events read by the scan (once per event)
  // (event, policy) pairs out of the policy's scope (not selected by it or
  // by the run's filter) with no visible record: nothing to compare.
  uint64_t skipped = 0;
  Counters counters;
  base::StringMap<Counters> tenants;
  // Key: policy '\x1f' from_rule '\x1f' to_rule.
  base::StringMap<uint64_t> transitions;
  base::StringMap<uint64_t> error_reasons;
  base::StringMap<uint64_t> drop_reasons;
  std::vector<Sample> samples;  // the first K per category, event order
  std::vector<EventIssue> errors, drops;  // the first M each, event order
  int samples_in[kNumCategories] = {};
  uint64_t chunks = 0;  // sample/issue chunks written

  // The main checkpoint value (without samples and issues).
  std::string Encode() const;
  [[nodiscard]] absl::Status Decode(std::string_view in);
};

// Samples and issues added by one batch.
struct ProgressChunk {
  std::vector<Sample> samples;
  std::vector<EventIssue> errors, drops;
  bool empty() const {
    return samples.empty() && errors.empty() && drops.empty();
  }
  std::string Encode() const;
  [[nodiscard]] absl::Status Decode(std::string_view in);
};

std::string SliceCheckpointName(size_t slice);
std::string ChunkCheckpointName(size_t slice, uint64_t chunk);
inline constexpr std::string_view kSlicePrefix = "slice/";
inline constexpr std::string_view kErrorPrefix = "err/";
std::string ErrorCheckpointName(std::string_view type, std::string_view id);

// Rebuilds slice progress from a run's checkpoints (name order, as
// RecordStore::GetCheckpoints returns them). `slices` is sized by the caller.
[[nodiscard]] absl::Status LoadSlices(
    const std::vector<std::pair<std::string, std::string>>& checkpoints,
    std::vector<SliceProgress>* slices);

// Totals over slices, merged in slice order.
struct Totals {
  uint64_t scanned = 0;
  uint64_t skipped = 0;
  Counters counters;
};
Totals SumSlices(const std::vector<const SliceProgress*>& slices);
Diff MergeDiff(const std::vector<const SliceProgress*>& slices,
               size_t samples_per_category);
ErrorReport MergeErrors(const std::vector<const SliceProgress*>& slices,
                        size_t limit);

}  // namespace retro::reprocess

#endif  // RETRO_REPROCESS_PROGRESS_H_
