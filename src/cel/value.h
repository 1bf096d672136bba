// Value: CEL's runtime value, a 16-byte tagged union. Scalars are held
// inline; strings and bytes are views (pointer + 32-bit length); lists, maps,
// optionals, errors and opaque values are one pointer to immutable data.
//
// Values never own memory. Whatever they point to lives in an Arena (the
// evaluation's, the program's for constants, or the caller's for inputs) or
// in static storage, and must outlive every Value that refers to it. Values
// are immutable and trivially copyable, so any number of threads may read
// the same Value.
#ifndef RETRO_CEL_VALUE_H_
#define RETRO_CEL_VALUE_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "cel/arena.h"

namespace retro::cel {

enum class Kind : uint8_t {
  kNull = 0,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kList,
  kMap,
  kTimestamp,
  kDuration,
  kType,
  kOptional,
  kOpaque,  // extension types such as net.IP and net.CIDR
  kError,
};
inline constexpr int kNumKinds = static_cast<int>(Kind::kError) + 1;

// The CEL name of a kind's type: "int", "list", "google.protobuf.Timestamp"…
std::string_view KindTypeName(Kind kind);

class Value;
struct MapData;
struct ListData;

// Base of extension values (net.IP, net.CIDR). Immutable.
class OpaqueValue {
 public:
  virtual ~OpaqueValue() = default;
  // The CEL type name, e.g. "net.IP".
  virtual std::string_view TypeName() const = 0;
  virtual bool Equals(const OpaqueValue& other) const = 0;
  virtual std::string DebugString() const = 0;
};

struct ErrorData {
  std::string_view message;
};

class Value {
 public:
  constexpr Value() : kind_(Kind::kNull), aux_(0), u_{.i = 0} {}

  static constexpr Value Null() { return Value(); }
  static constexpr Value Bool(bool b) {
    return Value(Kind::kBool, 0, {.b = b});
  }
  static constexpr Value Int(int64_t i) {
    return Value(Kind::kInt, 0, {.i = i});
  }
  static constexpr Value Uint(uint64_t u) {
    return Value(Kind::kUint, 0, {.u = u});
  }
  static constexpr Value Double(double d) {
    return Value(Kind::kDouble, 0, {.d = d});
  }
  // REQUIRES: s outlives the value; s.size() < 4 GiB.
  static Value String(std::string_view s) {
    return Value(Kind::kString, static_cast<uint32_t>(s.size()),
                 {.s = s.data()});
  }
  static Value Bytes(std::string_view s) {
    return Value(Kind::kBytes, static_cast<uint32_t>(s.size()),
                 {.s = s.data()});
  }
  // REQUIRES: items[0..n) outlive the value.
  static Value List(const Value* items, uint32_t n) {
    return Value(Kind::kList, n, {.list = items});
  }
  static Value Map(const MapData* map) {
    return Value(Kind::kMap, 0, {.map = map});
  }
  // Seconds since the Unix epoch and nanoseconds in [0, 1e9).
  static Value Timestamp(int64_t seconds, uint32_t nanos) {
    return Value(Kind::kTimestamp, nanos, {.i = seconds});
  }
  static Value FromTime(absl::Time t);
  // Durations as floor seconds and nanoseconds in [0, 1e9), as absl does.
  static Value Duration(int64_t seconds, uint32_t nanos) {
    return Value(Kind::kDuration, nanos, {.i = seconds});
  }
  static Value FromDuration(absl::Duration d);
  // A type value, e.g. Value::Type("int"). REQUIRES: name outlives the value.
  static Value Type(std::string_view name) {
    return Value(Kind::kType, static_cast<uint32_t>(name.size()),
                 {.s = name.data()});
  }
  // optional.of(*v) when v is non-null, else optional.none().
  static Value Optional(const Value* v) {
    return Value(Kind::kOptional, 0, {.opt = v});
  }
  static Value Opaque(const OpaqueValue* v) {
    return Value(Kind::kOpaque, 0, {.opaque = v});
  }
  static Value Error(const ErrorData* e) {
    return Value(Kind::kError, 0, {.err = e});
  }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_error() const { return kind_ == Kind::kError; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_string() const { return kind_ == Kind::kString; }

  bool bool_value() const { return u_.b; }
  int64_t int_value() const { return u_.i; }
  uint64_t uint_value() const { return u_.u; }
  double double_value() const { return u_.d; }
  std::string_view string_value() const { return {u_.s, aux_}; }
  std::string_view bytes_value() const { return {u_.s, aux_}; }
  std::span<const Value> list() const { return {u_.list, aux_}; }
  const MapData& map() const { return *u_.map; }
  int64_t seconds() const { return u_.i; }  // timestamp and duration
  uint32_t nanos() const { return aux_; }   // timestamp and duration
  absl::Time timestamp() const;
  absl::Duration duration() const;
  std::string_view type_name() const { return {u_.s, aux_}; }
  // nullptr for optional.none().
  const Value* optional_value() const { return u_.opt; }
  const OpaqueValue& opaque() const { return *u_.opaque; }
  std::string_view error_message() const { return u_.err->message; }

  // The CEL type name of this value ("int", "net.IP", …).
  std::string_view TypeName() const;

  // A readable rendering for messages and tests: 1, 2u, 1.5, "s", b"..",
  // [1, 2], {"k": v}, timestamp("…"), duration("1.5s"), optional.of(…).
  std::string DebugString() const;

 private:
  union Payload {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    const char* s;
    const Value* list;
    const MapData* map;
    const Value* opt;
    const OpaqueValue* opaque;
    const ErrorData* err;
  };
  constexpr Value(Kind k, uint32_t aux, Payload u)
      : kind_(k), aux_(aux), u_(u) {}

  Kind kind_;
  uint32_t aux_;
  Payload u_;
};
static_assert(sizeof(Value) == 16);

// An immutable map. Keys are bool, int, uint or string (and double only as
// produced by heterogeneous lookups; never stored). Entries keep insertion
// order. Maps over kIndexThreshold entries carry an open-addressing hash
// index.
struct MapData {
  static constexpr uint32_t kIndexThreshold = 8;

  const Value* keys = nullptr;
  const Value* values = nullptr;
  uint32_t size = 0;
  uint32_t index_mask = 0;          // capacity - 1 when indexed
  const uint32_t* index = nullptr;  // slot -> entry + 1 (0 = empty)

  // Looks a key up with CEL's heterogeneous numeric equality (1, 1u and 1.0
  // find the same entry). nullptr when absent.
  const Value* Find(const Value& key) const;
  const Value* FindString(std::string_view key) const;
};

// True when map key `k` is the string `key` (field selection's hot path).
inline bool BytesEqual(const char* a, const char* b, size_t n) {
  // Word-at-a-time for the short keys and values CEL compares most; the
  // tails overlap instead of looping byte by byte.
  if (n >= 8) {
    for (; n > 8; n -= 8, a += 8, b += 8) {
      uint64_t x, y;
      std::memcpy(&x, a, 8);
      std::memcpy(&y, b, 8);
      if (x != y) return false;
    }
    uint64_t x, y;
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  if (n >= 4) {
    uint32_t x1, y1, x2, y2;
    std::memcpy(&x1, a, 4);
    std::memcpy(&y1, b, 4);
    std::memcpy(&x2, a + n - 4, 4);
    std::memcpy(&y2, b + n - 4, 4);
    return x1 == y1 && x2 == y2;
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

inline bool KeyIs(const Value& k, std::string_view key) {
  if (k.kind() != Kind::kString) return false;
  std::string_view s = k.string_value();
  return s.size() == key.size() && BytesEqual(s.data(), key.data(), key.size());
}

// Builds a map in `arena`. Returns nullptr and sets *duplicate to the
// offending key when a key repeats; keys must be of a valid key kind
// (checked by the caller). REQUIRES: keys/values live in `arena` or longer.
const MapData* BuildMap(Arena& arena, const Value* keys, const Value* values,
                        uint32_t n, const Value** duplicate);

// A new error value whose message is copied into `arena`.
Value MakeError(Arena& arena, std::string_view message);
// A string value whose bytes are copied into `arena`.
Value MakeString(Arena& arena, std::string_view s);
Value MakeBytes(Arena& arena, std::string_view s);

// CEL equality (`==`): heterogeneous numeric equality, element-wise lists and
// maps, NaN != NaN. Never an error; errors are handled by the caller.
bool Equal(const Value& a, const Value& b);

// CEL ordering for <, <=, >, >=: -1, 0, 1, or nullopt when the two values are
// not ordered (different non-numeric kinds, or NaN involved).
std::optional<int> Compare(const Value& a, const Value& b);

// Hash consistent with Equal for map keys (bool, int, uint, string, and
// integral doubles).
uint64_t KeyHash(const Value& key);

}  // namespace retro::cel

#endif  // RETRO_CEL_VALUE_H_
