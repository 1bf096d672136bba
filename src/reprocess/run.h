// Runs as values: what an operator asks for (RunRequest), what a run is and
// has done (RunInfo), and what it would change (Diff). The JSON forms are in
// docs/api/runs.md and run_json.h; the engine is run_manager.h.
//
// Thread-safety: plain values.
#ifndef RETRO_REPROCESS_RUN_H_
#define RETRO_REPROCESS_RUN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace retro::reprocess {

enum class RunMode { kDryRun, kShadow, kDirect };
std::string_view RunModeName(RunMode mode);  // "dry_run", "shadow", "direct"

// queued -> running <-> paused -> succeeded | failed | cancelled;
// succeeded (shadow) -> promoted | discarded; promoted -> rolled_back.
// failed, cancelled and paused runs can be resumed while the target
// generation is unchanged; failed and cancelled ones can also be discarded.
enum class RunState {
  kQueued,
  kRunning,
  kPaused,
  kSucceeded,
  kFailed,
  kCancelled,
  kPromoted,
  kDiscarded,
  kRolledBack,
};
std::string_view RunStateName(RunState state);  // "queued", "running", …
// Not yet promoted, discarded or rolled back (and, for a dry run, not
// finished): blocks another run of the same policy.
bool IsOpen(RunMode mode, RunState state);

struct Gates {
  double min_coverage = 1.0;  // processed / total
  uint64_t max_errors = 0;
  std::optional<double> max_changed_ratio;  // (changed + removed) / processed
  std::optional<uint64_t> max_removed;
};

struct RunRequest {
  std::vector<std::string> policies;       // names; or
  std::string selector;                    // labels: "a=b,c!=d,e" (ANDed)
  absl::Time from = absl::InfinitePast();  // resolved: default now - 48h
  std::optional<absl::Time> to;            // nullopt: up to the promote
  std::vector<std::string> tenants;        // empty = all
  std::vector<std::string> types;          // empty = all
  std::string filter;  // CEL over `data` and `meta`, as a retro/v1 select
  RunMode mode = RunMode::kShadow;
  bool purge_unmatched = false;
  double max_rate = 0;    // events/s; 0 = unlimited
  bool adaptive = false;  // throttle: adaptive
  int parallelism = 0;    // slices processed at once; 0 = number of cores
  Gates gates;
  std::string retry_errors_of;  // run id: only the events that errored there
  std::string reason;
};

// processed = matched + unmatched + dropped + errors;
// matched = added + changed + unchanged; removed counts staged tombstones
// (purge_unmatched) of events that no longer match.
struct Counters {
  uint64_t processed = 0;
  uint64_t matched = 0;
  uint64_t unmatched = 0;
  uint64_t dropped = 0;
  uint64_t errors = 0;
  uint64_t added = 0;
  uint64_t changed = 0;
  uint64_t unchanged = 0;
  uint64_t removed = 0;

  void Add(const Counters& other);
  friend bool operator==(const Counters&, const Counters&) = default;
};

struct RunTarget {
  std::string policy;
  uint64_t from_generation = 0;    // active when the run started
  uint64_t target_generation = 0;  // the generation the run applies
};

struct RunInfo {
  std::string id;
  RunState state = RunState::kQueued;
  RunRequest request;  // as resolved at start (from/to filled in)
  std::vector<RunTarget> targets;
  std::string created_by;
  absl::Time created = absl::InfinitePast();
  absl::Time started = absl::InfinitePast();
  absl::Time finished = absl::InfinitePast();
  absl::Time promoted = absl::InfinitePast();
  absl::Time rolled_back = absl::InfinitePast();
  uint64_t cutoff_seq = 0;
  uint64_t total = 0;  // events in range and scope, known before the scan
  // Events of the range read so far (each once, whatever the number of
  // policies): progress and coverage are scanned / total.
  uint64_t scanned = 0;
  // (event, policy) pairs outside the policy's or the filter's scope with
  // no visible record: nothing to compare, not in `counters`.
  uint64_t skipped = 0;
  std::string waiting;  // why a queued run has not started yet ("" = none)
  Counters counters;
  Counters handoff;  // live events after the cutoff, staged by live workers
  double rate = 0;   // events/s over the last seconds
  double current_rate = 0;  // the throttle's rate now (0 = unlimited)
  std::optional<double> eta_seconds;
  bool ready_to_promote = false;
  std::vector<std::string> blocking_reasons;
  std::string error;    // why it failed
  bool forced = false;  // promoted past a blocking gate
};

struct Transition {
  std::string policy;
  std::string from_rule;  // "" = no visible record before
  std::string to_rule;    // "" = no record after (unmatched, dropped, error)
  uint64_t count = 0;
};

struct TenantCounters {
  std::string tenant;
  Counters counters;
};

// category: "added", "changed", "unchanged", "removed", "unmatched",
// "dropped", "error".
struct Sample {
  std::string category;
  std::string policy;
  std::string origin_type;
  std::string origin_id;
  std::string tenant;
  absl::Time time;
  std::string old_record;  // the visible record's JSON; "" = none
  std::string new_record;  // the target's record JSON; "" = none
  std::string reason;      // dropped / error
};

struct Diff {
  bool final = false;  // the run has finished; the diff will not change
  Counters counters;
  std::vector<Transition> transitions;  // by count, descending
  std::vector<TenantCounters> tenants;  // by tenant
  std::vector<Sample> samples;          // bounded per category
};

struct EventIssue {
  std::string origin_type;
  std::string origin_id;
  std::string policy;
  std::string reason;
};

struct ErrorReport {
  std::vector<std::pair<std::string, uint64_t>> error_reasons;  // by count
  std::vector<std::pair<std::string, uint64_t>> drop_reasons;   // by count
  std::vector<EventIssue> errors;                               // bounded
  std::vector<EventIssue> drops;                                // bounded
};

struct Insight {
  std::string kind;      // "no_output", "error_rate", "run_failed"
  std::string severity;  // "warning", "critical"
  std::string run_id;
  std::string policy;
  std::string message;
  absl::Time time;
};

}  // namespace retro::reprocess

#endif  // RETRO_REPROCESS_RUN_H_
