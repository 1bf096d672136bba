// The end-to-end CEL benchmark shared by `retro bench cel` and the Google
// Benchmark binary (cel_benchmark): policy-style expressions from
// shared/peers/celjs/bench-cases.json evaluated against one audit event whose
// top-level fields are bound as variables, exactly as the cel-js peer
// benchmark (shared/peers/celjs/bench.mjs) does, so the two compare.
//
// Not thread-safe: one suite per thread.
#ifndef RETRO_BENCH_CEL_BENCH_LIB_H_
#define RETRO_BENCH_CEL_BENCH_LIB_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cel/arena.h"
#include "cel/cel.h"
#include "cel/value.h"

namespace retro::bench {

struct CelBenchCase {
  std::string name;
  std::string expr;
  cel::Value expected;  // lives in the suite's arena
};

class CelBenchSuite {
 public:
  // Reads a bench-cases.json file ({"event": {...}, "expressions":
  // [{"name", "expr", "expected"}]}).
  static absl::StatusOr<std::unique_ptr<CelBenchSuite>> Load(
      const std::string& path);

  const std::vector<CelBenchCase>& cases() const { return cases_; }
  const cel::Env& env() const { return *env_; }
  const cel::Activation& activation() const { return *activation_; }

  // Compiles one case's expression; *parse_us gets the compile time.
  absl::StatusOr<std::unique_ptr<cel::Program>> Compile(const CelBenchCase& c,
                                                        double* parse_us) const;

  // Evaluates once; an error naming the case when the result is not the
  // expected value.
  absl::Status Verify(const CelBenchCase& c, const cel::Program& program) const;

  // Evaluates `n` times, resetting `arena` after each evaluation. Returns
  // how many results equal the expected value (n unless something is wrong).
  int64_t Evaluate(const CelBenchCase& c, const cel::Program& program,
                   int64_t n, cel::Arena& arena) const;

 private:
  CelBenchSuite() = default;

  cel::Arena arena_;  // the event and the expected values
  std::unique_ptr<cel::Env> env_;
  std::unique_ptr<cel::Activation> activation_;
  std::vector<CelBenchCase> cases_;
};

// Where bench-cases.json is: `flag` when given, else
// $RETRO_SHARED/peers/celjs/bench-cases.json, else shared/ beside the
// checkout the running binary was built in. An error asking for --cases when
// none exists.
absl::StatusOr<std::string> FindBenchCases(std::string_view flag);

struct CelBenchResult {
  std::string name;
  std::string expr;
  double parse_us = 0;
  double best = 0;    // evaluations per second, best run
  double median = 0;  // evaluations per second, median run
};

struct CelBenchOptions {
  int64_t n = 1'000'000;  // evaluations per timed run
  int runs = 3;           // timed runs per expression
};

// Runs every case (verify, warm up, `runs` timed runs of `n` evaluations) and
// prints bench.mjs's table to `out` as it goes. Fails on a wrong result.
absl::StatusOr<std::vector<CelBenchResult>> RunCelBench(
    const CelBenchSuite& suite, const CelBenchOptions& options, FILE* out);

// The results as bench.mjs's --json line prints them.
std::string CelBenchResultsJson(const std::vector<CelBenchResult>& results);

}  // namespace retro::bench

#endif  // RETRO_BENCH_CEL_BENCH_LIB_H_
