#include "bench/replay/replay_cli.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/replay/backend.h"
#include "bench/replay/child_process.h"
#include "bench/replay/compile_db.h"
#include "bench/replay/replayer.h"
#include "bench/replay/report.h"
#include "bench/replay/server_cpu.h"
#include "cachecore/util/status_macros.h"

namespace zc::bench {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

// A file in the cache root saying zc_replay made it, so it may empty its subdirectories.
constexpr char kCacheRootMarker[] = ".zc_replay-cache";

absl::Status AddBackends(absl::string_view list, std::vector<std::string>& backends) {
  for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::vector<std::string> names;
    if (name == "all") {
      names = BackendNames();
    } else if (absl::c_linear_search(BackendNames(), name)) {
      names.emplace_back(name);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown backend '", name, "' (expected ",
                                                     absl::StrJoin(BackendNames(), ", "),
                                                     " or all)"));
    }
    for (std::string& n : names) {
      if (!absl::c_linear_search(backends, n)) backends.push_back(std::move(n));
    }
  }
  if (backends.empty()) return absl::InvalidArgumentError("--backend: empty list");
  return absl::OkStatus();
}

absl::StatusOr<int> PositiveInt(absl::string_view option, absl::string_view value) {
  int n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < 1 || n > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, ": expected a number from 1 to 1024, got '", value, "'"));
  }
  return n;
}

int DefaultJobs() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string DefaultCacheDir() {
  const char* tmp = std::getenv("TMPDIR");
  return absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/zc_replay-cache");
}

// Makes `root` a cache root of ours: created with the marker, or already holding it, or empty.
absl::Status ClaimCacheRoot(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--cache-dir ", root, ": ", ec.message()));
  const std::string marker = absl::StrCat(root, "/", kCacheRootMarker);
  if (fs::exists(marker, ec)) return absl::OkStatus();
  if (!fs::is_empty(root, ec) || ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cache-dir ", root, ": not empty and not made by zc_replay; refusing to empty it"));
  }
  int fd = open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(marker, ": ", std::strerror(errno)));
  }
  close(fd);
  return absl::OkStatus();
}

// Holds an exclusive flock on the database while it is replayed: two replays of one database
// would write the same outputs.
class DatabaseLock {
 public:
  ~DatabaseLock() {
    if (fd_ >= 0) close(fd_);
  }
  absl::Status Acquire(const std::string& path) {
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::strerror(errno)));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": another zc_replay is replaying this database"));
    }
    return absl::OkStatus();
  }

 private:
  int fd_ = -1;
};

absl::StatusOr<std::string> FindTool(absl::string_view name, const std::string& explicit_path,
                                     const char* env_variable) {
  std::string program = explicit_path;
  if (program.empty() && env_variable != nullptr) {
    const char* value = std::getenv(env_variable);
    if (value != nullptr) program = value;
  }
  if (program.empty()) program = std::string(name);
  const char* path = std::getenv("PATH");
  absl::StatusOr<std::string> found = FindProgram(program, path != nullptr ? path : "");
  if (!found.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " is needed by the chosen backends: ", found.status().message()));
  }
  return absl::StrContains(*found, '/') && found->front() != '/'
             ? absl::StrCat(std::filesystem::current_path().string(), "/", *found)
             : *found;
}

extern "C" void OnStopSignal(int) { RequestStop(); }

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool Uses(const CliOptions& options, absl::string_view prefix) {
  return absl::c_any_of(options.backends,
                        [&](const std::string& b) { return absl::StartsWith(b, prefix); });
}

// A build system creates the directories of its objects before compiling (CMake's Ninja generator
// at build time, not when it writes compile_commands.json); so does the replayer, untimed.
absl::Status CreateOutputDirectories(const std::vector<CompileCommand>& commands) {
  std::error_code ec;
  for (const CompileCommand& command : commands) {
    std::filesystem::path output = OutputPath(command);
    if (output.empty() || !output.has_parent_path()) continue;
    std::filesystem::create_directories(output.parent_path(), ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat(output.parent_path().string(), ": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

struct Plan {
  std::vector<CompileCommand> commands;
  BackendOptions backend_options;  // cache_dir and env are set per backend
};

// Everything that can be wrong with the input, checked before anything runs.
absl::StatusOr<Plan> PrepareRun(const CliOptions& options, DatabaseLock& lock) {
  Plan plan;
  ZC_ASSIGN_OR_RETURN(plan.commands, LoadCompileDatabase(options.database));
  if (plan.commands.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(options.database, ": no entries"));
  }
  ZC_RETURN_IF_ERROR(lock.Acquire(options.database));
  if (Uses(options, "zcwrap")) {
    ZC_ASSIGN_OR_RETURN(plan.backend_options.zcwrap_path,
                        FindTool("zcwrap", options.zcwrap, "ZCWRAP_BIN"));
  }
  if (Uses(options, "ccache")) {
    ZC_ASSIGN_OR_RETURN(plan.backend_options.ccache_path, FindTool("ccache", "", nullptr));
  }
  if (Uses(options, "sccache")) {
    ZC_ASSIGN_OR_RETURN(plan.backend_options.sccache_path, FindTool("sccache", "", nullptr));
  }
  ZC_RETURN_IF_ERROR(ClaimCacheRoot(options.cache_dir));
  ZC_RETURN_IF_ERROR(CreateOutputDirectories(plan.commands));
  return plan;
}

void Progress(absl::string_view line) {
  std::fprintf(stderr, "zc_replay: %.*s\n", static_cast<int>(line.size()), line.data());
}

// Every round and mode of one backend, then Finish. Appends its records (printing them as JSON
// when asked); returns kExitOk, kExitFailed or kExitInterrupted.
int ReplayOneBackend(Backend& backend, const std::string& token,
                     const std::vector<CompileCommand>& commands, const CliOptions& options,
                     std::vector<RunRecord>& records) {
  const std::string& name = backend.info().name;
  std::vector<RunRecord> mine;
  if (options.mode != ReplayMode::kWarm) mine.push_back({.mode = "cold"});
  if (options.mode != ReplayMode::kCold) mine.push_back({.mode = "warm"});
  for (RunRecord& record : mine) {
    record.project = options.label;
    record.backend = name;
    record.jobs = options.jobs;
    record.counting = backend.info().counting;
  }
  int exit_code = kExitOk;
  bool broken = false;  // the backend itself failed: no further replays
  for (int round = 1; round <= options.rounds && !broken; ++round) {
    for (RunRecord& record : mine) {
      ReplaySettings settings{
          .jobs = options.jobs, .cold = record.mode == "cold", .marker_token = token};
      absl::StatusOr<ReplayStats> stats = Replay(backend, commands, settings);
      if (!stats.ok()) {
        (void)backend.Finish();
        if (StopRequested()) {
          Progress("interrupted; servers stopped");
          return kExitInterrupted;
        }
        Progress(absl::StrCat(name, " ", record.mode, ": ", stats.status().message()));
        exit_code = kExitFailed;
        broken = true;
        break;
      }
      Progress(absl::StrFormat("%s %s round %d/%d: %.2f s wall, %d/%d hits, %d failed", name,
                               record.mode, round, options.rounds, stats->wall_seconds, stats->hits,
                               stats->compiles, stats->failures));
      if (stats->failures > 0) exit_code = kExitFailed;
      record.rounds.push_back(*std::move(stats));
    }
  }
  if (absl::Status finished = backend.Finish(); !finished.ok()) {
    Progress(absl::StrCat(name, ": stopping: ", finished.message()));
    exit_code = kExitFailed;
  }
  for (RunRecord& record : mine) {
    if (record.rounds.empty()) continue;
    if (options.json) std::printf("%s\n", FormatJson(record).c_str());
    records.push_back(std::move(record));
  }
  std::fflush(stdout);
  return exit_code;
}

}  // namespace

std::string Usage() {
  return absl::StrCat(
      "Usage: zc_replay [OPTIONS] COMPILE_COMMANDS_JSON\n"
      "Replays every command of a compilation database through compiler-cache backends.\n"
      "\n"
      "  --backend LIST     comma-separated, repeatable: ",
      absl::StrJoin(BackendNames(), ", "),
      ", all\n"
      "                     (default: plain)\n"
      "  -j, --jobs N       compiles at once (default: the number of CPUs)\n"
      "  --mode MODE        cold (empty cache), warm (the cache left by the previous run) or\n"
      "                     both (cold, then warm; default)\n"
      "  --cache-dir DIR    root of the backends' caches, one subdirectory each (default:\n"
      "                     $TMPDIR/zc_replay-cache); must be empty or made by zc_replay\n"
      "  --zcwrap PATH      the zcwrap binary (default: $ZCWRAP_BIN, else zcwrap on PATH)\n"
      "  --rounds N         replays per (backend, mode); times are medians (default: 1)\n"
      "  --json             one JSON object per (backend, mode) on stdout; the table goes to\n"
      "                     stderr\n"
      "  --label NAME       the project's name in the output (default: the database path)\n"
      "  -h, --help         this text\n"
      "\n"
      "Exit: 0 all compiles succeeded, 1 some failed, 2 bad usage or input, 130 interrupted.\n");
}

absl::StatusOr<CliOptions> ParseCommandLine(const std::vector<std::string>& args) {
  CliOptions options;
  options.jobs = DefaultJobs();
  options.cache_dir = DefaultCacheDir();
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_inline_value = false;
    if (absl::StartsWith(arg, "--") && absl::StrContains(arg, '=')) {
      size_t eq = arg.find('=');
      value = arg.substr(eq + 1);
      arg.resize(eq);
      has_inline_value = true;
    } else if (absl::StartsWith(arg, "-j") && arg.size() > 2) {
      value = arg.substr(2);
      arg = "-j";
      has_inline_value = true;
    }
    auto take_value = [&]() -> absl::StatusOr<std::string> {
      if (has_inline_value) return value;
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(arg + ": missing value");
      return args[++i];
    };
    auto no_value = [&]() -> absl::Status {
      return has_inline_value ? absl::InvalidArgumentError(arg + ": takes no value")
                              : absl::OkStatus();
    };

    if (arg == "-h" || arg == "--help") {
      ZC_RETURN_IF_ERROR(no_value());
      options.help = true;
    } else if (arg == "--backend") {
      ZC_ASSIGN_OR_RETURN(std::string list, take_value());
      ZC_RETURN_IF_ERROR(AddBackends(list, options.backends));
    } else if (arg == "-j" || arg == "--jobs") {
      ZC_ASSIGN_OR_RETURN(std::string n, take_value());
      ZC_ASSIGN_OR_RETURN(options.jobs, PositiveInt(arg, n));
    } else if (arg == "--rounds") {
      ZC_ASSIGN_OR_RETURN(std::string n, take_value());
      ZC_ASSIGN_OR_RETURN(options.rounds, PositiveInt(arg, n));
    } else if (arg == "--mode") {
      ZC_ASSIGN_OR_RETURN(std::string mode, take_value());
      if (mode == "cold") {
        options.mode = ReplayMode::kCold;
      } else if (mode == "warm") {
        options.mode = ReplayMode::kWarm;
      } else if (mode == "both") {
        options.mode = ReplayMode::kBoth;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--mode: expected cold, warm or both, got '", mode, "'"));
      }
    } else if (arg == "--cache-dir") {
      ZC_ASSIGN_OR_RETURN(options.cache_dir, take_value());
      if (options.cache_dir.empty()) return absl::InvalidArgumentError("--cache-dir: empty");
    } else if (arg == "--zcwrap") {
      ZC_ASSIGN_OR_RETURN(options.zcwrap, take_value());
      if (options.zcwrap.empty()) return absl::InvalidArgumentError("--zcwrap: empty");
    } else if (arg == "--label") {
      ZC_ASSIGN_OR_RETURN(options.label, take_value());
    } else if (arg == "--json") {
      ZC_RETURN_IF_ERROR(no_value());
      options.json = true;
    } else if (arg == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    } else if (absl::StartsWith(arg, "-") && arg != "-") {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", args[i], "'"));
    } else {
      positional.push_back(arg);
    }
  }
  if (options.help) return options;
  if (positional.size() != 1) {
    return absl::InvalidArgumentError(positional.empty()
                                          ? "no compilation database given (see --help)"
                                          : "more than one compilation database given");
  }
  options.database = positional[0];
  if (options.backends.empty()) options.backends.push_back("plain");
  if (options.label.empty()) options.label = options.database;
  return options;
}

int ReplayMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<CliOptions> options = ParseCommandLine(args);
  if (!options.ok()) {
    std::fprintf(stderr, "zc_replay: %s\n", std::string(options.status().message()).c_str());
    return kExitUsage;
  }
  if (options->help) {
    std::fputs(Usage().c_str(), stdout);
    return kExitOk;
  }
  DatabaseLock lock;
  absl::StatusOr<Plan> plan = PrepareRun(*options, lock);
  if (!plan.ok()) {
    std::fprintf(stderr, "zc_replay: %s\n", std::string(plan.status().message()).c_str());
    return kExitUsage;
  }
  InstallStopHandlers();
  Progress(absl::StrCat(options->label, ": ", plan->commands.size(), " commands, -j ",
                        options->jobs, ", cache root ", options->cache_dir));

  // Every backend is made before any runs, so an unavailable one is a usage error up front.
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<std::string> tokens;
  const Environment base_env = Environment::Current();
  for (const std::string& name : options->backends) {
    tokens.push_back(absl::StrCat(getpid(), "-", name));
    BackendOptions backend_options = plan->backend_options;
    backend_options.cache_dir = absl::StrCat(options->cache_dir, "/", name);
    backend_options.env = base_env.With(kMarkerVariable, tokens.back());
    absl::StatusOr<std::unique_ptr<Backend>> backend = MakeBackend(name, backend_options);
    if (!backend.ok()) {
      std::fprintf(stderr, "zc_replay: %s\n", std::string(backend.status().message()).c_str());
      return kExitUsage;
    }
    backends.push_back(*std::move(backend));
  }

  int exit_code = kExitOk;
  std::vector<RunRecord> records;
  for (size_t b = 0; b < backends.size(); ++b) {
    int code = ReplayOneBackend(*backends[b], tokens[b], plan->commands, *options, records);
    if (code == kExitInterrupted) return code;
    exit_code = std::max(exit_code, code);
  }
  if (!records.empty()) {
    std::fputs(FormatTable(records).c_str(), options->json ? stderr : stdout);
  }
  return exit_code;
}

}  // namespace zc::bench
