// The backends that spawn one process per compile: the plain compiler, and `<launcher> <compiler>
// args...` for zcwrap (daemon off or on), ccache and sccache. Each reads its tool's own counters
// through the tool's CLI and starts and stops the tool's server, if it has one.
//
// What their counts count (BackendInfo::counting says the same in the report):
//   plain          1 compiler driver per compile (its cc1/as children are not counted)
//   zcwrap-off     1 zcwrap + 1 compiler per non-hit (spawned on a miss, exec'd when uncacheable)
//   zcwrap-daemon  1 zcwrap client + 1 compiler per non-hit (the daemon's); round trips: the
//                  daemon's request count over the replay (measured)
//   ccache         1 ccache + 1 preprocessor per direct-mode miss + 1 compiler per miss
//   sccache        1 sccache client + 1 preprocessor per cacheable compile + 1 compiler per miss
//                  (the server's); round trips: the server's compile requests (measured)
// One-time probes (compiler identity, search directories) are not counted.
#ifndef ZCWRAP_BENCH_REPLAY_LAUNCHER_BACKEND_H_
#define ZCWRAP_BENCH_REPLAY_LAUNCHER_BACKEND_H_

#include <memory>

#include "bench/replay/backend.h"

namespace zc::bench {

std::unique_ptr<Backend> MakePlainBackend(const BackendOptions& options);
// `daemon`: ZCWRAP_DAEMON=on with a daemon started by Prepare; otherwise ZCWRAP_DAEMON=off.
std::unique_ptr<Backend> MakeZcwrapBackend(const BackendOptions& options, bool daemon);
std::unique_ptr<Backend> MakeCcacheBackend(const BackendOptions& options);
// The server listens on a free loopback port of its own (SCCACHE_SERVER_PORT), so a replay never
// talks to (or stops) a server that someone else started.
absl::StatusOr<std::unique_ptr<Backend>> MakeSccacheBackend(const BackendOptions& options);

// Counter parsers, exposed for tests. Each takes the tool's statistics output.
// `zcwrap --print-stats --json`: hits = direct_cache_hit + preprocessed_cache_hit.
absl::StatusOr<ToolCounters> ParseZcwrapStats(absl::string_view json_text);
// `ccache --print-stats`: hits = direct_cache_hit + preprocessed_cache_hit; tool spawns =
// direct_cache_miss (a preprocessor run each) + cache_miss (a compiler run each).
absl::StatusOr<ToolCounters> ParseCcacheStats(absl::string_view text);
// `sccache --show-stats --stats-format=json`: hits and misses summed over languages; tool spawns =
// hits + misses (a preprocessor run each) + misses + non_cacheable_compilations +
// requests_not_cacheable (a compiler run each); round trips = compile_requests.
absl::StatusOr<ToolCounters> ParseSccacheStats(absl::string_view json_text);

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_REPLAY_LAUNCHER_BACKEND_H_
