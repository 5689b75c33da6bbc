// The ways zc_replay can run a compile: a backend per tool (plain compiler, zcwrap with and
// without its daemon, the in-process shim, ccache, sccache), behind one interface so the replayer
// times them all the same way.
//
//   absl::StatusOr<std::unique_ptr<Backend>> backend = MakeBackend("ccache", options);
//   (*backend)->Prepare(/*cold=*/true);        // empty its cache, start its server: untimed
//   ... (*backend)->Compile(command, fd) from many threads ...   // timed
//   (*backend)->ReadCounters();                // the tool's own statistics: untimed
//   (*backend)->Finish();                      // stop its server
//
// Names: plain, zcwrap-off (ZCWRAP_DAEMON=off), zcwrap-daemon (ZCWRAP_DAEMON=on, daemon started
// by Prepare and stopped by Finish), shim (libzcshim's zc_service_compile in this process), ccache,
// sccache (server started by Prepare on a port of its own, stopped by Finish).
#ifndef ZCWRAP_BENCH_REPLAY_BACKEND_H_
#define ZCWRAP_BENCH_REPLAY_BACKEND_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/replay/child_process.h"
#include "bench/replay/compile_db.h"

namespace zc::bench {

// What a backend is, for the report.
struct BackendInfo {
  std::string name;
  // Processes the replayer itself spawns per compile (1, or 0 for the in-process shim).
  int own_spawns_per_compile = 1;
  // True when compiles run inside this process (its own CPU time then counts as the backend's).
  bool in_process = false;
  // IPC round trips per compile when the backend cannot measure them (see ToolCounters).
  double round_trips_per_compile = 0;
  // One line saying what the spawn and round-trip counts count, printed beside the numbers.
  std::string counting;
};

struct CompileResult {
  int exit_code = 0;  // the compiler's (through the tool), 128 + N for signal N
  // Known per compile (the shim says hit or not); nullopt: hits come from ToolCounters.
  std::optional<bool> hit;
  // For a failed compile: what the compile wrote to its standard error, when the backend has it.
  std::string diagnostics;
};

// Cumulative counters of the tool, read before and after a replay; the differences are the
// replay's.
struct ToolCounters {
  uint64_t hits = 0;  // results served from the cache
  // Processes the tool started on its own (preprocessor, compiler); nullopt: one per non-hit.
  std::optional<uint64_t> tool_spawns;
  // Requests its server received (daemon or sccache server); nullopt: no server, or unknown.
  std::optional<uint64_t> round_trips;
};

struct BackendOptions {
  std::string cache_dir;     // this backend's own cache directory; Prepare(cold) empties it
  std::string zcwrap_path;   // absolute path of zcwrap (zcwrap-* backends)
  std::string ccache_path;   // absolute path of ccache (ccache backend)
  std::string sccache_path;  // absolute path of sccache (sccache backend)
  // The environment of every process the backend starts: the caller's, with kMarkerVariable set
  // (see server_cpu.h). The backend adds its own variables (ZCWRAP_DIR, CCACHE_DIR, ...).
  Environment env = Environment::Current();
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const BackendInfo& info() const = 0;

  // Before each replay (untimed). `cold`: stop the backend's server if it runs, empty the cache
  // directory; then (cold or warm) make sure the server runs. A warm replay keeps the cache and the
  // running server of the previous replay.
  [[nodiscard]] virtual absl::Status Prepare(bool cold) = 0;

  // Runs one compile; thread-safe. `stderr_fd` is an empty file owned by the calling worker for the
  // compile's standard error (standard output goes to /dev/null). An error only when the compile
  // could not be run at all (the compiler or the tool is missing); a compile that failed is an OK
  // result with its non-zero exit code.
  [[nodiscard]] virtual absl::StatusOr<CompileResult> Compile(const CompileCommand& command,
                                                              int stderr_fd) = 0;

  // The tool's counters now (untimed); nullopt when the backend has none (plain) or reports hits
  // per compile (shim).
  [[nodiscard]] virtual absl::StatusOr<std::optional<ToolCounters>> ReadCounters() = 0;

  // Stops what Prepare started. Idempotent; also done by the destructor, errors ignored there.
  [[nodiscard]] virtual absl::Status Finish() = 0;
};

// Every backend name, in the order of the report.
const std::vector<std::string>& BackendNames();

// The backend called `name`. InvalidArgument for an unknown name; Unimplemented for "shim" when
// zc_replay was built without libzcshim.
absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(absl::string_view name,
                                                     const BackendOptions& options);

// Removes everything inside `dir` and leaves it existing and empty (creating it and its parents
// if needed).
absl::Status EmptyDirectory(const std::string& dir);

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_REPLAY_BACKEND_H_
