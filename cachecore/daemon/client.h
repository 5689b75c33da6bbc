// The client side of the daemon: what each zcwrap process does to use it.
//
//   zc::daemon::Client client(endpoint);
//   absl::StatusOr<zc::daemon::CompileResponseMessage> r = client.Compile(request);
//   if (!r.ok()) { compile in-process: the daemon gave no verdict }
//
// Starting is single-flight: EnsureRunning takes the endpoint's lock file, checks again that no
// daemon answers, starts `<zcwrap> --daemon-run` detached (which replaces a stale socket), and
// waits (at most 3 s) until it answers. The daemon reports through an inherited pipe (its
// number in ZCWRAP_DAEMON_READY_FD) once it listens, and a daemon that dies first ends that pipe,
// so a start that fails is known at once instead of after the whole wait. A failed start is
// remembered for a minute, so compiles do not each try a daemon that cannot start: they compile
// on their own at once. Many clients starting at once make exactly one daemon; the others wait
// on the lock and then connect.
#ifndef ZCWRAP_CACHECORE_DAEMON_CLIENT_H_
#define ZCWRAP_CACHECORE_DAEMON_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cachecore/daemon/endpoint.h"
#include "cachecore/daemon/protocol.h"

namespace zc::daemon {

class Client {
 public:
  // `build_id`: this client's build (util/build_id.h), sent with compiles and pings so that a
  // daemon of another build retires instead of serving it; empty: not checked.
  explicit Client(Endpoint endpoint, std::string build_id = "")
      : endpoint_(std::move(endpoint)), build_id_(std::move(build_id)) {}

  // One compile: connect, one request, one response. Unavailable if no daemon listens or it was
  // another build's (it retired: start one with EnsureRunning and send again); any other error
  // means the daemon gave no verdict.
  [[nodiscard]] absl::StatusOr<CompileResponseMessage> Compile(
      const CompileRequestMessage& request) const;
  // OK if a daemon of this client's build answers; Unavailable if none does, or one of another
  // build did (and retired).
  absl::Status Ping() const;
  // The daemon's status JSON.
  absl::StatusOr<std::string> Status() const;
  // Asks the daemon to finish in-flight work and exit, and waits (bounded) until it has.
  absl::Status Shutdown() const;

  // The daemon's end of the start-up report: write one byte to it once listening, then close it.
  static constexpr const char* kReadyFdVariable = "ZCWRAP_DAEMON_READY_FD";
  static constexpr int kReadyFd = 3;

  // Starts the daemon if none answers. `zcwrap_path` is the executable to run with
  // --daemon-run; `env` its environment (must name the cache directory).
  absl::Status EnsureRunning(const std::string& zcwrap_path,
                             const std::vector<std::string>& env) const;

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Endpoint endpoint_;
  std::string build_id_;
};

}  // namespace zc::daemon

#endif  // ZCWRAP_CACHECORE_DAEMON_CLIENT_H_
