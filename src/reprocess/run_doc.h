// RunDoc: what the store keeps of a run besides its checkpoints — the
// resolved request, the targets, the lifecycle state and times, the snapshot
// cutoff and the slice plan — as the JSON body of the ControlStore document
// of kind "run" named by the run id. Written (synced) on every state change.
//
// Thread-safety: plain values and pure functions.
#ifndef RETRO_REPROCESS_RUN_DOC_H_
#define RETRO_REPROCESS_RUN_DOC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reprocess/run.h"

namespace retro::reprocess {

inline constexpr std::string_view kRunDocKind = "run";

// One slice of the scan: events with time in [from, to); for a retry run,
// the entries [begin, end) of the errored-event list instead.
struct SlicePlan {
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  uint64_t begin = 0, end = 0;
};

struct RunDoc {
  // Definition and lifecycle; counters, rates and gates are derived, not
  // stored.
  RunInfo info;
  bool has_cutoff = false;              // cutoff_seq taken (and staging opened)
  bool planned = false;                 // total and slices known
  std::vector<std::string> scan_types;  // resolved; empty = all types
  std::vector<SlicePlan> slices;
  std::string waiting;  // why a queued run has not started yet
};

std::string EncodeRunDoc(const RunDoc& doc);
[[nodiscard]] absl::StatusOr<RunDoc> DecodeRunDoc(std::string_view json);

// "r-YYYYMMDD-HHMMSS-xxxx" (UTC; xxxx random hex): sorts by creation time.
std::string NewRunId(absl::Time now);

}  // namespace retro::reprocess

#endif  // RETRO_REPROCESS_RUN_DOC_H_
