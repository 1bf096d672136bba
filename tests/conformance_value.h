// The typed JSON encoding of values used by the converted cel-spec
// conformance files ({"int64": "-5"}, {"map": [[K, V], ...]}, …; see the
// "encoding" object at the top of each file), and the exact comparison the
// conformance runner judges results with.
#ifndef RETRO_TESTS_CONFORMANCE_VALUE_H_
#define RETRO_TESTS_CONFORMANCE_VALUE_H_

#include <string>

#include "absl/status/statusor.h"
#include "cel/arena.h"
#include "cel/value.h"
#include "simdjson.h"

namespace retro::conformance {

// Decodes one typed value into `arena`. {"error_value": msg} becomes an error
// value. Unknowns, enums and messages are Unimplemented.
absl::StatusOr<cel::Value> DecodeValue(simdjson::dom::element json,
                                       cel::Arena& arena);

// CEL equality made exact on kinds: 1, 1u and 1.0 differ; NaN equals NaN;
// maps compare without regard to entry order; two error values are equal.
bool SameValue(const cel::Value& a, const cel::Value& b);

// A readable rendering of a result: the value's DebugString, or
// "error: <message>".
std::string Describe(const cel::Value& v);

}  // namespace retro::conformance

#endif  // RETRO_TESTS_CONFORMANCE_VALUE_H_
