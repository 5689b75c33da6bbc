// Entry encode/decode cost by zstd level on a real object file with debug info. This is the
// measurement behind kDefaultCompressionLevel (docs/perf.md): counters report the ratio.
#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "cachecore/store/entry_format.h"

namespace {

zc::store::Entry MakeEntry(size_t size) {
  zc::store::Entry e;
  e.Add(zc::store::PayloadKind::kObject, zc::bench::ObjectLikeBytes(size));
  e.Add(zc::store::PayloadKind::kStderr, "a.cc:3:7: warning: unused variable 'x'\n");
  e.SetExitCode(0);
  return e;
}

// The levels worth comparing: none, zstd's fast -1, the default 1, and up to the maximum.
void CompressionLevels(benchmark::internal::Benchmark* b) {
  for (int level : {0, -1, 1, 3, 6, 19}) b->Arg(level);
}

void BM_EncodeEntry(benchmark::State& state) {
  const int level = static_cast<int>(state.range(0));
  const zc::store::Entry entry = MakeEntry(zc::bench::RealisticObject().size());
  size_t encoded_size = 0;
  for (auto _ : state) {
    auto file = zc::store::EncodeEntry(entry, level);
    encoded_size = file->size();
    benchmark::DoNotOptimize(file);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(entry.DataSize()));
  state.counters["ratio"] =
      static_cast<double>(entry.DataSize()) / static_cast<double>(encoded_size);
  state.counters["object_bytes"] = static_cast<double>(entry.DataSize());
}
BENCHMARK(BM_EncodeEntry)->Apply(CompressionLevels)->Unit(benchmark::kMicrosecond);

void BM_DecodeEntry(benchmark::State& state) {
  const int level = static_cast<int>(state.range(0));
  const zc::store::Entry entry = MakeEntry(zc::bench::RealisticObject().size());
  const std::string file = *zc::store::EncodeEntry(entry, level);
  for (auto _ : state) {
    benchmark::DoNotOptimize(zc::store::DecodeEntry(file));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(entry.DataSize()));
}
BENCHMARK(BM_DecodeEntry)->Apply(CompressionLevels)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
