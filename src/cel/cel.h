// The public CEL API: declare an environment once, compile expressions into
// Programs, evaluate them many times.
//
//   auto env = Env::Create();                       // all libraries
//   env->DeclareVariable("data", Type::Dyn());
//   auto program = env->Compile("data.verb == 'create'");
//   Activation act(*env);
//   act.Set("data", some_value);
//   Arena arena;
//   Value v = (*program)->Evaluate(act, arena);
//
// Thread-safety: an Env is not thread-safe while being declared into; once
// compiling starts it is only read. A Program is immutable and thread-safe;
// each evaluation needs its own Activation and Arena.
#ifndef RETRO_CEL_CEL_H_
#define RETRO_CEL_CEL_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cel/ast.h"
#include "cel/checker.h"
#include "cel/function.h"
#include "cel/parser.h"
#include "cel/source.h"
#include "cel/type.h"
#include "cel/value.h"

namespace retro::cel {

struct CompileOptions {
  ParseOptions parse;
  // Run the checker. With it off, undeclared identifiers and overloads are
  // found at evaluation time (as error values).
  bool check = true;
  std::string container;
};

class Program;

class Env {
 public:
  // An environment with every library registered and no variables.
  static absl::StatusOr<std::unique_ptr<Env>> Create();

  // Declares a variable; it gets the next activation slot.
  absl::Status DeclareVariable(std::string name, Type type);
  FunctionRegistry& functions() { return functions_; }
  const FunctionRegistry& functions() const { return functions_; }
  const std::vector<VariableDecl>& variables() const { return variables_; }
  // Activation slot of a variable; -1 when undeclared.
  int SlotOf(std::string_view name) const;

  // Parses, checks (unless disabled), and plans.
  absl::StatusOr<std::unique_ptr<Program>> Compile(
      std::string_view expression, const CompileOptions& options = {}) const;

  // Like Compile, but keeps the diagnostics structured (for tools that place
  // them in a larger document, such as a policy's YAML).
  struct CompileOutput {
    std::unique_ptr<Program> program;  // null when diagnostics has errors
    std::vector<Diagnostic> diagnostics;
    Type type;  // the deduced result type (dyn when unchecked)
  };
  CompileOutput CompileDetailed(std::string_view expression,
                                const CompileOptions& options = {}) const;

 private:
  Env() = default;
  FunctionRegistry functions_;
  std::vector<VariableDecl> variables_;
  base::StringMap<int> slots_;
};

// Variable values for one evaluation, by slot. Cheap to reuse: Set overwrites.
class Activation {
 public:
  explicit Activation(const Env& env)
      : env_(&env), slots_(env.variables().size()),
        present_(env.variables().size(), 0) {}

  // REQUIRES: name is declared in the env.
  void Set(std::string_view name, Value value) { SetSlot(env_->SlotOf(name), value); }
  void SetSlot(int slot, Value value) {
    slots_[slot] = value;
    present_[slot] = 1;
  }
  void Clear() { std::fill(present_.begin(), present_.end(), 0); }
  // nullptr when the variable was not set.
  const Value* Get(int slot) const { return present_[slot] ? &slots_[slot] : nullptr; }

 private:
  const Env* env_;
  std::vector<Value> slots_;
  std::vector<uint8_t> present_;  // not vector<bool>: read on the hot path
};

class Plan;  // the planned evaluation tree (planner.h)

class Program {
 public:
  ~Program();
  // Evaluates; the result and everything it points to lives in `arena` (or
  // in this program). Errors are error values. `host_data` is handed to
  // functions as EvalContext::host_data().
  Value Evaluate(const Activation& activation, Arena& arena,
                 const EvalOptions& options = {},
                 void* host_data = nullptr) const;
  const Type& type() const { return type_; }
  const std::string& expression() const { return expression_; }

 private:
  friend class Env;
  Program() = default;
  std::string expression_;
  Type type_;
  std::unique_ptr<Arena> constants_;  // folded constants live here
  std::unique_ptr<Plan> plan_;
};

// Converts a value to JSON text: int/uint/double as numbers (non-finite as
// strings), bytes as base64, timestamps RFC 3339, durations like "1.5s",
// maps as objects (keys as strings), types as their names, optionals as
// their value or null. Error values are not representable: returns false.
bool ToJson(const Value& value, std::string* out);

}  // namespace retro::cel

#endif  // RETRO_CEL_CEL_H_
