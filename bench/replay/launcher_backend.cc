#include "bench/replay/launcher_backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cachecore/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace zc::bench {
namespace {

using Json = nlohmann::json;

absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view what) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": malformed JSON: ", e.what()));
  }
}

// An unsigned member of `object`, 0 when absent or not a number.
uint64_t Count(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

// The sum of sccache's {"counts": {"C/C++": n, ...}} object.
uint64_t SumCounts(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return 0;
  auto counts = it->find("counts");
  if (counts == it->end() || !counts->is_object()) return 0;
  uint64_t sum = 0;
  for (const Json& n : *counts) {
    if (n.is_number_unsigned()) sum += n.get<uint64_t>();
  }
  return sum;
}

// Runs a management command of a tool; its standard output, or an error with its stderr.
absl::StatusOr<std::string> RunTool(const std::vector<std::string>& argv, const Environment& env) {
  ZC_ASSIGN_OR_RETURN(CapturedRun run, RunCapturing(argv, env));
  if (run.exit_code != 0) {
    std::string command = absl::StrJoin(argv, " ");
    absl::string_view detail = absl::StripAsciiWhitespace(run.stderr_data);
    return absl::InternalError(
        absl::StrCat(command, " exited with ", run.exit_code, detail.empty() ? "" : ": ", detail));
  }
  return std::move(run.stdout_data);
}

// A TCP port on 127.0.0.1 that was free a moment ago.
absl::StatusOr<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("finding a free port: ", std::strerror(err)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// Spawns `launcher args...` (or just `args...` when launcher is empty) per compile.
class LauncherBackend : public Backend {
 public:
  LauncherBackend(BackendInfo info, std::string launcher, std::string cache_dir, Environment env)
      : info_(std::move(info)),
        launcher_(std::move(launcher)),
        cache_dir_(std::move(cache_dir)),
        env_(std::move(env)) {}

  const BackendInfo& info() const override { return info_; }

  absl::Status Prepare(bool cold) override {
    if (cold && !cache_dir_.empty()) return EmptyDirectory(cache_dir_);
    return absl::OkStatus();
  }

  absl::StatusOr<CompileResult> Compile(const CompileCommand& command, int stderr_fd) override {
    SpawnRequest request{.cwd = command.directory, .env = &env_, .stderr_fd = stderr_fd};
    request.argv.reserve(command.arguments.size() + 1);
    if (!launcher_.empty()) request.argv.push_back(launcher_);
    request.argv.insert(request.argv.end(), command.arguments.begin(), command.arguments.end());
    ZC_ASSIGN_OR_RETURN(int exit_code, SpawnAndWait(request));
    return CompileResult{.exit_code = exit_code};
  }

  absl::StatusOr<std::optional<ToolCounters>> ReadCounters() override { return std::nullopt; }

  absl::Status Finish() override { return absl::OkStatus(); }

 protected:
  const std::string& launcher() const { return launcher_; }
  const std::string& cache_dir() const { return cache_dir_; }
  const Environment& env() const { return env_; }

 private:
  BackendInfo info_;
  std::string launcher_;
  std::string cache_dir_;
  Environment env_;
};

class ZcwrapBackend : public LauncherBackend {
 public:
  ZcwrapBackend(const BackendOptions& options, bool daemon)
      : LauncherBackend(Info(daemon), options.zcwrap_path, options.cache_dir,
                        options.env.With("ZCWRAP_DIR", options.cache_dir)
                            .With("ZCWRAP_DAEMON", daemon ? "on" : "off")),
        daemon_(daemon) {}

  ~ZcwrapBackend() override { (void)Finish(); }

  absl::Status Prepare(bool cold) override {
    if (cold) {
      ZC_RETURN_IF_ERROR(Finish());
      ZC_RETURN_IF_ERROR(EmptyDirectory(cache_dir()));
    }
    if (daemon_ && !daemon_running_) {
      ZC_RETURN_IF_ERROR(RunTool({launcher(), "--daemon-start"}, env()).status());
      daemon_running_ = true;
      status_calls_ = 0;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<ToolCounters>> ReadCounters() override {
    ZC_ASSIGN_OR_RETURN(std::string json, RunTool({launcher(), "--print-stats", "--json"}, env()));
    ZC_ASSIGN_OR_RETURN(ToolCounters counters, ParseZcwrapStats(json));
    if (daemon_running_) {
      ZC_ASSIGN_OR_RETURN(std::string status_text,
                          RunTool({launcher(), "--daemon-status", "--json"}, env()));
      ++status_calls_;
      ZC_ASSIGN_OR_RETURN(Json status, ParseJson(status_text, "zcwrap --daemon-status --json"));
      // The daemon counts our own status requests too: leave them out.
      uint64_t requests = Count(status, "requests");
      counters.round_trips = requests >= status_calls_ ? requests - status_calls_ : 0;
    }
    return counters;
  }

  absl::Status Finish() override {
    if (!daemon_running_) return absl::OkStatus();
    daemon_running_ = false;
    return RunTool({launcher(), "--daemon-stop"}, env()).status();
  }

 private:
  static BackendInfo Info(bool daemon) {
    if (daemon) {
      return {.name = "zcwrap-daemon",
              .round_trips_per_compile = 1,
              .counting =
                  "1 zcwrap client per compile + 1 compiler (run by the daemon) per "
                  "non-hit; round trips: daemon requests per compile (measured)"};
    }
    return {.name = "zcwrap-off",
            .counting =
                "1 zcwrap per compile + 1 compiler per non-hit (spawned on a miss, "
                "exec'd when uncacheable); no IPC"};
  }

  bool daemon_;
  bool daemon_running_ = false;
  uint64_t status_calls_ = 0;
};

class CcacheBackend : public LauncherBackend {
 public:
  explicit CcacheBackend(const BackendOptions& options)
      : LauncherBackend({.name = "ccache",
                         .counting = "1 ccache per compile + 1 preprocessor per direct-mode miss "
                                     "+ 1 compiler per miss (ccache's counters); no IPC"},
                        options.ccache_path, options.cache_dir,
                        options.env.With("CCACHE_DIR", options.cache_dir)) {}

  absl::StatusOr<std::optional<ToolCounters>> ReadCounters() override {
    ZC_ASSIGN_OR_RETURN(std::string text, RunTool({launcher(), "--print-stats"}, env()));
    ZC_ASSIGN_OR_RETURN(ToolCounters counters, ParseCcacheStats(text));
    return counters;
  }
};

class SccacheBackend : public LauncherBackend {
 public:
  SccacheBackend(const BackendOptions& options, int port)
      : LauncherBackend(
            {.name = "sccache",
             .round_trips_per_compile = 1,
             .counting = "1 sccache client per compile + 1 preprocessor per cacheable compile + "
                         "1 compiler per miss (run by the server); round trips: server compile "
                         "requests per compile (measured)"},
            options.sccache_path, options.cache_dir,
            options.env.With("SCCACHE_DIR", options.cache_dir)
                .With("SCCACHE_SERVER_PORT", std::to_string(port))) {}

  ~SccacheBackend() override { (void)Finish(); }

  absl::Status Prepare(bool cold) override {
    if (cold) {
      ZC_RETURN_IF_ERROR(Finish());
      ZC_RETURN_IF_ERROR(EmptyDirectory(cache_dir()));
    }
    if (!server_running_) {
      ZC_RETURN_IF_ERROR(RunTool({launcher(), "--start-server"}, env()).status());
      server_running_ = true;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<ToolCounters>> ReadCounters() override {
    ZC_ASSIGN_OR_RETURN(std::string json,
                        RunTool({launcher(), "--show-stats", "--stats-format=json"}, env()));
    ZC_ASSIGN_OR_RETURN(ToolCounters counters, ParseSccacheStats(json));
    return counters;
  }

  absl::Status Finish() override {
    if (!server_running_) return absl::OkStatus();
    server_running_ = false;
    return RunTool({launcher(), "--stop-server"}, env()).status();
  }

 private:
  bool server_running_ = false;
};

}  // namespace

std::unique_ptr<Backend> MakePlainBackend(const BackendOptions& options) {
  return std::make_unique<LauncherBackend>(
      BackendInfo{.name = "plain",
                  .counting = "1 compiler driver per compile (its cc1/as children are not "
                              "counted); no IPC"},
      "", "", options.env);
}

std::unique_ptr<Backend> MakeZcwrapBackend(const BackendOptions& options, bool daemon) {
  return std::make_unique<ZcwrapBackend>(options, daemon);
}

std::unique_ptr<Backend> MakeCcacheBackend(const BackendOptions& options) {
  return std::make_unique<CcacheBackend>(options);
}

absl::StatusOr<std::unique_ptr<Backend>> MakeSccacheBackend(const BackendOptions& options) {
  ZC_ASSIGN_OR_RETURN(int port, FreeLoopbackPort());
  return std::make_unique<SccacheBackend>(options, port);
}

absl::StatusOr<ToolCounters> ParseZcwrapStats(absl::string_view json_text) {
  ZC_ASSIGN_OR_RETURN(Json stats, ParseJson(json_text, "zcwrap --print-stats --json"));
  if (!stats.is_object() || !stats.contains("direct_cache_hit")) {
    return absl::InvalidArgumentError("zcwrap --print-stats --json: no direct_cache_hit");
  }
  return ToolCounters{.hits = Count(stats, "direct_cache_hit") +
                              Count(stats, "preprocessed_cache_hit")};
}

absl::StatusOr<ToolCounters> ParseCcacheStats(absl::string_view text) {
  absl::flat_hash_map<std::string, uint64_t> counters;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(line, absl::MaxSplits('\t', 1));
    uint64_t value = 0;
    if (absl::SimpleAtoi(name_value.second, &value)) counters[name_value.first] = value;
  }
  if (!counters.contains("direct_cache_hit")) {
    return absl::InvalidArgumentError("ccache --print-stats: no direct_cache_hit line");
  }
  auto get = [&](const char* name) {
    auto it = counters.find(name);
    return it == counters.end() ? uint64_t{0} : it->second;
  };
  return ToolCounters{
      .hits = get("direct_cache_hit") + get("preprocessed_cache_hit"),
      .tool_spawns = get("direct_cache_miss") + get("cache_miss"),
  };
}

absl::StatusOr<ToolCounters> ParseSccacheStats(absl::string_view json_text) {
  ZC_ASSIGN_OR_RETURN(Json root, ParseJson(json_text, "sccache --show-stats"));
  auto stats = root.find("stats");
  if (!root.is_object() || stats == root.end() || !stats->is_object()) {
    return absl::InvalidArgumentError("sccache --show-stats: no \"stats\" object");
  }
  uint64_t hits = SumCounts(*stats, "cache_hits");
  uint64_t misses = SumCounts(*stats, "cache_misses");
  return ToolCounters{
      .hits = hits,
      .tool_spawns = hits + misses + misses + Count(*stats, "non_cacheable_compilations") +
                     Count(*stats, "requests_not_cacheable"),
      .round_trips = Count(*stats, "compile_requests"),
  };
}

}  // namespace zc::bench
