#include "cel/planner_nodes.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "re2/re2.h"

namespace retro::cel::internal {
namespace {

bool IsKeyKind(Kind k) {
  return k == Kind::kString || k == Kind::kInt || k == Kind::kUint ||
         k == Kind::kBool;
}

Value NoSuchKey(EvalContext& ctx, std::string_view field) {
  return ctx.Errorf("no such key: %s", field);
}

// Selects `field` from `v`; `test_only` for has().
Value SelectField(EvalContext& ctx, const Value& v, std::string_view field,
                  bool test_only) {
  switch (v.kind()) {
    case Kind::kMap: {
      const Value* found = v.map().FindString(field);
      if (test_only) return Value::Bool(found != nullptr);
      return found != nullptr ? *found : NoSuchKey(ctx, field);
    }
    case Kind::kError:
      return v;
    case Kind::kOptional: {
      // Field selection on an optional yields an optional (cel-go).
      const Value* inner = v.optional_value();
      if (inner == nullptr) return test_only ? Value::Bool(false) : v;
      if (inner->kind() == Kind::kMap) {
        // optional.of(m).f is optional.none() when m has no f (cel-go).
        const Value* found = inner->map().FindString(field);
        if (test_only) return Value::Bool(found != nullptr);
        return Value::Optional(found);
      }
      Value r = SelectField(ctx, *inner, field, test_only);
      if (test_only || r.is_error()) return r;
      return Value::Optional(ctx.arena().New<Value>(r));
    }
    default:
      return ctx.Errorf("type '%s' does not support field selection%s",
                        v.TypeName(), test_only ? " (in has())" : "");
  }
}

// True when `*range` can be iterated (a list or a map); otherwise *range
// becomes the error to return (its own error, or a type error).
bool IsRange(EvalContext& ctx, Value* range) {
  if (range->kind() == Kind::kList || range->kind() == Kind::kMap) return true;
  if (!range->is_error()) {
    *range = ctx.Errorf(
        "expression of type '%s' cannot be the range of a comprehension",
        range->TypeName());
  }
  return false;
}

// Counts one comprehension step against the iteration limit and the cost
// budget; true, with the error in *error, when either is exhausted.
bool IterationLimitReached(EvalContext& ctx, Value* error) {
  if (++ctx.iterations() > ctx.options().max_comprehension_iterations) {
    *error = ctx.Errorf(
        "comprehension iteration limit exceeded (%d iterations; raise "
        "EvalOptions.max_comprehension_iterations)",
        ctx.options().max_comprehension_iterations);
    return true;
  }
  if (!ctx.Charge(1)) {
    *error = ctx.Errorf(
        "evaluation cost budget exceeded (limit %d; raise "
        "EvalOptions.max_cost)",
        ctx.options().max_cost);
    return true;
  }
  return false;
}

// Enforces EvalOptions.max_value_size on what a function built, and charges
// its size to the cost budget.
Value CheckSize(EvalContext& ctx, const Value& r) {
  int64_t size;
  switch (r.kind()) {
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kList:
      size = r.list().size();  // the same 32-bit length field for all three
      break;
    default:
      return r;
  }
  if (size > ctx.options().max_value_size) {
    return ctx.Errorf(
        "value of %d elements exceeds the size limit (%d; raise "
        "EvalOptions.max_value_size)",
        size, ctx.options().max_value_size);
  }
  if (size > 64 && !ctx.Charge(size / 64)) {
    return ctx.Errorf(
        "evaluation cost budget exceeded (limit %d; raise "
        "EvalOptions.max_cost)",
        ctx.options().max_cost);
  }
  return r;
}

std::string ArgTypes(std::span<const Value> args) {
  std::vector<std::string> names;
  for (const Value& a : args) names.emplace_back(a.TypeName());
  return absl::StrCat("(", absl::StrJoin(names, ", "), ")");
}

}  // namespace

Value SlotNode::Eval(Frame& f) const {
  const Value* v = f.activation->Get(slot_);
  if (v == nullptr) {
    return f.ctx->Errorf("no value bound for variable '%s'", name_);
  }
  return *v;
}

Value SelectNode::Eval(Frame& f) const {
  Value v = operand_->Eval(f);
  if (v.kind() == Kind::kMap) {
    const Value* found = field_.Find(v.map());
    if (test_only_) return Value::Bool(found != nullptr);
    return found != nullptr ? *found : NoSuchKey(*f.ctx, field_.name());
  }
  return SelectField(*f.ctx, v, field_.name(), test_only_);
}

Value PathNode::Eval(Frame& f) const {
  Value v = root_->Eval(f);
  for (const FieldRef& field : fields_) {
    if (v.kind() == Kind::kMap) {
      const Value* found = field.Find(v.map());
      if (found == nullptr) return NoSuchKey(*f.ctx, field.name());
      v = *found;
    } else {
      v = SelectField(*f.ctx, v, field.name(), false);
      if (v.is_error()) return v;
    }
  }
  return v;
}

Value AndNode::Eval(Frame& f) const {
  Value l = a_->Eval(f);
  if (l.is_bool() && !l.bool_value()) return l;
  Value r = b_->Eval(f);
  if (r.is_bool()) {
    if (!r.bool_value()) return r;
    if (l.is_bool()) return r;
  }
  if (l.is_error()) return l;
  if (r.is_error()) return r;
  return f.ctx->Errorf("no matching overload for '_&&_' applied to '(%s, %s)'",
                       l.TypeName(), r.TypeName());
}

Value OrNode::Eval(Frame& f) const {
  Value l = a_->Eval(f);
  if (l.is_bool() && l.bool_value()) return l;
  Value r = b_->Eval(f);
  if (r.is_bool()) {
    if (r.bool_value()) return r;
    if (l.is_bool()) return r;
  }
  if (l.is_error()) return l;
  if (r.is_error()) return r;
  return f.ctx->Errorf("no matching overload for '_||_' applied to '(%s, %s)'",
                       l.TypeName(), r.TypeName());
}

Value CondNode::Eval(Frame& f) const {
  Value c = c_->Eval(f);
  if (c.is_bool()) return c.bool_value() ? t_->Eval(f) : e_->Eval(f);
  if (c.is_error()) return c;
  return f.ctx->Errorf(
      "no matching overload for '_?_:_' applied to '(%s, ...)'", c.TypeName());
}

CallNode::CallNode(std::string name, std::vector<NodePtr> args,
                   std::vector<const Overload*> candidates)
    : name_(std::move(name)),
      args_(std::move(args)),
      candidates_(std::move(candidates)) {
  bool by_kinds =
      !candidates_.empty() && args_.size() >= 1 && args_.size() <= 2;
  for (const Overload* o : candidates_) {
    non_strict_ |= !o->strict;
    if (o->variadic) by_kinds = false;
    for (const Type& p : o->params) {
      if (p.kind() == TypeKind::kOpaque) by_kinds = false;
    }
  }
  if (!by_kinds || non_strict_) return;
  size_t argc = args_.size();
  size_t rows = argc == 2 ? kNumKinds : 1;
  by_kinds_.assign(kNumKinds * rows, nullptr);
  for (int a = 0; a < kNumKinds; ++a) {
    for (size_t b = 0; b < rows; ++b) {
      for (const Overload* o : candidates_) {
        if (o->masks.size() != argc) continue;
        if ((o->masks[0] & (1u << a)) == 0) continue;
        if (argc == 2 && (o->masks[1] & (1u << b)) == 0) continue;
        by_kinds_[a * rows + b] = o;
        break;
      }
    }
  }
}

Value CallNode::Call(EvalContext& ctx, std::span<const Value> args) const {
  if (!by_kinds_.empty()) {
    const Overload* o;
    if (args.size() == 2) {
      if (args[0].is_error()) return args[0];
      if (args[1].is_error()) return args[1];
      o = by_kinds_[static_cast<int>(args[0].kind()) * kNumKinds +
                    static_cast<int>(args[1].kind())];
    } else {
      if (args[0].is_error()) return args[0];
      o = by_kinds_[static_cast<int>(args[0].kind())];
    }
    if (o != nullptr) return CheckSize(ctx, o->impl(ctx, args));
    return ctx.Errorf("no matching overload for '%s' applied to '%s'", name_,
                      ArgTypes(args));
  }
  if (!non_strict_) {
    for (const Value& a : args) {
      if (a.is_error()) return a;
    }
  }
  for (const Overload* o : candidates_) {
    if (o->Matches(args)) {
      if (o->strict && non_strict_) {
        for (const Value& a : args) {
          if (a.is_error()) return a;
        }
      }
      Value r = o->impl(ctx, args);
      return CheckSize(ctx, r);
    }
  }
  if (non_strict_) {
    for (const Value& a : args) {
      if (a.is_error()) return a;
    }
  }
  if (candidates_.empty()) {
    return ctx.Errorf("no such function: '%s'", name_);
  }
  return ctx.Errorf("no matching overload for '%s' applied to '%s'", name_,
                    ArgTypes(args));
}

Value CallNode::Eval(Frame& f) const {
  size_t n = args_.size();
  Value stack_args[4];
  Value* args = n <= 4 ? stack_args : f.ctx->arena().AllocArray<Value>(n);
  for (size_t i = 0; i < n; ++i) args[i] = args_[i]->Eval(f);
  return Call(*f.ctx, std::span<const Value>(args, n));
}

Value ConcatNode::Eval(Frame& f) const {
  size_t n = operands_.size();
  Value stack_values[8];
  Value* values = n <= 8 ? stack_values : f.ctx->arena().AllocArray<Value>(n);
  bool all_strings = true;
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    values[i] = operands_[i]->Eval(f);
    if (values[i].is_string()) {
      total += values[i].string_value().size();
    } else {
      all_strings = false;
    }
  }
  if (all_strings &&
      static_cast<int64_t>(total) <= f.ctx->options().max_value_size) {
    char* out = static_cast<char*>(f.ctx->arena().Allocate(total, 1));
    size_t pos = 0;
    for (size_t i = 0; i < n; ++i) {
      std::string_view s = values[i].string_value();
      if (!s.empty()) std::memcpy(out + pos, s.data(), s.size());
      pos += s.size();
    }
    return CheckSize(*f.ctx, Value::String(std::string_view(out, total)));
  }
  Value acc = values[0];
  for (size_t i = 1; i < n; ++i) {
    Value pair[2] = {acc, values[i]};
    acc = add_->Call(*f.ctx, std::span<const Value>(pair, 2));
  }
  return acc;
}

Value ListNode::Eval(Frame& f) const {
  size_t n = elems_.size();
  Value* items = f.ctx->arena().AllocArray<Value>(n);
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    Value v = elems_[i]->Eval(f);
    if (v.is_error()) return v;
    if (optional_[i]) {
      if (v.kind() != Kind::kOptional) {
        return f.ctx->Errorf(
            "optional list element must be an optional, got '%s'",
            v.TypeName());
      }
      if (v.optional_value() == nullptr) continue;
      v = *v.optional_value();
    }
    items[out++] = v;
  }
  return Value::List(items, static_cast<uint32_t>(out));
}

Value MapNode::Eval(Frame& f) const {
  size_t n = entries_.size();
  Arena& arena = f.ctx->arena();
  Value* keys = arena.AllocArray<Value>(n);
  Value* values = arena.AllocArray<Value>(n);
  size_t out = 0;
  for (const Entry& e : entries_) {
    Value k = e.key->Eval(f);
    if (k.is_error()) return k;
    Value v = e.value->Eval(f);
    if (v.is_error()) return v;
    if (!IsKeyKind(k.kind())) {
      return f.ctx->Errorf("unsupported key type '%s' in map literal",
                           k.TypeName());
    }
    if (e.optional) {
      if (v.kind() != Kind::kOptional) {
        return f.ctx->Errorf("optional map entry must be an optional, got '%s'",
                             v.TypeName());
      }
      if (v.optional_value() == nullptr) continue;
      v = *v.optional_value();
    }
    keys[out] = k;
    values[out] = v;
    ++out;
  }
  const Value* dup = nullptr;
  const MapData* m =
      BuildMap(arena, keys, values, static_cast<uint32_t>(out), &dup);
  if (m == nullptr) {
    return f.ctx->Errorf("Failed with repeated key: %s", dup->DebugString());
  }
  return Value::Map(m);
}

Value ComprehensionNode::Eval(Frame& f) const {
  EvalContext& ctx = *f.ctx;
  Value range = p_.range->Eval(f);
  if (!IsRange(ctx, &range)) return range;
  f.locals[p_.accu_var] = p_.init->Eval(f);
  uint32_t n = range.kind() == Kind::kList
                   ? static_cast<uint32_t>(range.list().size())
                   : range.map().size;
  for (uint32_t i = 0; i < n; ++i) {
    if (Value limit; IterationLimitReached(ctx, &limit)) return limit;
    if (range.kind() == Kind::kList) {
      if (p_.iter_var2 >= 0) {
        f.locals[p_.iter_var] = Value::Int(i);
        f.locals[p_.iter_var2] = range.list()[i];
      } else {
        f.locals[p_.iter_var] = range.list()[i];
      }
    } else {
      f.locals[p_.iter_var] = range.map().keys[i];
      if (p_.iter_var2 >= 0) f.locals[p_.iter_var2] = range.map().values[i];
    }
    Value cond = p_.condition->Eval(f);
    if (cond.is_bool() && !cond.bool_value()) break;
    if (cond.is_error()) return cond;
    f.locals[p_.accu_var] = p_.step->Eval(f);
  }
  return p_.result->Eval(f);
}

Value BlockNode::Eval(Frame& f) const {
  for (size_t i = 0; i < bindings_.size(); ++i) {
    f.locals[slots_[i]] = bindings_[i]->Eval(f);
  }
  return result_->Eval(f);
}

}  // namespace retro::cel::internal

namespace retro::cel::internal {
namespace {

bool IsNumber(Kind k) {
  return k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble;
}

bool IsOrdered(Kind k) {
  return k == Kind::kBool || k == Kind::kString || k == Kind::kBytes ||
         k == Kind::kTimestamp || k == Kind::kDuration;
}

}  // namespace

Value EqualNode::Eval(Frame& f) const {
  Value a = a_->Eval(f);
  if (a.is_error()) return a;
  Value b = b_->Eval(f);
  if (b.is_error()) return b;
  return Value::Bool(Equal(a, b) != negate_);
}

Value RelationNode::Eval(Frame& f) const {
  Value a = a_->Eval(f);
  if (a.is_error()) return a;
  Value b = b_->Eval(f);
  if (b.is_error()) return b;
  bool numeric = IsNumber(a.kind()) && IsNumber(b.kind());
  if (!numeric && !(a.kind() == b.kind() && IsOrdered(a.kind()))) {
    return f.ctx->Errorf("no matching overload for '%s' applied to '(%s, %s)'",
                         name_, a.TypeName(), b.TypeName());
  }
  std::optional<int> c = Compare(a, b);
  if (!c.has_value()) return Value::Bool(false);  // NaN
  switch (op_) {
    case Op::kLess:
      return Value::Bool(*c < 0);
    case Op::kLessEqual:
      return Value::Bool(*c <= 0);
    case Op::kGreater:
      return Value::Bool(*c > 0);
    case Op::kGreaterEqual:
      return Value::Bool(*c >= 0);
  }
  return Value::Bool(false);
}

Value NotNode::Eval(Frame& f) const {
  Value a = a_->Eval(f);
  if (a.is_bool()) return Value::Bool(!a.bool_value());
  if (a.is_error()) return a;
  return f.ctx->Errorf("no matching overload for '!_' applied to '(%s)'",
                       a.TypeName());
}

Value InNode::Eval(Frame& f) const {
  Value e = elem_->Eval(f);
  if (e.is_error()) return e;
  Value c = container_->Eval(f);
  if (c.is_error()) return c;
  if (c.kind() == Kind::kList) {
    if (e.is_string()) {
      // A string equals only strings: compare bytes in place.
      for (const Value& v : c.list()) {
        if (KeyIs(v, e.string_value())) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
    for (const Value& v : c.list()) {
      if (Equal(e, v)) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (c.kind() == Kind::kMap) return Value::Bool(c.map().Find(e) != nullptr);
  return f.ctx->Errorf("no matching overload for '@in' applied to '(%s, %s)'",
                       e.TypeName(), c.TypeName());
}

MatchesNode::MatchesNode(NodePtr subject, std::unique_ptr<re2::RE2> re)
    : subject_(std::move(subject)), re_(std::move(re)) {}
MatchesNode::~MatchesNode() = default;

Value MatchesNode::Eval(Frame& f) const {
  Value s = subject_->Eval(f);
  if (s.is_string()) {
    std::string_view text = s.string_value();
    return Value::Bool(re_->Match(re2::StringPiece(text.data(), text.size()), 0,
                                  text.size(), re2::RE2::UNANCHORED, nullptr,
                                  0));
  }
  if (s.is_error()) return s;
  return f.ctx->Errorf(
      "no matching overload for 'matches' applied to '(%s, string)'",
      s.TypeName());
}

Value QuantifierNode::Eval(Frame& f) const {
  EvalContext& ctx = *f.ctx;
  Value range = range_->Eval(f);
  if (!IsRange(ctx, &range)) return range;
  bool is_list = range.kind() == Kind::kList;
  uint32_t n =
      is_list ? static_cast<uint32_t>(range.list().size()) : range.map().size;
  const Value* items = is_list ? range.list().data() : range.map().keys;
  // exists: true wins over errors; all: false wins over errors.
  Value first_error;
  bool saw_error = false;
  for (uint32_t i = 0; i < n; ++i) {
    if (Value limit; IterationLimitReached(ctx, &limit)) return limit;
    f.locals[iter_var_] = items[i];
    Value p = predicate_->Eval(f);
    if (p.is_bool()) {
      if (p.bool_value() == exists_) return p;
      continue;
    }
    if (!saw_error) {
      saw_error = true;
      first_error =
          p.is_error()
              ? p
              : ctx.Errorf(
                    "no matching overload for '%s' applied to '(bool, %s)'",
                    exists_ ? "_||_" : "_&&_", p.TypeName());
    }
  }
  if (saw_error) return first_error;
  return Value::Bool(!exists_);
}

Value ListBuilderNode::Eval(Frame& f) const {
  EvalContext& ctx = *f.ctx;
  Value range = p_.range->Eval(f);
  if (!IsRange(ctx, &range)) return range;
  bool is_list = range.kind() == Kind::kList;
  uint32_t n =
      is_list ? static_cast<uint32_t>(range.list().size()) : range.map().size;
  Value* out = ctx.arena().AllocArray<Value>(n);
  uint32_t size = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (Value limit; IterationLimitReached(ctx, &limit)) return limit;
    if (is_list) {
      if (p_.iter_var2 >= 0) {
        f.locals[p_.iter_var] = Value::Int(i);
        f.locals[p_.iter_var2] = range.list()[i];
      } else {
        f.locals[p_.iter_var] = range.list()[i];
      }
    } else {
      f.locals[p_.iter_var] = range.map().keys[i];
      if (p_.iter_var2 >= 0) f.locals[p_.iter_var2] = range.map().values[i];
    }
    if (p_.predicate != nullptr) {
      Value keep = p_.predicate->Eval(f);
      if (keep.is_error()) return keep;
      if (!keep.is_bool()) {
        return ctx.Errorf(
            "no matching overload for '_?_:_' applied to '(%s, ...)'",
            keep.TypeName());
      }
      if (!keep.bool_value()) continue;
    }
    Value v = p_.element->Eval(f);
    if (v.is_error()) return v;
    out[size++] = v;
  }
  return Value::List(out, size);
}

Value StringTestNode::Eval(Frame& f) const {
  Value r = receiver_->Eval(f);
  if (r.is_string()) {
    std::string_view s = r.string_value();
    std::string_view a = arg_;
    bool hit;
    switch (op_) {
      case Op::kStartsWith:
        hit = s.size() >= a.size() && BytesEqual(s.data(), a.data(), a.size());
        break;
      case Op::kEndsWith:
        hit = s.size() >= a.size() &&
              BytesEqual(s.data() + s.size() - a.size(), a.data(), a.size());
        break;
      case Op::kContains:
        hit = s.find(a) != std::string_view::npos;
        break;
    }
    return Value::Bool(hit);
  }
  Value args[2] = {r, Value::String(arg_)};
  return general_->Call(*f.ctx, std::span<const Value>(args, 2));
}

}  // namespace retro::cel::internal
