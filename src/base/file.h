// Whole files as strings.
#ifndef RETRO_BASE_FILE_H_
#define RETRO_BASE_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace retro::base {

// The bytes of the file at `path`; NotFound ("cannot read PATH") when it
// cannot be opened, DataLoss when reading it fails.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace retro::base

#endif  // RETRO_BASE_FILE_H_
