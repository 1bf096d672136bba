// The re-processing benchmarks behind `retro bench reprocess`:
//
// - RunReprocessBench: N generated audit events (AuditEventGenerator, the
//   fixtures' shapes) in a fresh store with generation 1 of the `deployments`
//   ActivityPolicy (the project's copy, examples/policies/) active and its
//   records written as live processing would; then a shadow run of
//   generation 2 (the same policy, the first rule's summary changed) over
//   all N events through the real RunManager, timed from Create to the end
//   of Wait. Beside it, the "scan and parse only" limit on the same store:
//   EventStore::Visit over the same range, the same number of threads, each
//   payload parsed by simdjson into a DOM and its top-level fields touched —
//   nothing else. Peak RSS (ru_maxrss) and RSS growth while the run goes.
// - RunLiveLatencyBench: an in-process api::Server on 127.0.0.1:0 over a
//   prepared history; HTTP ingest at a fixed rate, per-request latency
//   p50/p99 with no run and while a shadow run with the adaptive throttle
//   re-processes the history, in alternating rounds, pooled per phase.
//
// Nothing keeps per-event state: events are generated, stored and exported
// in bounded batches, so memory depends on the store, not on N.
//
// Not thread-safe: one bench at a time per process.
#ifndef RETRO_BENCH_REPROCESS_BENCH_LIB_H_
#define RETRO_BENCH_REPROCESS_BENCH_LIB_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "reprocess/run.h"

namespace retro::bench {

// How the history is built (shared by both benches).
struct HistoryOptions {
  int64_t events = 1'000'000;
  uint64_t seed = 1;
  // Data directory (the store is <dir>/store, as `retro serve --data`).
  // Empty: a fresh temporary directory, removed at the end. A given one is
  // kept: it must hold no store yet, or the history an earlier bench built
  // there with the same events, seed and policy and no event added since
  // (bench-history.txt says which), which is then reused as it is.
  std::string dir;
  // Policy file and the policy in it; empty: the checkout's
  // examples/policies/workloads.activity.yaml and `deployments`.
  std::string policy_file;
  std::string policy = "deployments";
  // Source documents; empty: examples/policies/sources.yaml.
  std::string sources_file;
  // Also write the events here, one JSON object a line (for the peer).
  std::string export_file;
};

struct ReprocessBenchOptions {
  HistoryOptions history;
  int parallelism = 0;  // slices at once (run and limit); 0 = core count
  int rounds = 1;       // shadow runs (each discarded before the next)
};

struct ReprocessRound {
  double run_seconds = 0;  // Create .. Wait returned
  // Events of the range the run read (all N) over run_seconds. The
  // counters cover only the events the policy selects; the others are
  // `skipped` (read, not selected, no record before).
  double run_events_per_second = 0;
  uint64_t scanned = 0, skipped = 0;
  // The run's own times: created -> started (validation, totals, slices,
  // staging) and started -> finished (the scan).
  double setup_seconds = 0, scan_seconds = 0;
  double limit_seconds = 0;  // scan and parse only
  double limit_events_per_second = 0;
  double ratio = 0;  // run / limit
  // CPU time of the whole process (user + system) during the run and the
  // limit, and events per CPU second: steadier than the wall-clock rates on
  // a machine other work shares.
  double run_cpu_seconds = 0, limit_cpu_seconds = 0;
  double run_events_per_cpu_second = 0, limit_events_per_cpu_second = 0;
  int64_t rss_before = 0;       // bytes, when the run was created
  int64_t rss_peak_during = 0;  // bytes, sampled every 10 ms
  int64_t rss_growth = 0;       // peak during - before
  std::string state;            // the run's final state
  reprocess::Counters counters;
};

struct ReprocessBenchResult {
  int64_t events = 0;
  int64_t bytes = 0;  // of payloads
  double load_seconds = 0;
  double load_events_per_second = 0;
  int parallelism = 0;
  std::vector<ReprocessRound> rounds;
  double median_run_events_per_second = 0;
  double median_limit_events_per_second = 0;
  int64_t peak_rss = 0;  // bytes, getrusage ru_maxrss of the process
  std::string error;     // set when a run could not be made (engine error)
};

// Runs it, printing progress and a summary to `log` (nullptr: quiet).
// Fails when the inputs do not load or the store cannot be written; an
// engine refusal is reported in result.error instead, after the limit.
absl::StatusOr<ReprocessBenchResult> RunReprocessBench(
    const ReprocessBenchOptions& options, FILE* log);

std::string ReprocessBenchJson(const ReprocessBenchResult& result);

struct LiveLatencyOptions {
  HistoryOptions history;  // the history the run re-processes
  double rate = 2000;      // live events/s
  int batch = 20;          // events per request
  double seconds = 5;      // per phase
  int rounds = 5;          // pairs of phases, alternating
  int parallelism = 0;     // the run's; 0 = core count
  int live_workers = 2;
};

struct LatencyFigures {
  int64_t requests = 0;
  int64_t retried = 0;  // 429 / 503 answers (resent)
  double seconds = 0;   // how long the phase lasted
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double lag_p99_ms = 0;  // live lag (ack -> visible), from the metrics
};

// One round: a phase with no run, then one while a run goes.
struct LiveLatencyRound {
  LatencyFigures idle;
  LatencyFigures running;
  double ratio = 0;          // running.p99 / idle.p99
  uint64_t run_scanned = 0;  // by the run during the measured window
  double run_events_per_second = 0;
};

struct LiveLatencyResult {
  int64_t history = 0;
  double load_seconds = 0;
  // Every round's requests pooled per phase (a p99 of a few hundred
  // requests moves a lot from one round to the next).
  LatencyFigures idle;               // no run
  LatencyFigures running;            // while a run goes
  double ratio = 0;                  // running.p99 / idle.p99, pooled
  double run_events_per_second = 0;  // median over the rounds
  std::vector<LiveLatencyRound> rounds;
  std::string run_state;  // of the last run, when its window ended
  std::string error;
};

absl::StatusOr<LiveLatencyResult> RunLiveLatencyBench(
    const LiveLatencyOptions& options, FILE* log);

std::string LiveLatencyJson(const LiveLatencyResult& result);

}  // namespace retro::bench

#endif  // RETRO_BENCH_REPROCESS_BENCH_LIB_H_
