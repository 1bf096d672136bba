// `retro bench reprocess`: a shadow run of the real engine over N generated
// audit events against the scan-and-parse limit of the same store, with
// RSS; `--live-latency`: live ingest latency over HTTP with no run and while
// an adaptive run goes (bench/reprocess_bench_lib.h). Registered under a
// name that sorts after "bench", so that command exists by now.
#include <cstdio>
#include <memory>
#include <string>

#include "base/log.h"
#include "bench/reprocess_bench_lib.h"
#include "cli/command.h"

namespace retro::cli {
namespace {

struct Flags {
  bench::HistoryOptions history;
  int parallelism = 0;
  int rounds = 1;
  bool rounds_given = false;  // --live-latency has its own default
  std::string output = "text";
  bool live_latency = false;
  double rate = 2000;
  int batch = 20;
  double seconds = 5;
};

[[noreturn]] void Fail(const absl::Status& status) {
  std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
  throw ExitRequest{kExitFailure};
}

void RunBenchReprocess(const Flags& f) {
  (void)base::InitLogging("warn");
  bool json = f.output == "json";
  // With -o json, stdout holds only the JSON line; progress goes to stderr.
  FILE* log = json ? stderr : stdout;
  if (f.live_latency) {
    bench::LiveLatencyOptions o;
    o.history = f.history;
    o.rate = f.rate;
    o.batch = f.batch;
    o.seconds = f.seconds;
    o.parallelism = f.parallelism;
    if (f.rounds_given) o.rounds = f.rounds;
    auto result = bench::RunLiveLatencyBench(o, log);
    if (!result.ok()) Fail(result.status());
    if (json) std::printf("%s\n", bench::LiveLatencyJson(*result).c_str());
    if (!result->error.empty()) throw ExitRequest{kExitFailure};
    return;
  }
  bench::ReprocessBenchOptions o;
  o.history = f.history;
  o.parallelism = f.parallelism;
  o.rounds = f.rounds;
  auto result = bench::RunReprocessBench(o, log);
  if (!result.ok()) Fail(result.status());
  if (json) std::printf("%s\n", bench::ReprocessBenchJson(*result).c_str());
  if (!result->error.empty()) {
    std::fprintf(stderr, "error: %s\n", result->error.c_str());
    throw ExitRequest{kExitFailure};
  }
}

void RegisterBenchReprocess(CLI::App& app) {
  CLI::App* bench = app.get_subcommand("bench");
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = bench->add_subcommand(
      "reprocess",
      "Time a shadow run over N generated audit events against the "
      "scan-and-parse limit of the same store, with RSS; or, with "
      "--live-latency, live ingest latency while a run goes");
  cmd->add_option("--events,-n", f->history.events,
                  "audit events in the history")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", f->history.seed, "generator seed")
      ->capture_default_str();
  cmd->add_option("--dir", f->history.dir,
                  "data directory to build the store in (kept); default a "
                  "temporary one, removed at the end");
  cmd->add_option("--parallelism", f->parallelism,
                  "slices at once, for the run and the limit (0: the core "
                  "count)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--rounds", f->rounds,
                  "shadow runs over the same store (each discarded before "
                  "the next); the median is reported. With --live-latency: "
                  "pairs of phases (no run, then a run), 5 by default, "
                  "pooled per phase")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->each([f](const std::string&) { f->rounds_given = true; });
  cmd->add_option("--policy", f->history.policy_file,
                  "policy file (default: the checkout's "
                  "examples/policies/workloads.activity.yaml)");
  cmd->add_option("--name", f->history.policy, "the policy in the file")
      ->capture_default_str();
  cmd->add_option("--source", f->history.sources_file,
                  "Source documents (default: examples/policies/sources.yaml)");
  cmd->add_option("--export", f->history.export_file,
                  "also write the events to this file, one JSON object a "
                  "line (the peer's input)");
  cmd->add_option("-o,--output", f->output, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--live-latency", f->live_latency,
                "measure live ingest latency (HTTP, in-process server) with "
                "no run, then while an adaptive shadow run re-processes the "
                "history");
  cmd->add_option("--rate", f->rate, "--live-latency: live events per second")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", f->batch, "--live-latency: events per request")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seconds", f->seconds,
                  "--live-latency: length of each phase (the run's phase "
                  "ends early when the run does)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([f] { RunBenchReprocess(*f); });
}

}  // namespace

// "bench_reprocess" sorts after "bench": see the file comment.
RETRO_REGISTER_COMMAND(bench_reprocess, RegisterBenchReprocess);

}  // namespace retro::cli
