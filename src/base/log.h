// Process-wide logging: spdlog to stderr. Configure once at start-up with
// InitLogging; afterwards the spdlog macros/functions are thread-safe.
#ifndef RETRO_BASE_LOG_H_
#define RETRO_BASE_LOG_H_

#include <string_view>

#include "absl/status/status.h"
#include "spdlog/spdlog.h"

namespace retro::base {

// `level` is one of trace, debug, info, warn, error, off.
absl::Status InitLogging(std::string_view level);

}  // namespace retro::base

#endif  // RETRO_BASE_LOG_H_
