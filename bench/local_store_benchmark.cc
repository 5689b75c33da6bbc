// LocalStore put/get latency by entry size (4 KiB .. 16 MiB), default compression.
#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "cachecore/compile/explain.h"
#include "cachecore/store/local_store.h"

namespace {

zc::store::Key KeyFor(int64_t i) { return zc::util::Sha256::Of("key-" + std::to_string(i)); }

zc::store::Entry MakeEntry(size_t size) {
  zc::store::Entry e;
  e.Add(zc::store::PayloadKind::kObject, zc::bench::ObjectLikeBytes(size));
  e.SetExitCode(0);
  return e;
}

std::unique_ptr<zc::store::LocalStore> OpenStore(const std::string& dir) {
  zc::store::StoreOptions options;
  options.root = dir;
  options.max_size = 0;  // no cleanup inside the measurement
  return std::move(*zc::store::LocalStore::Open(options));
}

void BM_StorePut(benchmark::State& state) {
  const std::string dir = zc::bench::MakeScratchDir();
  auto store = OpenStore(dir);
  const zc::store::Entry entry = MakeEntry(static_cast<size_t>(state.range(0)));
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store->Put(KeyFor(i++ % 64), entry));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  zc::bench::RemoveTree(dir);
}
BENCHMARK(BM_StorePut)
    ->Arg(4 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->Arg(16 << 20)
    ->Unit(benchmark::kMicrosecond);

void BM_StoreGetHit(benchmark::State& state) {
  const std::string dir = zc::bench::MakeScratchDir();
  auto store = OpenStore(dir);
  (void)store->Put(KeyFor(0), MakeEntry(static_cast<size_t>(state.range(0))));
  for (auto _ : state) {
    benchmark::DoNotOptimize(store->Get(KeyFor(0), zc::store::EntryType::kResult));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  zc::bench::RemoveTree(dir);
}
BENCHMARK(BM_StoreGetHit)
    ->Arg(4 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->Arg(16 << 20)
    ->Unit(benchmark::kMicrosecond);

void BM_StoreGetMiss(benchmark::State& state) {
  const std::string dir = zc::bench::MakeScratchDir();
  auto store = OpenStore(dir);
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store->Get(KeyFor(++i), zc::store::EntryType::kResult));
  }
  zc::bench::RemoveTree(dir);
}
BENCHMARK(BM_StoreGetMiss)->Unit(benchmark::kMicrosecond);

// What a miss adds for zcwrap --explain (compile/explain.h): read the object's previous record,
// compare, and store the new one (plus the name key's pointer). A record for a compile that read
// `range(0)` files with paths like a system header's.
void BM_ExplainRecordOnMiss(benchmark::State& state) {
  const std::string dir = zc::bench::MakeScratchDir();
  auto store = OpenStore(dir);
  zc::compile::ExplainRecord record;
  record.object = "/home/user/project/build/src/module/file.o";
  record.source = "../src/module/file.cc";
  record.cwd = "/home/user/project/build";
  record.argv = {"/usr/bin/g++", "-O2", "-g", "-c", "../src/module/file.cc", "-o", "file.o"};
  record.mode = "direct";
  record.compiler = zc::util::Sha256::Of("g++").ToHex();
  record.compiler_key = record.compiler;
  record.args = {"-O2", "-g", "-c"};
  for (int64_t i = 0; i < state.range(0); ++i) {
    record.files.emplace_back("/usr/include/c++/12/bits/header_" + std::to_string(i) + ".h",
                              zc::util::Sha256::Of(std::to_string(i)).ToHex());
  }
  (void)zc::compile::WriteExplainRecord(*store, record);
  for (auto _ : state) {
    std::optional<zc::compile::ExplainRecord> last =
        zc::compile::ReadExplainRecord(*store, record.object);
    benchmark::DoNotOptimize(zc::compile::CompareExplainRecords(*last, record));
    benchmark::DoNotOptimize(zc::compile::WriteExplainRecord(*store, record));
  }
  zc::bench::RemoveTree(dir);
}
BENCHMARK(BM_ExplainRecordOnMiss)->Arg(20)->Arg(250)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
