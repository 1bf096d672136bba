#include "bench/cel_bench_lib.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cel/json.h"

namespace retro::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kCasesRelative = "peers/celjs/bench-cases.json";

// The expected value, compared exactly (a bool is not 1).
bool SameResult(const cel::Value& got, const cel::Value& want) {
  return got.kind() == want.kind() && cel::Equal(got, want);
}

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  *ok = static_cast<bool>(in);
  return text.str();
}

// 1234567 -> "1,234,567", as JavaScript's toLocaleString('en-US') prints.
std::string Grouped(double value) {
  std::string digits = std::to_string(static_cast<int64_t>(value + 0.5));
  std::string out;
  int lead = static_cast<int>(digits.size()) % 3;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (static_cast<int>(i) - lead) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "?";
}

// "linux x86_64", as node's os.platform() and os.arch() name them.
std::string Platform() {
  struct utsname u;
  if (uname(&u) != 0) return "?";
  std::string system = u.sysname;
  for (char& c : system) c = static_cast<char>(std::tolower(c));
  return system + " " + u.machine;
}

std::string JsonString(std::string_view s) {
  cel::Value v = cel::Value::String(s);
  std::string out;
  if (!cel::ToJson(v, &out)) return "\"\"";
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CelBenchSuite>> CelBenchSuite::Load(
    const std::string& path) {
  bool ok = false;
  std::string text = ReadFile(path, &ok);
  if (!ok) return absl::NotFoundError("cannot read " + path);
  std::unique_ptr<CelBenchSuite> suite(new CelBenchSuite());
  absl::StatusOr<cel::Value> root = cel::ParseJson(text, suite->arena_);
  if (!root.ok()) {
    return absl::InvalidArgumentError(path + ": " +
                                      std::string(root.status().message()));
  }
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(path + ": " + std::string(why));
  };
  if (root->kind() != cel::Kind::kMap) return bad("not a JSON object");
  const cel::Value* event = root->map().FindString("event");
  const cel::Value* expressions = root->map().FindString("expressions");
  if (event == nullptr || event->kind() != cel::Kind::kMap) {
    return bad("no \"event\" object");
  }
  if (expressions == nullptr || expressions->kind() != cel::Kind::kList) {
    return bad("no \"expressions\" list");
  }

  absl::StatusOr<std::unique_ptr<cel::Env>> env = cel::Env::Create();
  if (!env.ok()) return env.status();
  suite->env_ = std::move(*env);
  const cel::MapData& fields = event->map();
  for (uint32_t i = 0; i < fields.size; ++i) {
    absl::Status s = suite->env_->DeclareVariable(
        std::string(fields.keys[i].string_value()), cel::Type::Dyn());
    if (!s.ok()) return s;
  }
  suite->activation_ = std::make_unique<cel::Activation>(*suite->env_);
  for (uint32_t i = 0; i < fields.size; ++i) {
    suite->activation_->Set(fields.keys[i].string_value(), fields.values[i]);
  }

  for (const cel::Value& item : expressions->list()) {
    if (item.kind() != cel::Kind::kMap)
      return bad("an expression is not an object");
    const cel::Value* name = item.map().FindString("name");
    const cel::Value* expr = item.map().FindString("expr");
    const cel::Value* expected = item.map().FindString("expected");
    if (name == nullptr || !name->is_string() || expr == nullptr ||
        !expr->is_string() || expected == nullptr) {
      return bad("an expression lacks name, expr or expected");
    }
    suite->cases_.push_back({std::string(name->string_value()),
                             std::string(expr->string_value()), *expected});
  }
  return suite;
}

absl::StatusOr<std::unique_ptr<cel::Program>> CelBenchSuite::Compile(
    const CelBenchCase& c, double* parse_us) const {
  auto start = Clock::now();
  cel::Env::CompileOutput out = env_->CompileDetailed(c.expr);
  *parse_us =
      std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  if (out.program == nullptr) {
    return absl::InvalidArgumentError(
        c.name + ": " +
        cel::FormatDiagnostics(cel::Source(c.expr), out.diagnostics));
  }
  return std::move(out.program);
}

absl::Status CelBenchSuite::Verify(const CelBenchCase& c,
                                   const cel::Program& program) const {
  cel::Arena arena;
  cel::Value got = program.Evaluate(*activation_, arena);
  if (SameResult(got, c.expected)) return absl::OkStatus();
  std::string shown = got.is_error()
                          ? "error: " + std::string(got.error_message())
                          : got.DebugString();
  return absl::FailedPreconditionError(
      c.name + ": expected " + c.expected.DebugString() + ", got " + shown);
}

int64_t CelBenchSuite::Evaluate(const CelBenchCase& c,
                                const cel::Program& program, int64_t n,
                                cel::Arena& arena) const {
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    cel::Value got = program.Evaluate(*activation_, arena);
    if (SameResult(got, c.expected)) ++hits;
    arena.Reset();
  }
  return hits;
}

absl::StatusOr<std::string> FindBenchCases(std::string_view flag) {
  namespace fs = std::filesystem;
  if (!flag.empty()) return std::string(flag);
  std::vector<fs::path> candidates;
  if (const char* shared = std::getenv("RETRO_SHARED")) {
    candidates.push_back(fs::path(shared) / kCasesRelative);
  }
  // shared/ sits beside the checkout; the binary is somewhere inside it
  // (build/<preset>/src/cli/retro).
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); dir.has_relative_path();
         dir = dir.parent_path()) {
      if (fs::exists(dir / "CMakeLists.txt", ec) &&
          fs::exists(dir / "src" / "cel", ec)) {
        candidates.push_back(dir.parent_path() / "shared" / kCasesRelative);
        break;
      }
    }
  }
#ifdef RETRO_SHARED_DEFAULT
  candidates.push_back(fs::path(RETRO_SHARED_DEFAULT) / kCasesRelative);
#endif
  for (const fs::path& p : candidates) {
    if (fs::exists(p, ec)) return p.string();
  }
  return absl::NotFoundError(
      "cannot find peers/celjs/bench-cases.json (set RETRO_SHARED or pass "
      "--cases FILE)");
}

absl::StatusOr<std::vector<CelBenchResult>> RunCelBench(
    const CelBenchSuite& suite, const CelBenchOptions& options, FILE* out) {
#ifdef __clang__
  const char* compiler = "clang " __clang_version__;
#else
  const char* compiler = "gcc " __VERSION__;
#endif
  std::fprintf(out,
               "retro cel 0.1.0, %s, %s, %u logical CPUs (%s), "
               "N=%s, runs=%d\n",
               compiler, Platform().c_str(),
               std::thread::hardware_concurrency(), CpuModel().c_str(),
               Grouped(options.n).c_str(), options.runs);
  std::fprintf(out, "%-26s %9s %13s %14s %8s\n", "expression", "parse_us",
               "best eval/s", "median eval/s", "ns/eval");
  std::vector<CelBenchResult> results;
  cel::Arena arena;
  for (const CelBenchCase& c : suite.cases()) {
    CelBenchResult r{c.name, c.expr};
    absl::StatusOr<std::unique_ptr<cel::Program>> program =
        suite.Compile(c, &r.parse_us);
    if (!program.ok()) return program.status();
    absl::Status verified = suite.Verify(c, **program);
    if (!verified.ok()) return verified;
    suite.Evaluate(c, **program, std::min<int64_t>(options.n, 200'000),
                   arena);  // warm-up, as bench.mjs does
    std::vector<double> rates;
    for (int run = 0; run < options.runs; ++run) {
      auto start = Clock::now();
      int64_t hits = suite.Evaluate(c, **program, options.n, arena);
      double secs = std::chrono::duration<double>(Clock::now() - start).count();
      if (hits != options.n) {
        return absl::InternalError(c.name + ": result changed during run");
      }
      rates.push_back(options.n / secs);
    }
    std::sort(rates.begin(), rates.end());
    r.best = rates.back();
    r.median = rates[rates.size() / 2];
    std::fprintf(out, "%-26s %9.0f %13s %14s %8.0f\n", c.name.c_str(),
                 r.parse_us, Grouped(r.best).c_str(), Grouped(r.median).c_str(),
                 1e9 / r.median);
    std::fflush(out);
    results.push_back(std::move(r));
  }
  return results;
}

std::string CelBenchResultsJson(const std::vector<CelBenchResult>& results) {
  std::string out = "[";
  for (size_t i = 0; i < results.size(); ++i) {
    const CelBenchResult& r = results[i];
    if (i > 0) out += ",";
    char numbers[160];
    std::snprintf(numbers, sizeof(numbers),
                  ",\"parseUs\":%.3f,\"best\":%.3f,\"median\":%.3f}",
                  r.parse_us, r.best, r.median);
    out += "{\"name\":" + JsonString(r.name) +
           ",\"expr\":" + JsonString(r.expr) + numbers;
  }
  out += "]";
  return out;
}

}  // namespace retro::bench
