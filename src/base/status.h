// Status vocabulary for all of Retro: absl::Status / absl::StatusOr<T>, and the
// two propagation macros every module uses at its boundaries.
#ifndef RETRO_BASE_STATUS_H_
#define RETRO_BASE_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RETRO_CONCAT_INNER_(a, b) a##b
#define RETRO_CONCAT_(a, b) RETRO_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define RETRO_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::absl::Status retro_status_ = (expr);          \
    if (!retro_status_.ok()) return retro_status_;  \
  } while (0)

// `RETRO_ASSIGN_OR_RETURN(auto x, F());` evaluates F() (an absl::StatusOr),
// returns its status when not OK, else moves its value into `lhs`.
#define RETRO_ASSIGN_OR_RETURN(lhs, expr) \
  RETRO_ASSIGN_OR_RETURN_IMPL_(RETRO_CONCAT_(retro_statusor_, __LINE__), lhs, expr)

#define RETRO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

#endif  // RETRO_BASE_STATUS_H_
