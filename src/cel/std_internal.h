// Helpers shared by the standard library's files (std_*.cc): registration,
// checked integer arithmetic, timestamp/duration range handling and UTF-8.
// Private to the standard library; not part of the engine's API.
#ifndef RETRO_CEL_STD_INTERNAL_H_
#define RETRO_CEL_STD_INTERNAL_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "cel/function.h"
#include "cel/type.h"
#include "cel/value.h"

namespace retro::cel::std_internal {

// Collects overloads for one library and registers them, keeping the first
// failure (a programming error: a duplicate id or signature).
class Registrar {
 public:
  explicit Registrar(FunctionRegistry& registry) : registry_(registry) {}

  // A global function `name(params...) -> result`.
  void Global(std::string id, std::string name, std::vector<Type> params,
              Type result, FunctionImpl impl) {
    Add(std::move(id), std::move(name), false, std::move(params),
        std::move(result), impl, true);
  }
  // A member function `params[0].name(params[1..]) -> result`.
  void Member(std::string id, std::string name, std::vector<Type> params,
              Type result, FunctionImpl impl) {
    Add(std::move(id), std::move(name), true, std::move(params),
        std::move(result), impl, true);
  }
  // A global function that also receives error arguments.
  void NonStrict(std::string id, std::string name, std::vector<Type> params,
                 Type result, FunctionImpl impl) {
    Add(std::move(id), std::move(name), false, std::move(params),
        std::move(result), impl, false);
  }

  absl::Status status() const { return status_; }

 private:
  void Add(std::string id, std::string name, bool member,
           std::vector<Type> params, Type result, FunctionImpl impl,
           bool strict) {
    if (!status_.ok()) return;
    Overload o;
    o.id = std::move(id);
    o.name = std::move(name);
    o.member = member;
    o.params = std::move(params);
    o.result = std::move(result);
    o.impl = impl;
    o.strict = strict;
    status_ = registry_.Register(std::move(o));
  }

  FunctionRegistry& registry_;
  absl::Status status_;
};

// Each file registers its part of the standard library.
void RegisterOperators(Registrar& r);    // std_operators.cc
void RegisterConversions(Registrar& r);  // std_conversions.cc
void RegisterStrings(Registrar& r);      // std_strings.cc
void RegisterTime(Registrar& r);         // std_time.cc

// --- Integers ---------------------------------------------------------------

inline constexpr std::string_view kIntegerOverflow = "integer overflow";

// --- Timestamps and durations ----------------------------------------------
// CEL's timestamps span 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z;
// durations, like cel-go's, fit in int64 nanoseconds (about ±292 years).
// Arithmetic is done in 128-bit nanoseconds, then range checked.

using Nanos = __int128;

inline constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31
inline constexpr Nanos kNanosPerSecond = 1'000'000'000;

// Total nanoseconds of a timestamp (since the epoch) or a duration.
inline Nanos ToNanos(const Value& v) {
  return static_cast<Nanos>(v.seconds()) * kNanosPerSecond + v.nanos();
}

// Floor division of nanoseconds into (seconds, nanos in [0, 1e9)).
inline std::pair<int64_t, uint32_t> SplitNanos(Nanos n) {
  Nanos s = n / kNanosPerSecond;
  Nanos r = n % kNanosPerSecond;
  if (r < 0) {
    r += kNanosPerSecond;
    --s;
  }
  return {static_cast<int64_t>(s), static_cast<uint32_t>(r)};
}

inline bool TimestampInRange(Nanos n) {
  return n >= static_cast<Nanos>(kMinTimestampSeconds) * kNanosPerSecond &&
         n < (static_cast<Nanos>(kMaxTimestampSeconds) + 1) * kNanosPerSecond;
}
inline bool DurationInRange(Nanos n) {
  return n >= INT64_MIN && n <= INT64_MAX;
}

// A timestamp or duration value, or a range error.
Value TimestampOrError(EvalContext& ctx, Nanos n);
Value DurationOrError(EvalContext& ctx, Nanos n);

// Parses a duration the way Go's time.ParseDuration does ("1h2m3.5s",
// "-1.5s", "0", units h m s ms us µs ns). False on syntax errors; *out may
// exceed the duration range (the caller checks).
bool ParseDurationText(std::string_view text, Nanos* out);
// Parses RFC 3339 ("2009-02-13T23:31:30.5Z", "…+01:00") into nanoseconds
// since the epoch. False on syntax errors; no range check.
bool ParseTimestampText(std::string_view text, Nanos* out);
// Formats like "1.5s", "-0.000000001s", "0s".
std::string FormatDuration(Nanos n);
// RFC 3339 in UTC, fractional seconds only when non-zero.
std::string FormatTimestamp(const Value& ts);

// --- Strings -----------------------------------------------------------------

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values
// above U+10FFFF), as Go's utf8.Valid.
bool IsValidUtf8(std::string_view s);

// Number of code points of a valid UTF-8 string.
inline int64_t CodePointCount(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace retro::cel::std_internal

#endif  // RETRO_CEL_STD_INTERNAL_H_
