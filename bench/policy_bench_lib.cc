#include "bench/policy_bench_lib.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "bench/audit_event_gen.h"
#include "policy/outcome_json.h"
#include "policy/policy_set.h"

namespace retro::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Input is read, and output written, in pieces that stay in the cache.
constexpr size_t kOutBuffer = 64 << 10;

bool Blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Counts of one pass; the same for every run over the same input.
struct Tally {
  int64_t events = 0, matched = 0, unmatched = 0, dropped = 0, errors = 0,
          unselected = 0;
  uint64_t checksum = 0;
};

// One timed pass: every line -> outcome -> output line. Input comes in
// chunks (the file is streamed through one reused buffer, as the peer's
// readline does, so no run pays for faulting in the whole file).
class Pass {
 public:
  Pass(std::string_view type, const policy::CompiledPolicy& compiled,
       policy::Evaluator& evaluator, FILE* out)
      : type_(type), compiled_(compiled), evaluator_(evaluator), out_(out) {
    buffer_.reserve(kOutBuffer);
  }

  // Processes the complete lines of `text` (all of it when `final`);
  // returns how many bytes were consumed.
  size_t Lines(std::string_view text, bool final) {
    size_t pos = 0;
    while (pos < text.size()) {
      const char* nl = static_cast<const char*>(
          std::memchr(text.data() + pos, '\n', text.size() - pos));
      if (nl == nullptr && !final) break;
      size_t end = nl == nullptr ? text.size() : nl - text.data();
      Line(text.substr(pos, end - pos));
      pos = end + 1;
    }
    return std::min(pos, text.size());
  }

  // Reads `file` in chunks through `chunk` (reused between runs).
  bool File(const std::string& path, std::string& chunk) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return false;
    constexpr size_t kChunk = 64 << 10;
    chunk.resize(2 * kChunk);
    size_t have = 0;
    size_t n;
    while ((n = std::fread(chunk.data() + have, 1, chunk.size() - have, f)) >
           0) {
      have += n;
      size_t used = Lines(std::string_view(chunk.data(), have), false);
      std::memmove(chunk.data(), chunk.data() + used, have - used);
      have -= used;
      if (have == chunk.size()) chunk.resize(chunk.size() * 2);  // long line
    }
    bool ok = !std::ferror(f);
    std::fclose(f);
    Lines(std::string_view(chunk.data(), have), true);
    return ok;
  }

  int64_t bytes() const { return bytes_; }

  const Tally& Finish() {
    Flush();
    return tally_;
  }

 private:
  void Line(std::string_view line) {
    bytes_ += static_cast<int64_t>(line.size()) + 1;
    if (Blank(line)) return;
    (void)evaluator_.Load(type_, line);
    const policy::Outcome& o = evaluator_.Evaluate(compiled_);
    std::string_view id = evaluator_.envelope().id;
    switch (o.kind) {
      case policy::OutcomeKind::kUnselected:
        // Counted, not written: like the peer, output is one line per
        // event the policy selects.
        ++tally_.unselected;
        ++tally_.events;
        return;
      case policy::OutcomeKind::kMatched:
        ++tally_.matched;
        tally_.checksum ^= o.record.content_hash.low;
        policy::AppendOutcomeJson(o, tally_.events, id, &buffer_);
        break;
      case policy::OutcomeKind::kUnmatched:
        ++tally_.unmatched;
        policy::AppendOutcomeJson(o, tally_.events, id, &buffer_);
        break;
      case policy::OutcomeKind::kDropped:
        ++tally_.dropped;
        policy::AppendOutcomeJson(o, tally_.events, id, &buffer_);
        break;
      case policy::OutcomeKind::kError:
        ++tally_.errors;
        policy::AppendOutcomeJson(o, tally_.events, id, &buffer_);
        break;
    }
    buffer_.push_back('\n');
    ++tally_.events;
    if (buffer_.size() >= kOutBuffer - 4096) Flush();
  }

  void Flush() {
    if (out_ != nullptr) std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    buffer_.clear();
  }

  std::string_view type_;
  const policy::CompiledPolicy& compiled_;
  policy::Evaluator& evaluator_;
  FILE* out_;
  Tally tally_;
  int64_t bytes_ = 0;
  std::string buffer_;
};

}  // namespace

absl::StatusOr<std::string> FindFixture(std::string_view relative) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* shared = std::getenv("RETRO_SHARED")) {
    candidates.push_back(fs::path(shared) / "fixtures" / relative);
  }
  // shared/ sits beside the checkout; the binary is somewhere inside it.
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); dir.has_relative_path();
         dir = dir.parent_path()) {
      if (fs::exists(dir / "CMakeLists.txt", ec) &&
          fs::exists(dir / "src" / "policy", ec)) {
        candidates.push_back(dir.parent_path() / "shared" / "fixtures" /
                             relative);
        break;
      }
    }
  }
#ifdef RETRO_SHARED_DEFAULT
  candidates.push_back(fs::path(RETRO_SHARED_DEFAULT) / "fixtures" / relative);
#endif
  for (const fs::path& p : candidates) {
    if (fs::exists(p, ec)) return p.string();
  }
  return absl::NotFoundError(absl::StrCat(
      "cannot find fixtures/", base::AV(relative), " (set RETRO_SHARED)"));
}

absl::StatusOr<PolicyBenchResult> RunPolicyBench(
    const PolicyBenchOptions& options, FILE* log) {
  std::string policy_file = options.policy_file;
  if (policy_file.empty()) {
    absl::StatusOr<std::string> found =
        FindFixture("policies/workloads.activity.yaml");
    if (!found.ok()) return found.status();
    policy_file = *found;
  }
  std::vector<std::string> files;
  if (options.sources.empty()) {
    absl::StatusOr<std::string> found = FindFixture("policies/sources.yaml");
    if (!found.ok()) return found.status();
    files.push_back(*found);
  } else {
    for (const std::string& s : options.sources) {
      if (s != "none") files.push_back(s);
    }
  }
  files.push_back(policy_file);
  policy::PolicySet set;
  for (const std::string& f : files) set.AddFile(f);
  if (set.has_errors()) {
    std::string message = "the policy files have errors:";
    for (const policy::Problem& p : set.problems()) {
      if (p.is_error()) absl::StrAppend(&message, "\n", p.ToString());
    }
    return absl::InvalidArgumentError(message);
  }
  const policy::CompiledPolicy* compiled = nullptr;
  if (options.name.empty()) {
    if (set.policies().size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(policy_file, " holds ", set.policies().size(),
                       " policies; name one with --name"));
    }
    compiled = set.policies()[0].get();
  } else {
    compiled = set.Find(options.name);
    if (compiled == nullptr) {
      return absl::NotFoundError(absl::StrCat("no policy named '", options.name,
                                              "' in ", policy_file));
    }
  }

  std::string generated;
  if (options.input.empty()) {
    AuditEventGenerator gen(options.seed);
    generated.reserve(static_cast<size_t>(options.events) * 1000);
    for (int64_t i = 0; i < options.events; ++i) {
      gen.Next(&generated);
      generated.push_back('\n');
    }
  }

  PolicyBenchResult result;
  result.policy = absl::StrCat(compiled->name(), " (", policy_file, ")");
  policy::Evaluator evaluator(&set.sources());
  std::vector<double> rates, cpu_rates;
  std::string chunk;
  for (int run = 0; run < std::max(1, options.runs); ++run) {
    FILE* out = nullptr;
    if (!options.out.empty()) {
      out = std::fopen(options.out.c_str(), "wb");
      if (out == nullptr) {
        return absl::InvalidArgumentError("cannot write " + options.out);
      }
    }
    Clock::time_point start = Clock::now();
    std::clock_t cpu_start = std::clock();
    Pass pass(options.type, *compiled, evaluator, out);
    if (options.input.empty()) {
      pass.Lines(generated, true);
    } else if (!pass.File(options.input, chunk)) {
      if (out != nullptr) std::fclose(out);
      return absl::NotFoundError("cannot read " + options.input);
    }
    const Tally& tally = pass.Finish();
    if (out != nullptr) std::fclose(out);
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    PolicyBenchRun r{tally.events, seconds,
                     seconds > 0 ? tally.events / seconds : 0, cpu,
                     cpu > 0 ? tally.events / cpu : 0};
    result.runs.push_back(r);
    rates.push_back(r.events_per_second);
    cpu_rates.push_back(r.events_per_cpu_second);
    result.events = tally.events;
    result.bytes = pass.bytes();
    result.matched = tally.matched;
    result.unmatched = tally.unmatched;
    result.dropped = tally.dropped;
    result.errors = tally.errors;
    result.unselected = tally.unselected;
    result.checksum = tally.checksum;
    if (log != nullptr) {
      std::fprintf(log,
                   "run %d: %lld events in %.3f s = %.0f events/s (cpu %.3f s "
                   "= %.0f events/cpu-s)\n",
                   run + 1, static_cast<long long>(r.events), r.seconds,
                   r.events_per_second, r.cpu_seconds, r.events_per_cpu_second);
    }
  }
  std::vector<double> sorted = rates;
  std::sort(sorted.begin(), sorted.end());
  result.median_events_per_second = sorted[sorted.size() / 2];
  result.best_events_per_second = sorted.back();
  std::sort(cpu_rates.begin(), cpu_rates.end());
  result.median_events_per_cpu_second = cpu_rates[cpu_rates.size() / 2];
  if (log != nullptr) {
    std::fprintf(log,
                 "policy %s, type %s: %lld events (%.1f MB): %lld matched, "
                 "%lld unmatched, %lld dropped, %lld errors, %lld unselected; "
                 "checksum %016llx\n",
                 result.policy.c_str(), options.type.c_str(),
                 static_cast<long long>(result.events), result.bytes / 1e6,
                 static_cast<long long>(result.matched),
                 static_cast<long long>(result.unmatched),
                 static_cast<long long>(result.dropped),
                 static_cast<long long>(result.errors),
                 static_cast<long long>(result.unselected),
                 static_cast<unsigned long long>(result.checksum));
    std::fprintf(log,
                 "median %.0f events/s, best %.0f events/s, median %.0f "
                 "events/cpu-s (1 thread)\n",
                 result.median_events_per_second, result.best_events_per_second,
                 result.median_events_per_cpu_second);
  }
  return result;
}

}  // namespace retro::bench
