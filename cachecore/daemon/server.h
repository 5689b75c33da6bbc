// The zcwrap daemon: serves compiles for one cache directory over its Unix-domain socket, with
// the same Engine the in-process path uses (so both can share one cache directory at once).
//
//   ZC_ASSIGN_OR_RETURN(auto server, zc::daemon::Server::Start(options, std::move(engine)));
//   server->Run();   // returns after a shutdown request or the idle timeout, in-flight done
//
// Threads: one accept loop that never compiles, one thread per connection. The engine's runner
// limits how many compiler processes run at once (`max_parallel`, util/process_slots.h): a hit
// runs no process and never waits behind misses.
//
// The daemon follows its cache directory: before each compile it checks (one stat) that the
// directory is still the one its engine opened. When it was removed or replaced (`rm -rf` by a
// CI cleanup script), a new engine is made for the directory now there: memory tables dropped,
// the new stats file mapped, so the counters `zcwrap -s` reads stay exact. Compiles already
// running finish with the engine they started with. Every connection's peer uid must equal ours
// (SO_PEERCRED); a stranger is refused and logged. A client that disconnects cancels its compile
// (its socket is the compile's cancel descriptor).
#ifndef ZCWRAP_CACHECORE_DAEMON_SERVER_H_
#define ZCWRAP_CACHECORE_DAEMON_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "cachecore/compile/engine.h"
#include "cachecore/compile/front_door.h"
#include "cachecore/daemon/endpoint.h"
#include "cachecore/daemon/protocol.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::daemon {

// Makes the engine for the cache directory (opening or creating it). Called at start and
// whenever the directory was replaced.
using EngineFactory = std::function<absl::StatusOr<std::unique_ptr<compile::Engine>>()>;

struct ServerOptions {
  Endpoint endpoint;
  std::string cache_dir;
  int max_parallel = 2;  // compiler processes at once (the engine's runner); reported
  // Shut down after this long without a request (0: never); then each compile's settings
  // (daemon_idle_timeout) set it, so a changed zcwrap.conf applies without a restart.
  int idle_timeout_s = 900;
  // Reads the idle time (tests pass a fake, and check it often). Must outlive the server.
  const util::Clock* clock = &util::SystemClock();
  int idle_check_ms = 1000;  // the longest Run() waits before reading the clock again
  // This daemon's build (util/build_id.h). A compile or ping from a client of another build makes
  // it retire (daemon/protocol.h). Empty: never checked.
  std::string build_id;
};

class Server {
 public:
  // Makes the engine and binds the endpoint. A socket file nobody answers on is stale and
  // replaced; if another daemon answers, AlreadyExists.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options,
                                                                     EngineFactory make_engine);
  ~Server();

  void Run();
  // Stops accepting; Run() returns once in-flight requests are done. Thread-safe.
  void RequestStop();

  // JSON object with pid, version, uptime_s, requests, rss_bytes, in_flight, ...
  std::string StatusJson() const;
  // No request in flight and none for idle_timeout_s: Run() returns at its next check.
  bool IdleTimedOut() const;

 private:
  // An engine with the identity of the directory it opened.
  struct EngineForDir {
    std::shared_ptr<compile::Engine> engine;
    uint64_t dev = 0, ino = 0;
  };
  static absl::StatusOr<EngineForDir> MakeEngine(const EngineFactory& make_engine,
                                                 const std::string& cache_dir);
  Server(ServerOptions options, EngineFactory make_engine, EngineForDir engine,
         util::ScopedFd listener);
  // The engine for the cache directory as it is now (a new one if it was replaced).
  std::shared_ptr<compile::Engine> CurrentEngine();
  void Serve(util::ScopedFd conn);
  // The compile response; or, for a client of another build, the build id with *reply set to
  // kRetired.
  std::string HandleCompile(const std::string& payload, int conn_fd, FrameType* reply);
  // True (and the daemon retires: socket unlinked, stop requested) if `client_build` is another
  // build's.
  bool RetireIfOtherBuild(absl::string_view client_build);
  // Unlinks the socket path if it is still the file this daemon bound.
  void UnlinkOwnSocket();
  void Log(const std::string& line) const;
  // How long Run() may wait for a connection before it must check the idle time again.
  int NextIdleCheckMs() const;

  ServerOptions options_;
  EngineFactory make_engine_;
  compile::RequestSettings settings_;  // each client's settings, loaded once per distinct set
  mutable std::mutex engine_mu_;
  EngineForDir engine_;  // guarded by engine_mu_
  util::ScopedFd listener_;
  util::ScopedFd wake_read_, wake_write_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> retired_{false};
  std::atomic<int> idle_timeout_s_;
  uint64_t socket_dev_ = 0, socket_ino_ = 0;  // the socket file this daemon bound
  std::atomic<uint64_t> requests_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int64_t> last_activity_ns_{0};  // options_.clock's MonotonicNs
  int64_t started_ns_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  int connections_ = 0;  // guarded by mu_
};

}  // namespace zc::daemon

#endif  // ZCWRAP_CACHECORE_DAEMON_SERVER_H_
