// Helpers shared by the extension libraries (ext_*.cc): a small builder for
// registering overloads, UTF-8 code-point utilities (CEL string indices count
// code points, not bytes), and arena allocation of results with the
// EvalOptions size limit applied. Internal to the cel target.
#ifndef RETRO_CEL_EXT_INTERNAL_H_
#define RETRO_CEL_EXT_INTERNAL_H_

#include <algorithm>
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

// --- implementations ---------------------------------------------------------

// --- LibraryBuilder --------------------------------------------------------

inline LibraryBuilder& LibraryBuilder::Global(std::string id, std::string name,
                                              std::vector<Type> params,
                                              Type result, FunctionImpl impl) {
  Overload o;
  o.id = std::move(id);
  o.name = std::move(name);
  o.params = std::move(params);
  o.result = std::move(result);
  o.impl = impl;
  return Add(std::move(o));
}

inline LibraryBuilder& LibraryBuilder::Member(std::string id, std::string name,
                                              std::vector<Type> params,
                                              Type result, FunctionImpl impl) {
  Overload o;
  o.id = std::move(id);
  o.name = std::move(name);
  o.member = true;
  o.params = std::move(params);
  o.result = std::move(result);
  o.impl = impl;
  return Add(std::move(o));
}

inline LibraryBuilder& LibraryBuilder::Variadic(std::string id,
                                                std::string name,
                                                std::vector<Type> params,
                                                Type result,
                                                FunctionImpl impl) {
  Overload o;
  o.id = std::move(id);
  o.name = std::move(name);
  o.params = std::move(params);
  o.result = std::move(result);
  o.impl = impl;
  o.variadic = true;
  return Add(std::move(o));
}

inline LibraryBuilder& LibraryBuilder::Add(Overload overload) {
  if (!status_.ok()) return *this;
  status_ = registry_.Register(std::move(overload));
  return *this;
}

// --- UTF-8 -----------------------------------------------------------------

inline char32_t DecodeUtf8(std::string_view s, size_t* i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t at = *i;
  unsigned char b0 = p[at];
  if (b0 < 0x80) {
    *i = at + 1;
    return b0;
  }
  int len;
  char32_t c;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, c = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, c = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, c = b0 & 0x07, min = 0x10000;
  } else {
    *i = at + 1;
    return kReplacementChar;
  }
  if (at + len > n) {
    *i = at + 1;
    return kReplacementChar;
  }
  for (int k = 1; k < len; ++k) {
    unsigned char b = p[at + k];
    if ((b & 0xC0) != 0x80) {
      *i = at + 1;
      return kReplacementChar;
    }
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    *i = at + 1;
    return kReplacementChar;
  }
  *i = at + len;
  return c;
}

inline void AppendUtf8(std::string* out, char32_t c) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacementChar;
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

inline int64_t CodePointCount(std::string_view s) {
  int64_t count = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else {
      DecodeUtf8(s, &i);
    }
    ++count;
  }
  return count;
}

inline size_t CodePointOffset(std::string_view s, int64_t index) {
  size_t i = 0;
  for (int64_t k = 0; k < index && i < s.size(); ++k) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else {
      DecodeUtf8(s, &i);
    }
  }
  return i;
}

// --- results -----------------------------------------------------------------

inline std::optional<Value> CheckSize(EvalContext& ctx, size_t size) {
  if (static_cast<int64_t>(size) > ctx.options().max_value_size) {
    return ctx.Errorf(
        "result of %d would exceed the maximum value size of %d (raise "
        "EvalOptions::max_value_size)",
        size, ctx.options().max_value_size);
  }
  if (!ctx.Charge(static_cast<int64_t>(size))) {
    return ctx.Errorf(
        "evaluation cost budget of %d exceeded (raise EvalOptions::max_cost)",
        ctx.options().max_cost);
  }
  return std::nullopt;
}

inline Value NewList(EvalContext& ctx, std::span<const Value> items) {
  if (items.empty()) return Value::List(nullptr, 0);
  Value* out = ctx.arena().AllocArray<Value>(items.size());
  std::copy(items.begin(), items.end(), out);
  return Value::List(out, static_cast<uint32_t>(items.size()));
}

inline Value NoMatchingOverload(EvalContext& ctx, std::string_view name,
                                std::span<const Value> args) {
  std::string types;
  for (const Value& a : args) {
    if (!types.empty()) types.append(", ");
    types.append(a.TypeName());
  }
  return ctx.Errorf("no matching overload for '%s' applied to '(%s)'", name,
                    types);
}

}  // namespace retro::cel::ext

#endif  // RETRO_CEL_EXT_INTERNAL_H_
