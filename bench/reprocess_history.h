// The history the re-processing benchmarks run over (private to
// reprocess_bench_lib and live_latency_bench): N generated audit events in a
// fresh store, generation 1 of the policy active with its records written
// exactly as live processing writes them (pipeline::ToStoreRecord), the live
// cursors at the last event (so live processing has nothing to recover),
// and generation 2 (the first rule's summary changed) applied but not
// active: the target of the benchmarked runs.
//
// Not thread-safe.
#ifndef RETRO_BENCH_REPROCESS_HISTORY_H_
#define RETRO_BENCH_REPROCESS_HISTORY_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/reprocess_bench_lib.h"

namespace retro::bench {

struct History {
  std::string dir;         // the data directory (the store is dir/store)
  bool temporary = false;  // made by BuildHistory: remove it at the end
  std::string policy;      // the policy's name in the store
  int64_t events = 0;
  int64_t bytes = 0;  // payload bytes
  double load_seconds = 0;
  double compact_seconds = 0;  // the compaction after the load (0: reused)
  absl::Time first, last;      // event times
  uint64_t max_seq = 0;
};

// Builds the history and closes the store again. `live_workers` names the
// live cursors set (live/<i>of<N>): it must be the reader's worker count.
absl::StatusOr<History> BuildHistory(const HistoryOptions& options,
                                     int live_workers, FILE* log);

// Removes a temporary history's directory when it goes out of scope.
class HistoryCleanup {
 public:
  explicit HistoryCleanup(const History& history) : history_(history) {}
  ~HistoryCleanup();
  HistoryCleanup(const HistoryCleanup&) = delete;
  HistoryCleanup& operator=(const HistoryCleanup&) = delete;

 private:
  const History& history_;
};

// The process's resident set now, in bytes (/proc/self/statm).
int64_t CurrentRss();
// The process's peak resident set so far, in bytes (getrusage).
int64_t PeakRss();

// The middle value (the upper one of an even count); 0 for none.
double Median(std::vector<double> v);

}  // namespace retro::bench

#endif  // RETRO_BENCH_REPROCESS_HISTORY_H_
