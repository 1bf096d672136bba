// The strings extension (cel-go ext/strings.go): charAt, indexOf,
// lastIndexOf, lowerAscii, upperAscii, replace, split, substring, trim,
// join, reverse, strings.quote and format. Indices count code points.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cel/ext_internal.h"
#include "cel/library.h"

namespace retro::cel {
namespace ext {

namespace {

// --- the functions -----------------------------------------------------------

Value IndexOutOfRange(EvalContext& ctx, int64_t index) {
  return ctx.Errorf("index out of range: %d", index);
}

// Code point index of byte offset `pos` in s.
int64_t CodePointIndex(std::string_view s, size_t pos) {
  return CodePointCount(s.substr(0, pos));
}

Value CharAt(EvalContext& ctx, std::span<const Value> args) {
  std::string_view s = args[0].string_value();
  int64_t index = args[1].int_value();
  if (index < 0) return IndexOutOfRange(ctx, index);
  size_t begin = 0;
  int64_t k = 0;
  while (k < index && begin < s.size()) {
    DecodeUtf8(s, &begin);
    ++k;
  }
  if (k < index) return IndexOutOfRange(ctx, index);
  if (begin == s.size()) return Value::String("");
  size_t end = begin;
  DecodeUtf8(s, &end);
  return Value::String(s.substr(begin, end - begin));
}

// Index of sub in s at or after code point `offset`, as cel-go computes it.
Value IndexOfFrom(EvalContext& ctx, std::string_view s, std::string_view sub,
                  int64_t offset) {
  if (sub.empty()) return Value::Int(offset);
  int64_t len = CodePointCount(s);
  if (offset < 0 || offset >= len) return IndexOutOfRange(ctx, offset);
  size_t from = CodePointOffset(s, offset);
  size_t pos = s.find(sub, from);
  if (pos == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CodePointIndex(s, pos));
}

Value IndexOf(EvalContext& ctx, std::span<const Value> args) {
  std::string_view s = args[0].string_value();
  size_t pos = s.find(args[1].string_value());
  if (pos == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CodePointIndex(s, pos));
}

Value IndexOfOffset(EvalContext& ctx, std::span<const Value> args) {
  return IndexOfFrom(ctx, args[0].string_value(), args[1].string_value(),
                     args[2].int_value());
}

// Index of the last sub in s starting at or before code point `offset`.
Value LastIndexOfFrom(EvalContext& ctx, std::string_view s,
                      std::string_view sub, int64_t offset) {
  if (sub.empty()) return Value::Int(offset);
  int64_t len = CodePointCount(s);
  if (offset < 0 || offset >= len) return IndexOutOfRange(ctx, offset);
  if (s.size() < sub.size()) return Value::Int(-1);
  size_t from = CodePointOffset(s, offset);
  size_t pos = s.rfind(sub, from);
  if (pos == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CodePointIndex(s, pos));
}

Value LastIndexOf(EvalContext& ctx, std::span<const Value> args) {
  std::string_view s = args[0].string_value();
  std::string_view sub = args[1].string_value();
  if (sub.empty()) return Value::Int(CodePointCount(s));
  if (s.size() < sub.size()) return Value::Int(-1);
  size_t pos = s.rfind(sub);
  if (pos == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CodePointIndex(s, pos));
}

Value LastIndexOfOffset(EvalContext& ctx, std::span<const Value> args) {
  return LastIndexOfFrom(ctx, args[0].string_value(), args[1].string_value(),
                         args[2].int_value());
}

template <char kFrom, char kTo, int kDelta>
Value MapAscii(EvalContext& ctx, std::span<const Value> args) {
  std::string_view s = args[0].string_value();
  if (s.empty()) return args[0];
  char* out = static_cast<char*>(ctx.arena().Allocate(s.size(), 1));
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    out[i] = (c >= kFrom && c <= kTo) ? static_cast<char>(c + kDelta) : c;
  }
  return Value::String(std::string_view(out, s.size()));
}

// Go's strings.Replace: at most n replacements (all when n < 0); an empty
// `from` matches before every code point and at the end.
Value ReplaceN(EvalContext& ctx, std::string_view s, std::string_view from,
               std::string_view to, int64_t n) {
  if (n == 0 || from == to) return Value::String(s);
  std::string out;
  const int64_t limit = ctx.options().max_value_size;
  if (from.empty()) {
    size_t i = 0;
    int64_t done = 0;
    while (true) {
      if (n < 0 || done < n) {
        out.append(to);
        ++done;
      }
      if (i >= s.size()) break;
      size_t start = i;
      DecodeUtf8(s, &i);
      out.append(s.substr(start, i - start));
      if (static_cast<int64_t>(out.size()) > limit) break;
    }
  } else {
    size_t i = 0;
    int64_t done = 0;
    while (n < 0 || done < n) {
      size_t pos = s.find(from, i);
      if (pos == std::string_view::npos) break;
      out.append(s.substr(i, pos - i));
      out.append(to);
      i = pos + from.size();
      ++done;
      if (static_cast<int64_t>(out.size()) > limit) break;
    }
    if (done == 0) return Value::String(s);
    out.append(s.substr(i));
  }
  if (auto err = CheckSize(ctx, out.size())) return *err;
  return NewString(ctx, out);
}

Value Replace(EvalContext& ctx, std::span<const Value> args) {
  return ReplaceN(ctx, args[0].string_value(), args[1].string_value(),
                  args[2].string_value(), -1);
}

Value ReplaceCount(EvalContext& ctx, std::span<const Value> args) {
  return ReplaceN(ctx, args[0].string_value(), args[1].string_value(),
                  args[2].string_value(), args[3].int_value());
}

// Go's strings.SplitN: n == 0 gives [], n < 0 splits everywhere, otherwise at
// most n parts with the remainder in the last. An empty separator splits
// into code points.
Value SplitN(EvalContext& ctx, std::string_view s, std::string_view sep,
             int64_t n) {
  if (n == 0) return Value::List(nullptr, 0);
  std::vector<Value> parts;
  if (sep.empty()) {
    size_t i = 0;
    while (i < s.size()) {
      if (n > 0 && static_cast<int64_t>(parts.size()) == n - 1) {
        parts.push_back(Value::String(s.substr(i)));
        i = s.size();
        break;
      }
      size_t start = i;
      DecodeUtf8(s, &i);
      parts.push_back(Value::String(s.substr(start, i - start)));
    }
  } else {
    size_t i = 0;
    while (n < 0 || static_cast<int64_t>(parts.size()) < n - 1) {
      size_t pos = s.find(sep, i);
      if (pos == std::string_view::npos) break;
      parts.push_back(Value::String(s.substr(i, pos - i)));
      i = pos + sep.size();
    }
    parts.push_back(Value::String(s.substr(i)));
  }
  if (auto err = CheckSize(ctx, parts.size())) return *err;
  return NewList(ctx, parts);
}

Value Split(EvalContext& ctx, std::span<const Value> args) {
  return SplitN(ctx, args[0].string_value(), args[1].string_value(), -1);
}

Value SplitLimit(EvalContext& ctx, std::span<const Value> args) {
  return SplitN(ctx, args[0].string_value(), args[1].string_value(),
                args[2].int_value());
}

Value Substring(EvalContext& ctx, std::span<const Value> args) {
  std::string_view s = args[0].string_value();
  int64_t start = args[1].int_value();
  int64_t len = CodePointCount(s);
  if (start < 0 || start > len) return IndexOutOfRange(ctx, start);
  return Value::String(s.substr(CodePointOffset(s, start)));
}

Value SubstringRange(EvalContext& ctx, std::span<const Value> args) {
  std::string_view s = args[0].string_value();
  int64_t start = args[1].int_value();
  int64_t end = args[2].int_value();
  int64_t len = CodePointCount(s);
  if (start < 0 || start > len) return IndexOutOfRange(ctx, start);
  if (end < 0 || end > len) return IndexOutOfRange(ctx, end);
  if (start > end) {
    return ctx.Errorf("invalid substring range. start: %d, end: %d", start,
                      end);
  }
  size_t b = CodePointOffset(s, start);
  size_t e = b + CodePointOffset(s.substr(b), end - start);
  return Value::String(s.substr(b, e - b));
}

// Go's unicode.IsSpace: the ASCII spaces, U+0085, U+00A0 and category Zs,
// Zl, Zp.
bool IsUnicodeSpace(char32_t c) {
  switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

Value Trim(EvalContext& ctx, std::span<const Value> args) {
  std::string_view s = args[0].string_value();
  size_t begin = 0;
  while (begin < s.size()) {
    size_t next = begin;
    if (!IsUnicodeSpace(DecodeUtf8(s, &next))) break;
    begin = next;
  }
  size_t end = s.size();
  while (end > begin) {
    // Step back to the start of the last code point.
    size_t start = end - 1;
    while (start > begin &&
           (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 &&
           end - start < 4) {
      --start;
    }
    size_t next = start;
    char32_t c = DecodeUtf8(s, &next);
    if (next != end || !IsUnicodeSpace(c)) break;
    end = start;
  }
  return Value::String(s.substr(begin, end - begin));
}

Value JoinWith(EvalContext& ctx, std::span<const Value> items,
               std::string_view sep) {
  size_t total = 0;
  for (const Value& v : items) {
    if (v.kind() != Kind::kString) {
      return ctx.Errorf("join: list element is %s, not string", v.TypeName());
    }
    total += v.string_value().size() + sep.size();
  }
  if (auto err = CheckSize(ctx, total)) return *err;
  std::string out;
  out.reserve(total);
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(items[i].string_value());
  }
  return NewString(ctx, out);
}

Value Join(EvalContext& ctx, std::span<const Value> args) {
  return JoinWith(ctx, args[0].list(), "");
}

Value JoinSeparator(EvalContext& ctx, std::span<const Value> args) {
  return JoinWith(ctx, args[0].list(), args[1].string_value());
}

Value Reverse(EvalContext& ctx, std::span<const Value> args) {
  std::string_view s = args[0].string_value();
  if (s.size() <= 1) return args[0];
  char* out = static_cast<char*>(ctx.arena().Allocate(s.size(), 1));
  size_t i = 0;
  size_t w = s.size();
  while (i < s.size()) {
    size_t start = i;
    DecodeUtf8(s, &i);
    w -= i - start;
    std::memcpy(out + w, s.data() + start, i - start);
  }
  return Value::String(std::string_view(out, s.size()));
}

// strings.quote: a double-quoted CEL string literal for s; invalid UTF-8
// becomes U+FFFD.
Value Quote(EvalContext& ctx, std::span<const Value> args) {
  std::string_view s = args[0].string_value();
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    char32_t c = DecodeUtf8(s, &i);
    switch (c) {
      case '\a':
        out.append("\\a");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\v':
        out.append("\\v");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '"':
        out.append("\\\"");
        break;
      default:
        AppendUtf8(&out, c);
    }
  }
  out.push_back('"');
  if (auto err = CheckSize(ctx, out.size())) return *err;
  return NewString(ctx, out);
}

}  // namespace
}  // namespace ext

absl::Status RegisterStringsExtension(FunctionRegistry& registry) {
  using ext::LibraryBuilder;
  const Type s = Type::String();
  const Type i = Type::Int();
  LibraryBuilder b(registry);
  b.Member("string_char_at_int", "charAt", {s, i}, s, ext::CharAt);
  b.Member("string_index_of_string", "indexOf", {s, s}, i, ext::IndexOf);
  b.Member("string_index_of_string_int", "indexOf", {s, s, i}, i,
           ext::IndexOfOffset);
  b.Member("string_last_index_of_string", "lastIndexOf", {s, s}, i,
           ext::LastIndexOf);
  b.Member("string_last_index_of_string_int", "lastIndexOf", {s, s, i}, i,
           ext::LastIndexOfOffset);
  b.Member("string_lower_ascii", "lowerAscii", {s}, s,
           ext::MapAscii<'A', 'Z', 'a' - 'A'>);
  b.Member("string_upper_ascii", "upperAscii", {s}, s,
           ext::MapAscii<'a', 'z', 'A' - 'a'>);
  b.Member("string_replace_string_string", "replace", {s, s, s}, s,
           ext::Replace);
  b.Member("string_replace_string_string_int", "replace", {s, s, s, i}, s,
           ext::ReplaceCount);
  b.Member("string_split_string", "split", {s, s}, Type::List(s), ext::Split);
  b.Member("string_split_string_int", "split", {s, s, i}, Type::List(s),
           ext::SplitLimit);
  b.Member("string_substring_int", "substring", {s, i}, s, ext::Substring);
  b.Member("string_substring_int_int", "substring", {s, i, i}, s,
           ext::SubstringRange);
  b.Member("string_trim", "trim", {s}, s, ext::Trim);
  b.Member("list_join", "join", {Type::List(s)}, s, ext::Join);
  b.Member("list_join_string", "join", {Type::List(s), s}, s,
           ext::JoinSeparator);
  b.Member("string_reverse", "reverse", {s}, s, ext::Reverse);
  b.Global("strings_quote", "strings.quote", {s}, s, ext::Quote);
  ext::RegisterFormat(b);
  return b.status();
}

}  // namespace retro::cel
