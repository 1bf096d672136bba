// RunManager: re-processing runs (DESIGN.md, "Visibility" and "Runs") —
// validation before anything runs, the snapshot cutoff and the handoff to
// live processing, exact totals, slices with checkpoints committed with
// their outputs, throttling, the diff, gates, and promote / discard /
// rollback as single atomic steps.
//
//   RunManager runs(deps, options);
//   runs.Recover();          // before live processing starts: handoffs
//   live.Start();
//   runs.Start();            // resumes queued and running runs
//   auto run = runs.Create(request, "alice");
//
// Errors (absl codes, mapped to HTTP by the API): InvalidArgument (bad
// request), NotFound (unknown run or policy), FailedPrecondition (wrong
// state, or another open run for a policy: the message names it),
// OutOfRange (a range before the retained history), PermissionDenied (a
// forced promote by a non-admin).
//
// Thread-safety: all methods may be called from any thread.
#ifndef RETRO_REPROCESS_RUN_MANAGER_H_
#define RETRO_REPROCESS_RUN_MANAGER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pipeline/catalog.h"
#include "pipeline/handoff.h"
#include "pipeline/live_processor.h"
#include "pipeline/metrics.h"
#include "reprocess/run.h"
#include "store/store.h"

namespace retro::reprocess {

struct RunManagerOptions {
  // Slices per run (time buckets of the range, cut by the hourly counts).
  int target_slices = 64;
  // Events evaluated per committed batch of one slice.
  size_t batch_events = 2048;
  // Bounded lists kept per run.
  size_t samples_per_category = 20;
  size_t issues_kept = 1000;
  // Adaptive throttle: back off while live p99 lag is above this, or the
  // live queue is more than a quarter full.
  absl::Duration adaptive_lag_target = absl::Milliseconds(50);
  // ... or when live ingest's append p99 over the last second exceeds this
  // many times its value just before the run (0 = not watched). Taken only
  // when that second held at least adaptive_append_min_samples appends
  // (requests), before the run and during it.
  double adaptive_append_factor = 1.5;
  uint64_t adaptive_append_min_samples = 20;
  // The live queue's capacity (LiveOptions::queue_capacity), for the
  // adaptive throttle.
  size_t live_queue_capacity = 200'000;
  // Insights: error rate that raises one.
  double insight_error_rate = 0.01;
  // Run workers in the SCHED_IDLE scheduling class (nice 19 where that is
  // refused): any other runnable thread — live ingest, evaluation, the
  // kernel's writeback behind an fsync — preempts them at once, and runs
  // take the CPU that is left. Nice 19 alone is not enough on a kernel
  // with EEVDF: a woken live thread waited up to a 4 ms tick behind a run
  // worker (perf sched: 11 of 1,286 wakeups over 0.5 ms, none with
  // SCHED_IDLE). Side by side over three `retro bench reprocess
  // --live-latency` runs each: live ingest p99 ratio 1.99-2.24x against
  // 2.26-2.37x, and the runs 1.2x as fast (the adaptive throttle backs off
  // less).
  bool idle_workers = true;
};

struct RunListQuery {
  std::string state;   // "" = any
  std::string policy;  // "" = any
  std::string cursor;  // from a previous page
  size_t limit = 50;
};

struct RunList {
  std::vector<RunInfo> runs;  // newest first
  std::string next_cursor;    // "" at the end
};

class RunManager {
 public:
  struct Deps {
    store::Store* store;
    pipeline::Catalog* catalog;
    pipeline::LiveProcessor* live;
    pipeline::HandoffRegistry* handoffs;
    pipeline::Metrics* metrics;
  };
  RunManager(Deps deps, RunManagerOptions options = {});
  ~RunManager();
  RunManager(const RunManager&) = delete;
  RunManager& operator=(const RunManager&) = delete;

  // Re-installs the handoffs of runs whose staging is open. Call before the
  // live processor starts (its recovery pass must already dual-write).
  [[nodiscard]] absl::Status Recover();
  // Starts the executor; resumes runs that were queued or running.
  [[nodiscard]] absl::Status Start();
  // Stops executing (runs stay as they are on disk and resume on Start).
  void Stop();

  // Validates and creates a run (state queued; it starts at once when it
  // can). Nothing is written when the request is refused.
  [[nodiscard]] absl::StatusOr<RunInfo> Create(const RunRequest& request,
                                               std::string_view actor);
  [[nodiscard]] absl::StatusOr<RunInfo> Get(std::string_view id);
  [[nodiscard]] absl::StatusOr<RunList> List(const RunListQuery& query);
  [[nodiscard]] absl::StatusOr<Diff> GetDiff(std::string_view id,
                                             size_t samples_per_category);
  [[nodiscard]] absl::StatusOr<ErrorReport> GetErrors(std::string_view id,
                                                      size_t limit);

  [[nodiscard]] absl::StatusOr<RunInfo> Pause(std::string_view id,
                                              std::string_view actor);
  [[nodiscard]] absl::StatusOr<RunInfo> Resume(std::string_view id,
                                               std::string_view actor);
  [[nodiscard]] absl::StatusOr<RunInfo> Cancel(std::string_view id,
                                               std::string_view actor);
  // max_rate 0 = pause (as the issue asks); adaptive switches the mode.
  // Takes effect within a second.
  [[nodiscard]] absl::StatusOr<RunInfo> Rethrottle(std::string_view id,
                                                   double max_rate,
                                                   std::optional<bool> adaptive,
                                                   std::string_view actor);
  // `force` passes blocking gates; the caller checks the admin role.
  [[nodiscard]] absl::StatusOr<RunInfo> Promote(std::string_view id, bool force,
                                                std::string_view actor);
  [[nodiscard]] absl::StatusOr<RunInfo> Discard(std::string_view id,
                                                std::string_view actor);
  [[nodiscard]] absl::StatusOr<RunInfo> Rollback(std::string_view id,
                                                 std::string_view actor);

  std::vector<Insight> Insights();

  // For /metrics: how many runs are in each state, and the open runs'
  // progress.
  struct OpenRun {
    std::string id;
    std::string policies;  // comma-separated
    std::string state;
    double progress = 0;  // scanned / total, 0..1
    double rate = 0;      // events/s
  };
  struct Stats {
    std::vector<std::pair<std::string, uint64_t>> by_state;  // every state
    std::vector<OpenRun> open;  // queued, running, paused
  };
  Stats GetStats();

  // Blocks until the run is no longer queued or running, or timeout (tests,
  // bench). Returns the run as it is then.
  [[nodiscard]] absl::StatusOr<RunInfo> Wait(std::string_view id,
                                             absl::Duration timeout);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace retro::reprocess

#endif  // RETRO_REPROCESS_RUN_MANAGER_H_
