#include "bench/replay/replayer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bench/replay/server_cpu.h"
#include "cachecore/util/status_macros.h"

namespace zc::bench {
namespace {

constexpr size_t kFailureSamples = 5;

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

// A worker's anonymous file for its compiles' standard error, emptied before each compile.
class StderrFile {
 public:
  StderrFile() {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp", "/zc_replay-stderr-XXXXXX");
    fd_ = mkostemp(pattern.data(), O_CLOEXEC);
    if (fd_ >= 0) unlink(pattern.c_str());
  }
  ~StderrFile() {
    if (fd_ >= 0) close(fd_);
  }
  StderrFile(const StderrFile&) = delete;
  StderrFile& operator=(const StderrFile&) = delete;

  int fd() const { return fd_; }  // -1 if it could not be made: stderr then goes to /dev/null

  void Clear() {
    if (fd_ < 0) return;
    (void)!ftruncate(fd_, 0);
    lseek(fd_, 0, SEEK_SET);  // the child shares this file offset
  }

  // The start of what was written since Clear.
  std::string Head() const {
    if (fd_ < 0) return "";
    std::string text(4096, '\0');
    ssize_t n = pread(fd_, text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return text;
  }

 private:
  int fd_ = -1;
};

// The most telling line of a compiler's stderr: the first one saying "error", else the first.
std::string FirstErrorLine(absl::string_view diagnostics) {
  std::string first;
  for (absl::string_view line : absl::StrSplit(diagnostics, '\n', absl::SkipWhitespace())) {
    if (first.empty()) first = std::string(absl::StripAsciiWhitespace(line));
    if (absl::StrContains(line, "error")) return std::string(absl::StripAsciiWhitespace(line));
  }
  return first;
}

// What the workers share while the pool runs.
struct PoolState {
  const std::vector<CompileCommand>* commands = nullptr;
  Backend* backend = nullptr;
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> known_hits{0};
  std::atomic<bool> hits_known{false};
  std::mutex samples_mutex;
  std::vector<std::string> failure_samples;

  void AddSample(std::string sample) {
    std::lock_guard<std::mutex> lock(samples_mutex);
    if (failure_samples.size() < kFailureSamples) failure_samples.push_back(std::move(sample));
  }
};

void Work(PoolState& state) {
  StderrFile stderr_file;
  for (;;) {
    if (stop_requested.load(std::memory_order_relaxed)) return;
    size_t i = state.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= state.commands->size()) return;
    const CompileCommand& command = (*state.commands)[i];
    stderr_file.Clear();
    absl::StatusOr<CompileResult> result = state.backend->Compile(command, stderr_file.fd());
    if (!result.ok()) {
      state.failures.fetch_add(1, std::memory_order_relaxed);
      state.AddSample(absl::StrCat(command.file, ": not run: ", result.status().message()));
      continue;
    }
    if (result->hit.has_value()) {
      state.hits_known.store(true, std::memory_order_relaxed);
      if (*result->hit) state.known_hits.fetch_add(1, std::memory_order_relaxed);
    }
    if (result->exit_code != 0) {
      state.failures.fetch_add(1, std::memory_order_relaxed);
      std::string diagnostics =
          result->diagnostics.empty() ? stderr_file.Head() : std::move(result->diagnostics);
      state.AddSample(absl::StrCat(command.file, ": exit ", result->exit_code, ": ",
                                   FirstErrorLine(diagnostics)));
    }
  }
}

}  // namespace

void RequestStop() { stop_requested.store(true, std::memory_order_relaxed); }
bool StopRequested() { return stop_requested.load(std::memory_order_relaxed); }

absl::StatusOr<ReplayStats> Replay(Backend& backend, const std::vector<CompileCommand>& commands,
                                   const ReplaySettings& settings) {
  if (StopRequested()) return absl::CancelledError("interrupted");
  const BackendInfo& info = backend.info();
  ZC_RETURN_IF_ERROR(backend.Prepare(settings.cold));
  ZC_ASSIGN_OR_RETURN(std::optional<ToolCounters> before, backend.ReadCounters());

  PoolState state;
  state.commands = &commands;
  state.backend = &backend;
  const int jobs = std::max(1, settings.jobs);

  const double children_before = ChildrenCpuSeconds();
  const double self_before = SelfCpuSeconds();
  const double server_before = MarkedProcessesCpuSeconds(settings.marker_token);
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> workers;
    workers.reserve(static_cast<size_t>(jobs));
    for (int w = 0; w < jobs; ++w) workers.emplace_back([&state] { Work(state); });
  }
  const auto end = std::chrono::steady_clock::now();
  const double server_after = MarkedProcessesCpuSeconds(settings.marker_token);
  const double self_after = SelfCpuSeconds();
  const double children_after = ChildrenCpuSeconds();

  if (StopRequested()) return absl::CancelledError("interrupted");
  ZC_ASSIGN_OR_RETURN(std::optional<ToolCounters> after, backend.ReadCounters());

  ReplayStats stats;
  stats.compiles = commands.size();
  stats.failures = state.failures.load();
  stats.failure_samples = std::move(state.failure_samples);
  stats.wall_seconds = std::chrono::duration<double>(end - start).count();
  stats.cpu_children_seconds = children_after - children_before;
  stats.cpu_self_seconds = self_after - self_before;
  stats.cpu_server_seconds = std::max(0.0, server_after - server_before);
  stats.cpu_seconds = stats.cpu_children_seconds + stats.cpu_server_seconds +
                      (info.in_process ? stats.cpu_self_seconds : 0);

  const double compiles = std::max<double>(1, static_cast<double>(stats.compiles));
  uint64_t tool_spawns = 0;
  if (state.hits_known.load()) {
    stats.hits = state.known_hits.load();
    tool_spawns = stats.compiles - stats.hits;
  } else if (before.has_value() && after.has_value()) {
    stats.hits = after->hits - before->hits;
    tool_spawns = before->tool_spawns.has_value() && after->tool_spawns.has_value()
                      ? *after->tool_spawns - *before->tool_spawns
                      : stats.compiles - stats.hits;
  }
  stats.spawns_per_compile =
      info.own_spawns_per_compile + static_cast<double>(tool_spawns) / compiles;
  if (before.has_value() && after.has_value() && before->round_trips.has_value() &&
      after->round_trips.has_value()) {
    stats.round_trips_per_compile =
        static_cast<double>(*after->round_trips - *before->round_trips) / compiles;
    stats.round_trips_measured = true;
  } else {
    stats.round_trips_per_compile = info.round_trips_per_compile;
  }
  return stats;
}

}  // namespace zc::bench
