// SHA-256 throughput (OpenSSL EVP) for the sizes the cache hashes: headers, sources, objects.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/bench_util.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_hash.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/sha256.h"

namespace {

void BM_Sha256OneShot(benchmark::State& state) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    benchmark::DoNotOptimize(zc::util::Sha256::Of(data));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256OneShot)->Arg(64)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20);

void BM_Sha256Incremental16K(benchmark::State& state) {
  const std::string block(16 << 10, 'y');
  const int64_t blocks = state.range(0) / static_cast<int64_t>(block.size());
  for (auto _ : state) {
    zc::util::Sha256 h;
    for (int64_t i = 0; i < blocks; ++i) h.Update(block);
    benchmark::DoNotOptimize(h.Finish());
  }
  state.SetBytesProcessed(state.iterations() * blocks * static_cast<int64_t>(block.size()));
}
BENCHMARK(BM_Sha256Incremental16K)->Arg(1 << 20)->Arg(16 << 20);

void BM_HashFile(benchmark::State& state) {
  const std::string dir = zc::bench::MakeScratchDir();
  const std::string path = dir + "/f";
  (void)zc::util::WriteFileAtomically(path, std::string(static_cast<size_t>(state.range(0)), 'z'));
  for (auto _ : state) {
    benchmark::DoNotOptimize(zc::util::HashFile(path));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  zc::bench::RemoveTree(dir);
}
BENCHMARK(BM_HashFile)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20);

}  // namespace

BENCHMARK_MAIN();
