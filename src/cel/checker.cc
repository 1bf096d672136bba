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
#include "cel/checker_impl.h"
#include "cel/checker_names.h"
#include "cel/checker_unify.h"

namespace retro::cel {
namespace checker_internal {
namespace {

constexpr std::string_view kIndexPrefix = "@index";

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

}  // namespace

Checker::Checker(const ParsedExpr& parsed,
                 const std::vector<VariableDecl>& variables,
                 const FunctionRegistry& functions, const CheckOptions& options)
    : parsed_(parsed), functions_(functions), container_(options.container) {
  for (const VariableDecl& v : variables) {
    globals_.emplace(v.name, Global{v.type, /*variable=*/true});
  }
  for (auto& [name, type] : TypeIdentifiers()) {
    globals_.emplace(std::move(name), Global{std::move(type), false});
  }
}

CheckResult Checker::Run() {
  if (parsed_.expr != nullptr) Visit(*parsed_.expr);
  for (auto& [id, type] : result_.types) {
    type = Substitute(subs_, type, /*params_to_dyn=*/true);
  }
  return std::move(result_);
}

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
  if (ResolveGlobal(e, e.name)) return;
  std::vector<std::string> candidates;
  for (const auto& [name, type] : locals_) candidates.push_back(name);
  const std::string prefix = container_.empty() ? "" : container_ + ".";
  for (const auto& [name, global] : globals_) {
    candidates.push_back(name);
    if (!prefix.empty() && name.starts_with(prefix)) {
      candidates.push_back(name.substr(prefix.size()));
    }
  }
  UndeclaredReference(e, e.name, std::move(candidates));
  SetType(e, Type::Error());
}

void Checker::VisitSelect(const Expr& e) {
  // A select chain may spell a qualified variable name ("a.b.c"), unless
  // its root is a local, which shadows every global.
  std::string qualified;
  if (!e.test_only && QualifiedName(e, &qualified) && !RootIsLocal(e) &&
      ResolveGlobal(e, qualified)) {
    return;
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
  Type target = is_optional ? ParamAt(operand_type, 0) : operand_type;
  Type result = Type::Dyn();
  switch (target.kind()) {
    case TypeKind::kMap:
      result = ParamAt(target, 1);
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
        t = ParamAt(st, 0);
      } else if (!IsDynOrError(st)) {
        Error(arg->id, absl::StrCat("expected type 'optional_type(", Format(st),
                                    ")' but found '", Format(st), "'"));
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
        t = ParamAt(st, 0);
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
      var1 = two_vars ? Type::Int() : ParamAt(range, 0);
      var2 = ParamAt(range, 0);
      break;
    case TypeKind::kMap:
      var1 = ParamAt(range, 0);
      var2 = ParamAt(range, 1);
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

bool Checker::ResolveGlobal(const Expr& e, std::string_view name) {
  for (std::string& candidate : CandidateNames(container_, name)) {
    auto it = globals_.find(candidate);
    if (it == globals_.end()) continue;
    SetType(e, it->second.type);
    if (it->second.variable) result_.references[e.id] = std::move(candidate);
    return true;
  }
  return false;
}

bool Checker::NamesGlobal(std::string_view qualified) const {
  while (true) {
    for (const std::string& candidate : CandidateNames(container_, qualified)) {
      if (globals_.contains(candidate)) return true;
    }
    size_t dot = qualified.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    qualified = qualified.substr(0, dot);
  }
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
  std::string message =
      absl::StrCat("undeclared reference to '", std::string(name), "'");
  if (!container_.empty()) {
    absl::StrAppend(&message, " (in container '", container_, "')");
  }
  std::string suggestion = Suggest(name, candidates);
  if (!suggestion.empty()) {
    absl::StrAppend(&message, " (did you mean '", suggestion, "'?)");
  }
  Error(e.id, std::move(message));
}

}  // namespace checker_internal

CheckResult Check(const ParsedExpr& parsed,
                  const std::vector<VariableDecl>& variables,
                  const FunctionRegistry& functions,
                  const CheckOptions& options) {
  return checker_internal::Checker(parsed, variables, functions, options).Run();
}

}  // namespace retro::cel
