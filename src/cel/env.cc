#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "cel/cel.h"
#include "cel/library.h"
#include "cel/planner.h"

namespace retro::cel {

absl::StatusOr<std::unique_ptr<Env>> Env::Create() {
  std::unique_ptr<Env> env(new Env());
  RETRO_RETURN_IF_ERROR(RegisterAllLibraries(env->functions_));
  return env;
}

absl::Status Env::DeclareVariable(std::string name, Type type) {
  if (slots_.contains(name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("variable '", name, "' declared twice"));
  }
  slots_[name] = static_cast<int>(variables_.size());
  variables_.push_back({std::move(name), std::move(type)});
  return absl::OkStatus();
}

int Env::SlotOf(std::string_view name) const {
  auto it = slots_.find(name);
  return it == slots_.end() ? -1 : it->second;
}

Env::CompileOutput Env::CompileDetailed(std::string_view expression,
                                        const CompileOptions& options) const {
  CompileOutput out;
  Source source{std::string(expression)};
  ParseResult parsed = Parse(source, options.parse);
  if (!parsed.ok()) {
    out.diagnostics = std::move(parsed.diagnostics);
    return out;
  }
  if (options.check) {
    CheckOptions check_options;
    check_options.container = options.container;
    CheckResult checked =
        Check(parsed.parsed, variables_, functions_, check_options);
    if (!checked.ok()) {
      out.diagnostics = std::move(checked.diagnostics);
      return out;
    }
    auto it = checked.types.find(parsed.parsed.expr->id);
    if (it != checked.types.end()) out.type = it->second;
  }
  std::unique_ptr<Program> program(new Program());
  program->expression_ = std::string(expression);
  program->type_ = out.type;
  program->constants_ = std::make_unique<Arena>();
  PlanOptions plan_options;
  plan_options.container = options.container;
  auto plan =
      BuildPlan(parsed.parsed, *this, plan_options, *program->constants_);
  if (!plan.ok()) {
    out.diagnostics.push_back({Diagnostic::Severity::kError, -1,
                               std::string(plan.status().message())});
    return out;
  }
  program->plan_ = std::move(plan).value();
  out.program = std::move(program);
  return out;
}

absl::StatusOr<std::unique_ptr<Program>> Env::Compile(
    std::string_view expression, const CompileOptions& options) const {
  CompileOutput out = CompileDetailed(expression, options);
  if (out.program == nullptr) {
    return absl::InvalidArgumentError(
        FormatDiagnostics(Source{std::string(expression)}, out.diagnostics));
  }
  return std::move(out.program);
}

Program::~Program() = default;

Value Program::Evaluate(const Activation& activation, Arena& arena,
                        const EvalOptions& options, void* host_data) const {
  EvalContext ctx(arena, options);
  ctx.set_host_data(host_data);
  int n = plan_->num_locals();
  // Locals are always written before they are read; leave them uninitialised.
  alignas(Value) unsigned char stack_locals[16 * sizeof(Value)];
  Value* locals = n <= 16 ? reinterpret_cast<Value*>(stack_locals)
                          : arena.AllocArray<Value>(n);
  Frame frame{&activation, &ctx, locals};
  return plan_->root().Eval(frame);
}

}  // namespace retro::cel
