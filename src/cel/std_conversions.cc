// The standard library's type conversions: int, uint, double, string, bytes,
// bool, timestamp, duration, dyn and type. Conversions that lose range are
// errors ("range error"); doubles convert to integers by truncation.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "cel/std_internal.h"

namespace retro::cel::std_internal {
namespace {

using Args = std::span<const Value>;

Value Identity(EvalContext&, Args a) { return a[0]; }

// Go's strconv.ParseInt(s, 10, 64): an optional sign, then decimal digits.
bool ParseInt64(std::string_view s, int64_t* out) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s[0] == '-') return false;
  }
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool ParseUint64(std::string_view s, uint64_t* out) {
  if (s.empty() || s[0] == '-') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Go's strconv.ParseFloat(s, 64): overflow is an error, underflow is not.
bool ParseDouble(std::string_view s, double* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) return false;
  }
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (end != s.data() + s.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    std::string copy(s);
    *out = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(*out)) return false;
  } else if (ec != std::errc()) {
    return false;
  }
  if (neg) *out = -*out;
  return true;
}

Value RangeError(EvalContext& ctx, std::string_view what) {
  return ctx.Errorf("range error: %s", what);
}

// --- int ---------------------------------------------------------------------

Value UintToInt(EvalContext& ctx, Args a) {
  if (a[0].uint_value() > static_cast<uint64_t>(INT64_MAX)) {
    return RangeError(ctx, "uint value does not fit in int");
  }
  return Value::Int(static_cast<int64_t>(a[0].uint_value()));
}
Value DoubleToInt(EvalContext& ctx, Args a) {
  double d = a[0].double_value();
  // As cel-go: both ends exclusive (so -2^63 as a double is out of range).
  if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) {
    return RangeError(ctx, "double value does not fit in int");
  }
  return Value::Int(static_cast<int64_t>(d));
}
Value StringToInt(EvalContext& ctx, Args a) {
  int64_t v;
  if (!ParseInt64(a[0].string_value(), &v)) {
    return ctx.Errorf("cannot convert '%s' to int", a[0].string_value());
  }
  return Value::Int(v);
}
Value TimestampToInt(EvalContext&, Args a) {
  return Value::Int(a[0].seconds());
}
Value DurationToInt(EvalContext& ctx, Args a) {
  Nanos n = ToNanos(a[0]);
  if (!DurationInRange(n)) return RangeError(ctx, "duration too long");
  return Value::Int(static_cast<int64_t>(n));
}

// --- uint --------------------------------------------------------------------

Value IntToUint(EvalContext& ctx, Args a) {
  if (a[0].int_value() < 0) {
    return RangeError(ctx, "negative int value does not fit in uint");
  }
  return Value::Uint(static_cast<uint64_t>(a[0].int_value()));
}
Value DoubleToUint(EvalContext& ctx, Args a) {
  double d = a[0].double_value();
  if (!(d >= 0 && d < 18446744073709551616.0)) {
    return RangeError(ctx, "double value does not fit in uint");
  }
  return Value::Uint(static_cast<uint64_t>(d));
}
Value StringToUint(EvalContext& ctx, Args a) {
  uint64_t v;
  if (!ParseUint64(a[0].string_value(), &v)) {
    return ctx.Errorf("cannot convert '%s' to uint", a[0].string_value());
  }
  return Value::Uint(v);
}

// --- double ------------------------------------------------------------------

Value IntToDouble(EvalContext&, Args a) {
  return Value::Double(static_cast<double>(a[0].int_value()));
}
Value UintToDouble(EvalContext&, Args a) {
  return Value::Double(static_cast<double>(a[0].uint_value()));
}
Value StringToDouble(EvalContext& ctx, Args a) {
  double d;
  if (!ParseDouble(a[0].string_value(), &d)) {
    return ctx.Errorf("cannot convert '%s' to double", a[0].string_value());
  }
  return Value::Double(d);
}

// --- string ------------------------------------------------------------------

// Go's strconv.FormatFloat(d, 'g', -1, 64), which cel-go uses: the shortest
// digits that round-trip, in %e form when the exponent is < -4 or >= 6 (1e+06).
std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string_view sci(buf, end - buf);  // "-1.2345e+02"
  std::string out;
  if (!sci.empty() && sci[0] == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  if (exp < -4 || exp >= 6) {
    out.push_back(digits[0]);
    if (digits.size() > 1) absl::StrAppend(&out, ".", digits.substr(1));
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int mag = std::abs(exp);
    if (mag < 10) out.push_back('0');
    absl::StrAppend(&out, mag);
    return out;
  }
  int dp = exp + 1;  // digits before the decimal point
  int nd = static_cast<int>(digits.size());
  if (dp <= 0) {
    absl::StrAppend(&out, "0.", std::string(-dp, '0'), digits);
  } else if (dp >= nd) {
    absl::StrAppend(&out, digits, std::string(dp - nd, '0'));
  } else {
    absl::StrAppend(&out, digits.substr(0, dp), ".", digits.substr(dp));
  }
  return out;
}

Value IntToString(EvalContext& ctx, Args a) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), a[0].int_value());
  return MakeString(ctx.arena(), std::string_view(buf, end - buf));
}
Value UintToString(EvalContext& ctx, Args a) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), a[0].uint_value());
  return MakeString(ctx.arena(), std::string_view(buf, end - buf));
}
Value DoubleToString(EvalContext& ctx, Args a) {
  return MakeString(ctx.arena(), FormatDouble(a[0].double_value()));
}
Value BoolToString(EvalContext&, Args a) {
  return Value::String(a[0].bool_value() ? "true" : "false");
}
Value BytesToString(EvalContext& ctx, Args a) {
  if (!IsValidUtf8(a[0].bytes_value())) {
    return ctx.Error("invalid UTF-8 in bytes, cannot convert to string");
  }
  return Value::String(a[0].bytes_value());
}
Value TimestampToString(EvalContext& ctx, Args a) {
  return MakeString(ctx.arena(), FormatTimestamp(a[0]));
}
Value DurationToString(EvalContext& ctx, Args a) {
  return MakeString(ctx.arena(), FormatDuration(ToNanos(a[0])));
}

// --- bytes, bool
// ---------------------------------------------------------------

Value StringToBytes(EvalContext&, Args a) {
  return Value::Bytes(a[0].string_value());
}

Value StringToBool(EvalContext& ctx, Args a) {
  std::string_view s = a[0].string_value();
  if (s == "true" || s == "TRUE" || s == "True" || s == "t" || s == "1") {
    return Value::Bool(true);
  }
  if (s == "false" || s == "FALSE" || s == "False" || s == "f" || s == "0") {
    return Value::Bool(false);
  }
  return ctx.Errorf("type conversion error: cannot convert '%s' to bool", s);
}

// --- timestamp, duration
// -------------------------------------------------------

Value StringToTimestamp(EvalContext& ctx, Args a) {
  Nanos n;
  if (!ParseTimestampText(a[0].string_value(), &n)) {
    return ctx.Errorf("cannot parse '%s' as an RFC 3339 timestamp",
                      a[0].string_value());
  }
  return TimestampOrError(ctx, n);
}
Value IntToTimestamp(EvalContext& ctx, Args a) {
  return TimestampOrError(
      ctx, static_cast<Nanos>(a[0].int_value()) * kNanosPerSecond);
}
Value StringToDuration(EvalContext& ctx, Args a) {
  Nanos n;
  if (!ParseDurationText(a[0].string_value(), &n)) {
    return ctx.Errorf("cannot parse '%s' as a duration (e.g. \"1h2m3.5s\")",
                      a[0].string_value());
  }
  return DurationOrError(ctx, n);
}

// --- type
// ----------------------------------------------------------------------

Value TypeOf(EvalContext&, Args a) { return Value::Type(a[0].TypeName()); }

}  // namespace

void RegisterConversions(Registrar& r) {
  const Type kA = Type::Param("A");
  const Type kBool = Type::Bool(), kInt = Type::Int(), kUint = Type::Uint(),
             kDouble = Type::Double(), kString = Type::String(),
             kBytes = Type::Bytes(), kTs = Type::Timestamp(),
             kDur = Type::Duration();

  r.Global("int64_to_int64", "int", {kInt}, kInt, Identity);
  r.Global("uint64_to_int64", "int", {kUint}, kInt, UintToInt);
  r.Global("double_to_int64", "int", {kDouble}, kInt, DoubleToInt);
  r.Global("string_to_int64", "int", {kString}, kInt, StringToInt);
  r.Global("timestamp_to_int64", "int", {kTs}, kInt, TimestampToInt);
  r.Global("duration_to_int64", "int", {kDur}, kInt, DurationToInt);

  r.Global("int64_to_uint64", "uint", {kInt}, kUint, IntToUint);
  r.Global("uint64_to_uint64", "uint", {kUint}, kUint, Identity);
  r.Global("double_to_uint64", "uint", {kDouble}, kUint, DoubleToUint);
  r.Global("string_to_uint64", "uint", {kString}, kUint, StringToUint);

  r.Global("int64_to_double", "double", {kInt}, kDouble, IntToDouble);
  r.Global("uint64_to_double", "double", {kUint}, kDouble, UintToDouble);
  r.Global("double_to_double", "double", {kDouble}, kDouble, Identity);
  r.Global("string_to_double", "double", {kString}, kDouble, StringToDouble);

  r.Global("int64_to_string", "string", {kInt}, kString, IntToString);
  r.Global("uint64_to_string", "string", {kUint}, kString, UintToString);
  r.Global("double_to_string", "string", {kDouble}, kString, DoubleToString);
  r.Global("bool_to_string", "string", {kBool}, kString, BoolToString);
  r.Global("string_to_string", "string", {kString}, kString, Identity);
  r.Global("bytes_to_string", "string", {kBytes}, kString, BytesToString);
  r.Global("timestamp_to_string", "string", {kTs}, kString, TimestampToString);
  r.Global("duration_to_string", "string", {kDur}, kString, DurationToString);

  r.Global("string_to_bytes", "bytes", {kString}, kBytes, StringToBytes);
  r.Global("bytes_to_bytes", "bytes", {kBytes}, kBytes, Identity);

  r.Global("bool_to_bool", "bool", {kBool}, kBool, Identity);
  r.Global("string_to_bool", "bool", {kString}, kBool, StringToBool);

  r.Global("string_to_timestamp", "timestamp", {kString}, kTs,
           StringToTimestamp);
  r.Global("int64_to_timestamp", "timestamp", {kInt}, kTs, IntToTimestamp);
  r.Global("timestamp_to_timestamp", "timestamp", {kTs}, kTs, Identity);
  r.Global("string_to_duration", "duration", {kString}, kDur, StringToDuration);
  r.Global("duration_to_duration", "duration", {kDur}, kDur, Identity);

  r.Global("to_dyn", "dyn", {kA}, Type::Dyn(), Identity);
  r.Global("type", "type", {kA}, Type::TypeOf(kA), TypeOf);
}

}  // namespace retro::cel::std_internal
