// The end-to-end policy benchmark shared by `retro bench policy` and the
// Google Benchmark binary (policy_benchmark): one policy (by default the
// `deployments` ActivityPolicy of shared/fixtures/policies/
// workloads.activity.yaml, with the fixtures' Source documents) over raw
// audit events, one thread, timing everything from the raw JSON line to the
// record's content hash and its output line: split lines, parse, read the
// envelope (id, time, tenant), select, match, render the summary and links,
// hash, and format the outcome as `retro policy preview -o json` does. The
// peer it is compared with is shared/peers/reprocess-js/reprocess.mjs on the
// same file (see scripts/bench-policy-vs-peer).
//
// Not thread-safe: one run at a time per thread.
#ifndef RETRO_BENCH_POLICY_BENCH_LIB_H_
#define RETRO_BENCH_POLICY_BENCH_LIB_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace retro::bench {

struct PolicyBenchOptions {
  // Policy file; empty: the fixtures' workloads.activity.yaml.
  std::string policy_file;
  // The policy in it; empty: the file's only policy.
  std::string name = "deployments";
  // Files with Source documents; empty: the fixtures' sources.yaml. Pass
  // "none" to use the built-in presets (no tenant expression).
  std::vector<std::string> sources;
  std::string type = "audit";
  // Events file (read inside the timed region, as the peer does); empty:
  // `events` events from AuditEventGenerator(seed), made before timing.
  std::string input;
  int64_t events = 100'000;
  uint64_t seed = 1;
  int runs = 3;
  // Also write the output lines here (empty: format them, then drop them).
  std::string out;
};

struct PolicyBenchRun {
  int64_t events = 0;
  double seconds = 0;  // wall clock
  double events_per_second = 0;
  // Process CPU time: steadier than wall time on a busy machine.
  double cpu_seconds = 0;
  double events_per_cpu_second = 0;
};

struct PolicyBenchResult {
  std::string policy;  // name (file)
  int64_t events = 0;
  int64_t bytes = 0;  // of input
  int64_t matched = 0, unmatched = 0, dropped = 0, errors = 0, unselected = 0;
  // XOR of the matched records' content hashes (low halves): the same input
  // and policy give the same value, so runs can be compared for sameness.
  uint64_t checksum = 0;
  std::vector<PolicyBenchRun> runs;
  double median_events_per_second = 0;
  double best_events_per_second = 0;
  double median_events_per_cpu_second = 0;
};

// A file under shared/fixtures/ (e.g. "policies/workloads.activity.yaml"):
// $RETRO_SHARED/fixtures/..., else shared/ beside the checkout the binary was
// built from, else the configured default.
absl::StatusOr<std::string> FindFixture(std::string_view relative);

// Runs the benchmark, printing one line per run and a summary to `log`
// (nullptr: quiet). Fails when the policy does not load or is not found.
absl::StatusOr<PolicyBenchResult> RunPolicyBench(
    const PolicyBenchOptions& options, FILE* log);

}  // namespace retro::bench

#endif  // RETRO_BENCH_POLICY_BENCH_LIB_H_
