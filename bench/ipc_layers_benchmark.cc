// The cost of each layer between a build tool and a cache hit, measured on the same warm cache and
// the same compile (a C++ file including a dozen STL headers), in one run (issue 7):
//   (a) A_ShimHit              a direct call: zc_service_compile in this process (libzcshim)
//   (b) B_DaemonPing/Hit       one request/response on a persistent connection to the daemon
//   (c) C_ConnectPing/Hit      connect + one request/response (what each zcwrap process pays)
//   (d) D_ProcessHit*          a whole `zcwrap g++ -c` process per hit (spawn included), with and
//                              without the daemon, and `ccache g++` (direct mode) beside it
//   (e) E_SocketPingPong       the floor: a Unix-socket round trip between two processes with the
//                              compile request's and response's sizes; E_SpawnTrue: posix_spawn
//                              + wait of /bin/true
//   Payload sweep: A_ShimHitPayload and B_DaemonHitPayload with objects of 4 KiB ... 16 MiB.
// docs/perf.md derives (b)−(a), (d)−(a) and their ratios to (e) from one run of this program:
//
//   ZCWRAP_BIN=build/wrapper/zcwrap build/bench/ipc_layers_benchmark
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "cachecore/daemon/endpoint.h"
#include "cachecore/daemon/frame_io.h"
#include "cachecore/daemon/protocol.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "zcshim.h"

extern char** environ;

namespace {

using zc::daemon::FrameType;

bool ReadExactly(int fd, char* buf, size_t n) {
  while (n > 0) {
    const ssize_t got = ::read(fd, buf, n);
    if (got <= 0) {
      if (got < 0 && errno == EINTR) continue;
      return false;
    }
    buf += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// Runs `body` once per iteration, timing each one, and reports the per-iteration p50, p95 and p99
// (microseconds) as counters beside Google Benchmark's mean/median over repetitions. `body`
// returns false (after SkipWithError) to stop.
template <typename Body>
void TimedLoop(benchmark::State& state, Body&& body) {
  std::vector<double> micros;
  micros.reserve(1 << 14);
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (!body()) break;
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  auto at = [&micros](double q) {
    return micros[std::min(micros.size() - 1,
                           static_cast<size_t>(q * static_cast<double>(micros.size())))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p95_us"] = at(0.95);
  state.counters["p99_us"] = at(0.99);
}

// One prepared source: its file name, the compile's argv (after the compiler), and the caches
// warmed for it.
struct Work {
  std::string source;
  std::vector<std::string> args;  // e.g. -O2 -c hit.cc -o hit.o
};

// Everything the benchmarks share: one scratch dir, one zcwrap cache (used by the shim, the
// daemon and zcwrap processes alike: they are one cache), one ccache cache, the daemon, and a
// service. Built once, on first use.
class Fixture {
 public:
  static Fixture& Get() {
    static Fixture* f = new Fixture();  // torn down by atexit below
    return *f;
  }
  ~Fixture() {
    (void)zc::bench::RunQuietly({zc::bench::ZcwrapBinary(), "--daemon-stop"}, dir_, Env());
    if (service_ != nullptr) {
      zc_service_shutdown(service_, ZC_SHUTDOWN_GRACEFUL);
      zc_service_free(service_);
    }
    zc::bench::RemoveTree(dir_);
  }

  const std::string& dir() const { return dir_; }
  std::string cache() const { return dir_ + "/cache"; }
  std::vector<std::string> Env() const { return {"ZCWRAP_DIR=" + cache()}; }
  zc_service* service() const { return service_; }
  const std::string& error() const { return error_; }

  // The main compile, and one per payload size (bytes of .rodata in the object).
  const Work& Main() { return Prepared(0); }
  const Work& Payload(size_t bytes) { return Prepared(bytes); }

  // The daemon's socket, after it was started.
  const std::string& socket_path() const { return socket_path_; }

  // The daemon request for `work`, with our environment.
  std::string RequestPayload(const Work& work) const {
    zc::daemon::CompileRequestMessage m;
    m.argv.push_back(gxx_);
    m.argv.insert(m.argv.end(), work.args.begin(), work.args.end());
    m.cwd = dir_;
    for (char** e = environ; *e != nullptr; ++e) m.env.emplace_back(*e);
    m.env.push_back("ZCWRAP_DIR=" + cache());
    m.umask = 022;
    return zc::daemon::EncodeCompileRequest(m);
  }

 private:
  Fixture() : dir_(zc::bench::MakeScratchDir()) {
    gxx_ = "/usr/bin/g++";
    ::setenv("ZCWRAP_DIR", cache().c_str(), 1);  // so EndpointFor and the service agree
    zc_config config = ZC_CONFIG_INIT;
    const std::string root = cache();
    config.cache_root = root.c_str();
    config.host.product = "bench";
    config.host.instance_id = "ipc-layers";
    config.host.workspace_id = "scratch";
    if (zc_service_start(&config, &service_) != ZC_OK) error_ = zc_last_error();
    if (zc::bench::RunQuietly({zc::bench::ZcwrapBinary(), "--daemon-start"}, dir_, Env()) != 0)
      error_ = "cannot start the daemon";
    absl::StatusOr<zc::daemon::Endpoint> ep =
        zc::daemon::EndpointFor(cache(), [](absl::string_view name) -> std::optional<std::string> {
          const char* v = std::getenv(std::string(name).c_str());
          return v == nullptr ? std::nullopt : std::optional<std::string>(v);
        });
    if (ep.ok()) socket_path_ = ep->socket_path;
    std::atexit([] { delete &Get(); });
  }

  const Work& Prepared(size_t bytes) {
    auto it = work_.find(bytes);
    if (it != work_.end()) return it->second;
    Work w;
    std::string text;
    if (bytes == 0) {
      w.source = "hit.cc";
      text = zc::bench::kDozenStlHeadersSource;
    } else {
      w.source = absl::StrCat("payload", bytes, ".cc");
      // A const array with an initializer is stored whole in .rodata: the object is ~bytes.
      text = absl::StrCat("extern const unsigned char blob", bytes, "[", bytes, "] = {1, 2, 3};\n");
    }
    (void)zc::util::WriteFileAtomically(dir_ + "/" + w.source, text);
    const std::string object = w.source.substr(0, w.source.size() - 3) + ".o";
    w.args = {"-O2", "-c", w.source, "-o", object};
    // Store it, then let the inputs age past the racy window so hits trust stat signatures, and
    // warm every path once.
    std::vector<std::string> argv = {zc::bench::ZcwrapBinary(), "g++"};
    argv.insert(argv.end(), w.args.begin(), w.args.end());
    std::vector<std::string> off = Env();
    off.push_back("ZCWRAP_DAEMON=off");
    if (zc::bench::RunQuietly(argv, dir_, off) != 0) error_ = "warm-up compile failed";
    std::vector<std::string> ccache = {"ccache", "g++"};
    ccache.insert(ccache.end(), w.args.begin(), w.args.end());
    (void)zc::bench::RunQuietly(ccache, dir_,
                                {"CCACHE_DIR=" + dir_ + "/ccache", "CCACHE_DIRECT=1"});
    ::sleep(3);
    for (int i = 0; i < 2; ++i) {
      (void)zc::bench::RunQuietly(argv, dir_, off);
      (void)zc::bench::RunQuietly(ccache, dir_,
                                  {"CCACHE_DIR=" + dir_ + "/ccache", "CCACHE_DIRECT=1"});
    }
    return work_.emplace(bytes, std::move(w)).first->second;
  }

  std::string dir_;
  std::string gxx_;
  std::string error_;
  std::string socket_path_;
  zc_service* service_ = nullptr;
  std::map<size_t, Work> work_;
};

// ---- (a) direct call ----

void ShimHit(benchmark::State& state, const Work& work) {
  Fixture& f = Fixture::Get();
  if (!f.error().empty()) return state.SkipWithError(f.error().c_str());
  std::vector<std::string> argv = {"g++"};
  argv.insert(argv.end(), work.args.begin(), work.args.end());
  std::vector<const char*> args;
  for (const std::string& a : argv) args.push_back(a.c_str());
  const std::string cwd = f.dir();
  zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
  request.argv = args.data();
  request.argc = args.size();
  request.cwd = cwd.c_str();
  int64_t hits = 0;
  TimedLoop(state, [&] {
    zc_compile_result* r = nullptr;
    if (zc_service_compile(f.service(), &request, &r) != ZC_OK) {
      state.SkipWithError(zc_last_error());
      return false;
    }
    hits += r->outcome == ZC_OUTCOME_HIT;
    zc_compile_result_free(r);
    return true;
  });
  state.counters["hit_rate"] =
      benchmark::Counter(static_cast<double>(hits), benchmark::Counter::kAvgIterations);
}

void BM_A_ShimHit(benchmark::State& state) { ShimHit(state, Fixture::Get().Main()); }
BENCHMARK(BM_A_ShimHit)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

void BM_A_ShimHitPayload(benchmark::State& state) {
  const Work& w = Fixture::Get().Payload(static_cast<size_t>(state.range(0)));
  ShimHit(state, w);
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_A_ShimHitPayload)
    ->RangeMultiplier(16)
    ->Range(4 << 10, 16 << 20)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->MinTime(0.5);

// ---- (b) persistent connection, (c) connect per request ----

// One request/response on `fd`; false on any failure.
bool RoundTrip(int fd, FrameType type, const std::string& payload, bool* hit) {
  if (!zc::daemon::WriteFrame(fd, type, payload).ok()) return false;
  absl::StatusOr<zc::daemon::Frame> reply = zc::daemon::ReadFrame(fd, 10'000);
  if (!reply.ok()) return false;
  if (type == FrameType::kCompileRequest) {
    absl::StatusOr<zc::daemon::CompileResponseMessage> r =
        zc::daemon::DecodeCompileResponse(reply->payload);
    if (!r.ok()) return false;
    *hit = r->outcome == zc::daemon::WireOutcome::kHit;
  }
  return true;
}

void DaemonLoop(benchmark::State& state, FrameType type, const std::string& payload,
                bool persistent) {
  Fixture& f = Fixture::Get();
  if (!f.error().empty()) return state.SkipWithError(f.error().c_str());
  absl::StatusOr<zc::util::ScopedFd> conn;
  if (persistent) {
    conn = zc::daemon::ConnectUnix(f.socket_path());
    if (!conn.ok()) return state.SkipWithError("cannot connect to the daemon");
  }
  int64_t hits = 0;
  TimedLoop(state, [&] {
    bool hit = false;
    if (!persistent) {
      conn = zc::daemon::ConnectUnix(f.socket_path());
      if (!conn.ok()) {
        state.SkipWithError("cannot connect to the daemon");
        return false;
      }
    }
    if (!RoundTrip(conn->get(), type, payload, &hit)) {
      state.SkipWithError("round trip failed");
      return false;
    }
    hits += hit;
    return true;
  });
  if (type == FrameType::kCompileRequest) {
    state.counters["hit_rate"] =
        benchmark::Counter(static_cast<double>(hits), benchmark::Counter::kAvgIterations);
  }
  state.counters["request_bytes"] = static_cast<double>(payload.size());
}

void BM_B_DaemonPing(benchmark::State& state) {
  DaemonLoop(state, FrameType::kPing, "", /*persistent=*/true);
}
BENCHMARK(BM_B_DaemonPing)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

void BM_B_DaemonHit(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  DaemonLoop(state, FrameType::kCompileRequest, f.RequestPayload(f.Main()), /*persistent=*/true);
}
BENCHMARK(BM_B_DaemonHit)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

void BM_B_DaemonHitPayload(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  const Work& w = f.Payload(static_cast<size_t>(state.range(0)));
  DaemonLoop(state, FrameType::kCompileRequest, f.RequestPayload(w), /*persistent=*/true);
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_B_DaemonHitPayload)
    ->RangeMultiplier(16)
    ->Range(4 << 10, 16 << 20)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->MinTime(0.5);

void BM_C_ConnectPing(benchmark::State& state) {
  DaemonLoop(state, FrameType::kPing, "", /*persistent=*/false);
}
BENCHMARK(BM_C_ConnectPing)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

void BM_C_ConnectHit(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  DaemonLoop(state, FrameType::kCompileRequest, f.RequestPayload(f.Main()), /*persistent=*/false);
}
BENCHMARK(BM_C_ConnectHit)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

// ---- (d) a whole process per hit ----

void ProcessLoop(benchmark::State& state, std::vector<std::string> argv,
                 const std::vector<std::string>& env) {
  Fixture& f = Fixture::Get();
  if (!f.error().empty()) return state.SkipWithError(f.error().c_str());
  const Work& w = f.Main();
  argv.insert(argv.end(), w.args.begin(), w.args.end());
  TimedLoop(state, [&] {
    if (zc::bench::RunQuietly(argv, f.dir(), env) == 0) return true;
    state.SkipWithError("compile failed");
    return false;
  });
}

void BM_D_ProcessHitDaemon(benchmark::State& state) {
  std::vector<std::string> env = Fixture::Get().Env();
  env.push_back("ZCWRAP_DAEMON=on");
  ProcessLoop(state, {zc::bench::ZcwrapBinary(), "g++"}, env);
}
BENCHMARK(BM_D_ProcessHitDaemon)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

void BM_D_ProcessHitNoDaemon(benchmark::State& state) {
  std::vector<std::string> env = Fixture::Get().Env();
  env.push_back("ZCWRAP_DAEMON=off");
  ProcessLoop(state, {zc::bench::ZcwrapBinary(), "g++"}, env);
}
BENCHMARK(BM_D_ProcessHitNoDaemon)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

void BM_D_ProcessHitCcache(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  ProcessLoop(state, {"ccache", "g++"}, {"CCACHE_DIR=" + f.dir() + "/ccache", "CCACHE_DIRECT=1"});
}
BENCHMARK(BM_D_ProcessHitCcache)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

// ---- (e) the floor ----

// A child process echoing back `reply_size` bytes for every `request_size` bytes it reads.
void BM_E_SocketPingPong(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  const size_t request_size = f.RequestPayload(f.Main()).size() + zc::daemon::kFrameHeaderSize;
  const size_t reply_size = 64 + zc::daemon::kFrameHeaderSize;  // a hit's response, no output
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return state.SkipWithError("socketpair failed");
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(sv[0]);
    std::string in(request_size, '\0'), out(reply_size, 'r');
    for (;;) {
      if (!ReadExactly(sv[1], in.data(), in.size())) ::_exit(0);
      if (!zc::util::WriteAll(sv[1], out).ok()) ::_exit(0);
    }
  }
  ::close(sv[1]);
  std::string request(request_size, 'q'), reply(reply_size, '\0');
  TimedLoop(state, [&] {
    if (zc::util::WriteAll(sv[0], request).ok() && ReadExactly(sv[0], reply.data(), reply.size())) {
      return true;
    }
    state.SkipWithError("ping-pong failed");
    return false;
  });
  ::close(sv[0]);
  ::waitpid(child, nullptr, 0);
  state.counters["request_bytes"] = static_cast<double>(request_size);
}
BENCHMARK(BM_E_SocketPingPong)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

void BM_E_SpawnTrue(benchmark::State& state) {
  TimedLoop(state, [&] {
    if (zc::bench::RunQuietly({"/bin/true"}, "/", {}) == 0) return true;
    state.SkipWithError("/bin/true failed");
    return false;
  });
}
BENCHMARK(BM_E_SpawnTrue)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
