// String helpers shared by all modules.
//
// Debian's abseil is built with its own absl::string_view (not an alias of
// std::string_view), so absl::StrCat does not take std::string_view and
// absl's string-keyed maps cannot look up by it. Retro's APIs use
// std::string_view; these bridge the two.
#ifndef RETRO_BASE_STRINGS_H_
#define RETRO_BASE_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace retro::base {

// std::string_view -> absl::string_view (for absl::StrCat and friends).
inline absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }

struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    return absl::Hash<absl::string_view>{}(AV(s));
  }
};
struct StringViewEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

// A hash map from std::string that can be searched with a std::string_view.
template <typename V>
using StringMap = absl::flat_hash_map<std::string, V, StringViewHash, StringViewEq>;
using StringSet = absl::flat_hash_set<std::string, StringViewHash, StringViewEq>;

}  // namespace retro::base

#endif  // RETRO_BASE_STRINGS_H_
