// Stable 64- and 128-bit hashes (XXH3) for ids and content hashes. The values
// are part of Retro's on-disk and wire formats: never change the algorithm or
// the seed without a format version bump. Thread-safe.
#ifndef RETRO_BASE_HASH_H_
#define RETRO_BASE_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace retro::base {

uint64_t Hash64(std::string_view data);

struct Hash128 {
  uint64_t high;
  uint64_t low;
  // 32 lower-case hex digits.
  std::string Hex() const;
  friend bool operator==(const Hash128&, const Hash128&) = default;
};

Hash128 Hash128Of(std::string_view data);

// Hashes a sequence of parts unambiguously (each part is length-prefixed), so
// ("ab","c") and ("a","bc") differ.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  Hasher& Add(std::string_view part);
  Hash128 Finish() const;

 private:
  void* state_;  // XXH3_state_t, kept opaque so xxhash.h stays private.
};

// 16 lower-case hex digits.
std::string Hex64(uint64_t v);

}  // namespace retro::base

#endif  // RETRO_BASE_HASH_H_
