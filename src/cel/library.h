// The function libraries. Each Register* adds one library's overloads to a
// registry; StandardLibraries adds them all (what Env uses by default).
#ifndef RETRO_CEL_LIBRARY_H_
#define RETRO_CEL_LIBRARY_H_

#include "absl/status/status.h"
#include "cel/function.h"

namespace retro::cel {

// Operators (arithmetic, comparison, equality, logical not, negation),
// size, contains/startsWith/endsWith/matches, conversions (int, uint, double,
// string, bytes, bool, timestamp, duration, dyn, type), timestamp and
// duration arithmetic and accessors with IANA time zones.
absl::Status RegisterStandardLibrary(FunctionRegistry& registry);

// Extensions the cel-spec conformance suite covers.
absl::Status RegisterStringsExtension(FunctionRegistry& registry);
absl::Status RegisterMathExtension(FunctionRegistry& registry);
absl::Status RegisterEncodersExtension(FunctionRegistry& registry);
absl::Status RegisterListsExtension(FunctionRegistry& registry);
absl::Status RegisterSetsExtension(FunctionRegistry& registry);
absl::Status RegisterOptionalsLibrary(FunctionRegistry& registry);
absl::Status RegisterNetworkExtension(FunctionRegistry& registry);

// All of the above.
absl::Status RegisterAllLibraries(FunctionRegistry& registry);

}  // namespace retro::cel

#endif  // RETRO_CEL_LIBRARY_H_
