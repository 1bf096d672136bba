// JSON <-> CEL values. Parsing uses simdjson; objects become maps with string
// keys, arrays lists, numbers int when written without fraction or exponent
// and within int64 (else double), strings, booleans and null as themselves.
// Arrays and objects may nest at most 256 levels deep.
// Thread-safe: pure functions; a JsonParser instance is one per thread.
#ifndef RETRO_CEL_JSON_H_
#define RETRO_CEL_JSON_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cel/arena.h"
#include "cel/value.h"

namespace retro::cel {

// Reusable JSON parser (keeps simdjson's buffers between calls).
class JsonParser {
 public:
  JsonParser();
  ~JsonParser();
  // Parses `json` into a Value allocated in `arena`. Errors name the byte
  // offset and what was wrong.
  absl::StatusOr<Value> Parse(std::string_view json, Arena& arena);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-off convenience.
absl::StatusOr<Value> ParseJson(std::string_view json, Arena& arena);

// Appends `s` as a JSON string literal: quotes, `\"`, `\\`, the short
// escapes for \n \r \t \b \f, and \u00XX for other control characters;
// everything else (UTF-8 included) as is. Deterministic: content hashes
// depend on it.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace retro::cel

#endif  // RETRO_CEL_JSON_H_
