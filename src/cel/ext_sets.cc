// The sets extension (cel-go ext/sets.go), over lists compared with CEL
// equality: sets.contains(a, b) (every element of b is in a),
// sets.equivalent(a, b) (each contains the other), sets.intersects(a, b)
// (some element in both).
#include "cel/ext_internal.h"
#include "cel/library.h"

namespace retro::cel {
namespace ext {
namespace {

bool Has(std::span<const Value> list, const Value& v) {
  for (const Value& e : list) {
    if (Equal(e, v)) return true;
  }
  return false;
}

bool ContainsAll(std::span<const Value> a, std::span<const Value> b) {
  for (const Value& v : b) {
    if (!Has(a, v)) return false;
  }
  return true;
}

// The comparisons are quadratic; charge them to the cost budget.
std::optional<Value> ChargePairs(EvalContext& ctx,
                                 std::span<const Value> args) {
  int64_t pairs = static_cast<int64_t>(args[0].list().size()) *
                  static_cast<int64_t>(args[1].list().size());
  if (!ctx.Charge(pairs)) {
    return ctx.Error("evaluation cost budget exceeded in a sets function");
  }
  return std::nullopt;
}

Value Contains(EvalContext& ctx, std::span<const Value> args) {
  if (auto err = ChargePairs(ctx, args)) return *err;
  return Value::Bool(ContainsAll(args[0].list(), args[1].list()));
}

Value Equivalent(EvalContext& ctx, std::span<const Value> args) {
  if (auto err = ChargePairs(ctx, args)) return *err;
  return Value::Bool(ContainsAll(args[0].list(), args[1].list()) &&
                     ContainsAll(args[1].list(), args[0].list()));
}

Value Intersects(EvalContext& ctx, std::span<const Value> args) {
  if (auto err = ChargePairs(ctx, args)) return *err;
  for (const Value& v : args[1].list()) {
    if (Has(args[0].list(), v)) return Value::Bool(true);
  }
  return Value::Bool(false);
}

absl::Status Register(FunctionRegistry& registry) {
  const Type list_t = Type::List(Type::Param("T"));
  LibraryBuilder b(registry);
  b.Global("list_sets_contains_list", "sets.contains", {list_t, list_t},
           Type::Bool(), Contains);
  b.Global("list_sets_equivalent_list", "sets.equivalent", {list_t, list_t},
           Type::Bool(), Equivalent);
  b.Global("list_sets_intersects_list", "sets.intersects", {list_t, list_t},
           Type::Bool(), Intersects);
  return b.status();
}

}  // namespace
}  // namespace ext

absl::Status RegisterSetsExtension(FunctionRegistry& registry) {
  return ext::Register(registry);
}

}  // namespace retro::cel
