#include "base/time.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/strings.h"

namespace retro::base {
namespace {

bool ReadDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid RFC 3339 time '", AV(text), "': ", AV(why)));
}

}  // namespace

absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, 0, 4, &year) || text.size() < 20 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, &month) || text[7] != '-' ||
      !ReadDigits(text, 8, 2, &day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      !ReadDigits(text, 11, 2, &hour) || text[13] != ':' ||
      !ReadDigits(text, 14, 2, &minute) || text[16] != ':' ||
      !ReadDigits(text, 17, 2, &second)) {
    return Invalid(text, "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset");
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return Invalid(text, "empty fraction of a second");
    if (digits > 9) return Invalid(text, "more than 9 fractional digits");
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!ReadDigits(text, pos + 1, 2, &oh) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !ReadDigits(text, pos + 4, 2, &om)) {
      return Invalid(text, "bad UTC offset, expected ±HH:MM");
    }
    offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return Invalid(text, "missing time zone (Z or ±HH:MM)");
  }
  if (pos != text.size()) return Invalid(text, "trailing characters");
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return Invalid(text, "field out of range");
  }
  absl::CivilSecond cs(year, month, day, hour, minute, second);
  if (cs.day() != day) return Invalid(text, "no such day in that month");
  absl::Time t = absl::FromCivil(cs, absl::UTCTimeZone());
  return t - absl::Seconds(offset_seconds) + absl::Nanoseconds(nanos);
}

std::string FormatRfc3339(absl::Time t) {
  absl::Duration frac = t - absl::FromUnixSeconds(absl::ToUnixSeconds(t));
  if (frac < absl::ZeroDuration()) frac += absl::Seconds(1);
  int64_t ns = absl::ToInt64Nanoseconds(frac);
  const char* fmt = "%Y-%m-%dT%H:%M:%SZ";
  if (ns != 0) {
    if (ns % 1000000 == 0) {
      fmt = "%Y-%m-%dT%H:%M:%E3SZ";
    } else if (ns % 1000 == 0) {
      fmt = "%Y-%m-%dT%H:%M:%E6SZ";
    } else {
      fmt = "%Y-%m-%dT%H:%M:%E9SZ";
    }
  }
  return absl::FormatTime(fmt, t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTimeOrRelative(std::string_view text,
                                               absl::Time now) {
  if (text == "now") return now;
  if (!text.empty() && (text[0] == '-' || text[0] == '+') && text.size() >= 3 &&
      !absl::ascii_isdigit(static_cast<unsigned char>(text.back()))) {
    int64_t n;
    if (!absl::SimpleAtoi(AV(text.substr(1, text.size() - 2)), &n) || n < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid relative time '", AV(text),
                       "': expected a sign, a number and a unit, e.g. -48h"));
    }
    absl::Duration unit;
    switch (text.back()) {
      case 's': unit = absl::Seconds(1); break;
      case 'm': unit = absl::Minutes(1); break;
      case 'h': unit = absl::Hours(1); break;
      case 'd': unit = absl::Hours(24); break;
      case 'w': unit = absl::Hours(24 * 7); break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid relative time '", AV(text), "': unit must be s, m, h, d or w"));
    }
    absl::Duration d = unit * n;
    return text[0] == '-' ? now - d : now + d;
  }
  return ParseRfc3339(text);
}

int64_t ToUnixNanos(absl::Time t) { return absl::ToUnixNanos(t); }

}  // namespace retro::base
