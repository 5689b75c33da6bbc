// Propagation helpers for absl::Status / absl::StatusOr.
//
// Abseil 20220623 ships neither ABSL_RETURN_IF_ERROR nor ASSIGN_OR_RETURN, so zcwrap keeps these
// two:
//
//   ZC_RETURN_IF_ERROR(WriteAll(fd, data));
//   ZC_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
//
// Both evaluate their expression exactly once and return the error unchanged.
#ifndef ZCWRAP_CACHECORE_UTIL_STATUS_MACROS_H_
#define ZCWRAP_CACHECORE_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ZC_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status zc_status_ = (expr);      \
    if (!zc_status_.ok()) return zc_status_; \
  } while (false)

#define ZC_STATUS_CONCAT_INNER_(a, b) a##b
#define ZC_STATUS_CONCAT_(a, b) ZC_STATUS_CONCAT_INNER_(a, b)

#define ZC_ASSIGN_OR_RETURN(lhs, expr) \
  ZC_ASSIGN_OR_RETURN_IMPL_(ZC_STATUS_CONCAT_(zc_statusor_, __LINE__), lhs, expr)

#define ZC_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                              \
  if (!var.ok()) return std::move(var).status();  \
  lhs = std::move(var).value()

#endif  // ZCWRAP_CACHECORE_UTIL_STATUS_MACROS_H_
