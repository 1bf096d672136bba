// Byte encodings of the embedded store's keys and values, as specified in
// docs/formats/store.md. Internal to src/store. All functions are pure and
// thread-safe; the Get* decoders consume from the front of `in` and return
// false on malformed input (never crash on it).
#ifndef RETRO_STORE_CODEC_H_
#define RETRO_STORE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "base/hash.h"

namespace retro::store::codec {

inline constexpr uint8_t kValueVersion = 1;

void PutU64BE(std::string* out, uint64_t v);
bool GetU64BE(std::string_view* in, uint64_t* v);

// int64 nanoseconds since the epoch, sign bit flipped, big-endian.
void PutTime(std::string* out, absl::Time t);
bool GetTime(std::string_view* in, absl::Time* t);
int64_t TimeNanos(absl::Time t);  // saturating

// The UTC hour index of `t`, sign bit flipped, big-endian.
void PutHour(std::string* out, absl::Time t);
int64_t HourIndex(absl::Time t);
absl::Time HourStart(int64_t hour_index);
absl::Time DayStart(absl::Time t);  // UTC midnight at or before t

void PutVarint(std::string* out, uint64_t v);
bool GetVarint(std::string_view* in, uint64_t* v);

// Length-prefixed bytes (values only).
void PutLp(std::string* out, std::string_view s);
bool GetLp(std::string_view* in, std::string_view* s);

// Order-preserving, prefix-free string encoding (keys).
void PutStr(std::string* out, std::string_view s);
bool GetStr(std::string_view* in, std::string* s);
// The smallest key greater than every key that starts with PutStr(s).
std::string StrPrefixEnd(std::string_view s);

void PutHash(std::string* out, const base::Hash128& h);
bool GetHash(std::string_view* in, base::Hash128* h);

// Hex for opaque cursors (URL-safe, no padding).
std::string ToHex(std::string_view bytes);
bool FromHex(std::string_view hex, std::string* bytes);

// The smallest key strictly greater than `key`.
inline std::string Successor(std::string_view key) {
  std::string s(key);
  s.push_back('\0');
  return s;
}

}  // namespace retro::store::codec

#endif  // RETRO_STORE_CODEC_H_
