// Canonical JSON for CEL values: the bytes Retro hashes and prints. Object
// keys are sorted (by their UTF-8 bytes), there is no whitespace, strings
// escape only what JSON requires (", \ and control characters), and numbers
// are written the way JavaScript's JSON.stringify writes them (shortest
// round-trip form; integral doubles without ".0"), so the same content always
// gives the same bytes and matches other tools' output.
// Pure functions; thread-safe.
#ifndef RETRO_POLICY_CANONICAL_JSON_H_
#define RETRO_POLICY_CANONICAL_JSON_H_

#include <string>
#include <string_view>

#include "cel/json.h"
#include "cel/value.h"

namespace retro::policy {

// Appends `value` as canonical JSON. Non-string map keys are written as
// their JSON text ("1", "true"); bytes as base64; timestamps as RFC 3339;
// durations like "1.5s"; non-finite doubles as the strings "NaN",
// "Infinity", "-Infinity"; optionals as their value or null. Returns false
// (leaving partial output) for an error value or an unrepresentable one.
bool AppendCanonicalJson(const cel::Value& value, std::string* out);

// JSON string literals: the one writer the CEL JSON output uses too.
using cel::AppendJsonString;

// Appends a double as JavaScript's Number.prototype.toString does.
void AppendJsonDouble(double d, std::string* out);

}  // namespace retro::policy

#endif  // RETRO_POLICY_CANONICAL_JSON_H_
