// Google Benchmark view of the end-to-end CEL benchmark: one benchmark per
// expression of bench-cases.json for evaluation (BM_Eval/<name>) and one for
// compilation (BM_Compile/<name>).
//
//   cel_benchmark [--cases=FILE] [Google Benchmark flags]
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/cel_bench_lib.h"
#include "benchmark/benchmark.h"

namespace retro::bench {
namespace {

void RegisterAll(const CelBenchSuite& suite) {
  for (const CelBenchCase& c : suite.cases()) {
    benchmark::RegisterBenchmark(
        ("BM_Eval/" + c.name).c_str(), [&suite, &c](benchmark::State& state) {
          double parse_us = 0;
          absl::StatusOr<std::unique_ptr<cel::Program>> program =
              suite.Compile(c, &parse_us);
          if (!program.ok()) {
            state.SkipWithError(
                std::string(program.status().message()).c_str());
            return;
          }
          absl::Status verified = suite.Verify(c, **program);
          if (!verified.ok()) {
            state.SkipWithError(std::string(verified.message()).c_str());
            return;
          }
          cel::Arena arena;
          for (auto _ : state) {
            cel::Value v = (*program)->Evaluate(suite.activation(), arena);
            benchmark::DoNotOptimize(v);
            arena.Reset();
          }
        });
    benchmark::RegisterBenchmark(("BM_Compile/" + c.name).c_str(),
                                 [&suite, &c](benchmark::State& state) {
                                   for (auto _ : state) {
                                     double parse_us = 0;
                                     auto program = suite.Compile(c, &parse_us);
                                     benchmark::DoNotOptimize(program);
                                   }
                                 });
  }
}

}  // namespace
}  // namespace retro::bench

int main(int argc, char** argv) {
  // Take --cases=FILE out before Google Benchmark sees the flags.
  std::string cases;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--cases=", 8) == 0) {
      cases = argv[i] + 8;
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;

  absl::StatusOr<std::string> path = retro::bench::FindBenchCases(cases);
  if (!path.ok()) {
    std::fprintf(stderr, "%s\n", std::string(path.status().message()).c_str());
    return 1;
  }
  auto suite = retro::bench::CelBenchSuite::Load(*path);
  if (!suite.ok()) {
    std::fprintf(stderr, "%s\n", std::string(suite.status().message()).c_str());
    return 1;
  }
  retro::bench::RegisterAll(**suite);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
