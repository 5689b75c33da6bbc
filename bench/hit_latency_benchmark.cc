// Whole-process cache-hit latency: one `zcwrap g++ -c` process per iteration (spawn included) on
// a C++ file including a dozen STL headers, in-process and through the daemon, side by side with
// `ccache g++` in direct mode, on warm caches. Report the ratios to ccache from one run
// (docs/perf.md).
//
//   ZCWRAP_BIN=build/wrapper/zcwrap build/bench/hit_latency_benchmark --benchmark_repetitions=5
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "cachecore/util/atomic_file.h"

namespace {

struct Fixture {
  std::string dir = zc::bench::MakeScratchDir();
  Fixture() {
    (void)zc::util::WriteFileAtomically(dir + "/hit.cc", zc::bench::kDozenStlHeadersSource);
  }
  ~Fixture() { zc::bench::RemoveTree(dir); }
};

Fixture& TheFixture() {
  static Fixture f;
  return f;
}

void HitLoop(benchmark::State& state, const std::vector<std::string>& argv,
             const std::vector<std::string>& env) {
  Fixture& f = TheFixture();
  // Warm: the first run stores, the next ones make sure the entry is trusted (files older than
  // the racy window) and the page cache is hot.
  for (int i = 0; i < 3; ++i) {
    if (zc::bench::RunQuietly(argv, f.dir, env) != 0) {
      state.SkipWithError("warm-up compile failed");
      return;
    }
  }
  sleep(3);
  for (int i = 0; i < 3; ++i) (void)zc::bench::RunQuietly(argv, f.dir, env);
  for (auto _ : state) {
    if (zc::bench::RunQuietly(argv, f.dir, env) != 0) {
      state.SkipWithError("compile failed");
      return;
    }
  }
}

void BM_ZcwrapHit(benchmark::State& state) {
  Fixture& f = TheFixture();
  HitLoop(state, {zc::bench::ZcwrapBinary(), "g++", "-O2", "-c", "hit.cc", "-o", "zc.o"},
          {"ZCWRAP_DIR=" + f.dir + "/zcwrap-cache", "ZCWRAP_DAEMON=off"});
}
BENCHMARK(BM_ZcwrapHit)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_ZcwrapDaemonHit(benchmark::State& state) {
  Fixture& f = TheFixture();
  const std::vector<std::string> env = {"ZCWRAP_DIR=" + f.dir + "/zcwrap-cache",
                                        "ZCWRAP_DAEMON=auto"};
  HitLoop(state, {zc::bench::ZcwrapBinary(), "g++", "-O2", "-c", "hit.cc", "-o", "zd.o"}, env);
  (void)zc::bench::RunQuietly({zc::bench::ZcwrapBinary(), "--daemon-stop"}, f.dir, env);
}
BENCHMARK(BM_ZcwrapDaemonHit)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_CcacheDirectHit(benchmark::State& state) {
  Fixture& f = TheFixture();
  HitLoop(state, {"ccache", "g++", "-O2", "-c", "hit.cc", "-o", "cc.o"},
          {"CCACHE_DIR=" + f.dir + "/ccache-cache", "CCACHE_DIRECT=1"});
}
BENCHMARK(BM_CcacheDirectHit)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
