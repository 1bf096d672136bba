// The checker walks the tree once, in the manner of cel-go's
// checker/checker.go: every node gets a type (possibly containing type
// parameters still to be bound), calls are resolved against every overload
// of their function, and when the walk is done every type is rewritten with
// the final substitution (unbound parameters become dyn).
#include "cel/checker.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cel/checker_names.h"
#include "cel/checker_unify.h"

namespace retro::cel {
namespace {

using checker_internal::CandidateNames;
using checker_internal::IsAssignable;
using checker_internal::IsAssignableList;
using checker_internal::IsDynOrError;
using checker_internal::MostGeneral;
using checker_internal::QualifiedName;
using checker_internal::RootIdent;
using checker_internal::Substitute;
using checker_internal::Substitution;
using checker_internal::Suggest;

constexpr std::string_view kIndexPrefix = "@index";

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

// The type identifiers every environment has: `int` denotes type(int), ….
std::vector<std::pair<std::string, Type>> TypeIdentifiers() {
  return {
      {"bool", Type::TypeOf(Type::Bool())},
      {"int", Type::TypeOf(Type::Int())},
      {"uint", Type::TypeOf(Type::Uint())},
      {"double", Type::TypeOf(Type::Double())},
      {"string", Type::TypeOf(Type::String())},
      {"bytes", Type::TypeOf(Type::Bytes())},
      {"null_type", Type::TypeOf(Type::Null())},
      {"dyn", Type::TypeOf(Type::Dyn())},
      {"type", Type::TypeOf(Type::TypeType())},
      {"list", Type::TypeOf(Type::List(Type::Dyn()))},
      {"map", Type::TypeOf(Type::Map(Type::Dyn(), Type::Dyn()))},
      {"google.protobuf.Timestamp", Type::TypeOf(Type::Timestamp())},
      {"google.protobuf.Duration", Type::TypeOf(Type::Duration())},
      {"optional_type", Type::TypeOf(Type::Optional(Type::Dyn()))},
      {"net.IP", Type::TypeOf(Type::Opaque("net.IP"))},
      {"net.CIDR", Type::TypeOf(Type::Opaque("net.CIDR"))},
  };
}

// Rebuilds `t` with each type parameter replaced by `fresh(name)`.
template <typename Fn>
Type RenameParams(const Type& t, Fn& fresh) {
  switch (t.kind()) {
    case TypeKind::kTypeParam:
      return fresh(t.name());
    case TypeKind::kList:
      return Type::List(RenameParams(t.params()[0], fresh));
    case TypeKind::kMap:
      return Type::Map(RenameParams(t.params()[0], fresh),
                       RenameParams(t.params()[1], fresh));
    case TypeKind::kOptional:
      return Type::Optional(RenameParams(t.params()[0], fresh));
    case TypeKind::kType:
      if (t.params().empty()) return t;
      return Type::TypeOf(RenameParams(t.params()[0], fresh));
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

class Checker {
 public:
  Checker(const ParsedExpr& parsed, const std::vector<VariableDecl>& variables,
          const FunctionRegistry& functions, const CheckOptions& options)
      : parsed_(parsed), functions_(functions), container_(options.container) {
    for (const VariableDecl& v : variables) globals_.emplace(v.name, v.type);
    for (auto& [name, type] : TypeIdentifiers()) {
      globals_.emplace(std::move(name), std::move(type));
    }
  }

  CheckResult Run() {
    if (parsed_.expr != nullptr) Visit(*parsed_.expr);
    for (auto& [id, type] : result_.types) {
      type = Substitute(subs_, type, /*params_to_dyn=*/true);
    }
    return std::move(result_);
  }

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
                       std::span<const Overload* const> overloads,
                       bool member, const std::vector<Type>& arg_types);
  // The most general type of two literal elements (dyn when they disagree).
  Type Join(const std::optional<Type>& previous, const Type& current);
  void AssertType(const Expr& e, const Type& expected);

  // Variable lookup. Locals (comprehension variables, block slots) shadow
  // globals; a leading dot skips them.
  const Type* FindLocal(std::string_view name) const;
  const Type* FindGlobal(std::string_view name, std::string* resolved) const;
  bool RootIsLocal(const Expr& e) const;
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
  absl::flat_hash_map<std::string, Type> globals_;
  std::vector<std::pair<std::string, Type>> locals_;  // innermost last
  std::vector<Type> block_slots_;  // types of the enclosing cel.@block's
                                   // @index0, @index1, … seen so far
  Substitution subs_;
  int next_var_ = 0;
  CheckResult result_;
};

void Checker::Visit(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kConst:
      return VisitConst(e);
    case ExprKind::kIdent:
      return VisitIdent(e);
    case ExprKind::kSelect:
      return VisitSelect(e);
    case ExprKind::kCall:
      return VisitCall(e);
    case ExprKind::kList:
      return VisitList(e);
    case ExprKind::kMap:
      return VisitMap(e);
    case ExprKind::kStruct:
      return VisitStruct(e);
    case ExprKind::kComprehension:
      return VisitComprehension(e);
  }
}

void Checker::VisitConst(const Expr& e) {
  switch (e.constant.kind) {
    case Constant::Kind::kNull:
      return SetType(e, Type::Null());
    case Constant::Kind::kBool:
      return SetType(e, Type::Bool());
    case Constant::Kind::kInt:
      return SetType(e, Type::Int());
    case Constant::Kind::kUint:
      return SetType(e, Type::Uint());
    case Constant::Kind::kDouble:
      return SetType(e, Type::Double());
    case Constant::Kind::kString:
      return SetType(e, Type::String());
    case Constant::Kind::kBytes:
      return SetType(e, Type::Bytes());
  }
}

void Checker::VisitIdent(const Expr& e) {
  if (const Type* local = FindLocal(e.name)) return SetType(e, *local);
  std::string resolved;
  if (const Type* global = FindGlobal(e.name, &resolved)) {
    SetType(e, *global);
    result_.references[e.id] = std::move(resolved);
    return;
  }
  std::vector<std::string> candidates;
  for (const auto& [name, type] : locals_) candidates.push_back(name);
  for (const auto& [name, type] : globals_) candidates.push_back(name);
  UndeclaredReference(e, e.name, std::move(candidates));
  SetType(e, Type::Error());
}

void Checker::VisitSelect(const Expr& e) {
  // A select chain may spell a qualified variable name ("a.b.c"), unless
  // its root is a local, which shadows every global.
  std::string qualified;
  if (!e.test_only && QualifiedName(e, &qualified) && !RootIsLocal(e)) {
    std::string resolved;
    if (const Type* global = FindGlobal(qualified, &resolved)) {
      SetType(e, *global);
      result_.references[e.id] = std::move(resolved);
      return;
    }
  }
  if (e.operand == nullptr) {
    Error(e.id, "field selection without an operand");
    return SetType(e, Type::Error());
  }
  Visit(*e.operand);
  Type t = SelectField(e, *e.operand, e.name, /*optional=*/false);
  if (e.test_only) t = Type::Bool();
  SetType(e, Substitute(subs_, t, false));
}

Type Checker::SelectField(const Expr& e, const Expr& operand,
                          const std::string& field, bool optional) {
  Type operand_type = Substitute(subs_, GetType(&operand), false);
  bool is_optional = operand_type.kind() == TypeKind::kOptional;
  Type target = is_optional ? operand_type.params()[0] : operand_type;
  Type result = Type::Dyn();
  switch (target.kind()) {
    case TypeKind::kMap:
      result = target.params()[1];
      break;
    case TypeKind::kTypeParam:
      // Pin the parameter to dyn so that nothing narrower is inferred later.
      IsAssignable(subs_, Type::Dyn(), target);
      break;
    case TypeKind::kDyn:
    case TypeKind::kError:
    case TypeKind::kMessage:  // no message descriptors: fields are dynamic
      break;
    default:
      Error(e.id, absl::StrCat("type '", Format(target),
                               "' does not support field selection"));
      break;
  }
  if (is_optional || optional) return Type::Optional(std::move(result));
  return result;
}

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
    fn_name = FindFunction(absl::StrCat(qualified, ".", name));
    if (!fn_name.empty()) target = nullptr;
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
      Error(arg->id, absl::StrCat("expected type 'bool' but found '",
                                  Format(t), "'"));
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
  Error(e.id, absl::StrCat("found no matching overload for '", std::string(name),
                           "' applied to '", signature, "'"));
  SetType(e, Type::Error());
}

void Checker::VisitList(const Expr& e) {
  std::optional<Type> elem;
  for (size_t i = 0; i < e.args.size(); ++i) {
    const Expr* arg = e.args[i].get();
    if (arg == nullptr) continue;
    Visit(*arg);
    Type t = GetType(arg);
    bool is_optional_elem =
        std::find(e.optional_indices.begin(), e.optional_indices.end(),
                  static_cast<int32_t>(i)) != e.optional_indices.end();
    if (is_optional_elem) {
      Type st = Substitute(subs_, t, false);
      if (st.kind() == TypeKind::kOptional) {
        t = st.params()[0];
      } else if (!IsDynOrError(st)) {
        Error(arg->id, absl::StrCat("expected type 'optional_type(",
                                    Format(st), ")' but found '", Format(st),
                                    "'"));
      }
    }
    elem = Join(elem, t);
  }
  SetType(e, Type::List(elem.has_value() ? *elem : NewTypeVar()));
}

void Checker::VisitMap(const Expr& e) {
  std::optional<Type> key;
  std::optional<Type> value;
  for (const Expr::Entry& entry : e.entries) {
    if (entry.key == nullptr || entry.value == nullptr) continue;
    Visit(*entry.key);
    key = Join(key, GetType(entry.key.get()));
    Visit(*entry.value);
    Type t = GetType(entry.value.get());
    if (entry.optional) {
      Type st = Substitute(subs_, t, false);
      if (st.kind() == TypeKind::kOptional) {
        t = st.params()[0];
      } else if (!IsDynOrError(st)) {
        Error(entry.value->id,
              absl::StrCat("expected type 'optional_type(", Format(st),
                           ")' but found '", Format(st), "'"));
      }
    }
    value = Join(value, t);
  }
  if (!key.has_value()) {
    key = NewTypeVar();
    value = NewTypeVar();
  }
  SetType(e, Type::Map(std::move(*key), std::move(*value)));
}

void Checker::VisitStruct(const Expr& e) {
  // Message construction needs protobuf descriptors, which Retro does not
  // have: the type name is never declared.
  for (const Expr::Entry& entry : e.entries) {
    if (entry.value != nullptr) Visit(*entry.value);
  }
  UndeclaredReference(e, e.name, {});
  SetType(e, Type::Error());
}

void Checker::VisitComprehension(const Expr& e) {
  if (e.iter_range == nullptr || e.accu_init == nullptr ||
      e.loop_condition == nullptr || e.loop_step == nullptr ||
      e.result == nullptr) {
    Error(e.id, "malformed comprehension");
    return SetType(e, Type::Error());
  }
  Visit(*e.iter_range);
  Visit(*e.accu_init);
  Type range = Substitute(subs_, GetType(e.iter_range.get()), false);
  Type accu = GetType(e.accu_init.get());
  const bool two_vars = !e.iter_var2.empty();

  Type var1 = Type::Dyn();
  Type var2 = Type::Dyn();
  switch (range.kind()) {
    case TypeKind::kList:
      var1 = two_vars ? Type::Int() : range.params()[0];
      var2 = range.params()[0];
      break;
    case TypeKind::kMap:
      var1 = range.params()[0];
      var2 = range.params()[1];
      break;
    case TypeKind::kDyn:
    case TypeKind::kError:
    case TypeKind::kTypeParam:
      IsAssignable(subs_, Type::Dyn(), range);
      break;
    default:
      Error(e.iter_range->id,
            absl::StrCat("expression of type '", Format(range),
                         "' cannot be the range of a comprehension (must be "
                         "list, map, or dynamic)"));
      var1 = var2 = Type::Error();
      break;
  }

  const size_t outer = locals_.size();
  locals_.emplace_back(e.accu_var, accu);
  locals_.emplace_back(e.iter_var, std::move(var1));
  if (two_vars) locals_.emplace_back(e.iter_var2, std::move(var2));
  Visit(*e.loop_condition);
  AssertType(*e.loop_condition, Type::Bool());
  Visit(*e.loop_step);
  AssertType(*e.loop_step, accu);
  // The result sees the accumulator but not the iteration variables.
  locals_.resize(outer + 1);
  Visit(*e.result);
  locals_.resize(outer);
  SetType(e, Substitute(subs_, GetType(e.result.get()), false));
}

Type Checker::Join(const std::optional<Type>& previous, const Type& current) {
  if (!previous.has_value()) return current;
  if (IsAssignable(subs_, *previous, current)) {
    return MostGeneral(*previous, current);
  }
  // Mixed literals are lists/maps of dyn, as cel-go does by default.
  return Type::Dyn();
}

void Checker::AssertType(const Expr& e, const Type& expected) {
  Type actual = GetType(&e);
  if (!IsAssignable(subs_, expected, actual)) {
    Error(e.id, absl::StrCat("expected type '", Format(expected),
                             "' but found '", Format(actual), "'"));
  }
}

const Type* Checker::FindLocal(std::string_view name) const {
  for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  if (name.starts_with(kIndexPrefix)) {
    std::string_view digits = name.substr(kIndexPrefix.size());
    size_t index = 0;
    if (absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()),
                         &index) &&
        index < block_slots_.size()) {
      return &block_slots_[index];
    }
  }
  return nullptr;
}

const Type* Checker::FindGlobal(std::string_view name,
                                std::string* resolved) const {
  for (std::string& candidate : CandidateNames(container_, name)) {
    auto it = globals_.find(candidate);
    if (it != globals_.end()) {
      *resolved = std::move(candidate);
      return &it->second;
    }
  }
  return nullptr;
}

bool Checker::RootIsLocal(const Expr& e) const {
  const Expr* root = RootIdent(e);
  return root != nullptr && FindLocal(root->name) != nullptr;
}

std::string Checker::FindFunction(std::string_view name) const {
  for (std::string& candidate : CandidateNames(container_, name)) {
    if (functions_.Has(candidate)) return std::move(candidate);
  }
  return "";
}

Type Checker::GetType(const Expr* e) const {
  if (e == nullptr) return Type::Error();
  auto it = result_.types.find(e->id);
  return it == result_.types.end() ? Type::Error() : it->second;
}

void Checker::Error(int64_t id, std::string message) {
  Diagnostic d;
  d.severity = Diagnostic::Severity::kError;
  auto it = parsed_.source_info.positions.find(id);
  d.offset = it == parsed_.source_info.positions.end() ? -1 : it->second;
  d.message = std::move(message);
  result_.diagnostics.push_back(std::move(d));
}

void Checker::UndeclaredReference(const Expr& e, std::string_view name,
                                  std::vector<std::string> candidates) {
  std::string message = absl::StrCat("undeclared reference to '", std::string(name), "'");
  if (!container_.empty()) {
    absl::StrAppend(&message, " (in container '", container_, "')");
  }
  std::string suggestion = Suggest(name, candidates);
  if (!suggestion.empty()) {
    absl::StrAppend(&message, " (did you mean '", suggestion, "'?)");
  }
  Error(e.id, std::move(message));
}

}  // namespace

CheckResult Check(const ParsedExpr& parsed,
                  const std::vector<VariableDecl>& variables,
                  const FunctionRegistry& functions,
                  const CheckOptions& options) {
  return Checker(parsed, variables, functions, options).Run();
}

}  // namespace retro::cel
