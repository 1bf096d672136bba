// Helpers shared by the extension libraries (ext_*.cc): a small builder for
// registering overloads, UTF-8 code-point utilities (CEL string indices count
// code points, not bytes), and arena allocation of results with the
// EvalOptions size limit applied. Internal to the cel target; implemented in
// ext_strings.cc.
#ifndef RETRO_CEL_EXT_INTERNAL_H_
#define RETRO_CEL_EXT_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cel/function.h"
#include "cel/type.h"
#include "cel/value.h"

namespace retro::cel::ext {

// Registers overloads one after another and keeps the first failure, so a
// library's Register function reads as a table:
//
//   LibraryBuilder b(registry);
//   b.Global("math_ceil_double", "math.ceil", {Type::Double()}, Type::Double(),
//   Ceil); return b.status();
class LibraryBuilder {
 public:
  explicit LibraryBuilder(FunctionRegistry& registry) : registry_(registry) {}

  // f(params...) -> result.
  LibraryBuilder& Global(std::string id, std::string name,
                         std::vector<Type> params, Type result,
                         FunctionImpl impl);
  // params[0].f(params[1...]) -> result.
  LibraryBuilder& Member(std::string id, std::string name,
                         std::vector<Type> params, Type result,
                         FunctionImpl impl);
  // f(params..., last param repeated): accepts params.size() - 1 or more
  // arguments.
  LibraryBuilder& Variadic(std::string id, std::string name,
                           std::vector<Type> params, Type result,
                           FunctionImpl impl);

  // OK, or the first registration error.
  absl::Status status() const { return status_; }

 private:
  LibraryBuilder& Add(Overload overload);

  FunctionRegistry& registry_;
  absl::Status status_;
};

// Registers string.format (ext_format.cc); part of the strings extension.
void RegisterFormat(LibraryBuilder& builder);

// --- UTF-8 ---------------------------------------------------------------

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point starting at s[*i] and advances *i past it. A byte
// that does not start a valid sequence decodes as U+FFFD and advances one
// byte. REQUIRES: *i < s.size().
char32_t DecodeUtf8(std::string_view s, size_t* i);
// Appends the UTF-8 encoding of `c` (U+FFFD when not a scalar value).
void AppendUtf8(std::string* out, char32_t c);
// Number of code points in s (as DecodeUtf8 counts them).
int64_t CodePointCount(std::string_view s);
// Byte offset of code point `index` in s; s.size() when index equals the
// code point count. REQUIRES: 0 <= index <= CodePointCount(s).
size_t CodePointOffset(std::string_view s, int64_t index);
inline bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// --- results -------------------------------------------------------------

// An error value when a result of `size` bytes/elements would exceed
// EvalOptions::max_value_size or the cost budget; nullopt otherwise (the
// size is then charged to the budget).
// Use as: if (auto err = CheckSize(ctx, n)) return *err;
std::optional<Value> CheckSize(EvalContext& ctx, size_t size);

// A string value owning a copy of `s` in the evaluation's arena.
inline Value NewString(EvalContext& ctx, std::string_view s) {
  return MakeString(ctx.arena(), s);
}
// A list value holding a copy of `items` in the evaluation's arena.
Value NewList(EvalContext& ctx, std::span<const Value> items);
// optional.of(v), allocated in the arena.
inline Value NewOptional(EvalContext& ctx, const Value& v) {
  return Value::Optional(ctx.arena().New<Value>(v));
}
inline Value NoneValue() { return Value::Optional(nullptr); }

// "no matching overload for 'name' applied to '(int, string)'".
Value NoMatchingOverload(EvalContext& ctx, std::string_view name,
                         std::span<const Value> args);

}  // namespace retro::cel::ext

#endif  // RETRO_CEL_EXT_INTERNAL_H_
