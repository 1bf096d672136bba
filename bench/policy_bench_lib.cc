#include "bench/policy_bench_lib.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "bench/audit_event_gen.h"
#include "base/strings.h"
#include "policy/outcome_json.h"
#include "policy/policy_set.h"

namespace retro::bench {
namespace {

using Clock = std::chrono::steady_clock;

bool ReadFile(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  out->clear();
  if (std::fseek(f, 0, SEEK_END) == 0) {
    long size = std::ftell(f);
    if (size > 0) out->reserve(static_cast<size_t>(size));
    std::rewind(f);
  }
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) out->append(chunk, n);
  bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

bool Blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Counts of one pass; the same for every run over the same input.
struct Tally {
  int64_t events = 0, matched = 0, unmatched = 0, dropped = 0, errors = 0,
          unselected = 0;
  uint64_t checksum = 0;
};

// One timed pass: every line -> outcome -> output line.
Tally Pass(std::string_view text, std::string_view type,
           const policy::CompiledPolicy& compiled, policy::Evaluator& evaluator,
           FILE* out) {
  Tally tally;
  std::string buffer;
  buffer.reserve(1 << 20);
  size_t pos = 0;
  while (pos < text.size()) {
    const char* nl = static_cast<const char*>(
        std::memchr(text.data() + pos, '\n', text.size() - pos));
    size_t end = nl == nullptr ? text.size() : nl - text.data();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (Blank(line)) continue;
    (void)evaluator.Load(type, line);
    const policy::Outcome& o = evaluator.Evaluate(compiled);
    std::string_view id = evaluator.envelope().id;
    switch (o.kind) {
      case policy::OutcomeKind::kUnselected:
        ++tally.unselected;
        policy::AppendUnselectedJson(tally.events, id, &buffer);
        break;
      case policy::OutcomeKind::kMatched:
        ++tally.matched;
        tally.checksum ^= o.record.content_hash.low;
        policy::AppendOutcomeJson(o, tally.events, id, &buffer);
        break;
      case policy::OutcomeKind::kUnmatched:
        ++tally.unmatched;
        policy::AppendOutcomeJson(o, tally.events, id, &buffer);
        break;
      case policy::OutcomeKind::kDropped:
        ++tally.dropped;
        policy::AppendOutcomeJson(o, tally.events, id, &buffer);
        break;
      case policy::OutcomeKind::kError:
        ++tally.errors;
        policy::AppendOutcomeJson(o, tally.events, id, &buffer);
        break;
    }
    buffer.push_back('\n');
    ++tally.events;
    if (buffer.size() >= (1 << 20) - 4096) {
      if (out != nullptr) std::fwrite(buffer.data(), 1, buffer.size(), out);
      buffer.clear();
    }
  }
  if (out != nullptr) std::fwrite(buffer.data(), 1, buffer.size(), out);
  return tally;
}

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
  return absl::NotFoundError(absl::StrCat("cannot find fixtures/",
                                          base::AV(relative),
                                          " (set RETRO_SHARED)"));
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
      return absl::InvalidArgumentError(absl::StrCat(
          policy_file, " holds ", set.policies().size(),
          " policies; name one with --name"));
    }
    compiled = set.policies()[0].get();
  } else {
    compiled = set.Find(options.name);
    if (compiled == nullptr) {
      return absl::NotFoundError(absl::StrCat("no policy named '",
                                              options.name, "' in ",
                                              policy_file));
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
  std::vector<double> rates;
  for (int run = 0; run < std::max(1, options.runs); ++run) {
    FILE* out = nullptr;
    if (!options.out.empty()) {
      out = std::fopen(options.out.c_str(), "wb");
      if (out == nullptr) {
        return absl::InvalidArgumentError("cannot write " + options.out);
      }
    }
    Clock::time_point start = Clock::now();
    std::string read;
    if (!options.input.empty() && !ReadFile(options.input, &read)) {
      if (out != nullptr) std::fclose(out);
      return absl::NotFoundError("cannot read " + options.input);
    }
    std::string_view text = options.input.empty() ? generated : read;
    Tally tally = Pass(text, options.type, *compiled, evaluator, out);
    if (out != nullptr) std::fclose(out);
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    PolicyBenchRun r{tally.events, seconds,
                     seconds > 0 ? tally.events / seconds : 0};
    result.runs.push_back(r);
    rates.push_back(r.events_per_second);
    result.events = tally.events;
    result.bytes = static_cast<int64_t>(text.size());
    result.matched = tally.matched;
    result.unmatched = tally.unmatched;
    result.dropped = tally.dropped;
    result.errors = tally.errors;
    result.unselected = tally.unselected;
    result.checksum = tally.checksum;
    if (log != nullptr) {
      std::fprintf(log, "run %d: %lld events in %.3f s = %.0f events/s\n",
                   run + 1, static_cast<long long>(r.events), r.seconds,
                   r.events_per_second);
    }
  }
  std::vector<double> sorted = rates;
  std::sort(sorted.begin(), sorted.end());
  result.median_events_per_second = sorted[sorted.size() / 2];
  result.best_events_per_second = sorted.back();
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
    std::fprintf(log, "median %.0f events/s, best %.0f events/s (1 thread)\n",
                 result.median_events_per_second,
                 result.best_events_per_second);
  }
  return result;
}

}  // namespace retro::bench
