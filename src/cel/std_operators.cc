// The standard library's operators: arithmetic, negation, equality,
// ordering, logical not, indexing, `in`, and concatenation. Also the entry
// point RegisterStandardLibrary (see library.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <span>

#include "cel/library.h"
#include "cel/std_internal.h"

namespace retro::cel {
namespace std_internal {
namespace {

using Args = std::span<const Value>;

// --- Integer arithmetic (errors on overflow, division and modulus by zero) --

Value AddInt(EvalContext& ctx, Args a) {
  int64_t r;
  if (__builtin_add_overflow(a[0].int_value(), a[1].int_value(), &r)) {
    return ctx.Error(kIntegerOverflow);
  }
  return Value::Int(r);
}
Value SubInt(EvalContext& ctx, Args a) {
  int64_t r;
  if (__builtin_sub_overflow(a[0].int_value(), a[1].int_value(), &r)) {
    return ctx.Error(kIntegerOverflow);
  }
  return Value::Int(r);
}
Value MulInt(EvalContext& ctx, Args a) {
  int64_t r;
  if (__builtin_mul_overflow(a[0].int_value(), a[1].int_value(), &r)) {
    return ctx.Error(kIntegerOverflow);
  }
  return Value::Int(r);
}
Value DivInt(EvalContext& ctx, Args a) {
  int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return ctx.Error("division by zero");
  if (x == INT64_MIN && y == -1) return ctx.Error(kIntegerOverflow);
  return Value::Int(x / y);
}
Value ModInt(EvalContext& ctx, Args a) {
  int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return ctx.Error("modulus by zero");
  if (x == INT64_MIN && y == -1) return ctx.Error(kIntegerOverflow);
  return Value::Int(x % y);
}
Value NegInt(EvalContext& ctx, Args a) {
  if (a[0].int_value() == INT64_MIN) return ctx.Error(kIntegerOverflow);
  return Value::Int(-a[0].int_value());
}

Value AddUint(EvalContext& ctx, Args a) {
  uint64_t r;
  if (__builtin_add_overflow(a[0].uint_value(), a[1].uint_value(), &r)) {
    return ctx.Error(kIntegerOverflow);
  }
  return Value::Uint(r);
}
Value SubUint(EvalContext& ctx, Args a) {
  uint64_t r;
  if (__builtin_sub_overflow(a[0].uint_value(), a[1].uint_value(), &r)) {
    return ctx.Error(kIntegerOverflow);
  }
  return Value::Uint(r);
}
Value MulUint(EvalContext& ctx, Args a) {
  uint64_t r;
  if (__builtin_mul_overflow(a[0].uint_value(), a[1].uint_value(), &r)) {
    return ctx.Error(kIntegerOverflow);
  }
  return Value::Uint(r);
}
Value DivUint(EvalContext& ctx, Args a) {
  if (a[1].uint_value() == 0) return ctx.Error("division by zero");
  return Value::Uint(a[0].uint_value() / a[1].uint_value());
}
Value ModUint(EvalContext& ctx, Args a) {
  if (a[1].uint_value() == 0) return ctx.Error("modulus by zero");
  return Value::Uint(a[0].uint_value() % a[1].uint_value());
}

// --- Floating point (IEEE 754, never an error) ------------------------------

Value AddDouble(EvalContext&, Args a) {
  return Value::Double(a[0].double_value() + a[1].double_value());
}
Value SubDouble(EvalContext&, Args a) {
  return Value::Double(a[0].double_value() - a[1].double_value());
}
Value MulDouble(EvalContext&, Args a) {
  return Value::Double(a[0].double_value() * a[1].double_value());
}
Value DivDouble(EvalContext&, Args a) {
  return Value::Double(a[0].double_value() / a[1].double_value());
}
Value NegDouble(EvalContext&, Args a) {
  return Value::Double(-a[0].double_value());
}

// --- Concatenation -----------------------------------------------------------

// Refuses to build a value over EvalOptions.max_value_size (before
// allocating it). The evaluator charges what calls build to the cost budget.
std::optional<Value> CheckBuild(EvalContext& ctx, uint64_t size) {
  if (size > static_cast<uint64_t>(ctx.options().max_value_size) ||
      size > UINT32_MAX) {
    return ctx.Errorf(
        "value of %d elements exceeds the size limit (%d; raise "
        "EvalOptions.max_value_size)",
        size, ctx.options().max_value_size);
  }
  return std::nullopt;
}

std::string_view ConcatText(EvalContext& ctx, std::string_view x,
                            std::string_view y) {
  char* p = static_cast<char*>(ctx.arena().Allocate(x.size() + y.size(), 1));
  std::memcpy(p, x.data(), x.size());
  std::memcpy(p + x.size(), y.data(), y.size());
  return std::string_view(p, x.size() + y.size());
}

Value AddString(EvalContext& ctx, Args a) {
  std::string_view x = a[0].string_value(), y = a[1].string_value();
  if (y.empty()) return a[0];
  if (x.empty()) return a[1];
  if (auto err = CheckBuild(ctx, x.size() + y.size())) return *err;
  return Value::String(ConcatText(ctx, x, y));
}
Value AddBytes(EvalContext& ctx, Args a) {
  std::string_view x = a[0].bytes_value(), y = a[1].bytes_value();
  if (y.empty()) return a[0];
  if (x.empty()) return a[1];
  if (auto err = CheckBuild(ctx, x.size() + y.size())) return *err;
  return Value::Bytes(ConcatText(ctx, x, y));
}
Value AddList(EvalContext& ctx, Args a) {
  std::span<const Value> x = a[0].list(), y = a[1].list();
  if (y.empty()) return a[0];
  if (x.empty()) return a[1];
  uint64_t n = x.size() + y.size();
  if (auto err = CheckBuild(ctx, n)) return *err;
  Value* items = ctx.arena().AllocArray<Value>(n);
  std::copy(x.begin(), x.end(), items);
  std::copy(y.begin(), y.end(), items + x.size());
  return Value::List(items, static_cast<uint32_t>(n));
}

// --- Equality and ordering ---------------------------------------------------

Value Equals(EvalContext&, Args a) { return Value::Bool(Equal(a[0], a[1])); }
Value NotEquals(EvalContext&, Args a) {
  return Value::Bool(!Equal(a[0], a[1]));
}

enum class Op { kLt, kLe, kGt, kGe };

template <Op op, typename T>
bool Apply(const T& x, const T& y) {
  switch (op) {
    case Op::kLt:
      return x < y;
    case Op::kLe:
      return x <= y;
    case Op::kGt:
      return x > y;
    case Op::kGe:
      return x >= y;
  }
  return false;
}

// Three-way comparison of doubles; nullopt when either is NaN.
std::optional<int> Cmp(double x, double y) {
  if (x < y) return -1;
  if (x > y) return 1;
  if (x == y) return 0;
  return std::nullopt;
}
template <typename T>
int Cmp3(const T& x, const T& y) {
  return x < y ? -1 : (x > y ? 1 : 0);
}

// Mixed numeric comparisons, as cel-go defines them: doubles beyond the
// other type's range order outside it; otherwise the integer is converted to
// double (so 2^63-1 and 2^63 as a double compare equal, as the suite expects).
std::optional<int> CmpDoubleInt(double d, int64_t i) {
  if (d < -9223372036854775808.0) return -1;
  if (d > 9223372036854775807.0) return 1;
  return Cmp(d, static_cast<double>(i));
}
std::optional<int> CmpDoubleUint(double d, uint64_t u) {
  if (d < 0) return -1;
  if (d > 18446744073709551615.0) return 1;
  return Cmp(d, static_cast<double>(u));
}
int CmpIntUint(int64_t i, uint64_t u) {
  if (i < 0 || u > static_cast<uint64_t>(INT64_MAX)) return -1;
  return Cmp3(static_cast<uint64_t>(i), u);
}
std::optional<int> Negate(std::optional<int> c) {
  if (!c.has_value()) return c;
  return -*c;
}

template <Op op>
Value FromCmp(std::optional<int> c) {
  return Value::Bool(c.has_value() && Apply<op>(*c, 0));
}

template <Op op>
Value CompareBool(EvalContext&, Args a) {
  return Value::Bool(Apply<op>(a[0].bool_value(), a[1].bool_value()));
}
template <Op op>
Value CompareInt(EvalContext&, Args a) {
  return Value::Bool(Apply<op>(a[0].int_value(), a[1].int_value()));
}
template <Op op>
Value CompareUint(EvalContext&, Args a) {
  return Value::Bool(Apply<op>(a[0].uint_value(), a[1].uint_value()));
}
template <Op op>
Value CompareDouble(EvalContext&, Args a) {
  return Value::Bool(Apply<op>(a[0].double_value(), a[1].double_value()));
}
template <Op op>
Value CompareString(EvalContext&, Args a) {
  return Value::Bool(Apply<op>(a[0].string_value(), a[1].string_value()));
}
template <Op op>
Value CompareBytes(EvalContext&, Args a) {
  return Value::Bool(Apply<op>(a[0].bytes_value(), a[1].bytes_value()));
}
// Timestamps and durations: (seconds, nanos) lexicographically.
template <Op op>
Value CompareTime(EvalContext&, Args a) {
  int c = Cmp3(a[0].seconds(), a[1].seconds());
  if (c == 0) c = Cmp3(a[0].nanos(), a[1].nanos());
  return Value::Bool(Apply<op>(c, 0));
}
template <Op op>
Value CompareIntUint(EvalContext&, Args a) {
  return FromCmp<op>(CmpIntUint(a[0].int_value(), a[1].uint_value()));
}
template <Op op>
Value CompareUintInt(EvalContext&, Args a) {
  return FromCmp<op>(-CmpIntUint(a[1].int_value(), a[0].uint_value()));
}
template <Op op>
Value CompareIntDouble(EvalContext&, Args a) {
  return FromCmp<op>(
      Negate(CmpDoubleInt(a[1].double_value(), a[0].int_value())));
}
template <Op op>
Value CompareDoubleInt(EvalContext&, Args a) {
  return FromCmp<op>(CmpDoubleInt(a[0].double_value(), a[1].int_value()));
}
template <Op op>
Value CompareUintDouble(EvalContext&, Args a) {
  return FromCmp<op>(
      Negate(CmpDoubleUint(a[1].double_value(), a[0].uint_value())));
}
template <Op op>
Value CompareDoubleUint(EvalContext&, Args a) {
  return FromCmp<op>(CmpDoubleUint(a[0].double_value(), a[1].uint_value()));
}

template <Op op>
void RegisterOrdering(Registrar& r, const char* name, const char* prefix) {
  auto id = [&](std::string_view suffix) {
    return std::string(prefix) + std::string(suffix);
  };
  const Type kBool = Type::Bool(), kInt = Type::Int(), kUint = Type::Uint(),
             kDouble = Type::Double();
  r.Global(id("bool"), name, {kBool, kBool}, kBool, CompareBool<op>);
  r.Global(id("int64"), name, {kInt, kInt}, kBool, CompareInt<op>);
  r.Global(id("uint64"), name, {kUint, kUint}, kBool, CompareUint<op>);
  r.Global(id("double"), name, {kDouble, kDouble}, kBool, CompareDouble<op>);
  r.Global(id("string"), name, {Type::String(), Type::String()}, kBool,
           CompareString<op>);
  r.Global(id("bytes"), name, {Type::Bytes(), Type::Bytes()}, kBool,
           CompareBytes<op>);
  r.Global(id("timestamp"), name, {Type::Timestamp(), Type::Timestamp()}, kBool,
           CompareTime<op>);
  r.Global(id("duration"), name, {Type::Duration(), Type::Duration()}, kBool,
           CompareTime<op>);
  r.Global(id("int64_uint64"), name, {kInt, kUint}, kBool, CompareIntUint<op>);
  r.Global(id("int64_double"), name, {kInt, kDouble}, kBool,
           CompareIntDouble<op>);
  r.Global(id("uint64_int64"), name, {kUint, kInt}, kBool, CompareUintInt<op>);
  r.Global(id("uint64_double"), name, {kUint, kDouble}, kBool,
           CompareUintDouble<op>);
  r.Global(id("double_int64"), name, {kDouble, kInt}, kBool,
           CompareDoubleInt<op>);
  r.Global(id("double_uint64"), name, {kDouble, kUint}, kBool,
           CompareDoubleUint<op>);
}

// --- Logic -------------------------------------------------------------------

Value Not(EvalContext&, Args a) { return Value::Bool(!a[0].bool_value()); }

// Non-strict: true unless the argument is exactly `false` (errors included),
// so a comprehension's loop condition keeps iterating past errors.
Value NotStrictlyFalse(EvalContext&, Args a) {
  return Value::Bool(!(a[0].is_bool() && !a[0].bool_value()));
}

// --- Indexing and membership -------------------------------------------------

Value IndexAt(EvalContext& ctx, std::span<const Value> list, int64_t i) {
  if (i < 0 || static_cast<uint64_t>(i) >= list.size()) {
    return ctx.Errorf("index out of bounds: %d (list size %d)", i, list.size());
  }
  return list[i];
}
Value IndexListInt(EvalContext& ctx, Args a) {
  return IndexAt(ctx, a[0].list(), a[1].int_value());
}
Value IndexListUint(EvalContext& ctx, Args a) {
  uint64_t u = a[1].uint_value();
  if (u >= a[0].list().size()) {
    return ctx.Errorf("index out of bounds: %du (list size %d)", u,
                      a[0].list().size());
  }
  return a[0].list()[u];
}
Value IndexListDouble(EvalContext& ctx, Args a) {
  double d = a[1].double_value();
  if (!(d >= -9.2e18 && d <= 9.2e18) || d != std::trunc(d)) {
    return ctx.Errorf("invalid list index %g: not an integer", d);
  }
  return IndexAt(ctx, a[0].list(), static_cast<int64_t>(d));
}
Value IndexMap(EvalContext& ctx, Args a) {
  const Value* v = a[0].map().Find(a[1]);
  if (v == nullptr) return ctx.Error("no such key: " + a[1].DebugString());
  return *v;
}

Value InList(EvalContext&, Args a) {
  for (const Value& e : a[1].list()) {
    if (Equal(a[0], e)) return Value::Bool(true);
  }
  return Value::Bool(false);
}
Value InMap(EvalContext&, Args a) {
  return Value::Bool(a[1].map().Find(a[0]) != nullptr);
}

// --- Size --------------------------------------------------------------------

Value SizeString(EvalContext&, Args a) {
  return Value::Int(CodePointCount(a[0].string_value()));
}
Value SizeBytes(EvalContext&, Args a) {
  return Value::Int(static_cast<int64_t>(a[0].bytes_value().size()));
}
Value SizeList(EvalContext&, Args a) {
  return Value::Int(static_cast<int64_t>(a[0].list().size()));
}
Value SizeMap(EvalContext&, Args a) {
  return Value::Int(static_cast<int64_t>(a[0].map().size));
}

}  // namespace

void RegisterOperators(Registrar& r) {
  const Type kA = Type::Param("A"), kB = Type::Param("B");
  const Type kBool = Type::Bool(), kInt = Type::Int(), kUint = Type::Uint(),
             kDouble = Type::Double(), kString = Type::String(),
             kBytes = Type::Bytes();
  const Type kListA = Type::List(kA), kMapAB = Type::Map(kA, kB);

  r.Global("add_int64", "_+_", {kInt, kInt}, kInt, AddInt);
  r.Global("add_uint64", "_+_", {kUint, kUint}, kUint, AddUint);
  r.Global("add_double", "_+_", {kDouble, kDouble}, kDouble, AddDouble);
  r.Global("add_string", "_+_", {kString, kString}, kString, AddString);
  r.Global("add_bytes", "_+_", {kBytes, kBytes}, kBytes, AddBytes);
  r.Global("add_list", "_+_", {kListA, kListA}, kListA, AddList);
  r.Global("subtract_int64", "_-_", {kInt, kInt}, kInt, SubInt);
  r.Global("subtract_uint64", "_-_", {kUint, kUint}, kUint, SubUint);
  r.Global("subtract_double", "_-_", {kDouble, kDouble}, kDouble, SubDouble);
  r.Global("multiply_int64", "_*_", {kInt, kInt}, kInt, MulInt);
  r.Global("multiply_uint64", "_*_", {kUint, kUint}, kUint, MulUint);
  r.Global("multiply_double", "_*_", {kDouble, kDouble}, kDouble, MulDouble);
  r.Global("divide_int64", "_/_", {kInt, kInt}, kInt, DivInt);
  r.Global("divide_uint64", "_/_", {kUint, kUint}, kUint, DivUint);
  r.Global("divide_double", "_/_", {kDouble, kDouble}, kDouble, DivDouble);
  r.Global("modulo_int64", "_%_", {kInt, kInt}, kInt, ModInt);
  r.Global("modulo_uint64", "_%_", {kUint, kUint}, kUint, ModUint);
  r.Global("negate_int64", "-_", {kInt}, kInt, NegInt);
  r.Global("negate_double", "-_", {kDouble}, kDouble, NegDouble);

  r.Global("equals", "_==_", {kA, kA}, kBool, Equals);
  r.Global("not_equals", "_!=_", {kA, kA}, kBool, NotEquals);
  RegisterOrdering<Op::kLt>(r, "_<_", "less_");
  RegisterOrdering<Op::kLe>(r, "_<=_", "less_equals_");
  RegisterOrdering<Op::kGt>(r, "_>_", "greater_");
  RegisterOrdering<Op::kGe>(r, "_>=_", "greater_equals_");

  r.Global("logical_not", "!_", {kBool}, kBool, Not);
  r.NonStrict("not_strictly_false", "@not_strictly_false", {Type::Dyn()}, kBool,
              NotStrictlyFalse);

  // Lists are indexed by int; uint and integral doubles are accepted too,
  // per cel-spec's heterogeneous numeric semantics.
  r.Global("index_list", "_[_]", {kListA, kInt}, kA, IndexListInt);
  r.Global("index_list_uint64", "_[_]", {kListA, kUint}, kA, IndexListUint);
  r.Global("index_list_double", "_[_]", {kListA, kDouble}, kA, IndexListDouble);
  r.Global("index_map", "_[_]", {kMapAB, kA}, kB, IndexMap);
  r.Global("in_list", "@in", {kA, kListA}, kBool, InList);
  r.Global("in_map", "@in", {kA, kMapAB}, kBool, InMap);

  r.Global("size_string", "size", {kString}, kInt, SizeString);
  r.Global("size_bytes", "size", {kBytes}, kInt, SizeBytes);
  r.Global("size_list", "size", {kListA}, kInt, SizeList);
  r.Global("size_map", "size", {kMapAB}, kInt, SizeMap);
  r.Member("string_size", "size", {kString}, kInt, SizeString);
  r.Member("bytes_size", "size", {kBytes}, kInt, SizeBytes);
  r.Member("list_size", "size", {kListA}, kInt, SizeList);
  r.Member("map_size", "size", {kMapAB}, kInt, SizeMap);
}

}  // namespace std_internal

absl::Status RegisterStandardLibrary(FunctionRegistry& registry) {
  std_internal::Registrar r(registry);
  std_internal::RegisterOperators(r);
  std_internal::RegisterStrings(r);
  std_internal::RegisterConversions(r);
  std_internal::RegisterTime(r);
  return r.status();
}

}  // namespace retro::cel
