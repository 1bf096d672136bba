// Fuzzes the whole CEL pipeline: the input is an expression, compiled with
// and without the checker and evaluated against two dyn variables bound to a
// small JSON document, under tight evaluation limits. Any crash, hang,
// sanitizer report or non-error failure to terminate is a bug: hostile
// expressions must end in diagnostics or error values.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cel/cel.h"
#include "cel/json.h"

namespace {

using retro::cel::Activation;
using retro::cel::Arena;
using retro::cel::Env;
using retro::cel::Value;

constexpr std::string_view kVarsJson = R"({
  "data": {"verb": "create", "n": 3, "ratio": 0.5, "tags": ["a", "b", "c"],
           "labels": {"env": "prod", "tier": "web"}, "ok": true, "none": null},
  "user": {"name": "alice@example.com", "groups": ["admin", "dev"], "uid": 42}
})";

struct Fixture {
  std::unique_ptr<Env> env;
  Arena arena;  // the bound variables
  std::unique_ptr<Activation> activation;
  retro::cel::EvalOptions eval;
};

Fixture* MakeFixture() {
  auto* f = new Fixture();
  f->env = std::move(*Env::Create());
  Value vars = *retro::cel::ParseJson(kVarsJson, f->arena);
  const retro::cel::MapData& map = vars.map();
  for (uint32_t i = 0; i < map.size; ++i) {
    (void)f->env->DeclareVariable(std::string(map.keys[i].string_value()),
                                  retro::cel::Type::Dyn());
  }
  f->activation = std::make_unique<Activation>(*f->env);
  for (uint32_t i = 0; i < map.size; ++i) {
    f->activation->Set(map.keys[i].string_value(), map.values[i]);
  }
  f->eval.max_comprehension_iterations = 10'000;
  f->eval.max_cost = 100'000;
  f->eval.max_value_size = 64 * 1024;
  return f;
}

void CompileAndRun(const Fixture& f, std::string_view expr, bool check) {
  retro::cel::CompileOptions options;
  options.check = check;
  options.parse.max_expression_bytes = 4096;
  Env::CompileOutput out = f.env->CompileDetailed(expr, options);
  if (out.program == nullptr) {
    // Rendering diagnostics must be safe for any input too.
    (void)retro::cel::FormatDiagnostics(retro::cel::Source(std::string(expr)),
                                        out.diagnostics);
    return;
  }
  Arena arena;
  Value result = out.program->Evaluate(*f.activation, arena, f.eval);
  std::string json;
  (void)retro::cel::ToJson(result, &json);
  (void)result.DebugString();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture* fixture = MakeFixture();
  if (size > 4096) return -1;  // larger inputs only test the size limit
  std::string_view expr(reinterpret_cast<const char*>(data), size);
  CompileAndRun(*fixture, expr, /*check=*/true);
  CompileAndRun(*fixture, expr, /*check=*/false);
  return 0;
}
