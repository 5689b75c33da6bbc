// A load test of the zcwrap daemon: many concurrent clients, a sustained run, one daemon.
//
//   ZCWRAP_BIN=build/wrapper/zcwrap build/tests/load/daemon_load --clients 64 --requests 100000
//
// It starts the real daemon (`zcwrap --daemon-run`, its messages in a log file) on a private
// cache and socket directory, primes the cache with one compile of a small C file, then runs
// `--clients` threads that together send `--requests` compiles through daemon::Client, built as
// zcwrap's daemon path builds them (wrapper/daemon_commands.cc CompileThroughDaemon), each thread
// writing its own object file. Every `--miss-every`th request (0: none) adds a new -D, so it
// misses. A warm-up phase of the same shape comes first; the daemon's RSS, open descriptors and
// stats counters are read after it and again at the end.
//
// Exit 0 only if: every reply was the expected verdict (hit, or miss for the -D ones) with exit
// code 0 and no output; every verified object (every `--verify-every`th; all of them by default
// when --requests <= 10000) equals the plain compiler's; the daemon has as many descriptors open
// at the end as after the warm-up; its RSS grew by at most `--max-rss-growth-mib` (negative: not
// checked, for sanitizer builds, whose allocators keep freed memory); the stats counted every hit
// and miss; and the daemon stopped cleanly with nothing in its log from a sanitizer. Each failed
// check is one line starting with "FAIL:". `--json FILE` writes the figures.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cachecore/config/config.h"
#include "cachecore/daemon/client.h"
#include "cachecore/daemon/endpoint.h"
#include "cachecore/daemon/protocol.h"
#include "cachecore/stats/counter.h"
#include "cachecore/stats/stats_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/process.h"
#include "cachecore/util/scoped_fd.h"

extern char** environ;

namespace zc::load {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  int clients = 64;
  int64_t requests = 100'000;
  int64_t warmup = -1;        // -1: max(10 per client, requests / 10)
  int64_t verify_every = -1;  // -1: 1 up to 10000 requests, else 100
  int64_t miss_every = 0;     // 0: only hits
  double max_rss_growth_mib = 8;
  std::string json_path;
  std::string compiler = "gcc";
};

constexpr const char* kUsage =
    "usage: daemon_load [--clients N] [--requests N] [--warmup N] [--verify-every N]\n"
    "                   [--miss-every N] [--max-rss-growth-mib X] [--compiler NAME] [--json FILE]\n"
    "       (ZCWRAP_BIN names the zcwrap binary)\n";

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    bool ok = true;
    if (flag == "--clients") {
      ok = absl::SimpleAtoi(value, &o->clients) && o->clients > 0;
    } else if (flag == "--requests") {
      ok = absl::SimpleAtoi(value, &o->requests) && o->requests > 0;
    } else if (flag == "--warmup") {
      ok = absl::SimpleAtoi(value, &o->warmup) && o->warmup >= 0;
    } else if (flag == "--verify-every") {
      ok = absl::SimpleAtoi(value, &o->verify_every) && o->verify_every > 0;
    } else if (flag == "--miss-every") {
      ok = absl::SimpleAtoi(value, &o->miss_every) && o->miss_every >= 0;
    } else if (flag == "--max-rss-growth-mib") {
      ok = absl::SimpleAtod(value, &o->max_rss_growth_mib);
    } else if (flag == "--compiler") {
      o->compiler = value;
    } else if (flag == "--json") {
      o->json_path = value;
    } else {
      ok = false;
    }
    if (!ok) return false;
  }
  if (o->warmup < 0) o->warmup = std::max<int64_t>(int64_t{10} * o->clients, o->requests / 10);
  if (o->verify_every < 0) o->verify_every = o->requests <= 10'000 ? 1 : 100;
  return true;
}

// Failed checks, one line each; the run's verdict.
class Checks {
 public:
  void Fail(const std::string& line) { Add(line, /*request=*/false); }
  // A broken daemon fails every request the same way: of the requests' failures only the first
  // few are printed.
  void FailRequest(const std::string& line) { Add(line, /*request=*/true); }
  int64_t failures() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }

 private:
  void Add(const std::string& line, bool request) {
    std::lock_guard<std::mutex> lock(mu_);
    ++failures_;
    if (request && ++request_failures_ > 20) {
      if (request_failures_ == 21) std::printf("FAIL: (further failed requests not printed)\n");
      return;
    }
    std::printf("FAIL: %s\n", line.c_str());
    std::fflush(stdout);
  }

  mutable std::mutex mu_;
  int64_t failures_ = 0;
  int64_t request_failures_ = 0;
};

std::string FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate = absl::StrCat(dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// The daemon's figures from /proc.
struct ProcessFigures {
  int64_t rss_kib = -1;
  int64_t fds = -1;
};

ProcessFigures ReadFigures(pid_t pid) {
  ProcessFigures f;
  absl::StatusOr<std::string> status =
      util::ReadFileToString(absl::StrCat("/proc/", pid, "/status"));
  if (status.ok()) {
    for (absl::string_view line : absl::StrSplit(*status, '\n')) {
      if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
      line = absl::StripAsciiWhitespace(line);
      absl::ConsumeSuffix(&line, " kB");
      if (!absl::SimpleAtoi(line, &f.rss_kib)) f.rss_kib = -1;
    }
  }
  if (DIR* d = ::opendir(absl::StrCat("/proc/", pid, "/fd").c_str())) {
    f.fds = 0;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++f.fds;
    }
    ::closedir(d);
  }
  return f;
}

// Once the last client has its answer, the daemon's connection threads still have to see the
// client close and close their end: wait until the descriptor count has been the same for 200 ms.
ProcessFigures SettledFigures(pid_t pid) {
  ProcessFigures last = ReadFigures(pid);
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  int same = 0;
  while (same < 20 && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ProcessFigures now = ReadFigures(pid);
    same = now.fds == last.fds ? same + 1 : 0;
    last = now;
  }
  return last;
}

stats::Snapshot ReadStats(const std::string& cache_dir, Checks* checks) {
  absl::StatusOr<std::unique_ptr<stats::StatsFile>> file =
      stats::StatsFile::Open(util::JoinPath(cache_dir, "stats"));
  if (!file.ok()) {
    checks->Fail(absl::StrCat("cannot read the stats: ", file.status().ToString()));
    return {};
  }
  return (*file)->Read();
}

struct Phase {
  int64_t requests = 0;
  int64_t misses = 0;
  double seconds = 0;
  std::vector<int64_t> latency_ns;  // sorted
};

class LoadTest {
 public:
  LoadTest(Options options, std::string zcwrap) : o_(std::move(options)), zcwrap_(zcwrap) {}
  ~LoadTest() {
    StopDaemon();
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }

  int Run();

 private:
  bool SetUp();
  bool StartDaemon();
  // False (and the failure reported, with the daemon's stderr) once the daemon has died.
  bool DaemonAlive();
  void StopDaemon();
  void CheckDaemonOutput();
  // Primes the cache, runs the warm-up and the measured phase, reports and checks.
  void Measure();
  daemon::CompileRequestMessage Request(int client, int64_t miss_serial) const;
  // Sends one request and checks the reply (and, when `verify`, the object). Returns its latency.
  int64_t SendOne(const daemon::Client& client, int thread, int64_t index, bool verify);
  Phase RunPhase(int64_t requests);
  void Report(const Phase& main, const ProcessFigures& before, const ProcessFigures& after,
              const stats::Snapshot& stats_before, const stats::Snapshot& stats_after);

  Options o_;
  std::string zcwrap_;
  std::string root_, cache_dir_, out_dir_, compiler_;
  std::vector<std::string> env_;  // the requests' environment (and the daemon's, plus sanitizers)
  std::optional<daemon::Endpoint> endpoint_;
  std::string plain_object_;
  pid_t daemon_pid_ = -1;
  int daemon_exit_ = -1;
  Checks checks_;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> miss_serial_{0};
};

bool LoadTest::SetUp() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp", "/zcwrap-load-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    checks_.Fail(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
    return false;
  }
  std::error_code ec;
  root_ = fs::canonical(pattern, ec).string();
  if (ec) root_ = pattern;
  cache_dir_ = root_ + "/cache";
  out_dir_ = root_ + "/out";
  const std::string run_dir = root_ + "/run";  // XDG_RUNTIME_DIR: the socket's private directory
  for (const std::string& d : {out_dir_, run_dir, root_ + "/home"}) fs::create_directories(d, ec);
  ::chmod(run_dir.c_str(), 0700);

  compiler_ = FindInPath(o_.compiler);
  if (compiler_.empty()) {
    checks_.Fail(absl::StrCat("no ", o_.compiler, " in PATH"));
    return false;
  }
  // A small translation unit with a local header and a system one: a direct-mode hit checks both.
  const std::string header = "#define LOAD_SCALE 3\nint load_twice(int x);\n";
  const std::string source =
      "#include <string.h>\n#include \"load.h\"\n"
      "int load_twice(int x) { return 2 * x; }\n"
      "int load_measure(const char* s) { return LOAD_SCALE * (int)strlen(s) + load_twice(1); }\n";
  for (const auto& [name, content] : {std::pair{"load.h", header}, std::pair{"load.c", source}}) {
    util::ScopedFd fd(::open((root_ + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    if (!fd.valid() || !util::WriteAll(fd.get(), content).ok()) {
      checks_.Fail(absl::StrCat("cannot write ", name));
      return false;
    }
  }

  const char* path = std::getenv("PATH");
  env_ = {absl::StrCat("PATH=", path != nullptr ? path : "/usr/bin:/bin"),
          absl::StrCat("HOME=", root_, "/home"), "LC_ALL=C", absl::StrCat("PWD=", root_),
          absl::StrCat("ZCWRAP_DIR=", cache_dir_), absl::StrCat("XDG_RUNTIME_DIR=", run_dir),
          "ZCWRAP_DAEMON=on",
          // An orphaned daemon (this program killed) goes away by itself.
          "ZCWRAP_DAEMON_IDLE_TIMEOUT=120"};
  if (tmp != nullptr && tmp[0] == '/') env_.push_back(absl::StrCat("TMPDIR=", tmp));
  absl::StatusOr<daemon::Endpoint> endpoint =
      daemon::EndpointFor(cache_dir_, config::ListEnv(env_));
  if (!endpoint.ok()) {
    checks_.Fail(absl::StrCat("no endpoint: ", endpoint.status().ToString()));
    return false;
  }
  endpoint_ = *endpoint;

  // The reference: the plain compiler's object.
  util::Command plain;
  plain.argv = {compiler_, "-c", "load.c", "-o", "plain.o"};
  plain.cwd = root_;
  plain.env = env_;
  absl::StatusOr<util::ProcessResult> ran = util::PosixProcessRunner().Run(plain);
  absl::StatusOr<std::string> object = util::ReadFileToString(root_ + "/plain.o");
  if (!ran.ok() || ran->exit_code != 0 || !object.ok()) {
    checks_.Fail("the plain compile failed");
    return false;
  }
  plain_object_ = *object;
  return true;
}

bool LoadTest::StartDaemon() {
  // The daemon's environment: the requests' one, plus the sanitizers' settings of this run.
  std::vector<std::string> env = env_;
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
    if (const char* v = std::getenv(name)) env.push_back(absl::StrCat(name, "=", v));
  }
  std::vector<char*> envp;
  for (std::string& kv : env) envp.push_back(kv.data());
  envp.push_back(nullptr);
  std::string arg0 = zcwrap_, arg1 = "--daemon-run";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  const std::string log = root_ + "/daemon.out";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int err = posix_spawn(&daemon_pid_, zcwrap_.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    daemon_pid_ = -1;
    checks_.Fail(absl::StrCat("cannot start ", zcwrap_, ": ", std::strerror(err)));
    return false;
  }
  // Sanitizer builds start slowly: give it 30 s to answer.
  const daemon::Client client(*endpoint_);
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < give_up) {
    if (client.Ping().ok()) return true;
    int status = 0;
    if (::waitpid(daemon_pid_, &status, WNOHANG) == daemon_pid_) {
      daemon_pid_ = -1;
      checks_.Fail(absl::StrCat("the daemon exited at start (status ", status, ")"));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  checks_.Fail("the daemon did not answer within 30 s");
  return false;
}

bool LoadTest::DaemonAlive() {
  int status = 0;
  if (daemon_pid_ <= 0 || ::waitpid(daemon_pid_, &status, WNOHANG) == 0) return daemon_pid_ > 0;
  daemon_pid_ = -1;
  daemon_exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  checks_.Fail(absl::StrCat("the daemon died during the run (exit status ", daemon_exit_, ")"));
  CheckDaemonOutput();
  return false;
}

void LoadTest::StopDaemon() {
  if (!DaemonAlive()) return;
  absl::Status st = daemon::Client(*endpoint_).Shutdown();
  if (!st.ok()) checks_.Fail(absl::StrCat("the daemon did not stop: ", st.ToString()));
  int status = 0;
  const auto give_up = Clock::now() + std::chrono::seconds(60);
  pid_t got = 0;
  while ((got = ::waitpid(daemon_pid_, &status, WNOHANG)) == 0 && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (got != daemon_pid_) {
    ::kill(daemon_pid_, SIGKILL);
    ::waitpid(daemon_pid_, &status, 0);
    checks_.Fail("the daemon was still running 60 s after the stop request: killed");
  }
  daemon_pid_ = -1;
  daemon_exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (daemon_exit_ != 0) checks_.Fail(absl::StrCat("the daemon exited with ", daemon_exit_));
  CheckDaemonOutput();
}

void LoadTest::CheckDaemonOutput() {
  // A sanitizer's report (the daemon's stderr) fails the run even when it did not end it.
  absl::StatusOr<std::string> out = util::ReadFileToString(root_ + "/daemon.out");
  if (out.ok() &&
      (absl::StrContains(*out, "Sanitizer") || absl::StrContains(*out, "runtime error"))) {
    checks_.Fail(absl::StrCat("the daemon's stderr has a sanitizer report:\n", *out));
  }
}

daemon::CompileRequestMessage LoadTest::Request(int client, int64_t miss_serial) const {
  // As CompileThroughDaemon builds it, with this program's controlled environment; no build id
  // (empty: not checked), since this is not the zcwrap binary the daemon runs.
  daemon::CompileRequestMessage request;
  request.argv = {compiler_, "-c", "load.c", "-o", absl::StrCat("out/c", client, ".o")};
  if (miss_serial >= 0) request.argv.push_back(absl::StrCat("-DLOAD_MISS=", miss_serial));
  request.cwd = root_;
  request.env = env_;
  request.stderr_is_tty = false;
  request.umask = 022;
  return request;
}

int64_t LoadTest::SendOne(const daemon::Client& client, int thread, int64_t index, bool verify) {
  const bool miss = o_.miss_every > 0 && index % o_.miss_every == o_.miss_every - 1;
  const daemon::CompileRequestMessage request =
      Request(thread, miss ? miss_serial_.fetch_add(1) : -1);
  const auto start = Clock::now();
  absl::StatusOr<daemon::CompileResponseMessage> r = client.Compile(request);
  const int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  const daemon::WireOutcome want = miss ? daemon::WireOutcome::kMiss : daemon::WireOutcome::kHit;
  if (!r.ok()) {
    checks_.FailRequest(absl::StrCat("request ", index, ": no verdict: ", r.status().ToString()));
  } else if (r->outcome != want || r->exit_code != 0 || !r->stdout_data.empty() ||
             !r->stderr_data.empty()) {
    checks_.FailRequest(absl::StrFormat(
        "request %d: outcome %d (want %d), reason %s, exit code %d, stdout \"%s\", stderr \"%s\"",
        index, static_cast<int>(r->outcome), static_cast<int>(want),
        stats::CounterName(static_cast<stats::Counter>(r->reason)), r->exit_code, r->stdout_data,
        r->stderr_data));
  } else if (verify) {
    absl::StatusOr<std::string> object =
        util::ReadFileToString(request.cwd + "/" + request.argv[4]);
    if (!object.ok() || *object != plain_object_) {
      checks_.FailRequest(absl::StrCat("request ", index, ": ", request.argv[4],
                                       " differs from the plain compiler's object"));
    }
  }
  return ns;
}

Phase LoadTest::RunPhase(int64_t requests) {
  Phase phase;
  phase.requests = requests;
  next_ = 0;
  done_ = 0;
  std::vector<std::vector<int64_t>> latencies(o_.clients);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o_.clients; ++t) {
    threads.emplace_back([this, t, requests, &latencies] {
      const daemon::Client client(*endpoint_);
      for (int64_t i; (i = next_.fetch_add(1)) < requests;) {
        latencies[t].push_back(SendOne(client, t, i, i % o_.verify_every == 0));
        ++done_;
      }
    });
  }
  // A daemon that stops answering would hang the clients: after 60 s without one answer, kill
  // it, so they fail and the run ends.
  int64_t last_done = -1;
  auto last_progress = Clock::now();
  while (done_ < requests) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (done_ != last_done) {
      last_done = done_;
      last_progress = Clock::now();
    } else if (Clock::now() - last_progress > std::chrono::seconds(60) && daemon_pid_ > 0) {
      checks_.Fail("no answer for 60 s: the daemon is killed");
      ::kill(daemon_pid_, SIGKILL);
      last_progress = Clock::now();
    }
  }
  for (std::thread& t : threads) t.join();
  phase.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (std::vector<int64_t>& l : latencies) {
    phase.latency_ns.insert(phase.latency_ns.end(), l.begin(), l.end());
  }
  std::sort(phase.latency_ns.begin(), phase.latency_ns.end());
  phase.misses = o_.miss_every > 0 ? requests / o_.miss_every : 0;
  return phase;
}

double Percentile(const std::vector<int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return 0;
  const size_t at = std::min(sorted_ns.size() - 1, static_cast<size_t>(p / 100 * sorted_ns.size()));
  return static_cast<double>(sorted_ns[at]) / 1e6;
}

void LoadTest::Report(const Phase& main, const ProcessFigures& before, const ProcessFigures& after,
                      const stats::Snapshot& stats_before, const stats::Snapshot& stats_after) {
  const double p50 = Percentile(main.latency_ns, 50), p90 = Percentile(main.latency_ns, 90),
               p99 = Percentile(main.latency_ns, 99), max = Percentile(main.latency_ns, 100);
  const double rate = main.requests / main.seconds;
  const double rss_growth_mib = static_cast<double>(after.rss_kib - before.rss_kib) / 1024;
  absl::PrintF("daemon_load: %d clients, %d requests (%d misses) in %.2f s: %.0f requests/s\n",
               o_.clients, main.requests, main.misses, main.seconds, rate);
  absl::PrintF("latency (ms): p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", p50, p90, p99, max);
  absl::PrintF("daemon after warm-up -> at the end: RSS %.1f -> %.1f MiB (%+.2f), fds %d -> %d\n",
               before.rss_kib / 1024.0, after.rss_kib / 1024.0, rss_growth_mib, before.fds,
               after.fds);
  std::string counted;
  for (const stats::CounterInfo& info : stats::AllCounters()) {
    const uint64_t delta = stats_after.Get(info.counter) - stats_before.Get(info.counter);
    if (delta != 0 && info.group != stats::CounterGroup::kInfo) {
      absl::StrAppend(&counted, " ", info.name, " +", delta);
    }
  }
  absl::PrintF("stats during the run:%s\n", counted);

  if (before.fds < 0 || after.fds != before.fds) {
    checks_.Fail(absl::StrCat("the daemon's open descriptors went from ", before.fds, " to ",
                              after.fds, " (must stay the same)"));
  }
  if (o_.max_rss_growth_mib >= 0 &&
      (before.rss_kib < 0 || rss_growth_mib > o_.max_rss_growth_mib)) {
    checks_.Fail(absl::StrFormat("the daemon's RSS grew by %.2f MiB (at most %.1f)", rss_growth_mib,
                                 o_.max_rss_growth_mib));
  }
  const auto delta = [&](stats::Counter c) { return stats_after.Get(c) - stats_before.Get(c); };
  const uint64_t hits =
      delta(stats::Counter::kDirectCacheHit) + delta(stats::Counter::kPreprocessedCacheHit);
  const uint64_t misses = delta(stats::Counter::kCacheMiss);
  if (hits != static_cast<uint64_t>(main.requests - main.misses) ||
      misses != static_cast<uint64_t>(main.misses)) {
    checks_.Fail(absl::StrCat("the stats counted ", hits, " hits and ", misses, " misses, not ",
                              main.requests - main.misses, " and ", main.misses));
  }

  if (!o_.json_path.empty()) {
    const std::string json = absl::StrFormat(
        "{\"clients\": %d, \"requests\": %d, \"misses\": %d, \"seconds\": %.3f, "
        "\"requests_per_s\": %.1f, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, "
        "\"max_ms\": %.3f, \"rss_kib_before\": %d, \"rss_kib_after\": %d, \"fds_before\": %d, "
        "\"fds_after\": %d, \"hits_counted\": %d, \"misses_counted\": %d, \"failures\": %d}\n",
        o_.clients, main.requests, main.misses, main.seconds, rate, p50, p90, p99, max,
        before.rss_kib, after.rss_kib, before.fds, after.fds, hits, misses, checks_.failures());
    util::ScopedFd fd(::open(o_.json_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid() || !util::WriteAll(fd.get(), json).ok()) {
      checks_.Fail(absl::StrCat("cannot write ", o_.json_path));
    }
  }
}

void LoadTest::Measure() {
  // Prime: a miss stores the result, the same compile again is a hit.
  const daemon::Client client(*endpoint_);
  for (daemon::WireOutcome want : {daemon::WireOutcome::kMiss, daemon::WireOutcome::kHit}) {
    absl::StatusOr<daemon::CompileResponseMessage> r = client.Compile(Request(0, -1));
    if (!r.ok() || r->outcome != want || r->exit_code != 0) {
      checks_.Fail(absl::StrCat(
          "priming: ", r.ok()
                           ? absl::StrCat("outcome ", static_cast<int>(r->outcome), ", exit code ",
                                          r->exit_code, ", stderr ", r->stderr_data)
                           : r.status().ToString()));
      return;
    }
  }
  RunPhase(o_.warmup);
  if (!DaemonAlive()) return;
  const ProcessFigures before = SettledFigures(daemon_pid_);
  const stats::Snapshot stats_before = ReadStats(cache_dir_, &checks_);

  const Phase measured = RunPhase(o_.requests);
  if (!DaemonAlive()) return;
  const ProcessFigures after = SettledFigures(daemon_pid_);
  const stats::Snapshot stats_after = ReadStats(cache_dir_, &checks_);
  Report(measured, before, after, stats_before, stats_after);
}

int LoadTest::Run() {
  if (SetUp() && StartDaemon()) Measure();
  StopDaemon();
  const int64_t failures = checks_.failures();
  if (failures == 0) {
    absl::PrintF("daemon_load: OK\n");
  } else {
    absl::PrintF("daemon_load: %d failed checks\n", failures);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace zc::load

int main(int argc, char** argv) {
  zc::load::Options options;
  if (!zc::load::ParseOptions(argc, argv, &options)) {
    std::fputs(zc::load::kUsage, stderr);
    return 2;
  }
  const char* bin = std::getenv("ZCWRAP_BIN");
  if (bin == nullptr || bin[0] == '\0') {
    std::fputs("daemon_load: ZCWRAP_BIN is not set (meson test sets it to the zcwrap binary)\n",
               stderr);
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  zc::load::LoadTest test(options, bin);
  return test.Run();
}
