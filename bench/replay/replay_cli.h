// The zc_replay program: replays a compilation database through compiler-cache backends and
// reports wall time, CPU time, hits, failures, spawns and IPC round trips per compile.
//
//   zc_replay --backend plain,zcwrap-off,ccache -j 2 --mode both build/compile_commands.json
//   zc_replay --backend all --json --cache-dir /tmp/caches db.json > results.jsonl
//
// Exit codes: 0 every compile succeeded; 1 a compile failed or a backend failed during the run
// (the rest still runs); 2 bad usage or input (unknown option or backend, missing or malformed
// database, a tool not found, a busy database), with a one-line message; 130 interrupted (SIGINT
// or SIGTERM: running compiles finish, servers are stopped).
//
// ReplayMain is the only place where errors become exit codes and messages.
#ifndef ZCWRAP_BENCH_REPLAY_REPLAY_CLI_H_
#define ZCWRAP_BENCH_REPLAY_REPLAY_CLI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace zc::bench {

enum class ReplayMode { kCold, kWarm, kBoth };

struct CliOptions {
  std::string database;               // the compile_commands.json
  std::vector<std::string> backends;  // known names, in the order given, no duplicates
  int jobs = 1;                       // -j; default: the number of CPUs
  std::string cache_dir;              // default: ${TMPDIR:-/tmp}/zc_replay-cache
  ReplayMode mode = ReplayMode::kBoth;
  std::string zcwrap;  // --zcwrap; "" : $ZCWRAP_BIN, else zcwrap on PATH
  int rounds = 1;
  bool json = false;
  std::string label;  // --label; default: the database path
  bool help = false;
};

// Parses the arguments after argv[0]. Options take their value as the next argument or after '='
// (-j also as -jN); --backend takes a comma-separated list, may be repeated, and accepts "all".
// Defaults: --backend plain, -j <CPUs>, --mode both, --rounds 1. InvalidArgument for an unknown
// option or backend, a missing or bad value, or not exactly one database (unless --help).
absl::StatusOr<CliOptions> ParseCommandLine(const std::vector<std::string>& args);

// The usage text (ends with a newline).
std::string Usage();

int ReplayMain(int argc, char** argv);

}  // namespace zc::bench

#endif  // ZCWRAP_BENCH_REPLAY_REPLAY_CLI_H_
