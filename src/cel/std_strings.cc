// The standard library's string functions: contains, startsWith, endsWith
// and matches (RE2, unanchored search).
#include <string>

#include "cel/std_internal.h"
#include "re2/re2.h"

namespace retro::cel::std_internal {
namespace {

using Args = std::span<const Value>;

Value Contains(EvalContext&, Args a) {
  return Value::Bool(a[0].string_value().find(a[1].string_value()) !=
                     std::string_view::npos);
}
Value StartsWith(EvalContext&, Args a) {
  return Value::Bool(a[0].string_value().starts_with(a[1].string_value()));
}
Value EndsWith(EvalContext&, Args a) {
  return Value::Bool(a[0].string_value().ends_with(a[1].string_value()));
}

// True when the pattern matches anywhere in the text; an invalid pattern is
// an error value carrying RE2's message.
Value Matches(EvalContext& ctx, Args a) {
  std::string error;
  const re2::RE2* re = ctx.Regex(a[1].string_value(), &error);
  if (re == nullptr) {
    return ctx.Errorf("invalid regular expression '%s': %s",
                      a[1].string_value(), error);
  }
  std::string_view text = a[0].string_value();
  return Value::Bool(
      re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re));
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlongs
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlongs
      if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return false;
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

void RegisterStrings(Registrar& r) {
  const Type kString = Type::String(), kBool = Type::Bool();
  r.Member("contains_string", "contains", {kString, kString}, kBool, Contains);
  r.Member("starts_with_string", "startsWith", {kString, kString}, kBool,
           StartsWith);
  r.Member("ends_with_string", "endsWith", {kString, kString}, kBool, EndsWith);
  r.Global("matches", "matches", {kString, kString}, kBool, Matches);
  r.Member("matches_string", "matches", {kString, kString}, kBool, Matches);
}

}  // namespace retro::cel::std_internal
