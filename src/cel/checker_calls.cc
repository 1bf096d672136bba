// Calls: overload resolution against the registry, and the special forms
// the checker types itself (logical operators, the conditional, optional
// field selection, cel.@block, the macros' internal helpers).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cel/checker_impl.h"
#include "cel/checker_names.h"
#include "cel/checker_unify.h"

namespace retro::cel::checker_internal {
namespace {

// Overloads the checker knows itself: the functions the planner evaluates
// without the registry (so the registry need not declare them).
struct Builtins {
  Overload conditional;
  Overload not_strictly_false;
  Overload map_insert_entry;  // cel.@mapInsert(map, key, value)
  Overload map_insert_map;    // cel.@mapInsert(map, map)

  Builtins() {
    conditional.id = "conditional";
    conditional.name = "_?_:_";
    conditional.params = {Type::Bool(), Type::Param("A"), Type::Param("A")};
    conditional.result = Type::Param("A");
    not_strictly_false.id = "not_strictly_false";
    not_strictly_false.name = "@not_strictly_false";
    not_strictly_false.params = {Type::Bool()};
    not_strictly_false.result = Type::Bool();
    const Type map = Type::Map(Type::Param("K"), Type::Param("V"));
    map_insert_entry.id = "map_insert_key_value";
    map_insert_entry.name = "cel.@mapInsert";
    map_insert_entry.params = {map, Type::Param("K"), Type::Param("V")};
    map_insert_entry.result = map;
    map_insert_map.id = "map_insert_map";
    map_insert_map.name = "cel.@mapInsert";
    map_insert_map.params = {map, map};
    map_insert_map.result = map;
  }
};

const Builtins& GetBuiltins() {
  static const Builtins* builtins = new Builtins();
  return *builtins;
}

// Rebuilds `t` with each type parameter replaced by `fresh(name)`.
template <typename Fn>
Type RenameParams(const Type& t, Fn& fresh) {
  switch (t.kind()) {
    case TypeKind::kTypeParam:
      return fresh(t.name());
    case TypeKind::kList:
      return Type::List(RenameParams(ParamAt(t, 0), fresh));
    case TypeKind::kMap:
      return Type::Map(RenameParams(ParamAt(t, 0), fresh),
                       RenameParams(ParamAt(t, 1), fresh));
    case TypeKind::kOptional:
      return Type::Optional(RenameParams(ParamAt(t, 0), fresh));
    case TypeKind::kType:
      if (t.params().empty()) return t;
      return Type::TypeOf(RenameParams(ParamAt(t, 0), fresh));
    case TypeKind::kOpaque: {
      if (t.params().empty()) return t;
      std::vector<Type> params;
      for (const Type& p : t.params()) params.push_back(RenameParams(p, fresh));
      return Type::Opaque(t.name(), std::move(params));
    }
    default:
      return t;
  }
}

bool HasParams(const Type& t) {
  if (t.kind() == TypeKind::kTypeParam) return true;
  for (const Type& p : t.params()) {
    if (HasParams(p)) return true;
  }
  return false;
}

}  // namespace

void Checker::VisitOptSelect(const Expr& e) {
  // `a.?b` is _?._(a, "b").
  if (e.args.size() != 2 || e.operand != nullptr || e.args[0] == nullptr ||
      e.args[1] == nullptr || e.args[1]->kind != ExprKind::kConst ||
      e.args[1]->constant.kind != Constant::Kind::kString) {
    Error(e.id, "invalid optional field selection");
    return SetType(e, Type::Error());
  }
  Visit(*e.args[0]);
  SetType(*e.args[1], Type::String());
  Type t = SelectField(e, *e.args[0], e.args[1]->constant.string_value,
                       /*optional=*/true);
  SetType(e, Substitute(subs_, t, false));
}

void Checker::VisitCall(const Expr& e) {
  const std::string& name = e.name;
  if (name == "_?._") return VisitOptSelect(e);
  if (name == "_&&_" || name == "_||_") return VisitLogical(e);
  if (name == "cel.@block") return VisitBlock(e);

  // x.f(...) is the namespaced function x.f when one is declared (and x is
  // not a local).
  const Expr* target = e.operand.get();
  std::string fn_name;
  std::string qualified;
  if (target != nullptr && QualifiedName(*target, &qualified) &&
      !RootIsLocal(*target)) {
    std::string full_name = absl::StrCat(qualified, ".", name);
    fn_name = FindFunction(full_name);
    if (!fn_name.empty()) {
      target = nullptr;
    } else if (!NamesGlobal(qualified) && !functions_.Has(name)) {
      // Neither a namespaced function, nor a known function called on a
      // variable: most likely a misspelled namespaced function
      // (math.greates).
      for (const ExprPtr& arg : e.args) {
        if (arg != nullptr) Visit(*arg);
      }
      UndeclaredReference(e, full_name, functions_.Names());
      return SetType(e, Type::Error());
    }
  }
  std::vector<Type> arg_types;
  if (target != nullptr) {
    Visit(*target);
    arg_types.push_back(GetType(target));
  }
  for (const ExprPtr& arg : e.args) {
    if (arg == nullptr) continue;
    Visit(*arg);
    arg_types.push_back(GetType(arg.get()));
  }

  const Builtins& builtins = GetBuiltins();
  if (target == nullptr && name == "_?_:_") {
    const Overload* ov[] = {&builtins.conditional};
    return ResolveOverload(e, name, ov, false, arg_types);
  }
  if (fn_name.empty()) fn_name = target != nullptr ? name : FindFunction(name);
  if (fn_name.empty() && name == "@not_strictly_false") {
    const Overload* ov[] = {&builtins.not_strictly_false};
    return ResolveOverload(e, name, ov, false, arg_types);
  }
  if (fn_name.empty() && name == "cel.@mapInsert") {
    const Overload* ov[] = {&builtins.map_insert_entry,
                            &builtins.map_insert_map};
    return ResolveOverload(e, name, ov, false, arg_types);
  }
  std::span<const Overload* const> overloads =
      fn_name.empty() ? std::span<const Overload* const>()
                      : functions_.Find(fn_name);
  if (overloads.empty()) {
    UndeclaredReference(e, name, functions_.Names());
    return SetType(e, Type::Error());
  }
  ResolveOverload(e, fn_name, overloads, target != nullptr, arg_types);
}

void Checker::VisitLogical(const Expr& e) {
  bool ok = true;
  for (const ExprPtr& arg : e.args) {
    if (arg == nullptr) continue;
    Visit(*arg);
    Type t = GetType(arg.get());
    if (!IsAssignable(subs_, t, Type::Bool())) {
      Error(arg->id,
            absl::StrCat("expected type 'bool' but found '", Format(t), "'"));
      ok = false;
    }
  }
  SetType(e, ok ? Type::Bool() : Type::Error());
}

void Checker::VisitBlock(const Expr& e) {
  // cel.@block([e0, e1, …], result): e_i may refer to @index0..@index(i-1),
  // the result to all of them.
  if (e.args.size() != 2 || e.operand != nullptr || e.args[0] == nullptr ||
      e.args[1] == nullptr || e.args[0]->kind != ExprKind::kList) {
    Error(e.id, "cel.@block expects a list of bindings and an expression");
    return SetType(e, Type::Error());
  }
  std::vector<Type> outer = std::move(block_slots_);
  block_slots_.clear();
  const Expr& bindings = *e.args[0];
  for (const ExprPtr& slot : bindings.args) {
    if (slot == nullptr) continue;
    Visit(*slot);
    block_slots_.push_back(GetType(slot.get()));
  }
  SetType(bindings, Type::List(Type::Dyn()));
  Visit(*e.args[1]);
  SetType(e, GetType(e.args[1].get()));
  block_slots_ = std::move(outer);
}

void Checker::ResolveOverload(const Expr& e, std::string_view name,
                              std::span<const Overload* const> overloads,
                              bool member, const std::vector<Type>& arg_types) {
  std::optional<Type> result;
  for (const Overload* ov : overloads) {
    if (ov->member != member) continue;
    size_t n = ov->params.size();
    if (ov->variadic ? (n == 0 || arg_types.size() + 1 < n)
                     : arg_types.size() != n) {
      continue;
    }
    // Instantiate the signature with fresh type variables, one per name.
    absl::flat_hash_map<std::string, Type> fresh_vars;
    auto fresh = [&](const std::string& param) -> Type {
      auto it = fresh_vars.find(param);
      if (it == fresh_vars.end()) {
        it = fresh_vars.emplace(param, NewTypeVar()).first;
      }
      return it->second;
    };
    bool generic = HasParams(ov->result);
    for (const Type& p : ov->params) generic = generic || HasParams(p);
    std::vector<Type> params;
    params.reserve(arg_types.size());
    for (size_t i = 0; i < arg_types.size(); ++i) {
      const Type& p = ov->params[std::min(i, n - 1)];
      params.push_back(generic ? RenameParams(p, fresh) : p);
    }
    Type ov_result = generic ? RenameParams(ov->result, fresh) : ov->result;
    if (!IsAssignableList(subs_, arg_types, params)) continue;
    Type t = Substitute(subs_, ov_result, false);
    if (!result.has_value()) {
      result = std::move(t);
    } else if (!result->is_dyn() && t != *result) {
      result = Type::Dyn();
    }
  }
  if (result.has_value()) return SetType(e, std::move(*result));

  std::vector<std::string> formatted;
  for (const Type& t : arg_types) formatted.push_back(Format(t));
  std::string signature;
  if (member && !formatted.empty()) {
    signature = absl::StrCat(
        formatted[0], ".(",
        absl::StrJoin(formatted.begin() + 1, formatted.end(), ", "), ")");
  } else {
    signature = absl::StrCat("(", absl::StrJoin(formatted, ", "), ")");
  }
  Error(e.id,
        absl::StrCat("found no matching overload for '", std::string(name),
                     "' applied to '", signature, "'"));
  SetType(e, Type::Error());
}

}  // namespace retro::cel::checker_internal
