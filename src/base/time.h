// Time values as Retro uses them: absolute instants with nanosecond precision
// (absl::Time) read from and written as RFC 3339, and relative offsets such as
// "-48h" or "-7d". All functions are pure and thread-safe.
#ifndef RETRO_BASE_TIME_H_
#define RETRO_BASE_TIME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace retro::base {

// Parses RFC 3339 ("2024-05-14T09:21:07.123456789Z", "...+02:00"). Fractional
// seconds up to nanoseconds; a lower-case 't'/'z' is accepted.
absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text);

// Formats in UTC with "Z"; fractional seconds only when non-zero, with the
// fewest digits (3, 6 or 9) that keep every nanosecond.
std::string FormatRfc3339(absl::Time t);

// Parses a time that is either RFC 3339 or relative to `now`: "-48h", "-7d",
// "-90m", "-30s", "now".
absl::StatusOr<absl::Time> ParseTimeOrRelative(std::string_view text,
                                               absl::Time now);

// Nanoseconds since the Unix epoch (saturating outside int64 range).
int64_t ToUnixNanos(absl::Time t);

}  // namespace retro::base

#endif  // RETRO_BASE_TIME_H_
