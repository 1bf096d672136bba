// The optional types library (cel-go's OptionalTypes): optional.of,
// optional.ofNonZeroValue, optional.none, hasValue, value, or, orValue,
// optional field selection `_?._`, optional indexing `_[?_]`, plain indexing
// of an optional (which chains: the result is optional), optional.unwrap
// and unwrapOpt. The parser expands optMap/optFlatMap; the evaluator builds
// `[?e]` and `{?k: v}` literals and selects fields on optionals.
#include <cmath>
#include <vector>

#include "cel/ext_internal.h"
#include "cel/library.h"

namespace retro::cel {
namespace ext {
namespace {

// The zero value of each type as protobuf defines it (null, false, 0, "",
// b"", [], {}, a zero duration, the Unix epoch).
bool IsZeroValue(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return !v.bool_value();
    case Kind::kInt:
      return v.int_value() == 0;
    case Kind::kUint:
      return v.uint_value() == 0;
    case Kind::kDouble:
      return v.double_value() == 0;
    case Kind::kString:
      return v.string_value().empty();
    case Kind::kBytes:
      return v.bytes_value().empty();
    case Kind::kList:
      return v.list().empty();
    case Kind::kMap:
      return v.map().size == 0;
    case Kind::kTimestamp:
    case Kind::kDuration:
      return v.seconds() == 0 && v.nanos() == 0;
    case Kind::kType:
    case Kind::kOptional:
    case Kind::kOpaque:
    case Kind::kError:
      return false;
  }
  return false;
}

Value Of(EvalContext& ctx, std::span<const Value> args) {
  return NewOptional(ctx, args[0]);
}

Value OfNonZeroValue(EvalContext& ctx, std::span<const Value> args) {
  return IsZeroValue(args[0]) ? NoneValue() : NewOptional(ctx, args[0]);
}

Value None(EvalContext&, std::span<const Value>) { return NoneValue(); }

Value HasValue(EvalContext&, std::span<const Value> args) {
  return Value::Bool(args[0].optional_value() != nullptr);
}

Value GetValue(EvalContext& ctx, std::span<const Value> args) {
  const Value* v = args[0].optional_value();
  if (v == nullptr) return ctx.Error("optional.none() dereference");
  return *v;
}

Value Or(EvalContext& ctx, std::span<const Value> args) {
  if (args[0].optional_value() != nullptr) return args[0];
  if (args[1].kind() != Kind::kOptional) {
    return NoMatchingOverload(ctx, "or", args);
  }
  return args[1];
}

Value OrValue(EvalContext&, std::span<const Value> args) {
  const Value* v = args[0].optional_value();
  return v != nullptr ? *v : args[1];
}

// container[?key] for a list or map container (unwrapping an optional
// container first): optional.of the element, or none when absent.
Value OptIndex(EvalContext& ctx, std::string_view name,
               std::span<const Value> args) {
  Value container = args[0];
  const Value& key = args[1];
  if (container.kind() == Kind::kOptional) {
    if (container.optional_value() == nullptr) return container;
    container = *container.optional_value();
  }
  switch (container.kind()) {
    case Kind::kList: {
      std::span<const Value> list = container.list();
      int64_t index;
      if (key.kind() == Kind::kInt) {
        index = key.int_value();
      } else if (key.kind() == Kind::kUint) {
        if (key.uint_value() >= list.size()) return NoneValue();
        index = static_cast<int64_t>(key.uint_value());
      } else if (key.kind() == Kind::kDouble &&
                 std::trunc(key.double_value()) == key.double_value() &&
                 std::fabs(key.double_value()) < 9.2e18) {
        index = static_cast<int64_t>(key.double_value());
      } else {
        return ctx.Errorf("unsupported index type '%s' in list index",
                          key.TypeName());
      }
      if (index < 0 || index >= static_cast<int64_t>(list.size())) {
        return NoneValue();
      }
      return Value::Optional(&list[index]);
    }
    case Kind::kMap: {
      switch (key.kind()) {
        case Kind::kBool:
        case Kind::kInt:
        case Kind::kUint:
        case Kind::kString:
        case Kind::kDouble:
          break;
        default:
          return ctx.Errorf("unsupported map key type '%s'", key.TypeName());
      }
      const Value* found = container.map().Find(key);
      return found != nullptr ? Value::Optional(found) : NoneValue();
    }
    default:
      return NoMatchingOverload(ctx, name, args);
  }
}

Value OptIndexFn(EvalContext& ctx, std::span<const Value> args) {
  return OptIndex(ctx, "_[?_]", args);
}

Value IndexOptional(EvalContext& ctx, std::span<const Value> args) {
  return OptIndex(ctx, "_[_]", args);
}

// operand.?field: on a map, the entry as an optional; on an optional,
// chains (none stays none).
Value OptSelect(EvalContext& ctx, std::span<const Value> args) {
  Value operand = args[0];
  if (operand.kind() == Kind::kOptional) {
    if (operand.optional_value() == nullptr) return operand;
    operand = *operand.optional_value();
  }
  if (operand.kind() != Kind::kMap) {
    return ctx.Errorf("type '%s' does not support field selection",
                      operand.TypeName());
  }
  const Value* found = operand.map().FindString(args[1].string_value());
  return found != nullptr ? Value::Optional(found) : NoneValue();
}

// optional.unwrap(list) / list.unwrapOpt(): the values of the non-empty
// optionals, in order.
Value Unwrap(EvalContext& ctx, std::span<const Value> args) {
  std::vector<Value> out;
  for (const Value& v : args[0].list()) {
    if (v.kind() != Kind::kOptional) {
      return ctx.Errorf("optional.unwrap: list element is %s, not optional",
                        v.TypeName());
    }
    if (v.optional_value() != nullptr) out.push_back(*v.optional_value());
  }
  return NewList(ctx, out);
}

absl::Status Register(FunctionRegistry& registry) {
  const Type t = Type::Param("T");
  const Type k = Type::Param("K");
  const Type v = Type::Param("V");
  const Type opt_t = Type::Optional(t);
  const Type opt_v = Type::Optional(v);
  const Type list_v = Type::List(v);
  const Type map_kv = Type::Map(k, v);
  const Type i = Type::Int();
  const Type s = Type::String();
  LibraryBuilder b(registry);
  b.Global("optional_of", "optional.of", {t}, opt_t, Of);
  b.Global("optional_ofNonZeroValue", "optional.ofNonZeroValue", {t}, opt_t,
           OfNonZeroValue);
  b.Global("optional_none", "optional.none", {}, opt_t, None);
  b.Member("optional_hasValue", "hasValue", {opt_t}, Type::Bool(), HasValue);
  b.Member("optional_value", "value", {opt_t}, t, GetValue);
  b.Member("optional_or_optional", "or", {opt_t, opt_t}, opt_t, Or);
  b.Member("optional_orValue_value", "orValue", {opt_t, t}, t, OrValue);
  b.Global("select_optional_field", "_?._", {map_kv, s}, opt_v, OptSelect);
  b.Global("optional_select_optional_field", "_?._",
           {Type::Optional(map_kv), s}, opt_v, OptSelect);
  b.Global("list_optindex_optional_int", "_[?_]", {list_v, i}, opt_v,
           OptIndexFn);
  b.Global("map_optindex_optional_value", "_[?_]", {map_kv, k}, opt_v,
           OptIndexFn);
  b.Global("optional_list_optindex_optional_int", "_[?_]",
           {Type::Optional(list_v), i}, opt_v, OptIndexFn);
  b.Global("optional_map_optindex_optional_value", "_[?_]",
           {Type::Optional(map_kv), k}, opt_v, OptIndexFn);
  b.Global("optional_list_index_int", "_[_]", {Type::Optional(list_v), i},
           opt_v, IndexOptional);
  b.Global("optional_map_index_value", "_[_]", {Type::Optional(map_kv), k},
           opt_v, IndexOptional);
  b.Global("optional_unwrap_list", "optional.unwrap", {Type::List(opt_t)},
           Type::List(t), Unwrap);
  b.Member("optional_unwrapOpt_list", "unwrapOpt", {Type::List(opt_t)},
           Type::List(t), Unwrap);
  return b.status();
}

}  // namespace
}  // namespace ext

absl::Status RegisterOptionalsLibrary(FunctionRegistry& registry) {
  return ext::Register(registry);
}

}  // namespace retro::cel
