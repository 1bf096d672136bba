// `retro cel eval EXPR [--vars JSON|@FILE]` evaluates a CEL expression and
// prints the result as JSON; `retro cel check EXPR [--vars ...]` prints its
// deduced type. The top-level keys of --vars become dyn variables. Errors
// (diagnostics with a caret, or "error: <message>" for an error value) go to
// stderr with exit status 1.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cel/cel.h"
#include "cel/json.h"
#include "cli/command.h"

namespace retro::cli {
namespace {

struct CelFlags {
  std::string expr;
  std::string vars;  // JSON object text, or @FILE
};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  throw ExitRequest{kExitFailure};
}

std::string VarsText(const std::string& flag) {
  if (flag.empty() || flag[0] != '@') return flag;
  std::ifstream in(flag.substr(1), std::ios::binary);
  if (!in) Fail("error: cannot read " + flag.substr(1));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// An env with one dyn variable per top-level key of --vars, and an
// activation binding them. The values live in `arena`.
struct Bound {
  std::unique_ptr<cel::Env> env;
  std::unique_ptr<cel::Activation> activation;
};

Bound Bind(const CelFlags& flags, cel::Arena& arena) {
  absl::StatusOr<std::unique_ptr<cel::Env>> env = cel::Env::Create();
  if (!env.ok()) Fail("error: " + std::string(env.status().message()));
  Bound bound{std::move(*env), nullptr};
  cel::Value vars = cel::Value::Null();
  if (!flags.vars.empty()) {
    absl::StatusOr<cel::Value> parsed =
        cel::ParseJson(VarsText(flags.vars), arena);
    if (!parsed.ok()) {
      Fail("error: --vars: " + std::string(parsed.status().message()));
    }
    if (parsed->kind() != cel::Kind::kMap) {
      Fail("error: --vars must be a JSON object");
    }
    vars = *parsed;
    const cel::MapData& map = vars.map();
    for (uint32_t i = 0; i < map.size; ++i) {
      absl::Status s = bound.env->DeclareVariable(
          std::string(map.keys[i].string_value()), cel::Type::Dyn());
      if (!s.ok()) Fail("error: --vars: " + std::string(s.message()));
    }
  }
  bound.activation = std::make_unique<cel::Activation>(*bound.env);
  if (vars.kind() == cel::Kind::kMap) {
    const cel::MapData& map = vars.map();
    for (uint32_t i = 0; i < map.size; ++i) {
      bound.activation->Set(map.keys[i].string_value(), map.values[i]);
    }
  }
  return bound;
}

cel::Env::CompileOutput CompileOrFail(const cel::Env& env,
                                      const std::string& expr) {
  cel::Env::CompileOutput out = env.CompileDetailed(expr);
  if (out.program == nullptr) {
    Fail(cel::FormatDiagnostics(cel::Source(expr), out.diagnostics));
  }
  return out;
}

void RunEval(const CelFlags& flags) {
  cel::Arena arena;
  Bound bound = Bind(flags, arena);
  cel::Env::CompileOutput compiled = CompileOrFail(*bound.env, flags.expr);
  cel::Value result = compiled.program->Evaluate(*bound.activation, arena);
  if (result.is_error()) {
    Fail("error: " + std::string(result.error_message()));
  }
  std::string json;
  if (!cel::ToJson(result, &json)) {
    Fail("error: the result cannot be written as JSON: " +
         result.DebugString());
  }
  std::printf("%s\n", json.c_str());
}

void RunCheck(const CelFlags& flags) {
  cel::Arena arena;
  Bound bound = Bind(flags, arena);
  cel::Env::CompileOutput compiled = CompileOrFail(*bound.env, flags.expr);
  std::printf("%s\n", compiled.type.DebugString().c_str());
}

void AddCommon(CLI::App* sub, CelFlags* flags) {
  sub->add_option("expr", flags->expr, "the CEL expression")->required();
  sub->add_option("--vars", flags->vars,
                  "variables: a JSON object (or @FILE holding one); each "
                  "top-level key becomes a dyn variable");
}

void RegisterCel(CLI::App& app) {
  CLI::App* cel =
      app.add_subcommand("cel", "Evaluate or type-check a CEL expression");
  cel->require_subcommand(1);
  auto flags = std::make_shared<CelFlags>();
  CLI::App* eval =
      cel->add_subcommand("eval", "Evaluate EXPR and print the result as JSON");
  AddCommon(eval, flags.get());
  eval->callback([flags] { RunEval(*flags); });
  CLI::App* check =
      cel->add_subcommand("check", "Type-check EXPR and print its type");
  AddCommon(check, flags.get());
  check->callback([flags] { RunCheck(*flags); });
}

}  // namespace
}  // namespace retro::cli

RETRO_REGISTER_COMMAND(cel, retro::cli::RegisterCel);
