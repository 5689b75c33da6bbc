// Starting child processes for zc_replay: one posix_spawn per call, with a given working
// directory, environment and standard streams, waited for before returning.
//
//   zc::bench::Environment env = zc::bench::Environment::Current().With("CCACHE_DIR", dir);
//   absl::StatusOr<int> code = zc::bench::SpawnAndWait(
//       {.argv = {"ccache", "gcc", "-c", "a.c"}, .cwd = "/src", .env = &env});
//
// Unlike cachecore's ProcessRunner, the children's output is not read through pipes: it goes to
// descriptors the caller chooses (by default /dev/null), so the replayer adds no copying of its
// own to what it measures. Every function is thread-safe.
#ifndef ZCWRAP_BENCH_REPLAY_CHILD_PROCESS_H_
#define ZCWRAP_BENCH_REPLAY_CHILD_PROCESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::bench {

// An immutable environment block ("NAME=value" strings) that can be handed to posix_spawn.
class Environment {
 public:
  // A copy of this process's environment.
  static Environment Current();

  // A copy with NAME set to `value` (replacing any earlier NAME), or removed.
  Environment With(absl::string_view name, absl::string_view value) const;
  Environment Without(absl::string_view name) const;

  // The NULL-terminated array for posix_spawn's envp; valid while this object lives unchanged.
  char* const* envp() const { return pointers_.data(); }
  const std::vector<std::string>& entries() const { return entries_; }

  Environment(const Environment& other) : Environment(other.entries_) {}
  Environment& operator=(const Environment& other);

 private:
  explicit Environment(std::vector<std::string> entries);
  void Index();

  std::vector<std::string> entries_;
  std::vector<char*> pointers_;
};

struct SpawnRequest {
  // argv[0] is the program: a path, or a name searched in this process's PATH.
  std::vector<std::string> argv;
  std::string cwd;                   // empty: this process's
  const Environment* env = nullptr;  // nullptr: this process's environment
  int stdout_fd = -1;                // -1: /dev/null
  int stderr_fd = -1;                // -1: /dev/null
};

// Runs the program to completion. Its exit status, or 128 + N if signal N killed it. An error
// (InvalidArgument, NotFound, Internal) if it could not be started at all.
absl::StatusOr<int> SpawnAndWait(const SpawnRequest& request);

struct CapturedRun {
  int exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
};

// Runs the program with its standard output and standard error captured (through temporary
// files). For short management commands (statistics, server start and stop), not for compiles.
absl::StatusOr<CapturedRun> RunCapturing(const std::vector<std::string>& argv,
                                         const Environment& env);

// The absolute path of `program` searched in `path_variable` (a PATH value), or NotFound.
// A name that contains '/' is checked as it is (it must be an executable file).
absl::StatusOr<std::string> FindProgram(absl::string_view program, absl::string_view path_variable);

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_REPLAY_CHILD_PROCESS_H_
