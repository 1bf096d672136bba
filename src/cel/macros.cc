// Macro expansion; see macros.h. The expansions mirror cel-go's
// parser/macro.go (standard macros), ext/bindings.go (cel.bind),
// ext/comprehensions.go (two-variable forms), cel/optional library (optMap,
// optFlatMap) and the cel.block extension.
#include "cel/macros.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace retro::cel {

// ---------------------------------------------------------------------------
// ExprFactory

int64_t ExprFactory::NextId(int32_t offset) {
  int64_t id = next_id_++;
  info_->positions[id] = offset;
  return id;
}

int32_t ExprFactory::OffsetOf(int64_t id) const {
  auto it = info_->positions.find(id);
  return it == info_->positions.end() ? -1 : it->second;
}

ExprPtr ExprFactory::NewExpr(ExprKind kind, int32_t offset) {
  auto e = std::make_unique<Expr>();
  e->id = NextId(offset);
  e->kind = kind;
  return e;
}

ExprPtr ExprFactory::NewNull(int32_t offset) {
  return NewExpr(ExprKind::kConst, offset);
}

ExprPtr ExprFactory::NewBool(bool value, int32_t offset) {
  ExprPtr e = NewExpr(ExprKind::kConst, offset);
  e->constant.kind = Constant::Kind::kBool;
  e->constant.bool_value = value;
  return e;
}

ExprPtr ExprFactory::NewInt(int64_t value, int32_t offset) {
  ExprPtr e = NewExpr(ExprKind::kConst, offset);
  e->constant.kind = Constant::Kind::kInt;
  e->constant.int_value = value;
  return e;
}

ExprPtr ExprFactory::NewString(std::string value, int32_t offset) {
  ExprPtr e = NewExpr(ExprKind::kConst, offset);
  e->constant.kind = Constant::Kind::kString;
  e->constant.string_value = std::move(value);
  return e;
}

ExprPtr ExprFactory::NewIdent(std::string name, int32_t offset) {
  ExprPtr e = NewExpr(ExprKind::kIdent, offset);
  e->name = std::move(name);
  return e;
}

ExprPtr ExprFactory::NewSelect(ExprPtr operand, std::string field,
                               int32_t offset) {
  ExprPtr e = NewExpr(ExprKind::kSelect, offset);
  e->operand = std::move(operand);
  e->name = std::move(field);
  return e;
}

ExprPtr ExprFactory::NewPresenceTest(ExprPtr operand, std::string field,
                                     int32_t offset) {
  ExprPtr e = NewSelect(std::move(operand), std::move(field), offset);
  e->test_only = true;
  return e;
}

ExprPtr ExprFactory::NewCall(std::string function, std::vector<ExprPtr> args,
                             int32_t offset) {
  ExprPtr e = NewExpr(ExprKind::kCall, offset);
  e->name = std::move(function);
  e->args = std::move(args);
  return e;
}

ExprPtr ExprFactory::NewMemberCall(std::string function, ExprPtr target,
                                   std::vector<ExprPtr> args, int32_t offset) {
  ExprPtr e = NewCall(std::move(function), std::move(args), offset);
  e->operand = std::move(target);
  return e;
}

ExprPtr ExprFactory::NewList(std::vector<ExprPtr> elements, int32_t offset) {
  ExprPtr e = NewExpr(ExprKind::kList, offset);
  e->args = std::move(elements);
  return e;
}

ExprPtr ExprFactory::NewMap(int32_t offset) {
  return NewExpr(ExprKind::kMap, offset);
}

ExprPtr ExprFactory::NewComprehension(ComprehensionParts parts,
                                      int32_t offset) {
  ExprPtr e = NewExpr(ExprKind::kComprehension, offset);
  e->iter_range = std::move(parts.iter_range);
  e->iter_var = std::move(parts.iter_var);
  e->iter_var2 = std::move(parts.iter_var2);
  e->accu_var = std::move(parts.accu_var);
  e->accu_init = std::move(parts.accu_init);
  e->loop_condition = std::move(parts.loop_condition);
  e->loop_step = std::move(parts.loop_step);
  e->result = std::move(parts.result);
  return e;
}

ExprPtr ExprFactory::Copy(const Expr& e) {
  auto copy_ptr = [this](const ExprPtr& p) -> ExprPtr {
    return p ? Copy(*p) : nullptr;
  };
  ExprPtr c = NewExpr(e.kind, OffsetOf(e.id));
  c->constant = e.constant;
  c->name = e.name;
  c->operand = copy_ptr(e.operand);
  c->test_only = e.test_only;
  for (const ExprPtr& a : e.args) c->args.push_back(copy_ptr(a));
  c->optional_indices = e.optional_indices;
  for (const Expr::Entry& entry : e.entries) {
    Expr::Entry n;
    n.id = NextId(OffsetOf(entry.id));
    n.key = copy_ptr(entry.key);
    n.field = entry.field;
    n.value = copy_ptr(entry.value);
    n.optional = entry.optional;
    c->entries.push_back(std::move(n));
  }
  c->iter_var = e.iter_var;
  c->iter_var2 = e.iter_var2;
  c->accu_var = e.accu_var;
  c->iter_range = copy_ptr(e.iter_range);
  c->accu_init = copy_ptr(e.accu_init);
  c->loop_condition = copy_ptr(e.loop_condition);
  c->loop_step = copy_ptr(e.loop_step);
  c->result = copy_ptr(e.result);
  return c;
}

// ---------------------------------------------------------------------------
// Expansions

namespace {

// Concatenates text (this abseil build's StrCat takes no std::string_view).
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

using Kind = MacroOutcome::Kind;

MacroOutcome Expanded(ExprPtr e) {
  MacroOutcome out;
  out.kind = Kind::kExpanded;
  out.expr = std::move(e);
  return out;
}

MacroOutcome Error(ExprFactory& f, const ExprPtr& at, std::string message) {
  MacroOutcome out;
  out.kind = Kind::kError;
  out.error_offset = at ? f.OffsetOf(at->id) : -1;
  out.error = std::move(message);
  return out;
}

bool IsIdent(const ExprPtr& e) { return e && e->kind == ExprKind::kIdent; }

// The checks cel-go applies to a comprehension's iteration variables.
// Returns an error outcome, or kNotMacro when the variables are fine.
MacroOutcome CheckIterVars(ExprFactory& f, std::vector<ExprPtr>& args,
                           int count, std::string_view not_ident_message) {
  for (int i = 0; i < count; ++i) {
    if (!IsIdent(args[i])) {
      return Error(f, args[i], std::string(not_ident_message));
    }
    if (args[i]->name == kAccuVar) {
      return Error(f, args[i],
                   "iteration variable overwrites accumulator variable");
    }
  }
  if (count == 2 && args[0]->name == args[1]->name) {
    return Error(f, args[1], Cat({"duplicate variable name: ", args[1]->name}));
  }
  return MacroOutcome{};
}

ExprPtr Accu(ExprFactory& f, int32_t at) { return f.NewIdent(kAccuVar, at); }

// x.all(v, p), x.exists(v, p), x.exists_one(v, p) and their two-variable
// forms x.all(k, v, p), ...
enum class Quantifier { kAll, kExists, kExistsOne };

MacroOutcome ExpandQuantifier(ExprFactory& f, Quantifier q, ExprPtr& target,
                              std::vector<ExprPtr>& args, int32_t at) {
  int vars = static_cast<int>(args.size()) - 1;
  MacroOutcome check =
      CheckIterVars(f, args, vars, "argument must be a simple name");
  if (check.kind != Kind::kNotMacro) return check;
  ExprPtr predicate = std::move(args.back());
  ExprFactory::ComprehensionParts c;
  switch (q) {
    case Quantifier::kAll:
      c.accu_init = f.NewBool(true, at);
      c.loop_condition =
          f.NewCall("@not_strictly_false", Exprs(Accu(f, at)), at);
      c.loop_step =
          f.NewCall("_&&_", Exprs(Accu(f, at), std::move(predicate)), at);
      c.result = Accu(f, at);
      break;
    case Quantifier::kExists:
      c.accu_init = f.NewBool(false, at);
      c.loop_condition =
          f.NewCall("@not_strictly_false",
                    Exprs(f.NewCall("!_", Exprs(Accu(f, at)), at)), at);
      c.loop_step =
          f.NewCall("_||_", Exprs(Accu(f, at), std::move(predicate)), at);
      c.result = Accu(f, at);
      break;
    case Quantifier::kExistsOne:
      c.accu_init = f.NewInt(0, at);
      c.loop_condition = f.NewBool(true, at);
      c.loop_step = f.NewCall(
          "_?_:_",
          Exprs(std::move(predicate),
                f.NewCall("_+_", Exprs(Accu(f, at), f.NewInt(1, at)), at),
                Accu(f, at)),
          at);
      c.result = f.NewCall("_==_", Exprs(Accu(f, at), f.NewInt(1, at)), at);
      break;
  }
  c.iter_range = std::move(target);
  c.iter_var = args[0]->name;
  if (vars == 2) c.iter_var2 = args[1]->name;
  c.accu_var = kAccuVar;
  return Expanded(f.NewComprehension(std::move(c), at));
}

// `step` when `filter` is null, else `filter ? step : @result`.
ExprPtr Filtered(ExprFactory& f, ExprPtr filter, ExprPtr step, int32_t at) {
  if (!filter) return step;
  return f.NewCall("_?_:_",
                   Exprs(std::move(filter), std::move(step), Accu(f, at)), at);
}

// A comprehension accumulating into @result from `init`, always continuing.
MacroOutcome Accumulate(ExprFactory& f, ExprPtr& target,
                        std::vector<ExprPtr>& args, int vars, ExprPtr init,
                        ExprPtr step, int32_t at) {
  ExprFactory::ComprehensionParts c;
  c.iter_range = std::move(target);
  c.iter_var = args[0]->name;
  if (vars == 2) c.iter_var2 = args[1]->name;
  c.accu_var = kAccuVar;
  c.accu_init = std::move(init);
  c.loop_condition = f.NewBool(true, at);
  c.loop_step = std::move(step);
  c.result = Accu(f, at);
  return Expanded(f.NewComprehension(std::move(c), at));
}

// x.map(v, t), x.map(v, p, t), x.filter(v, p).
MacroOutcome ExpandMapOrFilter(ExprFactory& f, bool is_filter, ExprPtr& target,
                               std::vector<ExprPtr>& args, int32_t at) {
  MacroOutcome check =
      CheckIterVars(f, args, 1, "argument is not an identifier");
  if (check.kind != Kind::kNotMacro) return check;
  ExprPtr filter, element;
  if (is_filter) {
    filter = std::move(args[1]);
    element = f.NewIdent(args[0]->name, f.OffsetOf(args[0]->id));
  } else if (args.size() == 3) {
    filter = std::move(args[1]);
    element = std::move(args[2]);
  } else {
    element = std::move(args[1]);
  }
  ExprPtr step = f.NewCall(
      "_+_", Exprs(Accu(f, at), f.NewList(Exprs(std::move(element)), at)), at);
  step = Filtered(f, std::move(filter), std::move(step), at);
  return Accumulate(f, target, args, 1, f.NewList({}, at), std::move(step), at);
}

// x.transformList(i, v, [p,] t), x.transformMap(k, v, [p,] t),
// x.transformMapEntry(k, v, [p,] t).
enum class Transform { kList, kMap, kMapEntry };

MacroOutcome ExpandTransform(ExprFactory& f, Transform kind, ExprPtr& target,
                             std::vector<ExprPtr>& args, int32_t at) {
  MacroOutcome check =
      CheckIterVars(f, args, 2, "argument must be a simple name");
  if (check.kind != Kind::kNotMacro) return check;
  ExprPtr filter;
  if (args.size() == 4) filter = std::move(args[2]);
  ExprPtr fn = std::move(args.back());
  ExprPtr init, step;
  switch (kind) {
    case Transform::kList:
      init = f.NewList({}, at);
      step = f.NewCall(
          "_+_", Exprs(Accu(f, at), f.NewList(Exprs(std::move(fn)), at)), at);
      break;
    case Transform::kMap:
      init = f.NewMap(at);
      step = f.NewCall(
          kMapInsertFunction,
          Exprs(Accu(f, at), f.NewIdent(args[0]->name, at), std::move(fn)), at);
      break;
    case Transform::kMapEntry:
      init = f.NewMap(at);
      step =
          f.NewCall(kMapInsertFunction, Exprs(Accu(f, at), std::move(fn)), at);
      break;
  }
  step = Filtered(f, std::move(filter), std::move(step), at);
  return Accumulate(f, target, args, 2, std::move(init), std::move(step), at);
}

// A comprehension that only binds `var` to `init` while evaluating `result`.
ExprPtr Bind(ExprFactory& f, std::string var, ExprPtr init, ExprPtr result,
             int32_t at) {
  ExprFactory::ComprehensionParts c;
  c.iter_range = f.NewList({}, at);
  c.iter_var = kUnusedIterVar;
  c.accu_var = var;
  c.accu_init = std::move(init);
  c.loop_condition = f.NewBool(false, at);
  c.loop_step = f.NewIdent(std::move(var), at);
  c.result = std::move(result);
  return f.NewComprehension(std::move(c), at);
}

// x.optMap(v, e) -> x.hasValue() ? optional.of(bind v = x.value() in e)
//                                : optional.none();
// x.optFlatMap(v, e) the same without the optional.of wrapper.
MacroOutcome ExpandOptMap(ExprFactory& f, bool flat, ExprPtr& target,
                          std::vector<ExprPtr>& args, int32_t at) {
  std::string_view name = flat ? "optFlatMap" : "optMap";
  if (!IsIdent(args[0])) {
    return Error(f, args[0],
                 Cat({name, "() variable name must be a simple identifier"}));
  }
  ExprPtr value = f.NewMemberCall("value", f.Copy(*target), {}, at);
  ExprPtr has_value = f.NewMemberCall("hasValue", std::move(target), {}, at);
  ExprPtr mapped =
      Bind(f, args[0]->name, std::move(value), std::move(args[1]), at);
  if (!flat) mapped = f.NewCall("optional.of", Exprs(std::move(mapped)), at);
  return Expanded(f.NewCall("_?_:_",
                            Exprs(std::move(has_value), std::move(mapped),
                                  f.NewCall("optional.none", {}, at)),
                            at));
}

bool IsNonNegativeInt(const ExprPtr& e) {
  return e && e->kind == ExprKind::kConst &&
         e->constant.kind == Constant::Kind::kInt && e->constant.int_value >= 0;
}

// cel.bind, cel.block, cel.index, cel.iterVar, cel.accuVar.
MacroOutcome ExpandCelNamespace(ExprFactory& f, std::string_view function,
                                std::vector<ExprPtr>& args, int32_t at) {
  size_t n = args.size();
  if (function == "bind" && n == 3) {
    if (!IsIdent(args[0])) {
      return Error(f, args[0],
                   "cel.bind() variable names must be simple identifiers");
    }
    return Expanded(
        Bind(f, args[0]->name, std::move(args[1]), std::move(args[2]), at));
  }
  if (function == "block" && n == 2) {
    if (args[0]->kind != ExprKind::kList) {
      return Error(f, args[0],
                   "cel.block requires the first arg to be a list literal");
    }
    return Expanded(f.NewCall(kBlockFunction, std::move(args), at));
  }
  if (function == "index" && n == 1) {
    if (!IsNonNegativeInt(args[0])) {
      return Error(f, args[0],
                   "cel.index requires a single non-negative int constant arg");
    }
    return Expanded(f.NewIdent(
        Cat({"@index", std::to_string(args[0]->constant.int_value)}), at));
  }
  if ((function == "iterVar" || function == "accuVar") && n == 2) {
    if (!IsNonNegativeInt(args[0]) || !IsNonNegativeInt(args[1])) {
      return Error(f, args[0],
                   Cat({"cel.", function,
                        " requires two non-negative int constant args"}));
    }
    std::string_view prefix = function == "iterVar" ? "@it:" : "@ac:";
    return Expanded(
        f.NewIdent(Cat({prefix, std::to_string(args[0]->constant.int_value),
                        ":", std::to_string(args[1]->constant.int_value)}),
                   at));
  }
  return MacroOutcome{};
}

}  // namespace

MacroOutcome ExpandMacro(ExprFactory& f, std::string_view function,
                         ExprPtr& target, std::vector<ExprPtr>& args,
                         int32_t at) {
  size_t n = args.size();
  if (!target) {
    if (function == "has" && n == 1) {
      if (args[0]->kind != ExprKind::kSelect || args[0]->test_only) {
        return Error(f, args[0], "invalid argument to has() macro");
      }
      Expr& sel = *args[0];
      return Expanded(
          f.NewPresenceTest(std::move(sel.operand), std::move(sel.name), at));
    }
    return MacroOutcome{};
  }
  if (target->kind == ExprKind::kIdent && target->name == "cel") {
    MacroOutcome out = ExpandCelNamespace(f, function, args, at);
    if (out.kind != Kind::kNotMacro) return out;
  }
  if (n == 2 || n == 3) {
    if (function == "all") {
      return ExpandQuantifier(f, Quantifier::kAll, target, args, at);
    }
    if (function == "exists") {
      return ExpandQuantifier(f, Quantifier::kExists, target, args, at);
    }
    if (function == "exists_one" || function == "existsOne") {
      return ExpandQuantifier(f, Quantifier::kExistsOne, target, args, at);
    }
    if (function == "map") {
      return ExpandMapOrFilter(f, /*is_filter=*/false, target, args, at);
    }
  }
  if (n == 2) {
    if (function == "filter") {
      return ExpandMapOrFilter(f, /*is_filter=*/true, target, args, at);
    }
    if (function == "optMap" || function == "optFlatMap") {
      return ExpandOptMap(f, function == "optFlatMap", target, args, at);
    }
  }
  if (n == 3 || n == 4) {
    if (function == "transformList") {
      return ExpandTransform(f, Transform::kList, target, args, at);
    }
    if (function == "transformMap") {
      return ExpandTransform(f, Transform::kMap, target, args, at);
    }
    if (function == "transformMapEntry") {
      return ExpandTransform(f, Transform::kMapEntry, target, args, at);
    }
  }
  return MacroOutcome{};
}

}  // namespace retro::cel
