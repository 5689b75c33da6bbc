// The zcwrap daemon: serves compiles for one cache directory over its Unix-domain socket, with
// the same Engine the in-process path uses (so both can share one cache directory at once).
//
//   ZC_ASSIGN_OR_RETURN(auto server, zc::daemon::Server::Start(options, std::move(engine)));
//   server->Run();   // returns after a shutdown request or the idle timeout, in-flight done
//
// Threads: one accept loop that never compiles, one thread per connection; compiles beyond
// `max_parallel` wait for a slot. Every connection's peer uid must equal ours (SO_PEERCRED); a
// stranger is refused and logged. A client that disconnects cancels its compile (its socket is
// the compile's cancel descriptor).
#ifndef ZCWRAP_CACHECORE_DAEMON_SERVER_H_
#define ZCWRAP_CACHECORE_DAEMON_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "cachecore/compile/engine.h"
#include "cachecore/daemon/endpoint.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::daemon {

struct ServerOptions {
  Endpoint endpoint;
  std::string cache_dir;
  int max_parallel = 2;        // concurrent compiles; default: number of cores
  int idle_timeout_s = 900;    // shut down after this long without a request (0: never)
};

class Server {
 public:
  // Binds the endpoint. A socket file nobody answers on is stale and replaced; if another daemon
  // answers, AlreadyExists.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options,
                                                       std::unique_ptr<compile::Engine> engine);
  ~Server();

  void Run();
  // Stops accepting; Run() returns once in-flight requests are done. Thread-safe.
  void RequestStop();

  // JSON object with pid, version, uptime_s, requests, rss_bytes, in_flight, ...
  std::string StatusJson() const;

 private:
  Server(ServerOptions options, std::unique_ptr<compile::Engine> engine, util::ScopedFd listener);
  void Serve(util::ScopedFd conn);
  std::string HandleCompile(const std::string& payload, int conn_fd);
  void Log(const std::string& line) const;

  ServerOptions options_;
  std::unique_ptr<compile::Engine> engine_;
  util::ScopedFd listener_;
  util::ScopedFd wake_read_, wake_write_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int64_t> last_activity_s_{0};
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  std::mutex mu_;
  std::condition_variable cv_;
  int connections_ = 0;  // guarded by mu_
  int compiling_ = 0;    // guarded by mu_
};

}  // namespace zc::daemon

#endif  // ZCWRAP_CACHECORE_DAEMON_SERVER_H_
