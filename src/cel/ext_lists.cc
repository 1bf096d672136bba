// The lists extension (cel-go ext/lists.go): lists.range(n), and on lists
// slice(start, end), flatten(), flatten(depth), reverse(), distinct(),
// sort(), first(), last(), and @sortByAssociatedKeys (the target of
// cel-go's sortBy macro).
#include <algorithm>
#include <numeric>
#include <vector>

#include "cel/ext_internal.h"
#include "cel/library.h"

namespace retro::cel {
namespace ext {
namespace {

Value Range(EvalContext& ctx, std::span<const Value> args) {
  int64_t n = args[0].int_value();
  if (n <= 0) return Value::List(nullptr, 0);
  if (auto err = CheckSize(ctx, static_cast<size_t>(n))) return *err;
  Value* out = ctx.arena().AllocArray<Value>(n);
  for (int64_t i = 0; i < n; ++i) out[i] = Value::Int(i);
  return Value::List(out, static_cast<uint32_t>(n));
}

Value Slice(EvalContext& ctx, std::span<const Value> args) {
  std::span<const Value> list = args[0].list();
  int64_t start = args[1].int_value();
  int64_t end = args[2].int_value();
  if (start < 0 || end < 0) {
    return ctx.Errorf("cannot slice(%d, %d), negative indexes not supported",
                      start, end);
  }
  if (start > end) {
    return ctx.Errorf(
        "cannot slice(%d, %d), start index must be less than or equal to end "
        "index",
        start, end);
  }
  if (end > static_cast<int64_t>(list.size())) {
    return ctx.Errorf("cannot slice(%d, %d), list is length %d", start, end,
                      list.size());
  }
  // A view into the receiver: lists are immutable.
  return Value::List(list.data() + start, static_cast<uint32_t>(end - start));
}

// Appends the elements of `list`, descending `depth` more levels into
// nested lists.
void FlattenInto(std::span<const Value> list, int64_t depth,
                 std::vector<Value>* out) {
  for (const Value& v : list) {
    if (v.kind() == Kind::kList && depth > 0) {
      FlattenInto(v.list(), depth - 1, out);
    } else {
      out->push_back(v);
    }
  }
}

Value FlattenDepth(EvalContext& ctx, std::span<const Value> list,
                   int64_t depth) {
  if (depth < 0) return ctx.Error("flatten: level must be non-negative");
  std::vector<Value> out;
  FlattenInto(list, std::min<int64_t>(depth, 1000), &out);
  if (auto err = CheckSize(ctx, out.size())) return *err;
  return NewList(ctx, out);
}

Value Flatten(EvalContext& ctx, std::span<const Value> args) {
  return FlattenDepth(ctx, args[0].list(), 1);
}

Value FlattenLevels(EvalContext& ctx, std::span<const Value> args) {
  return FlattenDepth(ctx, args[0].list(), args[1].int_value());
}

Value Reverse(EvalContext& ctx, std::span<const Value> args) {
  std::span<const Value> list = args[0].list();
  if (list.size() <= 1) return args[0];
  Value* out = ctx.arena().AllocArray<Value>(list.size());
  std::reverse_copy(list.begin(), list.end(), out);
  return Value::List(out, static_cast<uint32_t>(list.size()));
}

// Keeps the first of each group of equal elements (CEL equality; 1, 1u and
// 1.0 are equal). Quadratic, like cel-go's.
Value Distinct(EvalContext& ctx, std::span<const Value> args) {
  std::span<const Value> list = args[0].list();
  if (!ctx.Charge(static_cast<int64_t>(list.size() * list.size() / 2))) {
    return ctx.Error("evaluation cost budget exceeded in distinct()");
  }
  std::vector<Value> out;
  for (const Value& v : list) {
    bool seen = false;
    for (const Value& o : out) {
      if (Equal(o, v)) {
        seen = true;
        break;
      }
    }
    if (!seen) out.push_back(v);
  }
  if (out.size() == list.size()) return args[0];
  return NewList(ctx, out);
}

bool Orderable(Kind k) {
  switch (k) {
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kUint:
    case Kind::kDouble:
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kTimestamp:
    case Kind::kDuration:
      return true;
    default:
      return false;
  }
}

// Checks that every value is orderable and of one kind (cel-go requires a
// single element type); an error value otherwise.
std::optional<Value> CheckSortable(EvalContext& ctx,
                                   std::span<const Value> keys) {
  for (const Value& k : keys) {
    if (!Orderable(k.kind())) {
      return ctx.Errorf("sort: elements of type '%s' are not orderable",
                        k.TypeName());
    }
    if (k.kind() != keys[0].kind()) {
      return ctx.Errorf(
          "sort: list elements must have the same type, got '%s' "
          "and '%s'",
          keys[0].TypeName(), k.TypeName());
    }
  }
  return std::nullopt;
}

// A stable ordering of indices by keys. NaN sorts as unordered (kept in
// place relative to its neighbours as the sort allows).
std::vector<uint32_t> SortedOrder(std::span<const Value> keys) {
  std::vector<uint32_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    std::optional<int> c = Compare(keys[a], keys[b]);
    return c.has_value() && *c < 0;
  });
  return order;
}

Value Sort(EvalContext& ctx, std::span<const Value> args) {
  std::span<const Value> list = args[0].list();
  if (auto err = CheckSortable(ctx, list)) return *err;
  std::vector<uint32_t> order = SortedOrder(list);
  Value* out = ctx.arena().AllocArray<Value>(list.size() + 1);
  for (size_t i = 0; i < order.size(); ++i) out[i] = list[order[i]];
  return Value::List(out, static_cast<uint32_t>(list.size()));
}

// list.@sortByAssociatedKeys(keys): the list ordered by the parallel keys.
Value SortByKeys(EvalContext& ctx, std::span<const Value> args) {
  std::span<const Value> list = args[0].list();
  std::span<const Value> keys = args[1].list();
  if (list.size() != keys.size()) {
    return ctx.Errorf(
        "@sortByAssociatedKeys() expected a list of the same size as the "
        "associated keys list, but got %d and %d elements",
        list.size(), keys.size());
  }
  if (auto err = CheckSortable(ctx, keys)) return *err;
  std::vector<uint32_t> order = SortedOrder(keys);
  Value* out = ctx.arena().AllocArray<Value>(list.size() + 1);
  for (size_t i = 0; i < order.size(); ++i) out[i] = list[order[i]];
  return Value::List(out, static_cast<uint32_t>(list.size()));
}

Value First(EvalContext& ctx, std::span<const Value> args) {
  std::span<const Value> list = args[0].list();
  return list.empty() ? NoneValue() : Value::Optional(&list.front());
}

Value Last(EvalContext& ctx, std::span<const Value> args) {
  std::span<const Value> list = args[0].list();
  return list.empty() ? NoneValue() : Value::Optional(&list.back());
}

absl::Status Register(FunctionRegistry& registry) {
  const Type a = Type::Param("T");
  const Type list_a = Type::List(a);
  const Type i = Type::Int();
  LibraryBuilder b(registry);
  b.Global("lists_range", "lists.range", {i}, Type::List(i), Range);
  b.Member("list_slice", "slice", {list_a, i, i}, list_a, Slice);
  b.Member("list_flatten", "flatten", {Type::List(Type::Dyn())},
           Type::List(Type::Dyn()), Flatten);
  b.Member("list_flatten_int", "flatten", {Type::List(Type::Dyn()), i},
           Type::List(Type::Dyn()), FlattenLevels);
  b.Member("list_reverse", "reverse", {list_a}, list_a, Reverse);
  b.Member("list_distinct", "distinct", {list_a}, list_a, Distinct);
  b.Member("list_sort", "sort", {list_a}, list_a, Sort);
  b.Member("list_sortByAssociatedKeys", "@sortByAssociatedKeys",
           {list_a, Type::List(Type::Dyn())}, list_a, SortByKeys);
  b.Member("list_first", "first", {list_a}, Type::Optional(a), First);
  b.Member("list_last", "last", {list_a}, Type::Optional(a), Last);
  return b.status();
}

}  // namespace
}  // namespace ext

absl::Status RegisterListsExtension(FunctionRegistry& registry) {
  return ext::Register(registry);
}

}  // namespace retro::cel
