// Where the daemon for a cache directory listens, and the checks that make that place safe.
//
//   absl::StatusOr<zc::daemon::Endpoint> ep = zc::daemon::EndpointFor(cache_dir, env);
//   ep->socket_path   // $XDG_RUNTIME_DIR/zcwrap/d1-<hash>.sock or /tmp/zcwrap-<uid>/d1-<hash>.sock
//
// One endpoint per cache directory and per protocol version (both are in the name). The
// directory is created 0700 and must be owned by the current user and not writable by anyone
// else; otherwise FailedPrecondition, and callers do without the daemon.
#ifndef ZCWRAP_CACHECORE_DAEMON_ENDPOINT_H_
#define ZCWRAP_CACHECORE_DAEMON_ENDPOINT_H_

#include <string>

#include "absl/status/statusor.h"
#include "cachecore/config/config.h"

namespace zc::daemon {

struct Endpoint {
  std::string dir;          // the private runtime directory
  std::string socket_path;  // the Unix-domain socket
  std::string lock_path;    // taken by whoever starts the daemon (single-flight)
  std::string log_path;     // the daemon's own messages
  std::string failed_path;  // touched when a start failed: clients do not retry for a minute
};

absl::StatusOr<Endpoint> EndpointFor(const std::string& cache_dir, const config::EnvLookup& env);

}  // namespace zc::daemon

#endif  // ZCWRAP_CACHECORE_DAEMON_ENDPOINT_H_
