// The checker's pass (internal): one class whose methods are split across
// checker.cc (names, literals, selection, comprehensions) and
// checker_calls.cc (calls and overload resolution).
#ifndef RETRO_CEL_CHECKER_IMPL_H_
#define RETRO_CEL_CHECKER_IMPL_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "cel/checker.h"
#include "cel/checker_unify.h"

namespace retro::cel::checker_internal {

// One checking pass over one tree. Visit* set the node's type in result_
// (before the final substitution); errors become diagnostics and give the
// node the error type, which unifies with anything so errors do not cascade.
class Checker {
 public:
  Checker(const ParsedExpr& parsed, const std::vector<VariableDecl>& variables,
          const FunctionRegistry& functions, const CheckOptions& options);

  // Checks the whole tree; call once.
  CheckResult Run();

 private:
  void Visit(const Expr& e);
  void VisitConst(const Expr& e);
  void VisitIdent(const Expr& e);
  void VisitSelect(const Expr& e);
  void VisitCall(const Expr& e);
  void VisitList(const Expr& e);
  void VisitMap(const Expr& e);
  void VisitStruct(const Expr& e);
  void VisitComprehension(const Expr& e);
  // checker_calls.cc
  void VisitOptSelect(const Expr& e);
  void VisitLogical(const Expr& e);
  void VisitBlock(const Expr& e);

  // The type of `operand.field` (optional when `optional`, or when the
  // operand is itself optional).
  Type SelectField(const Expr& e, const Expr& operand, const std::string& field,
                   bool optional);
  // Resolves a call against `overloads`; arg_types include the receiver for
  // member calls. Sets the call's type.
  void ResolveOverload(const Expr& e, std::string_view name,
                       std::span<const Overload* const> overloads, bool member,
                       const std::vector<Type>& arg_types);
  // The most general type of two literal elements (dyn when they disagree).
  Type Join(const std::optional<Type>& previous, const Type& current);
  void AssertType(const Expr& e, const Type& expected);

  // Variable lookup. Locals (comprehension variables, block slots) shadow
  // globals; a leading dot skips them.
  const Type* FindLocal(std::string_view name) const;
  // Resolves `name` (spelled by e) against the globals through the
  // container: sets e's type, records the reference; false when undeclared.
  bool ResolveGlobal(const Expr& e, std::string_view name);
  bool RootIsLocal(const Expr& e) const;
  // Whether `qualified` or one of its prefixes ("a.b.c", "a.b", "a") is a
  // declared global.
  bool NamesGlobal(std::string_view qualified) const;
  // The registry name a (possibly namespaced) function call denotes, or
  // empty.
  std::string FindFunction(std::string_view name) const;

  Type NewTypeVar() { return Type::Param(absl::StrCat("_var", next_var_++)); }
  void SetType(const Expr& e, Type t) { result_.types[e.id] = std::move(t); }
  Type GetType(const Expr* e) const;
  // For messages: bound parameters substituted, free ones shown as dyn.
  std::string Format(const Type& t) const {
    return Substitute(subs_, t, true).DebugString();
  }
  void Error(int64_t id, std::string message);
  void UndeclaredReference(const Expr& e, std::string_view name,
                           std::vector<std::string> candidates);

  const ParsedExpr& parsed_;
  const FunctionRegistry& functions_;
  const std::string container_;
  struct Global {
    Type type;
    bool variable;  // declared variable (vs. built-in type identifier)
  };
  absl::flat_hash_map<std::string, Global> globals_;
  std::vector<std::pair<std::string, Type>> locals_;  // innermost last
  std::vector<Type> block_slots_;  // types of the enclosing cel.@block's
                                   // @index0, @index1, … seen so far
  Substitution subs_;
  int next_var_ = 0;
  CheckResult result_;
};

}  // namespace retro::cel::checker_internal

#endif  // RETRO_CEL_CHECKER_IMPL_H_
