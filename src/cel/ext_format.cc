// string.format (cel-go ext/formatting_v2.go): "%s %d %f %e %b %o %x %X"
// clauses with an optional ".N" precision for %f and %e, "%%" for a literal
// percent sign, arguments taken in order from a list.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/strings.h"
#include "cel/ext_internal.h"

namespace retro::cel::ext {
namespace {

constexpr int kDefaultPrecision = 6;
constexpr int kMaxPrecision = 500;

// Shortest decimal (not exponent) form that round-trips, as Go's
// strconv.FormatFloat(d, 'f', -1, 64); NaN and infinities spelled as CEL
// does.
void AppendDouble(std::string* out, double d) {
  if (std::isnan(d)) {
    out->append("NaN");
  } else if (std::isinf(d)) {
    out->append(d < 0 ? "-Infinity" : "Infinity");
  } else {
    char buf[400];
    auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed);
    out->append(buf, r.ptr);
  }
}

// Go's time.Duration.Seconds() rendered with FormatFloat 'f' -1, plus "s".
void AppendDuration(std::string* out, const Value& v) {
  // Value durations are floor seconds + non-negative nanos; Go splits
  // towards zero.
  int64_t secs = v.seconds();
  int64_t nanos = v.nanos();
  if (secs < 0 && nanos > 0) {
    secs += 1;
    nanos -= 1'000'000'000;
  }
  AppendDouble(out,
               static_cast<double>(secs) + static_cast<double>(nanos) / 1e9);
  out->push_back('s');
}

void AppendTimestamp(std::string* out, const Value& v) {
  out->append(absl::FormatTime("%4Y-%m-%dT%H:%M:%E*SZ", v.timestamp(),
                               absl::UTCTimeZone()));
}

// An error message for a clause that does not accept `v`; empty on success.
using ClauseError = std::string;

ClauseError FormatString(std::string* out, const Value& v, int depth);

ClauseError FormatMap(std::string* out, const Value& v, int depth) {
  const MapData& m = v.map();
  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve(m.size);
  for (uint32_t i = 0; i < m.size; ++i) {
    std::string key;
    std::string val;
    if (ClauseError e = FormatString(&key, m.keys[i], depth + 1); !e.empty()) {
      return e;
    }
    if (ClauseError e = FormatString(&val, m.values[i], depth + 1);
        !e.empty()) {
      return e;
    }
    entries.emplace_back(std::move(key), std::move(val));
  }
  std::stable_sort(
      entries.begin(), entries.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  out->push_back('{');
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out->append(", ");
    absl::StrAppend(out, entries[i].first, ": ", entries[i].second);
  }
  out->push_back('}');
  return {};
}

// %s: any value except optionals, opaque values and errors.
ClauseError FormatString(std::string* out, const Value& v, int depth) {
  if (depth > 100) return "value nested too deeply to format";
  switch (v.kind()) {
    case Kind::kNull:
      out->append("null");
      return {};
    case Kind::kBool:
      out->append(v.bool_value() ? "true" : "false");
      return {};
    case Kind::kInt:
      absl::StrAppend(out, v.int_value());
      return {};
    case Kind::kUint:
      absl::StrAppend(out, v.uint_value());
      return {};
    case Kind::kDouble:
      AppendDouble(out, v.double_value());
      return {};
    case Kind::kString:
      out->append(v.string_value());
      return {};
    case Kind::kBytes:
      out->append(v.bytes_value());
      return {};
    case Kind::kTimestamp:
      AppendTimestamp(out, v);
      return {};
    case Kind::kDuration:
      AppendDuration(out, v);
      return {};
    case Kind::kType:
      out->append(v.type_name());
      return {};
    case Kind::kList: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.list()) {
        if (!first) out->append(", ");
        first = false;
        if (ClauseError err = FormatString(out, e, depth + 1); !err.empty()) {
          return err;
        }
      }
      out->push_back(']');
      return {};
    }
    case Kind::kMap:
      return FormatMap(out, v, depth);
    case Kind::kOptional:
    case Kind::kOpaque:
    case Kind::kError:
      break;
  }
  return absl::StrCat(
      "string clause can only be used on strings, bools, bytes, ints, "
      "doubles, maps, lists, types, durations, and timestamps, was given ",
      base::AV(v.TypeName()));
}

// Go's strconv.FormatInt(v, base) / %x: a sign, then the magnitude.
void AppendInBase(std::string* out, bool negative, uint64_t magnitude, int base,
                  bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[65];
  int n = 0;
  do {
    buf[n++] = digits[magnitude % base];
    magnitude /= base;
  } while (magnitude != 0);
  if (negative) out->push_back('-');
  while (n > 0) out->push_back(buf[--n]);
}

// Appends an int or uint in `base`; false for other kinds.
bool AppendInteger(std::string* out, const Value& v, int base, bool upper) {
  if (v.kind() == Kind::kInt) {
    int64_t i = v.int_value();
    uint64_t mag =
        i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
    AppendInBase(out, i < 0, mag, base, upper);
    return true;
  }
  if (v.kind() == Kind::kUint) {
    AppendInBase(out, false, v.uint_value(), base, upper);
    return true;
  }
  return false;
}

bool AsDouble(const Value& v, double* d) {
  switch (v.kind()) {
    case Kind::kInt:
      *d = static_cast<double>(v.int_value());
      return true;
    case Kind::kUint:
      *d = static_cast<double>(v.uint_value());
      return true;
    case Kind::kDouble:
      *d = v.double_value();
      return true;
    default:
      return false;
  }
}

// Applies one clause `verb` (with `precision`) to `v`.
ClauseError FormatClause(std::string* out, char verb, int precision,
                         const Value& v) {
  switch (verb) {
    case 's':
      return FormatString(out, v, 0);
    case 'd':
      if (AppendInteger(out, v, 10, false)) return {};
      if (v.kind() == Kind::kDouble) {
        AppendDouble(out, v.double_value());
        return {};
      }
      return absl::StrCat(
          "decimal clause can only be used on ints, uints, and doubles, was "
          "given ",
          base::AV(v.TypeName()));
    case 'f':
    case 'e': {
      double d;
      if (!AsDouble(v, &d)) {
        return absl::StrCat(verb == 'f' ? "fixed-point" : "scientific",
                            " clause can only be used on ints, uints, and "
                            "doubles, was given ",
                            base::AV(v.TypeName()));
      }
      if (!std::isfinite(d)) {
        AppendDouble(out, d);
      } else if (verb == 'f') {
        absl::StrAppendFormat(out, "%.*f", precision, d);
      } else {
        absl::StrAppendFormat(out, "%.*e", precision, d);
      }
      return {};
    }
    case 'b':
      if (v.kind() == Kind::kBool) {
        out->push_back(v.bool_value() ? '1' : '0');
        return {};
      }
      if (AppendInteger(out, v, 2, false)) return {};
      return absl::StrCat(
          "only ints, uints, and bools can be formatted as binary, was given ",
          base::AV(v.TypeName()));
    case 'o':
      if (AppendInteger(out, v, 8, false)) return {};
      return absl::StrCat(
          "octal clause can only be used on ints and uints, was given ",
          base::AV(v.TypeName()));
    case 'x':
    case 'X': {
      bool upper = verb == 'X';
      if (AppendInteger(out, v, 16, upper)) return {};
      if (v.kind() == Kind::kString || v.kind() == Kind::kBytes) {
        const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        for (unsigned char c : v.string_value()) {
          out->push_back(digits[c >> 4]);
          out->push_back(digits[c & 0xF]);
        }
        return {};
      }
      return absl::StrCat(
          "only ints, uints, bytes, and strings can be formatted as hex, was "
          "given ",
          base::AV(v.TypeName()));
    }
    default:
      return {};
  }
}

bool IsVerb(char c) {
  switch (c) {
    case 's':
    case 'd':
    case 'f':
    case 'e':
    case 'b':
    case 'o':
    case 'x':
    case 'X':
      return true;
    default:
      return false;
  }
}

// "<format string>".format(<list>).
Value Format(EvalContext& ctx, std::span<const Value> args) {
  std::string_view fmt = args[0].string_value();
  std::span<const Value> list = args[1].list();
  const int64_t limit = ctx.options().max_value_size;
  std::string out;
  out.reserve(fmt.size());
  size_t arg_index = 0;
  size_t i = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c != '%') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      out.push_back('%');
      i += 2;
      continue;
    }
    if (arg_index >= list.size()) {
      return ctx.Errorf("index %d out of range", arg_index);
    }
    if (i + 1 >= fmt.size()) return ctx.Error("unexpected end of string");
    ++i;  // past '%'
    int precision = kDefaultPrecision;
    if (fmt[i] == '.') {
      ++i;
      size_t start = i;
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') ++i;
      if (i >= fmt.size()) {
        return ctx.Error(
            "could not parse formatting clause: error while parsing "
            "precision: could not find end of precision specifier");
      }
      std::string_view digits = fmt.substr(start, i - start);
      int p = 0;
      auto r = std::from_chars(digits.data(), digits.data() + digits.size(), p);
      if (digits.empty() || r.ec != std::errc() || p > kMaxPrecision) {
        return ctx.Errorf(
            "could not parse formatting clause: invalid precision '%s' (at "
            "most %d)",
            digits, kMaxPrecision);
      }
      precision = p;
    }
    char verb = fmt[i++];
    if (!IsVerb(verb)) {
      return ctx.Errorf(
          "could not parse formatting clause: unrecognized formatting clause "
          "\"%c\"",
          verb);
    }
    ClauseError err = FormatClause(&out, verb, precision, list[arg_index]);
    if (!err.empty()) {
      return ctx.Errorf("error during formatting: %s", err);
    }
    ++arg_index;
    if (static_cast<int64_t>(out.size()) > limit) break;
  }
  if (auto err = CheckSize(ctx, out.size())) return *err;
  return NewString(ctx, out);
}

}  // namespace

void RegisterFormat(LibraryBuilder& builder) {
  builder.Member("string_format", "format",
                 {Type::String(), Type::List(Type::Dyn())}, Type::String(),
                 Format);
}

}  // namespace retro::cel::ext
