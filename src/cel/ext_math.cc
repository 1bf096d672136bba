// The math extension (cel-go ext/math.go): math.greatest and math.least
// (cel-go expands them as macros into math.@max/@min; here they are plain
// functions taking one number, one list, or two or more numbers of any
// numeric kinds, compared exactly), rounding, floating-point predicates,
// abs/sign, bitwise operations and sqrt.
#include <cmath>
#include <functional>
#include <limits>

#include "absl/strings/str_cat.h"
#include "cel/ext_internal.h"
#include "cel/library.h"

namespace retro::cel {
namespace ext {
namespace {

bool IsNumber(const Value& v) {
  return v.kind() == Kind::kInt || v.kind() == Kind::kUint ||
         v.kind() == Kind::kDouble;
}

// The extreme of `items` (all numbers, compared with CEL's exact
// heterogeneous ordering); `want` is 1 for the greatest, -1 for the least.
// Keeps the earlier value on ties and on unordered (NaN) comparisons, as
// cel-go does.
Value Extreme(EvalContext& ctx, std::string_view name,
              std::span<const Value> items, int want) {
  if (items.empty()) {
    return ctx.Errorf("%s(list) argument must not be empty", name);
  }
  const Value* best = nullptr;
  for (const Value& v : items) {
    if (!IsNumber(v)) {
      return ctx.Errorf("no such overload: %s applied to a %s", name,
                        v.TypeName());
    }
    if (best == nullptr) {
      best = &v;
      continue;
    }
    std::optional<int> c = Compare(v, *best);
    if (c.has_value() && *c == want) best = &v;
  }
  return *best;
}

template <int kWant>
Value MinMax(EvalContext& ctx, std::span<const Value> args) {
  std::string_view name = kWant > 0 ? "math.greatest" : "math.least";
  if (args.size() == 1 && args[0].kind() == Kind::kList) {
    return Extreme(ctx, name, args[0].list(), kWant);
  }
  return Extreme(ctx, name, args, kWant);
}

Value Identity(EvalContext&, std::span<const Value> args) { return args[0]; }

template <double (*F)(double)>
Value DoubleFn(EvalContext&, std::span<const Value> args) {
  return Value::Double(F(args[0].double_value()));
}

double Ceil(double d) { return std::ceil(d); }
double Floor(double d) { return std::floor(d); }
double Round(double d) { return std::round(d); }  // half away from zero
double Trunc(double d) { return std::trunc(d); }
double AbsDouble(double d) { return std::fabs(d); }
double SignDouble(double d) {
  if (d > 0) return 1.0;
  if (d < 0) return -1.0;
  return d;  // zero or NaN, unchanged
}

Value IsNaN(EvalContext&, std::span<const Value> args) {
  return Value::Bool(std::isnan(args[0].double_value()));
}
Value IsInf(EvalContext&, std::span<const Value> args) {
  return Value::Bool(std::isinf(args[0].double_value()));
}
Value IsFinite(EvalContext&, std::span<const Value> args) {
  return Value::Bool(std::isfinite(args[0].double_value()));
}

Value AbsInt(EvalContext& ctx, std::span<const Value> args) {
  int64_t i = args[0].int_value();
  if (i == std::numeric_limits<int64_t>::min()) {
    return ctx.Error("integer overflow in math.abs");
  }
  return Value::Int(i < 0 ? -i : i);
}

Value SignInt(EvalContext&, std::span<const Value> args) {
  int64_t i = args[0].int_value();
  return Value::Int(i > 0 ? 1 : (i < 0 ? -1 : 0));
}

Value SignUint(EvalContext&, std::span<const Value> args) {
  return Value::Uint(args[0].uint_value() > 0 ? 1 : 0);
}

template <typename Op>
Value BitInt(EvalContext&, std::span<const Value> args) {
  return Value::Int(
      static_cast<int64_t>(Op()(static_cast<uint64_t>(args[0].int_value()),
                                static_cast<uint64_t>(args[1].int_value()))));
}

template <typename Op>
Value BitUint(EvalContext&, std::span<const Value> args) {
  return Value::Uint(Op()(args[0].uint_value(), args[1].uint_value()));
}

Value BitNotInt(EvalContext&, std::span<const Value> args) {
  return Value::Int(~args[0].int_value());
}
Value BitNotUint(EvalContext&, std::span<const Value> args) {
  return Value::Uint(~args[0].uint_value());
}

// Shifts the 64 bits of args[0] by args[1]; 64 or more gives 0, right shifts
// fill with zeros (no sign extension).
template <bool kLeft, bool kSigned>
Value Shift(EvalContext& ctx, std::span<const Value> args) {
  int64_t n = args[1].int_value();
  if (n < 0) {
    return ctx.Errorf("math.%s() negative offset: %d",
                      kLeft ? "bitShiftLeft" : "bitShiftRight", n);
  }
  uint64_t bits = kSigned ? static_cast<uint64_t>(args[0].int_value())
                          : args[0].uint_value();
  uint64_t r = n >= 64 ? 0 : (kLeft ? bits << n : bits >> n);
  return kSigned ? Value::Int(static_cast<int64_t>(r)) : Value::Uint(r);
}

Value Sqrt(EvalContext&, std::span<const Value> args) {
  const Value& v = args[0];
  double d = v.kind() == Kind::kInt    ? static_cast<double>(v.int_value())
             : v.kind() == Kind::kUint ? static_cast<double>(v.uint_value())
                                       : v.double_value();
  return Value::Double(std::sqrt(d));
}

void RegisterMinMax(LibraryBuilder& b, const std::string& name,
                    FunctionImpl impl) {
  const std::string id =
      name == "math.greatest" ? "math_greatest" : "math_least";
  const Type kNumbers[] = {Type::Int(), Type::Uint(), Type::Double()};
  const char* kNames[] = {"int", "uint", "double"};
  for (int i = 0; i < 3; ++i) {
    b.Global(absl::StrCat(id, "_", kNames[i]), name, {kNumbers[i]}, kNumbers[i],
             Identity);
    b.Global(absl::StrCat(id, "_list_", kNames[i]), name,
             {Type::List(kNumbers[i])}, kNumbers[i], impl);
    for (int j = 0; j < 3; ++j) {
      b.Global(absl::StrCat(id, "_", kNames[i], "_", kNames[j]), name,
               {kNumbers[i], kNumbers[j]}, i == j ? kNumbers[i] : Type::Dyn(),
               impl);
    }
  }
  b.Global(absl::StrCat(id, "_list_dyn"), name, {Type::List(Type::Dyn())},
           Type::Dyn(), impl);
  // Three or more arguments.
  b.Variadic(absl::StrCat(id, "_variadic"), name,
             {Type::Dyn(), Type::Dyn(), Type::Dyn(), Type::Dyn()}, Type::Dyn(),
             impl);
}

absl::Status Register(FunctionRegistry& registry) {
  const Type d = Type::Double();
  const Type i = Type::Int();
  const Type u = Type::Uint();
  const Type b = Type::Bool();
  LibraryBuilder lib(registry);
  RegisterMinMax(lib, "math.greatest", MinMax<1>);
  RegisterMinMax(lib, "math.least", MinMax<-1>);
  lib.Global("math_ceil_double", "math.ceil", {d}, d, DoubleFn<Ceil>);
  lib.Global("math_floor_double", "math.floor", {d}, d, DoubleFn<Floor>);
  lib.Global("math_round_double", "math.round", {d}, d, DoubleFn<Round>);
  lib.Global("math_trunc_double", "math.trunc", {d}, d, DoubleFn<Trunc>);
  lib.Global("math_isInf_double", "math.isInf", {d}, b, IsInf);
  lib.Global("math_isNaN_double", "math.isNaN", {d}, b, IsNaN);
  lib.Global("math_isFinite_double", "math.isFinite", {d}, b, IsFinite);
  lib.Global("math_abs_double", "math.abs", {d}, d, DoubleFn<AbsDouble>);
  lib.Global("math_abs_int", "math.abs", {i}, i, AbsInt);
  lib.Global("math_abs_uint", "math.abs", {u}, u, Identity);
  lib.Global("math_sign_double", "math.sign", {d}, d, DoubleFn<SignDouble>);
  lib.Global("math_sign_int", "math.sign", {i}, i, SignInt);
  lib.Global("math_sign_uint", "math.sign", {u}, u, SignUint);
  lib.Global("math_bitAnd_int_int", "math.bitAnd", {i, i}, i,
             BitInt<std::bit_and<uint64_t>>);
  lib.Global("math_bitAnd_uint_uint", "math.bitAnd", {u, u}, u,
             BitUint<std::bit_and<uint64_t>>);
  lib.Global("math_bitOr_int_int", "math.bitOr", {i, i}, i,
             BitInt<std::bit_or<uint64_t>>);
  lib.Global("math_bitOr_uint_uint", "math.bitOr", {u, u}, u,
             BitUint<std::bit_or<uint64_t>>);
  lib.Global("math_bitXor_int_int", "math.bitXor", {i, i}, i,
             BitInt<std::bit_xor<uint64_t>>);
  lib.Global("math_bitXor_uint_uint", "math.bitXor", {u, u}, u,
             BitUint<std::bit_xor<uint64_t>>);
  lib.Global("math_bitNot_int", "math.bitNot", {i}, i, BitNotInt);
  lib.Global("math_bitNot_uint", "math.bitNot", {u}, u, BitNotUint);
  lib.Global("math_bitShiftLeft_int_int", "math.bitShiftLeft", {i, i}, i,
             Shift<true, true>);
  lib.Global("math_bitShiftLeft_uint_int", "math.bitShiftLeft", {u, i}, u,
             Shift<true, false>);
  lib.Global("math_bitShiftRight_int_int", "math.bitShiftRight", {i, i}, i,
             Shift<false, true>);
  lib.Global("math_bitShiftRight_uint_int", "math.bitShiftRight", {u, i}, u,
             Shift<false, false>);
  lib.Global("math_sqrt_double", "math.sqrt", {d}, d, Sqrt);
  lib.Global("math_sqrt_int", "math.sqrt", {i}, d, Sqrt);
  lib.Global("math_sqrt_uint", "math.sqrt", {u}, d, Sqrt);
  return lib.status();
}

}  // namespace
}  // namespace ext

absl::Status RegisterMathExtension(FunctionRegistry& registry) {
  return ext::Register(registry);
}

}  // namespace retro::cel
