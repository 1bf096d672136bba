// cel_conformance: runs the cel-spec conformance suite (converted to JSON in
// shared/conformance/cel/*.json) through Retro's CEL engine and prints a pass
// count per file. See tests/README.md for the policy and the ratchet file.
//
//   cel_conformance [--dir DIR] [--file NAME] [--verbose]
//                   [--ratchet FILE [--update-ratchet] [--require-full]]
//
// Exit status: 0 when every check asked for holds (ratchet counts, full
// files), 1 when one fails, 2 on bad usage or unreadable input.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cel/cel.h"
#include "conformance_value.h"
#include "ratchet.h"
#include "simdjson.h"

namespace retro::conformance {
namespace {

namespace dom = simdjson::dom;
using cel::Arena;
using cel::Value;

struct Options {
  std::string dir;
  std::string file;  // only this file (name without .json)
  bool verbose = false;
  std::string ratchet;
  bool update_ratchet = false;
  bool require_full = false;
  bool help = false;
};

enum class Outcome { kPass, kFail, kSkip };

struct CaseResult {
  Outcome outcome = Outcome::kFail;
  std::string expected;  // for failure reports
  std::string got;
};

struct FileCounts {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

std::string_view GetString(dom::element e, std::string_view key,
                           std::string_view fallback = "") {
  std::string_view s;
  if (e[key].get_string().get(s) == simdjson::SUCCESS) return s;
  return fallback;
}

bool GetBool(dom::element e, std::string_view key) {
  bool b = false;
  return e[key].get_bool().get(b) == simdjson::SUCCESS && b;
}

// Whitespace-free text of a type, for comparing spellings.
std::string Squeeze(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

bool SameType(const cel::Type& got, std::string_view want) {
  if (Squeeze(got.DebugString()) == Squeeze(want)) return true;
  cel::Type parsed;
  return cel::ParseType(want, &parsed) && parsed == got;
}

Value NoImplementation(cel::EvalContext& ctx, std::span<const Value>) {
  return ctx.Error("function declared by the test has no implementation");
}

// Declares a test's function; the env may lack it (the test then cannot
// evaluate it, only check it).
absl::Status DeclareFunction(cel::Env& env, std::string_view name,
                             dom::element function) {
  dom::array overloads;
  if (function["overloads"].get_array().get(overloads) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("function without overloads");
  }
  for (dom::element o : overloads) {
    cel::Overload overload;
    overload.id = std::string(GetString(o, "id"));
    overload.name = std::string(name);
    overload.member = GetBool(o, "member");
    overload.impl = &NoImplementation;
    dom::array params;
    if (o["params"].get_array().get(params) == simdjson::SUCCESS) {
      for (dom::element p : params) {
        std::string_view text;
        cel::Type type;
        if (p.get_string().get(text) != simdjson::SUCCESS ||
            !cel::ParseType(text, &type)) {
          return absl::InvalidArgumentError("unparsable parameter type " +
                                            simdjson::minify(p));
        }
        overload.params.push_back(std::move(type));
      }
    }
    if (!cel::ParseType(GetString(o, "result", "dyn"), &overload.result)) {
      return absl::InvalidArgumentError("unparsable result type");
    }
    absl::Status status = env.functions().Register(std::move(overload));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

CaseResult Fail(std::string expected, std::string got) {
  return {Outcome::kFail, std::move(expected), std::move(got)};
}

CaseResult RunCase(dom::element c) {
  if (GetBool(c, "needs_proto")) return {Outcome::kSkip, "", ""};
  dom::element expected_json;
  std::string expected_text = R"({"value":{"bool":true}})";
  bool has_expected = c["expected"].get(expected_json) == simdjson::SUCCESS;
  if (has_expected) expected_text = simdjson::minify(expected_json);
  std::string_view unknown;
  if (has_expected &&
      expected_json.get_string().get(unknown) == simdjson::SUCCESS) {
    return Fail(expected_text, "unsupported: unknown results");
  }

  absl::StatusOr<std::unique_ptr<cel::Env>> env_or = cel::Env::Create();
  if (!env_or.ok()) {
    return Fail(expected_text, "Env::Create failed: " +
                                   std::string(env_or.status().message()));
  }
  cel::Env& env = **env_or;

  // Declarations: type_env first, then bindings not declared there (dyn).
  dom::array type_env;
  if (c["type_env"].get_array().get(type_env) == simdjson::SUCCESS) {
    for (dom::element decl : type_env) {
      std::string_view name = GetString(decl, "name");
      dom::element ident, function;
      if (decl["ident"].get(ident) == simdjson::SUCCESS) {
        cel::Type type;
        std::string_view text = GetString(ident, "type", "dyn");
        if (!cel::ParseType(text, &type)) {
          return Fail(expected_text,
                      "cannot parse declared type " + std::string(text));
        }
        absl::Status s = env.DeclareVariable(std::string(name), type);
        if (!s.ok()) return Fail(expected_text, std::string(s.message()));
      } else if (decl["function"].get(function) == simdjson::SUCCESS) {
        absl::Status s = DeclareFunction(env, name, function);
        if (!s.ok()) {
          return Fail(expected_text, "cannot declare function " +
                                         std::string(name) + ": " +
                                         std::string(s.message()));
        }
      }
    }
  }
  Arena arena;
  std::vector<std::pair<std::string, Value>> bindings;
  dom::object bindings_json;
  if (c["bindings"].get_object().get(bindings_json) == simdjson::SUCCESS) {
    for (auto [name, json] : bindings_json) {
      absl::StatusOr<Value> v = DecodeValue(json, arena);
      if (!v.ok())
        return Fail(expected_text, std::string(v.status().message()));
      if (env.SlotOf(name) < 0) {
        absl::Status s =
            env.DeclareVariable(std::string(name), cel::Type::Dyn());
        if (!s.ok()) return Fail(expected_text, std::string(s.message()));
      }
      bindings.emplace_back(std::string(name), *v);
    }
  }

  cel::CompileOptions options;
  options.check = !GetBool(c, "disable_check");
  options.parse.enable_macros = !GetBool(c, "disable_macros");
  options.container = std::string(GetString(c, "container"));
  std::string_view expr = GetString(c, "expr");
  cel::Env::CompileOutput compiled = env.CompileDetailed(expr, options);

  bool want_error = false;
  dom::element want_value_json;
  bool want_value = false;
  std::string_view want_type;
  bool has_want_type = false;
  if (has_expected) {
    dom::element ignored;
    want_error =
        expected_json["eval_error"].get(ignored) == simdjson::SUCCESS ||
        expected_json["error"].get(ignored) == simdjson::SUCCESS;
    want_value =
        expected_json["value"].get(want_value_json) == simdjson::SUCCESS;
    has_want_type = expected_json["deduced_type"].get_string().get(want_type) ==
                    simdjson::SUCCESS;
  } else {
    want_value = true;
  }

  if (compiled.program == nullptr) {
    if (want_error) return {Outcome::kPass, "", ""};
    return Fail(expected_text,
                cel::FormatDiagnostics(cel::Source(std::string(expr)),
                                       compiled.diagnostics));
  }
  if (has_want_type && !SameType(compiled.type, want_type)) {
    return Fail(expected_text, "deduced type " + compiled.type.DebugString());
  }
  if (GetBool(c, "check_only") || (!want_value && !want_error)) {
    return {Outcome::kPass, "", ""};
  }

  cel::Activation activation(env);
  for (const auto& [name, value] : bindings) activation.Set(name, value);
  Value result = compiled.program->Evaluate(activation, arena);
  if (want_error) {
    if (result.is_error()) return {Outcome::kPass, "", ""};
    return Fail(expected_text, Describe(result));
  }
  Value want = Value::Null();
  if (has_expected) {
    absl::StatusOr<Value> decoded = DecodeValue(want_value_json, arena);
    if (!decoded.ok()) {
      return Fail(expected_text, std::string(decoded.status().message()));
    }
    want = *decoded;
  } else {
    want = Value::Bool(true);
  }
  if (SameValue(want, result) && !result.is_error()) {
    return {Outcome::kPass, "", ""};
  }
  return Fail(expected_text, Describe(result));
}

int Usage(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s [--dir DIR] [--file NAME] [--verbose]\n"
      "          [--ratchet FILE [--update-ratchet] [--require-full]]\n"
      "  --dir DIR         conformance JSON files (default "
      "$RETRO_SHARED/conformance/cel)\n"
      "  --file NAME       run only NAME.json (e.g. basic)\n"
      "  --verbose         print every failing case\n"
      "  --ratchet FILE    exit 1 when a file passes fewer cases than FILE "
      "records\n"
      "  --update-ratchet  rewrite FILE with the current counts\n"
      "  --require-full    exit 1 unless every file FILE lists as full passes "
      "all its cases\n",
      argv0);
  return 2;
}

bool ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (arg == "--dir") {
      if (!value(&options->dir)) return false;
    } else if (arg == "--file") {
      if (!value(&options->file)) return false;
    } else if (arg == "--ratchet") {
      if (!value(&options->ratchet)) return false;
    } else if (arg == "--verbose" || arg == "-v") {
      options->verbose = true;
    } else if (arg == "--help" || arg == "-h") {
      options->help = true;
    } else if (arg == "--update-ratchet") {
      options->update_ratchet = true;
    } else if (arg == "--require-full") {
      options->require_full = true;
    } else {
      return false;
    }
  }
  if (options->file.ends_with(".json")) {
    options->file.resize(options->file.size() - 5);
  }
  if ((options->update_ratchet || options->require_full) &&
      options->ratchet.empty()) {
    return false;
  }
  return true;
}

std::string DefaultDir() {
  if (const char* shared = std::getenv("RETRO_SHARED")) {
    return std::string(shared) + "/conformance/cel";
  }
#ifdef RETRO_SHARED_DEFAULT
  return std::string(RETRO_SHARED_DEFAULT) + "/conformance/cel";
#else
  return "../shared/conformance/cel";
#endif
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, &options)) return Usage(argv[0]);
  if (options.help) {
    Usage(argv[0]);
    return 0;
  }
  if (options.dir.empty()) options.dir = DefaultDir();

  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(options.dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    if (!options.file.empty() && entry.path().stem() != options.file) continue;
    paths.push_back(entry.path());
  }
  if (ec || paths.empty()) {
    std::fprintf(stderr, "no conformance files%s%s in %s (pass --dir)\n",
                 options.file.empty() ? "" : " named ", options.file.c_str(),
                 options.dir.c_str());
    return 2;
  }
  std::sort(paths.begin(), paths.end());

  std::map<std::string, FileCounts> counts;
  FileCounts total;
  dom::parser parser;
  for (const auto& path : paths) {
    std::string name = path.stem().string();
    dom::element root;
    if (auto error = parser.load(path.string()).get(root)) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(),
                   simdjson::error_message(error));
      return 2;
    }
    FileCounts& file = counts[name];
    dom::array cases;
    if (root["cases"].get_array().get(cases) != simdjson::SUCCESS) {
      std::fprintf(stderr, "%s: no \"cases\" array\n", path.c_str());
      return 2;
    }
    for (dom::element c : cases) {
      CaseResult r = RunCase(c);
      switch (r.outcome) {
        case Outcome::kPass:
          ++file.passed;
          break;
        case Outcome::kSkip:
          ++file.skipped;
          break;
        case Outcome::kFail:
          ++file.failed;
          if (options.verbose) {
            std::printf(
                "FAIL %s/%s\n  expr:     %s\n  expected: %s\n"
                "  got:      %s\n",
                name.c_str(), std::string(GetString(c, "name")).c_str(),
                std::string(GetString(c, "expr")).c_str(), r.expected.c_str(),
                r.got.c_str());
          }
          break;
      }
    }
    std::printf("%s: %d passed, %d failed, %d skipped\n", name.c_str(),
                file.passed, file.failed, file.skipped);
    total.passed += file.passed;
    total.failed += file.failed;
    total.skipped += file.skipped;
  }
  int runnable = total.passed + total.failed;
  std::printf(
      "total: %d passed, %d failed, %d skipped (%.1f%% of %d runnable)\n",
      total.passed, total.failed, total.skipped,
      runnable == 0 ? 0.0 : 100.0 * total.passed / runnable, runnable);
  std::printf("%d passed, %d failed\n", total.passed, total.failed);

  if (options.ratchet.empty()) return 0;
  absl::StatusOr<Ratchet> ratchet = ReadRatchet(options.ratchet);
  if (!ratchet.ok() && !options.update_ratchet) {
    std::fprintf(stderr, "%s\n",
                 std::string(ratchet.status().message()).c_str());
    return 2;
  }
  std::map<std::string, RatchetCounts> current;
  for (const auto& [name, c] : counts) {
    current[name] = {c.passed, c.passed + c.failed};
  }
  if (options.update_ratchet) {
    Ratchet updated = ratchet.ok() ? *ratchet : Ratchet{};
    UpdateRatchet(current, &updated);
    absl::Status s = WriteRatchet(options.ratchet, updated);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 2;
    }
    std::printf("updated %s\n", options.ratchet.c_str());
    return 0;
  }
  std::vector<std::string> problems = CheckRatchet(*ratchet, current);
  if (options.require_full) {
    std::vector<std::string> full = CheckFull(*ratchet, current);
    problems.insert(problems.end(), full.begin(), full.end());
  }
  for (const std::string& p : problems) std::printf("RATCHET: %s\n", p.c_str());
  for (const auto& [name, c] : current) {
    auto it = ratchet->min_passed.find(name);
    if (it != ratchet->min_passed.end() && c.passed > it->second) {
      std::printf(
          "note: %s passes %d, more than the %d recorded; raise the "
          "ratchet with --update-ratchet\n",
          name.c_str(), c.passed, it->second);
    }
  }
  return problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace retro::conformance

int main(int argc, char** argv) { return retro::conformance::Main(argc, argv); }
