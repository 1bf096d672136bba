#include "base/hash.h"

#include <cstdio>

#include "xxhash.h"

namespace retro::base {

uint64_t Hash64(std::string_view data) {
  return XXH3_64bits(data.data(), data.size());
}

Hash128 Hash128Of(std::string_view data) {
  XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  return {h.high64, h.low64};
}

std::string Hash128::Hex() const { return Hex64(high) + Hex64(low); }

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf, 16);
}

Hasher::Hasher() : state_(XXH3_createState()) {
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

Hasher::~Hasher() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

Hasher& Hasher::Add(std::string_view part) {
  auto* s = static_cast<XXH3_state_t*>(state_);
  uint64_t n = part.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  XXH3_128bits_update(s, len, sizeof(len));
  XXH3_128bits_update(s, part.data(), part.size());
  return *this;
}

Hash128 Hasher::Finish() const {
  XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  return {h.high64, h.low64};
}

}  // namespace retro::base
