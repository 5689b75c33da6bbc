// Running child processes (the compiler, its preprocessor) behind a small interface, so the engine
// can be tested with a fake and every front door can choose how a compile is spawned.
//
//   zc::util::Command cmd{.argv = {"/usr/bin/gcc", "-c", "a.c"}, .cwd = "/src"};
//   absl::StatusOr<zc::util::ProcessResult> r = zc::util::PosixProcessRunner().Run(cmd);
//   // r->exit_code, r->stdout_data, r->stderr_data
//
// A Status error means the process could not be run at all (no such program, fork failure); a
// program that ran and failed is an OK result with a non-zero exit code.
#ifndef ZCWRAP_CACHECORE_UTIL_PROCESS_H_
#define ZCWRAP_CACHECORE_UTIL_PROCESS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::util {

struct Command {
  std::vector<std::string> argv;  // argv[0] is the program (a path, or a name searched in PATH)
  std::string cwd;                // empty: inherit
  // The whole environment as "NAME=value" strings; nullopt: inherit the caller's.
  std::optional<std::vector<std::string>> env;
  std::string stdin_data;  // fed to the child's standard input (empty: /dev/null)
  // Descriptors that become readable (data, end of file or hang-up) when the run must be
  // abandoned: the child's process group is killed (SIGKILL) and Run returns Cancelled. The
  // daemon passes the client's socket (a client that goes away cancels its compile); the shim
  // passes eventfds (the host's tokens, its own force shutdown).
  std::vector<int> cancel_fds;
  // Called with each chunk of output as it arrives (stream 1 or 2), on the calling thread, before
  // it is appended to the result. Empty: nothing is called.
  std::function<void(int stream, absl::string_view chunk)> on_output;
  // Kill the child (SIGKILL) if the thread that started it dies, e.g. a daemon killed with -9,
  // so an orphaned compiler can never race the client's own fallback compile on the same output.
  bool die_with_parent = false;
  // The file-creation mask for the child; -1: inherit ours. (The daemon runs compiles with its
  // client's umask, so outputs get the modes a plain compile would give them.)
  int umask = -1;
  // The command mostly runs elsewhere (a distributed compile's launcher): ProcessSlots keeps it
  // out of the local budget and runs at most `offload_limit` such commands at once (0: any
  // number). Other runners ignore both.
  bool offloaded = false;
  uint32_t offload_limit = 0;
};

struct ProcessResult {
  int exit_code = 0;  // the exit status, or 128 + signal number if it was killed
  std::string stdout_data;
  std::string stderr_data;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs `cmd` to completion, capturing its standard output and standard error. Cancelled if
  // one of `cmd.cancel_fds` fired (the child was killed and reaped).
  virtual absl::StatusOr<ProcessResult> Run(const Command& cmd) = 0;
};

// posix_spawn-based runner; reads both pipes with poll() so neither can fill up and deadlock.
// Thread-safe.
class PosixProcessRunner : public ProcessRunner {
 public:
  // With `children_die_with_parent`, every command runs as if Command::die_with_parent were set
  // (the daemon uses this).
  explicit PosixProcessRunner(bool children_die_with_parent = false)
      : children_die_with_parent_(children_die_with_parent) {}
  absl::StatusOr<ProcessResult> Run(const Command& cmd) override;

 private:
  bool children_die_with_parent_;
};

// True if one of `fds` is readable right now (a cancel fd has fired). Never blocks.
bool AnyReadable(const std::vector<int>& fds);

// Replaces the current process with `argv` (searched in PATH when argv[0] has no '/'), keeping its
// standard streams. Returns only on failure.
absl::Status ExecReplacingProcess(const std::vector<std::string>& argv);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_PROCESS_H_
