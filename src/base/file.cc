#include "base/file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace retro::base {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("reading ", path));
  return std::move(text).str();
}

}  // namespace retro::base
