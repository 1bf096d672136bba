// `retro bench cel [--cases FILE] [--n N] [--runs R] [--json]`: the CEL
// engine's end-to-end benchmark, printing the same table as the cel-js peer
// benchmark (shared/peers/celjs/bench.mjs) so the two can be compared.
#include <cstdio>
#include <memory>
#include <string>

#include "bench/cel_bench_lib.h"
#include "cli/command.h"

namespace retro::cli {
namespace {

struct BenchCelFlags {
  std::string cases;
  int64_t n = 1'000'000;
  int runs = 3;
  bool json = false;
};

void Fail(const absl::Status& status) {
  std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
  throw ExitRequest{kExitFailure};
}

void RunBenchCel(const BenchCelFlags& flags) {
  absl::StatusOr<std::string> path = bench::FindBenchCases(flags.cases);
  if (!path.ok()) Fail(path.status());
  absl::StatusOr<std::unique_ptr<bench::CelBenchSuite>> suite =
      bench::CelBenchSuite::Load(*path);
  if (!suite.ok()) Fail(suite.status());
  bench::CelBenchOptions options{flags.n, flags.runs};
  absl::StatusOr<std::vector<bench::CelBenchResult>> results =
      bench::RunCelBench(**suite, options, stdout);
  if (!results.ok()) Fail(results.status());
  if (flags.json) {
    std::printf("%s\n", bench::CelBenchResultsJson(*results).c_str());
  }
}

void RegisterBench(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Run benchmarks");
  bench->require_subcommand(1);
  auto flags = std::make_shared<BenchCelFlags>();
  CLI::App* cel = bench->add_subcommand(
      "cel",
      "Evaluate the policy-style CEL expressions of bench-cases.json many "
      "times and print evaluations per second");
  cel->add_option("--cases", flags->cases,
                  "bench-cases.json (default: "
                  "$RETRO_SHARED/peers/celjs/bench-cases.json)");
  cel->add_option("--n", flags->n, "evaluations per timed run")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cel->add_option("--runs", flags->runs, "timed runs per expression")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cel->add_flag("--json", flags->json,
                "also print the results as one JSON line");
  cel->callback([flags] { RunBenchCel(*flags); });
}

}  // namespace
}  // namespace retro::cli

RETRO_REGISTER_COMMAND(bench, retro::cli::RegisterBench);
