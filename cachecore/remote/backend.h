// Backend: one remote tier's storage engine, reduced to what a cache needs: get and put a value
// by name. Implementations: file (a shared directory), http (WebDAV, bazel-remote, any server of
// ccache's layouts), s3 (SigV4-signed HTTP), redis. None of them is thread-safe: RemoteStorage
// keeps a pool, so a long-lived engine reuses their open connections.
//
//   std::unique_ptr<zc::remote::Backend> b = zc::remote::MakeBackend(spec);
//   absl::StatusOr<std::optional<std::string>> v = b->Get(name, /*max_size=*/64 << 20);
//
// `name` is 64 lowercase hex digits (remote_entry.h RemoteName). Errors say what kind of failure
// it was, for the counters and the circuit breaker:
//   DeadlineExceeded   the operation or the connection timed out
//   Unavailable        no connection (refused, reset, unknown host), a server error (5xx)
//   PermissionDenied   authentication refused (401/403, Redis WRONGPASS/NOAUTH)
//   ResourceExhausted  a value larger than max_size (Get stops reading at once)
//   FailedPrecondition the backend cannot run here (libcurl missing)
// Messages never hold a secret of the tier's spec.
#ifndef ZCWRAP_CACHECORE_REMOTE_BACKEND_H_
#define ZCWRAP_CACHECORE_REMOTE_BACKEND_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/remote/tier_spec.h"

namespace zc::remote {

class Backend {
 public:
  virtual ~Backend() = default;
  // The value under `name`, or nullopt when the tier has none.
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view name,
                                                         size_t max_size) = 0;
  // Stores `value` under `name` (replacing any).
  virtual absl::Status Put(absl::string_view name, absl::string_view value) = 0;
};

std::unique_ptr<Backend> MakeFileBackend(const TierSpec& spec);
std::unique_ptr<Backend> MakeHttpBackend(const TierSpec& spec);  // http, https and s3
std::unique_ptr<Backend> MakeRedisBackend(const TierSpec& spec);
// The backend for `spec.scheme`.
std::unique_ptr<Backend> MakeBackend(const TierSpec& spec);

}  // namespace zc::remote

#endif  // ZCWRAP_CACHECORE_REMOTE_BACKEND_H_
