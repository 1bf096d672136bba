// The standard library's timestamp and duration functions: arithmetic with
// range checks, and the get* accessors (optionally in an IANA time zone or a
// fixed "[+-]hh:mm" offset).
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cel/std_internal.h"

namespace retro::cel::std_internal {

Value TimestampOrError(EvalContext& ctx, Nanos n) {
  if (!TimestampInRange(n)) {
    return ctx.Error(
        "timestamp out of range: must be within 0001-01-01T00:00:00Z and "
        "9999-12-31T23:59:59.999999999Z");
  }
  auto [s, ns] = SplitNanos(n);
  return Value::Timestamp(s, ns);
}

Value DurationOrError(EvalContext& ctx, Nanos n) {
  if (!DurationInRange(n)) {
    return ctx.Error(
        "duration out of range: must be within about +/-292 years "
        "(int64 nanoseconds)");
  }
  auto [s, ns] = SplitNanos(n);
  return Value::Duration(s, ns);
}

bool ParseDurationText(std::string_view s, Nanos* out) {
  // Anything this large is out of range; keeps the accumulation in 128 bits.
  constexpr Nanos kHuge = static_cast<Nanos>(1) << 100;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    *out = 0;
    return true;
  }
  if (s.empty()) return false;
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  Nanos total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return false;
    Nanos whole = 0;
    bool pre = false;
    while (!s.empty() && is_digit(s[0])) {
      if (whole < kHuge) whole = whole * 10 + (s[0] - '0');
      pre = true;
      s.remove_prefix(1);
    }
    Nanos frac = 0, scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      while (!s.empty() && is_digit(s[0])) {
        if (scale < static_cast<Nanos>(1'000'000'000'000'000'000)) {
          frac = frac * 10 + (s[0] - '0');
          scale *= 10;
        }
        post = true;
        s.remove_prefix(1);
      }
    }
    if (!pre && !post) return false;
    size_t i = 0;
    while (i < s.size() && s[i] != '.' && !is_digit(s[i])) ++i;
    std::string_view unit = s.substr(0, i);
    s.remove_prefix(i);
    Nanos mult;
    if (unit == "ns") {
      mult = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      mult = 1'000;
    } else if (unit == "ms") {
      mult = 1'000'000;
    } else if (unit == "s") {
      mult = kNanosPerSecond;
    } else if (unit == "m") {
      mult = 60 * kNanosPerSecond;
    } else if (unit == "h") {
      mult = 3600 * kNanosPerSecond;
    } else {
      return false;  // missing or unknown unit
    }
    if (whole >= kHuge / mult) {
      total = kHuge;
    } else {
      total += whole * mult + frac * mult / scale;
      if (total > kHuge) total = kHuge;
    }
  }
  *out = neg ? -total : total;
  return true;
}

std::string FormatDuration(Nanos n) {
  std::string out;
  if (n < 0) {
    out.push_back('-');
    n = -n;
  }
  Nanos secs = n / kNanosPerSecond;
  int64_t frac = static_cast<int64_t>(n % kNanosPerSecond);
  // secs may exceed 64 bits only for values never produced in range.
  absl::StrAppend(&out, static_cast<uint64_t>(secs));
  if (frac != 0) {
    std::string f = absl::StrFormat("%09d", frac);
    while (f.back() == '0') f.pop_back();
    absl::StrAppend(&out, ".", f);
  }
  out.push_back('s');
  return out;
}

namespace {

using Args = std::span<const Value>;

absl::Time ToTime(const Value& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

bool ParseTimestampText(std::string_view text, Nanos* out) {
  // absl::ParseTime ignores surrounding whitespace; RFC 3339 does not.
  if (text.empty() || absl::ascii_isspace(text.front()) ||
      absl::ascii_isspace(text.back())) {
    return false;
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err))
    return false;
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return false;
  int64_t secs = absl::ToUnixSeconds(t);  // floor
  int64_t nanos = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(secs));
  *out = static_cast<Nanos>(secs) * kNanosPerSecond + nanos;
  return true;
}

std::string FormatTimestamp(const Value& ts) {
  absl::CivilSecond cs = absl::UTCTimeZone().At(ToTime(ts)).cs;
  std::string out =
      absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", cs.year(), cs.month(),
                      cs.day(), cs.hour(), cs.minute(), cs.second());
  if (ts.nanos() != 0) {
    std::string f = absl::StrFormat(".%09d", ts.nanos());
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out.push_back('Z');
  return out;
}

namespace {

// --- Arithmetic --------------------------------------------------------------

Value AddTimestampDuration(EvalContext& ctx, Args a) {
  return TimestampOrError(ctx, ToNanos(a[0]) + ToNanos(a[1]));
}
Value AddDurationTimestamp(EvalContext& ctx, Args a) {
  return TimestampOrError(ctx, ToNanos(a[0]) + ToNanos(a[1]));
}
Value AddDurations(EvalContext& ctx, Args a) {
  return DurationOrError(ctx, ToNanos(a[0]) + ToNanos(a[1]));
}
Value SubTimestamps(EvalContext& ctx, Args a) {
  return DurationOrError(ctx, ToNanos(a[0]) - ToNanos(a[1]));
}
Value SubTimestampDuration(EvalContext& ctx, Args a) {
  return TimestampOrError(ctx, ToNanos(a[0]) - ToNanos(a[1]));
}
Value SubDurations(EvalContext& ctx, Args a) {
  return DurationOrError(ctx, ToNanos(a[0]) - ToNanos(a[1]));
}

// --- Accessors ---------------------------------------------------------------

// Parses "[+-]h:mm" (sign optional) into seconds east of UTC.
bool ParseFixedOffset(std::string_view tz, size_t colon, int* seconds) {
  bool neg = false;
  std::string_view h = tz.substr(0, colon), m = tz.substr(colon + 1);
  if (!h.empty() && (h[0] == '+' || h[0] == '-')) {
    neg = h[0] == '-';
    h.remove_prefix(1);
  }
  auto parse = [](std::string_view d, int max, int* v) {
    if (d.empty() || d.size() > 2) return false;
    *v = 0;
    for (char c : d) {
      if (c < '0' || c > '9') return false;
      *v = *v * 10 + (c - '0');
    }
    return *v <= max;
  };
  int hours, minutes;
  if (!parse(h, 23, &hours) || !parse(m, 59, &minutes)) return false;
  *seconds = (neg ? -1 : 1) * (hours * 3600 + minutes * 60);
  return true;
}

bool LoadZone(std::string_view tz, absl::TimeZone* zone) {
  if (size_t colon = tz.find(':'); colon != std::string_view::npos) {
    int offset;
    if (!ParseFixedOffset(tz, colon, &offset)) return false;
    *zone = absl::FixedTimeZone(offset);
    return true;
  }
  if (tz == "UTC" || tz == "Z") {
    *zone = absl::UTCTimeZone();
    return true;
  }
  return absl::LoadTimeZone(std::string(tz), zone);
}

enum class Field {
  kYear,
  kMonth,
  kDate,
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kHours,
  kMinutes,
  kSeconds,
  kMilliseconds,
};

// args[0] is the timestamp; args[1], when present, the time zone.
template <Field field>
Value TimestampField(EvalContext& ctx, Args a) {
  absl::TimeZone zone = absl::UTCTimeZone();
  if (a.size() > 1 && !LoadZone(a[1].string_value(), &zone)) {
    return ctx.Errorf("unknown time zone '%s'", a[1].string_value());
  }
  if constexpr (field == Field::kMilliseconds) {
    return Value::Int(a[0].nanos() / 1'000'000);  // zones shift whole seconds
  }
  absl::CivilSecond cs = zone.At(ToTime(a[0])).cs;
  switch (field) {
    case Field::kYear:
      return Value::Int(cs.year());
    case Field::kMonth:
      return Value::Int(cs.month() - 1);
    case Field::kDate:
      return Value::Int(cs.day());
    case Field::kDayOfMonth:
      return Value::Int(cs.day() - 1);
    case Field::kDayOfWeek: {
      // absl counts from Monday = 0; CEL from Sunday = 0.
      int wd = static_cast<int>(absl::GetWeekday(absl::CivilDay(cs)));
      return Value::Int((wd + 1) % 7);
    }
    case Field::kDayOfYear:
      return Value::Int(absl::GetYearDay(absl::CivilDay(cs)) - 1);
    case Field::kHours:
      return Value::Int(cs.hour());
    case Field::kMinutes:
      return Value::Int(cs.minute());
    case Field::kSeconds:
      return Value::Int(cs.second());
    case Field::kMilliseconds:
      break;
  }
  return Value::Int(0);
}

// Durations: whole hours, minutes and seconds in total (truncated toward
// zero), and the milliseconds within the second.
template <Field field>
Value DurationField(EvalContext&, Args a) {
  Nanos n = ToNanos(a[0]);
  switch (field) {
    case Field::kHours:
      return Value::Int(static_cast<int64_t>(n / (3600 * kNanosPerSecond)));
    case Field::kMinutes:
      return Value::Int(static_cast<int64_t>(n / (60 * kNanosPerSecond)));
    case Field::kSeconds:
      return Value::Int(static_cast<int64_t>(n / kNanosPerSecond));
    default:
      return Value::Int(static_cast<int64_t>((n / 1'000'000) % 1000));
  }
}

template <Field field>
void RegisterTimestampField(Registrar& r, const char* name, const char* id) {
  const Type kTs = Type::Timestamp(), kInt = Type::Int();
  r.Member(id, name, {kTs}, kInt, TimestampField<field>);
  r.Member(std::string(id) + "_with_tz", name, {kTs, Type::String()}, kInt,
           TimestampField<field>);
}

}  // namespace

void RegisterTime(Registrar& r) {
  const Type kTs = Type::Timestamp(), kDur = Type::Duration(),
             kInt = Type::Int();
  r.Global("add_timestamp_duration", "_+_", {kTs, kDur}, kTs,
           AddTimestampDuration);
  r.Global("add_duration_timestamp", "_+_", {kDur, kTs}, kTs,
           AddDurationTimestamp);
  r.Global("add_duration_duration", "_+_", {kDur, kDur}, kDur, AddDurations);
  r.Global("subtract_timestamp_timestamp", "_-_", {kTs, kTs}, kDur,
           SubTimestamps);
  r.Global("subtract_timestamp_duration", "_-_", {kTs, kDur}, kTs,
           SubTimestampDuration);
  r.Global("subtract_duration_duration", "_-_", {kDur, kDur}, kDur,
           SubDurations);

  RegisterTimestampField<Field::kYear>(r, "getFullYear", "timestamp_to_year");
  RegisterTimestampField<Field::kMonth>(r, "getMonth", "timestamp_to_month");
  RegisterTimestampField<Field::kDate>(r, "getDate",
                                       "timestamp_to_day_of_month_1_based");
  RegisterTimestampField<Field::kDayOfMonth>(
      r, "getDayOfMonth", "timestamp_to_day_of_month_0_based");
  RegisterTimestampField<Field::kDayOfWeek>(r, "getDayOfWeek",
                                            "timestamp_to_day_of_week");
  RegisterTimestampField<Field::kDayOfYear>(r, "getDayOfYear",
                                            "timestamp_to_day_of_year");
  RegisterTimestampField<Field::kHours>(r, "getHours", "timestamp_to_hours");
  RegisterTimestampField<Field::kMinutes>(r, "getMinutes",
                                          "timestamp_to_minutes");
  RegisterTimestampField<Field::kSeconds>(r, "getSeconds",
                                          "timestamp_to_seconds");
  RegisterTimestampField<Field::kMilliseconds>(r, "getMilliseconds",
                                               "timestamp_to_milliseconds");

  r.Member("duration_to_hours", "getHours", {kDur}, kInt,
           DurationField<Field::kHours>);
  r.Member("duration_to_minutes", "getMinutes", {kDur}, kInt,
           DurationField<Field::kMinutes>);
  r.Member("duration_to_seconds", "getSeconds", {kDur}, kInt,
           DurationField<Field::kSeconds>);
  r.Member("duration_to_milliseconds", "getMilliseconds", {kDur}, kInt,
           DurationField<Field::kMilliseconds>);
}

}  // namespace retro::cel::std_internal
