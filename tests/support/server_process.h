// The process side of the real servers that tests start (remote_servers.h, compile_farms.h): a
// server binary as a child process in its own process group and its own temporary directory,
// with its output in a log, plus the small helpers those fixtures share (ports, files, TCP).
//
//   ZC_ASSIGN_OR_RETURN(std::unique_ptr<ServerProcess> process,
//                       ServerProcess::Create("redis-server"));   // NotFound if not installed
//   int port = 0;
//   ZC_RETURN_IF_ERROR(LaunchOnPort(*process, port, /*pick_port=*/true,
//                                   write_config_and_return_argv,   // (int port) -> argv
//                                   answers_on_port));              // () -> bool
//   process->Kill();  // a crash; Spawn() starts it again, the destructor stops it for good
//
// The child gets SIGKILL when the thread that spawned it dies (PR_SET_PDEATHSIG), so a test killed
// by a timeout leaves no server behind. The kernel clears that setting when a process changes its
// user (a daemon started as root that drops privileges: distccd, iceccd, icecc-scheduler) and a
// fork does not inherit it (a daemon's preforked workers): for such servers,
// ServerProcessOptions::watchdog adds a small watchdog process ("zc-watchdog" in ps) that SIGKILLs
// the server's process group when the test dies. Spawn servers from the test's own thread (or one
// that outlives them), never from a short-lived helper thread.
//
// Not thread-safe: use each object from one thread.
#ifndef ZCWRAP_TESTS_SUPPORT_SERVER_PROCESS_H_
#define ZCWRAP_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/util/scoped_fd.h"
#include "tests/support/temp_dir.h"

namespace zc::test {

// How a server process is run (a namespace-level struct: GCC rejects `Options options = {}` as a
// default argument for a nested struct with member initializers).
struct ServerProcessOptions {
  // Also run a watchdog (see the file comment): needed for servers that drop root privileges or
  // leave children behind when their leader dies. The watchdog is stopped, before the server is
  // reaped, by Stop() and Kill().
  bool watchdog = false;
  // How long WaitReady() waits for `ready`.
  std::chrono::seconds start_timeout{10};
};

// One server binary run as a child in its own process group, in its own temporary directory,
// with standard output and error appended to <dir>/server.log.
class ServerProcess {
 public:
  // `program_name` is looked up in PATH, then in the sbin directories (nginx and the compile farm
  // daemons live in /usr/sbin, which is not in a plain user's PATH on Debian). NotFound if missing.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Create(std::string program_name);
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Create(std::string program_name,
                                                               ServerProcessOptions options);
  ~ServerProcess();  // Stop()
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& dir() const { return dir_.path(); }
  std::string log_path() const { return dir_.Join("server.log"); }
  // The server's process (also its process group), or -1 while it is not running.
  pid_t pid() const { return pid_; }

  // "NAME=value" entries added to the test's environment (replacing variables of those names)
  // for the next Spawn()s.
  void set_env(std::vector<std::string> env) { env_ = std::move(env); }

  // Starts `argv` (argv[0] is only the name the server sees) in dir(), stopping a previous run.
  absl::Status Spawn(const std::vector<std::string>& argv);

  // Polls `ready` until it is true. On failure (the server exited, or it is still not ready after
  // the start timeout) the server is stopped and the error (Unavailable or DeadlineExceeded)
  // carries the end of its log.
  absl::Status WaitReady(const std::function<bool()>& ready);

  // The whole log, and what the server logged since the last Spawn() ("" if unreadable).
  std::string Log() const;
  std::string LogSinceSpawn() const;

  // The server failed to bind its port (someone took it after FreePort()).
  bool PortWasTaken() const;

  // Sends `signal` to the server's process group (SIGSTOP, SIGCONT, ...). Nothing if not running.
  void Signal(int signal);
  // SIGTERM to the group (with a SIGCONT, so that a stopped server gets it), SIGKILL after ~2 s;
  // then reaps the server. Safe to call when not running.
  void Stop();
  // The same with SIGKILL at once: a crash.
  void Kill();

 private:
  ServerProcess(std::string name, std::string program, ServerProcessOptions options);
  bool Exited(std::string* how);
  void Terminate(int signal);
  absl::Status SpawnWatchdog();
  void StopWatchdog();
  std::string LogTail() const;

  std::string name_;
  std::string program_;
  ServerProcessOptions options_;
  std::vector<std::string> env_;
  TempDir dir_;
  pid_t pid_ = -1;
  pid_t watchdog_pid_ = -1;
  size_t log_offset_ = 0;
};

// Starts a server that takes its port as a setting: `prepare(port)` writes its configuration and
// returns its argv, then `ready` is polled. With `pick_port`, tries fresh ports (FreePort()) while
// the chosen one turns out taken; otherwise `port` must stay the same (a restart).
absl::Status LaunchOnPort(
    ServerProcess& process, int& port, bool pick_port,
    const std::function<absl::StatusOr<std::vector<std::string>>(int)>& prepare,
    const std::function<bool()>& ready);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, read, closed). Another process
// may take it before it is used: LaunchOnPort() retries with a new port when that happens.
absl::StatusOr<int> FreePort();

// A connection to 127.0.0.1:`port` whose sends and receives time out after `timeout_ms`.
absl::StatusOr<util::ScopedFd> ConnectTcp(int port, int timeout_ms);
// The same for a Unix domain socket (InvalidArgument if `path` does not fit in sun_path).
absl::StatusOr<util::ScopedFd> ConnectUnix(const std::string& path, int timeout_ms);
absl::Status SendAll(int fd, absl::string_view data);
// Connects to 127.0.0.1:`port`, sends `request`, and returns everything the server sends until it
// closes the connection (for HTTP with "Connection: close", and line protocols ending in "quit").
absl::StatusOr<std::string> TcpExchange(int port, absl::string_view request, int timeout_ms);

absl::StatusOr<std::string> ReadWholeFile(const std::string& path);
absl::Status WriteWholeFile(const std::string& path, absl::string_view content);
// mkdir with `mode` (umask applies); an existing directory is fine.
absl::Status MakeDir(const std::string& path, mode_t mode = 0700);

}  // namespace zc::test

#endif  // ZCWRAP_TESTS_SUPPORT_SERVER_PROCESS_H_
