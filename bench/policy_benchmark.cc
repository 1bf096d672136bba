// Google Benchmark view of the end-to-end policy benchmark: the fixtures'
// `deployments` policy over generated audit events, one event per iteration
// (BM_PolicyEvent), and the generator itself (BM_GenerateAuditEvent).
//
//   policy_benchmark [Google Benchmark flags]
#include <string>
#include <vector>

#include "bench/audit_event_gen.h"
#include "bench/policy_bench_lib.h"
#include "benchmark/benchmark.h"
#include "policy/policy_set.h"

namespace retro::bench {
namespace {

void BM_PolicyEvent(benchmark::State& state) {
  absl::StatusOr<std::string> sources = FindFixture("policies/sources.yaml");
  absl::StatusOr<std::string> file =
      FindFixture("policies/workloads.activity.yaml");
  if (!sources.ok() || !file.ok()) {
    state.SkipWithError("fixtures not found (set RETRO_SHARED)");
    return;
  }
  policy::PolicySet set;
  set.AddFile(*sources);
  set.AddFile(*file);
  const policy::CompiledPolicy* deployments = set.Find("deployments");
  if (set.has_errors() || deployments == nullptr) {
    state.SkipWithError("the fixture policies do not load");
    return;
  }
  AuditEventGenerator gen(1);
  std::vector<std::string> events(10'000);
  int64_t bytes = 0;
  for (std::string& e : events) {
    gen.Next(&e);
    bytes += static_cast<int64_t>(e.size());
  }
  policy::Evaluator evaluator(&set.sources());
  size_t i = 0;
  for (auto _ : state) {
    const policy::Outcome& o =
        evaluator.EvaluateLine(*deployments, "audit", events[i]);
    benchmark::DoNotOptimize(o.record.content_hash);
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * bytes /
                          static_cast<int64_t>(events.size()));
}
BENCHMARK(BM_PolicyEvent);

void BM_GenerateAuditEvent(benchmark::State& state) {
  AuditEventGenerator gen(1);
  std::string out;
  for (auto _ : state) {
    out.clear();
    gen.Next(&out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GenerateAuditEvent);

}  // namespace
}  // namespace retro::bench

BENCHMARK_MAIN();
