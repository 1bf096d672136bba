// JSON <-> CEL values. Parsing uses simdjson; objects become maps with string
// keys, arrays lists, numbers int when written without fraction or exponent
// and within int64 (else double), strings, booleans and null as themselves.
// Arrays and objects may nest at most 256 levels deep.
// Thread-safe: pure functions; a JsonParser instance is one per thread.
#ifndef RETRO_CEL_JSON_H_
#define RETRO_CEL_JSON_H_

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Which parts of a JSON object to convert (JsonDocument::Build): a tree of
// object keys. A node that is not `whole` converts only its listed keys when
// its value is an object (the map then holds just those keys that are
// present, so it suits field selection and has() only); any other value, and
// a `whole` node, converts completely, exactly as JsonParser would.
struct JsonSelection {
  std::string key;  // unused at the root
  bool whole = false;
  // A missing key converts to {} instead of being left out.
  bool empty_map_if_missing = false;
  std::vector<JsonSelection> children;

  // The child for `key`, added (not whole) when missing.
  JsonSelection& Child(std::string_view key);
  // Marks the node at `path` (below this one) whole; a whole node's children
  // are dropped, and nothing is added below a whole node.
  void AddPath(const std::vector<std::string>& path);
};

// Bytes a parse may read past the end of its input. Input followed by this
// many readable bytes (a std::string with that much spare capacity, say)
// need not be copied to be parsed.
inline constexpr size_t kJsonPadding = 64;

// A parsed JSON object whose values are converted on demand: Parse validates
// the whole text with the rules of JsonParser (valid JSON, no duplicate
// keys, at most 256 levels of nesting), then Build converts only the
// selected parts. For a document JsonParser accepts, Build of a whole
// selection gives the value JsonParser gives, key order included.
//
// Strings of built values point into this document: they are valid until
// the next Parse. Not thread-safe: one per thread.
class JsonDocument {
 public:
  JsonDocument();
  ~JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  // True when `json` is an object JsonParser accepts. False for anything
  // else, including inputs the fast path does not handle (a number beyond
  // 64 bits, say): use JsonParser for those, which gives the exact value or
  // error.
  bool ParseObject(std::string_view json);
  // The same for input that ParseObject accepted before (events from the
  // store, which holds only what ingest accepted): nested objects are not
  // searched for repeated keys again. (Were one repeated after all, a read
  // of it finds either value.)
  // With `padded`, `json` is followed by at least kJsonPadding readable
  // bytes and is parsed where it lies rather than copied first.
  bool ParseValidatedObject(std::string_view json, bool padded = false);

  // The selected parts of the object (REQUIRES: ParseObject returned true).
  Value Build(const JsonSelection& selection, Arena& arena) const;
  // Appends bytes that identify the selected parts of the object: for one
  // selection, equal bytes mean equal Build results (REQUIRES: ParseObject
  // returned true). For memoizing what an expression computes from them.
  void AppendSelectionKey(const JsonSelection& selection,
                          std::string* out) const;
  // The string at a path of object keys; empty when any step is missing or
  // not an object, or the value is not a string.
  std::string_view StringAt(std::initializer_list<std::string_view> path) const;
  // The whole value at a path of object keys; nullopt when missing.
  std::optional<Value> ValueAt(std::initializer_list<std::string_view> path,
                               Arena& arena) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends `s` as a JSON string literal: quotes, `\"`, `\\`, the short
// escapes for \n \r \t \b \f, and \u00XX for other control characters;
// everything else (UTF-8 included) as is. Deterministic: content hashes
// depend on it.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace retro::cel

#endif  // RETRO_CEL_JSON_H_
