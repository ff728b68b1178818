// Status propagation macros. Debian 12's abseil (20220623) lacks
// ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN, so TaskGate keeps its own.
// Header-only; no state, so thread-safe.
#ifndef TASKGATE_COMMON_STATUS_MACROS_H_
#define TASKGATE_COMMON_STATUS_MACROS_H_

#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

// Returns from the enclosing function when `expr` is not OK.
#define TASKGATE_RETURN_IF_ERROR(expr)                        \
  do {                                                        \
    if (absl::Status _tg_status = (expr); !_tg_status.ok()) { \
      return _tg_status;                                      \
    }                                                         \
  } while (false)

#define TASKGATE_STATUS_CONCAT_INNER_(a, b) a##b
#define TASKGATE_STATUS_CONCAT_(a, b) TASKGATE_STATUS_CONCAT_INNER_(a, b)

// `TASKGATE_ASSIGN_OR_RETURN(auto x, F());` declares or assigns `x` from the
// value of a `StatusOr`, or returns its status when it holds an error.
#define TASKGATE_ASSIGN_OR_RETURN(lhs, expr) \
  TASKGATE_ASSIGN_OR_RETURN_IMPL_(           \
      TASKGATE_STATUS_CONCAT_(_tg_statusor_, __LINE__), lhs, expr)

#define TASKGATE_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  if (!statusor.ok()) {                                      \
    return std::move(statusor).status();                     \
  }                                                          \
  lhs = *std::move(statusor)

#endif  // TASKGATE_COMMON_STATUS_MACROS_H_
