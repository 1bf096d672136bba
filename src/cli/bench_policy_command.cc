// `retro bench gen audit` and `retro bench policy`: the project's own event
// generator and the end-to-end policy benchmark (bench/policy_bench_lib.h).
// They are subcommands of `retro bench`, which bench_command.cc creates; this
// registrar's name sorts after "bench", so that command exists by now.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/audit_event_gen.h"
#include "bench/policy_bench_lib.h"
#include "cli/command.h"

namespace retro::cli {
namespace {

struct GenFlags {
  int64_t events = 100'000;
  uint64_t seed = 1;
  std::string out = "-";
};

void RunGenAudit(const GenFlags& flags) {
  FILE* out = stdout;
  if (flags.out != "-") {
    out = std::fopen(flags.out.c_str(), "wb");
    if (out == nullptr) {
      std::fprintf(stderr, "error: cannot write %s\n", flags.out.c_str());
      throw ExitRequest{kExitFailure};
    }
  }
  bool ok = bench::WriteAuditEvents(flags.events, flags.seed, out);
  if (out != stdout) ok = std::fclose(out) == 0 && ok;
  if (!ok) {
    std::fprintf(stderr, "error: writing the events failed\n");
    throw ExitRequest{kExitFailure};
  }
}

void RunBenchPolicy(const bench::PolicyBenchOptions& options) {
  absl::StatusOr<bench::PolicyBenchResult> result =
      bench::RunPolicyBench(options, stdout);
  if (!result.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(result.status().message()).c_str());
    throw ExitRequest{kExitFailure};
  }
  // The peer's last line, for scripts: "<n> events in <s> s = <rate> events/s"
  // (the median run).
  double rate = result->median_events_per_second;
  std::printf("%lld events in %.3f s = %.0f events/s\n",
              static_cast<long long>(result->events),
              rate > 0 ? result->events / rate : 0.0, rate);
}

void RegisterBenchPolicy(CLI::App& app) {
  CLI::App* bench = app.get_subcommand("bench");

  auto gen_flags = std::make_shared<GenFlags>();
  CLI::App* gen = bench->add_subcommand(
      "gen", "Generate sample events, one JSON object a line");
  gen->require_subcommand(1);
  CLI::App* audit = gen->add_subcommand(
      "audit",
      "Kubernetes audit events of the fixtures' shapes (deterministic for a "
      "seed)");
  audit->add_option("--events,-n", gen_flags->events, "how many")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  audit->add_option("--seed", gen_flags->seed, "PRNG seed")
      ->capture_default_str();
  audit->add_option("-o,--out", gen_flags->out, "output file ('-': stdout)")
      ->capture_default_str();
  audit->callback([gen_flags] { RunGenAudit(*gen_flags); });

  auto options = std::make_shared<bench::PolicyBenchOptions>();
  CLI::App* policy = bench->add_subcommand(
      "policy",
      "Evaluate one policy over raw events on one thread, from the JSON line "
      "to the record's hash and output line, and print events per second");
  policy
      ->add_option("--events", options->events,
                   "generated audit events (without --input)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  policy->add_option("--seed", options->seed, "generator seed")
      ->capture_default_str();
  policy->add_option("--input", options->input,
                     "read events from this file instead (timed, as the "
                     "peer reads its file)");
  policy->add_option("--policy", options->policy_file,
                     "policy file (default: the fixtures' "
                     "workloads.activity.yaml)");
  policy->add_option("--name", options->name, "the policy in the file")
      ->capture_default_str();
  policy->add_option("--source", options->sources,
                     "Source documents (default: the fixtures' sources.yaml; "
                     "'none': built-in presets); repeatable");
  policy->add_option("--type", options->type, "the events' type")
      ->capture_default_str();
  policy->add_option("--runs", options->runs, "timed runs (median reported)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  policy->add_option("--out", options->out,
                     "also write the output lines to this file");
  policy->callback([options] { RunBenchPolicy(*options); });
}

}  // namespace

// "bench_policy" sorts after "bench": see the file comment.
RETRO_REGISTER_COMMAND(bench_policy, RegisterBenchPolicy);

}  // namespace retro::cli
