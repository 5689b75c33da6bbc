// One replay: every command of a compilation database through one backend, by N worker threads
// (each runs one compile at a time), timed, with the CPU it cost and what the cache did.
//
//   ReplaySettings settings{.jobs = 2, .cold = true, .marker_token = token};
//   absl::StatusOr<ReplayStats> stats = Replay(*backend, commands, settings);
//
// The timed part is the worker pool only: Backend::Prepare (emptying the cache, starting a server)
// and the reading of the tool's counters happen before and after it.
//
// CPU time = user + system time of this process's reaped children over the pool's run
// (getrusage(RUSAGE_CHILDREN)), + that of the backend's servers (processes carrying the marker,
// see server_cpu.h), + this process's own for in-process backends (the shim).
#ifndef ZCWRAP_BENCH_REPLAY_REPLAYER_H_
#define ZCWRAP_BENCH_REPLAY_REPLAYER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/replay/backend.h"
#include "bench/replay/compile_db.h"

namespace zc::bench {

struct ReplaySettings {
  int jobs = 1;              // worker threads, >= 1
  bool cold = false;         // passed to Backend::Prepare
  std::string marker_token;  // the kMarkerVariable value of the backend's processes
};

struct ReplayStats {
  size_t compiles = 0;    // commands replayed
  uint64_t hits = 0;      // served from the cache (the backend's per-compile answer or counters)
  uint64_t failures = 0;  // non-zero exit codes, and commands that could not be run at all
  double wall_seconds = 0;
  double cpu_seconds = 0;           // the total described above
  double cpu_children_seconds = 0;  // its parts
  double cpu_server_seconds = 0;
  double cpu_self_seconds = 0;    // measured always, added to the total for in-process backends
  double spawns_per_compile = 0;  // per BackendInfo::counting
  double round_trips_per_compile = 0;
  bool round_trips_measured = false;  // from the server's counters, not BackendInfo's model
  // The first few failures, one line each: "<file>: exit <N>: <first line of stderr>".
  std::vector<std::string> failure_samples;
};

// Replays `commands` through `backend` (Prepare(settings.cold) first). An error if Prepare or the
// counters fail, or Cancelled if RequestStop was called; failed compiles are counted, not errors.
absl::StatusOr<ReplayStats> Replay(Backend& backend, const std::vector<CompileCommand>& commands,
                                   const ReplaySettings& settings);

// Makes running and later replays stop taking new commands (those running finish) and return
// Cancelled. Async-signal-safe: for SIGINT/SIGTERM handlers.
void RequestStop();
bool StopRequested();

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_REPLAY_REPLAYER_H_
