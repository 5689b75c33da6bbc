#include "cachecore/stats/stats_file.h"

#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cachecore/util/byte_io.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace zc::stats {
namespace {

class StatsFileTest : public ::testing::Test {
 protected:
  std::unique_ptr<StatsFile> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<StatsFile>> stats = StatsFile::Open(path_);
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? std::move(*stats) : nullptr;
  }
  off_t FileSize() const {
    struct stat st;
    return ::stat(path_.c_str(), &st) == 0 ? st.st_size : -1;
  }

  test::TempDir dir_;
  const std::string path_ = dir_.Join("stats");
};

TEST_F(StatsFileTest, NewFileStartsAtZeroWithAValidHeader) {
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->path(), path_);
  const Snapshot snap = stats->Read();
  for (uint64_t v : snap.counters) EXPECT_EQ(v, 0u);
  EXPECT_EQ(snap.TotalBytes(), 0u);
  EXPECT_EQ(snap.TotalFiles(), 0u);
  for (const CounterInfo& info : AllCounters()) EXPECT_EQ(stats->Get(info.counter), 0u);

  EXPECT_EQ(FileSize(), static_cast<off_t>(StatsFile::kFileSize));
  const std::string content = test::ReadTestFile(path_);
  util::ByteReader r(content);
  absl::string_view magic;
  uint32_t version = 0, slots = 0;
  ASSERT_TRUE(r.Bytes(4, &magic) && r.U32(&version) && r.U32(&slots));
  EXPECT_EQ(magic, "ZCWS");
  EXPECT_EQ(version, StatsFile::kVersion);
  EXPECT_EQ(slots, StatsFile::kSlotCount);
}

TEST_F(StatsFileTest, IncrementAddsToOneCounterOnly) {
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  stats->Increment(Counter::kCacheMiss);
  stats->Increment(Counter::kCacheMiss);
  stats->Increment(Counter::kDirectCacheHit, 40);
  stats->Increment(Counter::kReadonlyMiss, 3);
  EXPECT_EQ(stats->Get(Counter::kCacheMiss), 2u);
  EXPECT_EQ(stats->Get(Counter::kDirectCacheHit), 40u);
  EXPECT_EQ(stats->Get(Counter::kReadonlyMiss), 3u);
  EXPECT_EQ(stats->Get(Counter::kPreprocessedCacheHit), 0u);
  const Snapshot snap = stats->Read();
  EXPECT_EQ(snap.Get(Counter::kCacheMiss), 2u);
  EXPECT_EQ(snap.Get(Counter::kDirectCacheHit), 40u);
  EXPECT_EQ(snap.TotalFiles(), 0u);
}

TEST_F(StatsFileTest, CountersPersistAcrossReopen) {
  {
    std::unique_ptr<StatsFile> stats = OpenOrDie();
    ASSERT_NE(stats, nullptr);
    stats->Increment(Counter::kCompileFailed, 7);
    stats->AddShardUsage(3, 1000, 2);
  }
  std::unique_ptr<StatsFile> again = OpenOrDie();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->Get(Counter::kCompileFailed), 7u);
  EXPECT_EQ(again->GetShardUsage(3).bytes, 1000u);
  EXPECT_EQ(again->GetShardUsage(3).files, 2u);
}

TEST_F(StatsFileTest, TwoOpenFilesInOneProcessShareTheCounters) {
  std::unique_ptr<StatsFile> a = OpenOrDie();
  std::unique_ptr<StatsFile> b = OpenOrDie();
  ASSERT_TRUE(a && b);
  a->Increment(Counter::kCacheMiss);
  b->Increment(Counter::kCacheMiss);
  EXPECT_EQ(a->Get(Counter::kCacheMiss), 2u);
  EXPECT_EQ(b->Get(Counter::kCacheMiss), 2u);
}

TEST_F(StatsFileTest, ZeroCountersKeepsShardTalliesAndRecordsWhen) {
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  stats->Increment(Counter::kCacheMiss, 5);
  stats->Increment(Counter::kDirectCacheHit, 9);
  stats->AddShardUsage(0, 4096, 1);
  stats->AddShardUsage(15, 8192, 3);
  const time_t before = std::time(nullptr);
  stats->ZeroCounters();
  const time_t after = std::time(nullptr);

  EXPECT_EQ(stats->Get(Counter::kCacheMiss), 0u);
  EXPECT_EQ(stats->Get(Counter::kDirectCacheHit), 0u);
  const uint64_t zeroed = stats->Get(Counter::kStatsZeroedTimestamp);
  EXPECT_GE(zeroed, static_cast<uint64_t>(before));
  EXPECT_LE(zeroed, static_cast<uint64_t>(after));
  EXPECT_EQ(stats->GetShardUsage(0).bytes, 4096u);
  EXPECT_EQ(stats->GetShardUsage(0).files, 1u);
  EXPECT_EQ(stats->GetShardUsage(15).bytes, 8192u);
  EXPECT_EQ(stats->Read().TotalFiles(), 4u);
}

TEST_F(StatsFileTest, TouchSetsTheUpdatedTimestamp) {
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  const time_t before = std::time(nullptr);
  stats->Touch();
  const uint64_t updated = stats->Get(Counter::kStatsUpdatedTimestamp);
  EXPECT_GE(updated, static_cast<uint64_t>(before));
  EXPECT_LE(updated, static_cast<uint64_t>(std::time(nullptr)));
}

TEST_F(StatsFileTest, AddShardUsageAcceptsNegativeAmounts) {
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  stats->AddShardUsage(5, 1000, 3);
  stats->AddShardUsage(5, -400, -1);
  EXPECT_EQ(stats->GetShardUsage(5).bytes, 600u);
  EXPECT_EQ(stats->GetShardUsage(5).files, 2u);
  stats->AddShardUsage(5, -600, -2);
  EXPECT_EQ(stats->GetShardUsage(5).bytes, 0u);
  EXPECT_EQ(stats->GetShardUsage(5).files, 0u);
}

TEST_F(StatsFileTest, ShardTallyDrivenBelowZeroReadsAsZeroAndRecovers) {
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  stats->AddShardUsage(2, -100, -1);
  EXPECT_EQ(stats->GetShardUsage(2).bytes, 0u);
  EXPECT_EQ(stats->GetShardUsage(2).files, 0u);
  EXPECT_EQ(stats->Read().TotalBytes(), 0u);
  stats->AddShardUsage(2, 150, 2);
  EXPECT_EQ(stats->GetShardUsage(2).bytes, 50u);
  EXPECT_EQ(stats->GetShardUsage(2).files, 1u);
}

TEST_F(StatsFileTest, ShardUsageOutOfRangeIsIgnored) {
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  stats->AddShardUsage(-1, 100, 1);
  stats->AddShardUsage(kShardCount, 100, 1);
  EXPECT_EQ(stats->GetShardUsage(-1).bytes, 0u);
  EXPECT_EQ(stats->GetShardUsage(kShardCount).bytes, 0u);
  const Snapshot snap = stats->Read();
  EXPECT_EQ(snap.TotalBytes(), 0u);
  EXPECT_EQ(snap.TotalFiles(), 0u);
  for (uint64_t v : snap.counters) EXPECT_EQ(v, 0u);
}

TEST_F(StatsFileTest, SnapshotTotalsSumEveryShard) {
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  for (int s = 0; s < kShardCount; ++s) stats->AddShardUsage(s, 100 * (s + 1), s + 1);
  const Snapshot snap = stats->Read();
  EXPECT_EQ(snap.TotalBytes(), 100u * 136);  // 100 * (1 + ... + 16)
  EXPECT_EQ(snap.TotalFiles(), 136u);
  EXPECT_EQ(snap.shards[4].bytes, 500u);

  stats->ZeroShardUsage();
  EXPECT_EQ(stats->Read().TotalBytes(), 0u);
  EXPECT_EQ(stats->Read().TotalFiles(), 0u);
}

TEST_F(StatsFileTest, ZeroShardUsageKeepsCounters) {
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  stats->Increment(Counter::kCacheMiss, 4);
  stats->AddShardUsage(1, 10, 1);
  stats->ZeroShardUsage();
  EXPECT_EQ(stats->Get(Counter::kCacheMiss), 4u);
  EXPECT_EQ(stats->GetShardUsage(1).bytes, 0u);
}

TEST_F(StatsFileTest, OpenInMissingDirectoryIsNotFound) {
  absl::StatusOr<std::unique_ptr<StatsFile>> stats = StatsFile::Open(dir_.Join("no/stats"));
  EXPECT_TRUE(absl::IsNotFound(stats.status())) << stats.status();
}

TEST_F(StatsFileTest, OpenLeavesNoTemporaryFiles) {
  ASSERT_NE(OpenOrDie(), nullptr);
  ASSERT_NE(OpenOrDie(), nullptr);
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "stats");
  }
  EXPECT_EQ(entries, 1);
}

// A valid file with counters in it, then damaged by `corrupt`.
struct Corruption {
  const char* name;
  void (*corrupt)(std::string* content);
};

class CorruptStatsFileTest : public StatsFileTest,
                             public ::testing::WithParamInterface<Corruption> {};

TEST_P(CorruptStatsFileTest, IsReplacedByAZeroedFile) {
  {
    std::unique_ptr<StatsFile> stats = OpenOrDie();
    ASSERT_NE(stats, nullptr);
    stats->Increment(Counter::kCacheMiss, 11);
  }
  std::string content = test::ReadTestFile(path_);
  GetParam().corrupt(&content);
  test::WriteTestFile(path_, content);

  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->Get(Counter::kCacheMiss), 0u);
  EXPECT_EQ(stats->Read().TotalBytes(), 0u);
  EXPECT_EQ(FileSize(), static_cast<off_t>(StatsFile::kFileSize));
  EXPECT_EQ(test::ReadTestFile(path_).substr(0, 4), "ZCWS");

  // The replacement is a working file.
  stats->Increment(Counter::kCacheMiss);
  stats.reset();
  std::unique_ptr<StatsFile> again = OpenOrDie();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->Get(Counter::kCacheMiss), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Corruptions, CorruptStatsFileTest,
    ::testing::Values(
        Corruption{"WrongMagic", [](std::string* c) { (*c)[0] = 'X'; }},
        Corruption{"WrongVersion", [](std::string* c) { (*c)[4] = 2; }},
        Corruption{"WrongSlotCount", [](std::string* c) { (*c)[8] = 1; }},
        Corruption{"Truncated", [](std::string* c) { c->resize(c->size() / 2); }},
        Corruption{"Extended", [](std::string* c) { c->append(8, '\0'); }},
        Corruption{"Empty", [](std::string* c) { c->clear(); }},
        Corruption{"Garbage", [](std::string* c) { *c = test::PseudoRandomBytes(c->size(), 5); }},
        Corruption{"HeaderOnly", [](std::string* c) { c->resize(StatsFile::kHeaderSize); }}),
    [](const ::testing::TestParamInfo<Corruption>& info) { return info.param.name; });

TEST_F(StatsFileTest, EightProcessesIncrementingConcurrentlyLoseNoUpdate) {
  constexpr int kChildren = 8;
  constexpr int kIncrements = 20000;
  test::StartBarrier barrier;
  std::vector<pid_t> pids;
  for (int i = 0; i < kChildren; ++i) {
    pids.push_back(test::ForkChild([&] {
      // Every child opens its own StatsFile after fork, so the first opens race too.
      absl::StatusOr<std::unique_ptr<StatsFile>> stats = StatsFile::Open(path_);
      if (!stats.ok()) return 1;
      barrier.Wait();
      for (int n = 0; n < kIncrements; ++n) {
        (*stats)->Increment(Counter::kCacheMiss);
        // Pairs of +3 bytes +1 file and -1 byte on one shard: net +2 bytes, +1 file per pair.
        const int shard = (n / 2) % kShardCount;
        if (n % 2 == 0) (*stats)->AddShardUsage(shard, 3, 1);
        if (n % 2 == 1) (*stats)->AddShardUsage(shard, -1, 0);
      }
      return 0;
    }));
  }
  barrier.Release();
  for (pid_t pid : pids) EXPECT_TRUE(test::WaitForSuccess(pid));

  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->Get(Counter::kCacheMiss), uint64_t{kChildren} * kIncrements);
  const Snapshot snap = stats->Read();
  EXPECT_EQ(snap.TotalFiles(), uint64_t{kChildren} * kIncrements / 2);
  EXPECT_EQ(snap.TotalBytes(), uint64_t{kChildren} * kIncrements / 2 * 2);
  for (const CounterInfo& info : AllCounters()) {
    if (info.counter != Counter::kCacheMiss) {
      EXPECT_EQ(stats->Get(info.counter), 0u) << info.name;
    }
  }
}

TEST_F(StatsFileTest, ProcessesOpeningAMissingFileAtOnceAllUseTheSameFile) {
  constexpr int kChildren = 8;
  constexpr int kIncrements = 1000;
  test::StartBarrier barrier;
  std::vector<pid_t> pids;
  for (int i = 0; i < kChildren; ++i) {
    pids.push_back(test::ForkChild([&] {
      barrier.Wait();  // the file does not exist yet: every child races to create it
      absl::StatusOr<std::unique_ptr<StatsFile>> stats = StatsFile::Open(path_);
      if (!stats.ok()) return 1;
      for (int n = 0; n < kIncrements; ++n) (*stats)->Increment(Counter::kDirectCacheHit);
      return 0;
    }));
  }
  barrier.Release();
  for (pid_t pid : pids) EXPECT_TRUE(test::WaitForSuccess(pid));
  std::unique_ptr<StatsFile> stats = OpenOrDie();
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->Get(Counter::kDirectCacheHit), uint64_t{kChildren} * kIncrements);
}

}  // namespace
}  // namespace zc::stats
