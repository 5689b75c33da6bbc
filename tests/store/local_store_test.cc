#include "cachecore/store/local_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cachecore/stats/counter.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/byte_io.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/sha256.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace zc::store {
namespace {

using stats::Counter;
using stats::kShardCount;

// ---- helpers --------------------------------------------------------------------------------

// A key whose first hex digit (its shard) is `shard`; distinct `n` give distinct keys.
Key KeyInShard(int shard, int n) {
  Key key = util::Sha256::Of(absl::StrCat("key ", n));
  key.bytes[0] = static_cast<uint8_t>(shard << 4 | (key.bytes[0] & 0x0f));
  return key;
}

Key KeyOf(absl::string_view text) { return util::Sha256::Of(text); }

Entry ResultEntry(std::string object, int32_t exit_code = 0) {
  Entry entry{EntryType::kResult};
  entry.Add(PayloadKind::kObject, std::move(object));
  entry.Add(PayloadKind::kStderr, "warning: x");
  entry.SetExitCode(exit_code);
  return entry;
}

Entry ManifestEntry(std::string manifest) {
  Entry entry{EntryType::kManifest};
  entry.Add(PayloadKind::kManifest, std::move(manifest));
  return entry;
}

bool IsTempName(absl::string_view name) {
  return name.find(util::AtomicFile::kTempMarker) != absl::string_view::npos;
}

// What is really on disk under a store root: entry files in <root>/<h0>/<h1>/, per shard.
struct DiskUsage {
  uint64_t bytes = 0;
  uint64_t files = 0;
  uint64_t temp_files = 0;
  std::array<stats::ShardUsage, kShardCount> shards{};
};

DiskUsage MeasureDisk(const std::string& root) {
  DiskUsage usage;
  for (int shard = 0; shard < kShardCount; ++shard) {
    const std::string shard_dir = absl::StrCat(root, "/", absl::Hex(shard));
    std::error_code ec;
    if (!std::filesystem::is_directory(shard_dir, ec)) continue;
    for (const auto& sub : std::filesystem::directory_iterator(shard_dir)) {
      if (!sub.is_directory()) continue;  // the shard's lock file
      for (const auto& file : std::filesystem::directory_iterator(sub.path())) {
        if (!file.is_regular_file()) continue;
        if (IsTempName(file.path().filename().string())) {
          ++usage.temp_files;
          continue;
        }
        const uint64_t size = file.file_size();
        usage.bytes += size;
        ++usage.files;
        usage.shards[static_cast<size_t>(shard)].bytes += size;
        ++usage.shards[static_cast<size_t>(shard)].files;
      }
    }
  }
  return usage;
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

time_t Mtime(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_mtim.tv_sec : 0;
}

// Checks that the shard tallies in the stats file equal what is on disk.
::testing::AssertionResult TalliesMatchDisk(LocalStore& store) {
  const DiskUsage disk = MeasureDisk(store.options().root);
  const stats::Snapshot snap = store.stats().Read();
  ::testing::AssertionResult result = ::testing::AssertionSuccess();
  bool ok = true;
  for (int s = 0; s < kShardCount; ++s) {
    const auto& want = disk.shards[static_cast<size_t>(s)];
    const auto& got = snap.shards[static_cast<size_t>(s)];
    if (want.bytes != got.bytes || want.files != got.files) {
      if (ok) result = ::testing::AssertionFailure();
      ok = false;
      result << "shard " << s << ": tally " << got.bytes << " bytes/" << got.files
             << " files, disk " << want.bytes << "/" << want.files << "; ";
    }
  }
  if (ok && (snap.TotalBytes() != disk.bytes || snap.TotalFiles() != disk.files)) {
    return ::testing::AssertionFailure() << "totals differ";
  }
  return result;
}

class LocalStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<LocalStore> OpenStore(uint64_t max_size = 0, uint64_t max_files = 0,
                                        int compression_level = 0) {
    StoreOptions options;
    options.root = root_;
    options.max_size = max_size;
    options.max_files = max_files;
    options.compression_level = compression_level;
    absl::StatusOr<std::unique_ptr<LocalStore>> store = LocalStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // A store with no limits that reads the time from `clock`.
  std::unique_ptr<LocalStore> OpenStoreOn(const util::Clock* clock) {
    StoreOptions options;
    options.root = root_;
    options.clock = clock;
    absl::StatusOr<std::unique_ptr<LocalStore>> store = LocalStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  test::TempDir dir_;
  const std::string root_ = dir_.Join("cache");
};

// ---- basic operations ------------------------------------------------------------------------

TEST_F(LocalStoreTest, OpenCreatesTheRootAndTheStatsFile) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(test::FileExists(root_ + "/stats"));
  EXPECT_EQ(store->stats().path(), root_ + "/stats");
}

TEST_F(LocalStoreTest, OpenWithEmptyRootIsInvalidArgument) {
  StoreOptions options;
  EXPECT_TRUE(absl::IsInvalidArgument(LocalStore::Open(options).status()));
}

TEST_F(LocalStoreTest, PutThenGetRoundTrips) {
  std::unique_ptr<LocalStore> store = OpenStore(0, 0, 1);
  ASSERT_NE(store, nullptr);
  const Key key = KeyOf("source.c");
  Entry entry = ResultEntry(test::PseudoRandomBytes(10000, 1), 0);
  entry.Add(PayloadKind::kDependency, "out.o: source.c\n");
  ASSERT_TRUE(store->Put(key, entry).ok());

  absl::StatusOr<std::optional<Entry>> got = store->Get(key, EntryType::kResult);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  const Entry& back = **got;
  EXPECT_EQ(back.type, EntryType::kResult);
  ASSERT_EQ(back.payloads.size(), entry.payloads.size());
  for (size_t i = 0; i < entry.payloads.size(); ++i) {
    EXPECT_EQ(back.payloads[i].kind, entry.payloads[i].kind);
    EXPECT_EQ(back.payloads[i].name, entry.payloads[i].name);
    EXPECT_EQ(back.payloads[i].data, entry.payloads[i].data);
  }
  EXPECT_EQ(back.ExitCode(), 0);
  EXPECT_EQ(store->stats().Get(Counter::kLocalStorageWrite), 1u);
}

TEST_F(LocalStoreTest, GetOfAnAbsentKeyIsAMissNotAnError) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::optional<Entry>> got = store->Get(KeyOf("absent"), EntryType::kResult);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(store->stats().Get(Counter::kCorruptCacheEntry), 0u);
}

TEST_F(LocalStoreTest, PutOverwritesTheEntryAndAdjustsTheTally) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const Key key = KeyOf("k");
  ASSERT_TRUE(store->Put(key, ResultEntry(std::string(1000, 'a'))).ok());
  ASSERT_TRUE(store->Put(key, ResultEntry(std::string(300, 'b'))).ok());
  absl::StatusOr<std::optional<Entry>> got = store->Get(key, EntryType::kResult);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->Find(PayloadKind::kObject)->data, std::string(300, 'b'));
  EXPECT_EQ(store->stats().Read().TotalFiles(), 1u);
  EXPECT_EQ(store->stats().Read().TotalBytes(), FileSize(store->PathFor(key, EntryType::kResult)));
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

TEST_F(LocalStoreTest, RemoveDeletesTheEntryAndToleratesAbsence) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const Key key = KeyOf("k");
  ASSERT_TRUE(store->Put(key, ResultEntry("obj")).ok());
  ASSERT_TRUE(store->Remove(key, EntryType::kResult).ok());
  EXPECT_FALSE(test::FileExists(store->PathFor(key, EntryType::kResult)));
  absl::StatusOr<std::optional<Entry>> got = store->Get(key, EntryType::kResult);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_TRUE(store->Remove(key, EntryType::kResult).ok());
  EXPECT_TRUE(store->Remove(KeyOf("never stored"), EntryType::kManifest).ok());
  EXPECT_EQ(store->stats().Read().TotalFiles(), 0u);
  EXPECT_EQ(store->stats().Read().TotalBytes(), 0u);
}

TEST_F(LocalStoreTest, PathForFollowsTheDocumentedLayout) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const Key key = KeyOf("layout");
  const std::string hex = key.ToHex();
  EXPECT_EQ(
      store->PathFor(key, EntryType::kResult),
      absl::StrCat(root_, "/", hex.substr(0, 1), "/", hex.substr(1, 1), "/", hex.substr(2), "R"));
  EXPECT_EQ(
      store->PathFor(key, EntryType::kManifest),
      absl::StrCat(root_, "/", hex.substr(0, 1), "/", hex.substr(1, 1), "/", hex.substr(2), "M"));
}

TEST_F(LocalStoreTest, ResultAndManifestUnderOneKeyAreDistinctFiles) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const Key key = KeyOf("both");
  ASSERT_NE(store->PathFor(key, EntryType::kResult), store->PathFor(key, EntryType::kManifest));
  ASSERT_TRUE(store->Put(key, ResultEntry("the object")).ok());
  ASSERT_TRUE(store->Put(key, ManifestEntry("the manifest")).ok());
  EXPECT_TRUE(test::FileExists(store->PathFor(key, EntryType::kResult)));
  EXPECT_TRUE(test::FileExists(store->PathFor(key, EntryType::kManifest)));
  EXPECT_EQ(store->stats().Read().TotalFiles(), 2u);

  absl::StatusOr<std::optional<Entry>> result = store->Get(key, EntryType::kResult);
  absl::StatusOr<std::optional<Entry>> manifest = store->Get(key, EntryType::kManifest);
  ASSERT_TRUE(result.ok() && result->has_value());
  ASSERT_TRUE(manifest.ok() && manifest->has_value());
  EXPECT_EQ((*result)->Find(PayloadKind::kObject)->data, "the object");
  EXPECT_EQ((*manifest)->type, EntryType::kManifest);
  EXPECT_EQ((*manifest)->Find(PayloadKind::kManifest)->data, "the manifest");

  ASSERT_TRUE(store->Remove(key, EntryType::kResult).ok());
  manifest = store->Get(key, EntryType::kManifest);
  ASSERT_TRUE(manifest.ok());
  EXPECT_TRUE(manifest->has_value()) << "removing the result removed the manifest";
}

TEST_F(LocalStoreTest, ManifestOnlyKeyIsAResultMiss) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(KeyOf("m"), ManifestEntry("x")).ok());
  absl::StatusOr<std::optional<Entry>> got = store->Get(KeyOf("m"), EntryType::kResult);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(LocalStoreTest, EntriesAndTalliesSurviveReopen) {
  const Key key = KeyOf("persist");
  {
    std::unique_ptr<LocalStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Put(key, ResultEntry("kept")).ok());
  }
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::optional<Entry>> got = store->Get(key, EntryType::kResult);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->Find(PayloadKind::kObject)->data, "kept");
  EXPECT_EQ(store->stats().Read().TotalFiles(), 1u);
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

TEST_F(LocalStoreTest, PutOfAnUnencodableEntryFailsAndWritesNothing) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Entry entry = ResultEntry("x");
  entry.Add(PayloadKind::kSideFile, "y", std::string(70000, 'n'));
  EXPECT_TRUE(absl::IsInvalidArgument(store->Put(KeyOf("bad"), entry)));
  EXPECT_FALSE(test::FileExists(store->PathFor(KeyOf("bad"), EntryType::kResult)));
  EXPECT_EQ(MeasureDisk(root_).files + MeasureDisk(root_).temp_files, 0u);
  EXPECT_EQ(store->stats().Get(Counter::kLocalStorageWrite), 0u);
}

TEST_F(LocalStoreTest, GetRefreshesTheModificationTime) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const Key key = KeyOf("lru");
  ASSERT_TRUE(store->Put(key, ResultEntry("x")).ok());
  const std::string path = store->PathFor(key, EntryType::kResult);
  const time_t old_time = std::time(nullptr) - 86400;
  test::SetFileTimes(path, old_time);
  ASSERT_EQ(Mtime(path), old_time);
  ASSERT_TRUE(store->Get(key, EntryType::kResult).ok());
  EXPECT_GE(Mtime(path), std::time(nullptr) - 5);
}

// ---- corrupt files ---------------------------------------------------------------------------

struct EntryDamage {
  const char* name;
  void (*damage)(const std::string& path);
};

class CorruptEntryTest : public LocalStoreTest,
                         public ::testing::WithParamInterface<EntryDamage> {};

TEST_P(CorruptEntryTest, ReadsAsDataLossIsCountedAndRemovedSoTheNextGetIsACleanMiss) {
  std::unique_ptr<LocalStore> store = OpenStore(0, 0, 1);
  ASSERT_NE(store, nullptr);
  const Key key = KeyOf("will be damaged");
  const Key other = KeyOf("bystander");
  ASSERT_TRUE(store->Put(key, ResultEntry(test::PseudoRandomBytes(5000, 7))).ok());
  ASSERT_TRUE(store->Put(other, ResultEntry("fine")).ok());
  const std::string path = store->PathFor(key, EntryType::kResult);
  GetParam().damage(path);

  absl::StatusOr<std::optional<Entry>> got = store->Get(key, EntryType::kResult);
  ASSERT_FALSE(got.ok()) << "a damaged entry decoded";
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  EXPECT_NE(got.status().message().find(path), absl::string_view::npos)
      << "the message names the file: " << got.status();
  EXPECT_EQ(store->stats().Get(Counter::kCorruptCacheEntry), 1u);
  EXPECT_FALSE(test::FileExists(path)) << "the corrupt file was kept";
  EXPECT_EQ(store->stats().Read().TotalFiles(), 1u);

  got = store->Get(key, EntryType::kResult);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(store->stats().Get(Counter::kCorruptCacheEntry), 1u) << "a miss counted as corrupt";

  got = store->Get(other, EntryType::kResult);
  ASSERT_TRUE(got.ok() && got->has_value()) << "the bystander entry was harmed";

  // The miss can be stored again.
  ASSERT_TRUE(store->Put(key, ResultEntry("rewritten")).ok());
  got = store->Get(key, EntryType::kResult);
  ASSERT_TRUE(got.ok() && got->has_value());
  ASSERT_TRUE(store->Cleanup().ok());
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

INSTANTIATE_TEST_SUITE_P(
    Damages, CorruptEntryTest,
    ::testing::Values(EntryDamage{"OverwrittenWithGarbage",
                                  [](const std::string& p) {
                                    test::WriteTestFile(p, test::PseudoRandomBytes(FileSize(p), 8));
                                  }},
                      EntryDamage{"TruncatedToHalf",
                                  [](const std::string& p) {
                                    const auto half = static_cast<off_t>(FileSize(p) / 2);
                                    ASSERT_EQ(::truncate(p.c_str(), half), 0);
                                  }},
                      EntryDamage{
                          "TruncatedToZero",
                          [](const std::string& p) { ASSERT_EQ(::truncate(p.c_str(), 0), 0); }},
                      EntryDamage{"OneByteFlipped",
                                  [](const std::string& p) {
                                    std::string content = test::ReadTestFile(p);
                                    char& middle = content[content.size() / 2];
                                    middle = static_cast<char>(middle ^ 0x10);
                                    test::WriteTestFile(p, content);
                                  }},
                      EntryDamage{"TrailingBytesAppended",
                                  [](const std::string& p) {
                                    test::WriteTestFile(p, test::ReadTestFile(p) + "junk");
                                  }},
                      EntryDamage{"ManifestStoredUnderTheResultName",
                                  [](const std::string& p) {
                                    absl::StatusOr<std::string> file =
                                        EncodeEntry(ManifestEntry("m"), 1);
                                    ASSERT_TRUE(file.ok());
                                    test::WriteTestFile(p, *file);
                                  }}),
    [](const ::testing::TestParamInfo<EntryDamage>& info) { return info.param.name; });

// ---- size limits and cleanup -----------------------------------------------------------------

// Puts `count` same-sized entries into `shard` with no limits, then ages them so that entry i was
// last used i * 100 s after entry 0 (entry 0 is the least recently used). Returns the file size.
uint64_t PutAgedEntries(LocalStore& store, int shard, int count) {
  const time_t base = std::time(nullptr) - 100000;
  uint64_t size = 0;
  for (int i = 0; i < count; ++i) {
    const Key key = KeyInShard(shard, i);
    EXPECT_TRUE(store.Put(key, ResultEntry(std::string(1000, static_cast<char>('a' + i)))).ok());
    const std::string path = store.PathFor(key, EntryType::kResult);
    test::SetFileTimes(path, base + i * 100);
    size = FileSize(path);
  }
  return size;
}

std::set<int> Survivors(LocalStore& store, int shard, int count) {
  std::set<int> alive;
  for (int i = 0; i < count; ++i) {
    if (test::FileExists(store.PathFor(KeyInShard(shard, i), EntryType::kResult))) alive.insert(i);
  }
  return alive;
}

TEST_F(LocalStoreTest, CleanupEvictsLeastRecentlyUsedEntriesFirst) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kShard = 3;
  const uint64_t size = PutAgedEntries(*store, kShard, 10);
  ASSERT_GT(size, 1000u);
  // Reading entries 0 and 1 makes them the most recently used.
  ASSERT_TRUE(store->Get(KeyInShard(kShard, 0), EntryType::kResult).ok());
  ASSERT_TRUE(store->Get(KeyInShard(kShard, 1), EntryType::kResult).ok());

  // Room for five and a half entries per shard.
  const uint64_t max_size = kShardCount * (5 * size + size / 2);
  store->SetLimits(max_size, 0);
  absl::StatusOr<CleanupResult> result = store->Cleanup();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->files_removed, 5u);
  EXPECT_EQ(result->bytes_removed, 5 * size);
  EXPECT_EQ(result->files_remaining, 5u);
  EXPECT_EQ(result->bytes_remaining, 5 * size);
  EXPECT_EQ(Survivors(*store, kShard, 10), (std::set<int>{0, 1, 7, 8, 9}));
  EXPECT_EQ(store->stats().Get(Counter::kFilesEvicted), 5u);
  EXPECT_EQ(store->stats().Get(Counter::kCleanupsPerformed), 1u);
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

TEST_F(LocalStoreTest, EvictOlderThanRemovesEntriesUnusedForThatLongWhateverTheLimits) {
  std::unique_ptr<LocalStore> store = OpenStore();  // no limits
  ASSERT_NE(store, nullptr);
  constexpr int kShard = 3;
  const uint64_t size = PutAgedEntries(*store, kShard, 10);  // last used 100000 s ago + i * 100 s
  ASSERT_TRUE(store->Put(KeyInShard(7, 0), ResultEntry("fresh")).ok());
  // A hit makes entry 0 young again.
  ASSERT_TRUE(store->Get(KeyInShard(kShard, 0), EntryType::kResult).ok());

  // Unused for 99550 s or more: entries 1 to 4.
  absl::StatusOr<CleanupResult> result = store->EvictOlderThan(100000 - 450);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->files_removed, 4u);
  EXPECT_EQ(result->bytes_removed, 4 * size);
  EXPECT_EQ(result->files_remaining, 7u);
  EXPECT_EQ(Survivors(*store, kShard, 10), (std::set<int>{0, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(test::FileExists(store->PathFor(KeyInShard(7, 0), EntryType::kResult)));
  EXPECT_EQ(store->stats().Get(Counter::kFilesEvicted), 4u);
  EXPECT_EQ(store->stats().Get(Counter::kCleanupsPerformed), 1u);
  EXPECT_TRUE(TalliesMatchDisk(*store));

  // Nothing is that old any more.
  result = store->EvictOlderThan(100000 - 450);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->files_removed, 0u);
}

TEST_F(LocalStoreTest, MaxFilesLimitEvictsLeastRecentlyUsedEntries) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kShard = 12;
  PutAgedEntries(*store, kShard, 8);
  ASSERT_TRUE(store->Get(KeyInShard(kShard, 2), EntryType::kResult).ok());
  store->SetLimits(0, kShardCount * 3);  // three files per shard
  absl::StatusOr<CleanupResult> result = store->Cleanup();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->files_removed, 5u);
  EXPECT_EQ(Survivors(*store, kShard, 8), (std::set<int>{2, 6, 7}));
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

TEST_F(LocalStoreTest, CleanupFractionCleansBelowTheLimit) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kShard = 0;
  const uint64_t size = PutAgedEntries(*store, kShard, 10);
  store->SetLimits(kShardCount * 10 * size, 0);  // everything fits
  absl::StatusOr<CleanupResult> result = store->Cleanup();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->files_removed, 0u);
  EXPECT_EQ(store->stats().Get(Counter::kCleanupsPerformed), 0u);
  result = store->Cleanup(0.5);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->files_removed, 5u);
  EXPECT_EQ(Survivors(*store, kShard, 10), (std::set<int>{5, 6, 7, 8, 9}));
}

TEST_F(LocalStoreTest, PutKeepsEveryShardWithinItsShareOfMaxSize) {
  // Room for about four entries per shard; the store cleans a shard as soon as a Put overflows it.
  const uint64_t entry_size = 2000 + 74;  // 2000 bytes of object plus headers, uncompressed
  const uint64_t max_size = kShardCount * 4 * entry_size + kShardCount * 100;
  std::unique_ptr<LocalStore> store = OpenStore(max_size);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(store
                    ->Put(KeyOf(absl::StrCat("entry ", i)),
                          ResultEntry(test::PseudoRandomBytes(2000, static_cast<uint64_t>(i))))
                    .ok());
    const DiskUsage disk = MeasureDisk(root_);
    ASSERT_LE(disk.bytes, max_size) << "after Put " << i;
    for (const auto& shard : disk.shards) ASSERT_LE(shard.bytes, max_size / kShardCount);
  }
  EXPECT_GT(store->stats().Get(Counter::kCleanupsPerformed), 0u);
  EXPECT_GT(store->stats().Get(Counter::kFilesEvicted), 0u);
  EXPECT_EQ(store->stats().Get(Counter::kLocalStorageWrite), 400u);

  absl::StatusOr<CleanupResult> result = store->Cleanup();
  ASSERT_TRUE(result.ok());
  const DiskUsage disk = MeasureDisk(root_);
  EXPECT_LE(disk.bytes, max_size);
  EXPECT_EQ(result->bytes_remaining, disk.bytes);
  EXPECT_EQ(result->files_remaining, disk.files);
  EXPECT_GT(disk.files, uint64_t{kShardCount});  // cleanup kept what fits
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

TEST_F(LocalStoreTest, PutKeepsEveryShardWithinItsShareOfMaxFiles) {
  std::unique_ptr<LocalStore> store = OpenStore(0, kShardCount * 3);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(store->Put(KeyOf(absl::StrCat("f", i)), ResultEntry("small")).ok());
  }
  const DiskUsage disk = MeasureDisk(root_);
  EXPECT_LE(disk.files, uint64_t{kShardCount} * 3);
  for (const auto& shard : disk.shards) EXPECT_LE(shard.files, 3u);
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

TEST_F(LocalStoreTest, CleanupRemeasuresTalliesThatDrifted) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 40; ++i) {
    const Entry entry = ResultEntry(std::string(static_cast<size_t>(100 + i), 'x'));
    ASSERT_TRUE(store->Put(KeyOf(absl::StrCat("d", i)), entry).ok());
  }
  ASSERT_TRUE(TalliesMatchDisk(*store));
  // Drift upwards, as left by processes killed between counting and publishing.
  for (int s = 0; s < kShardCount; ++s) store->stats().AddShardUsage(s, 12345, 3);
  ASSERT_FALSE(TalliesMatchDisk(*store));
  ASSERT_TRUE(store->Cleanup().ok());
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

TEST_F(LocalStoreTest, CleanupCorrectsATallyThatDriftedBelowZero) {
  // The stats file is lost (corrupt, so replaced by a zeroed one) while entries stay on disk;
  // removing an entry then drives its shard's tally below zero. Cleanup must re-measure it.
  constexpr int kShard = 7;
  {
    std::unique_ptr<LocalStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(store->Put(KeyInShard(kShard, i), ResultEntry(std::string(500, 'x'))).ok());
    }
  }
  test::WriteTestFile(root_ + "/stats", "garbage");
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(store->stats().Read().TotalFiles(), 0u);
  ASSERT_TRUE(store->Remove(KeyInShard(kShard, 0), EntryType::kResult).ok());

  ASSERT_TRUE(store->Cleanup().ok());
  EXPECT_TRUE(TalliesMatchDisk(*store));
  const stats::ShardUsage usage = store->stats().GetShardUsage(kShard);
  EXPECT_EQ(usage.files, 2u);
  EXPECT_EQ(usage.bytes, MeasureDisk(root_).bytes);
}

TEST_F(LocalStoreTest, ClearRemovesEveryEntryAndKeepsCounters) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(store->Put(KeyOf(absl::StrCat("c", i)), ResultEntry("r")).ok());
    ASSERT_TRUE(store->Put(KeyOf(absl::StrCat("c", i)), ManifestEntry("m")).ok());
  }
  store->stats().Increment(Counter::kDirectCacheHit, 9);
  absl::StatusOr<CleanupResult> result = store->Clear();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->files_removed, 60u);
  const DiskUsage disk = MeasureDisk(root_);
  EXPECT_EQ(disk.files, 0u);
  EXPECT_EQ(disk.bytes, 0u);
  EXPECT_EQ(store->stats().Read().TotalFiles(), 0u);
  EXPECT_EQ(store->stats().Read().TotalBytes(), 0u);
  EXPECT_EQ(store->stats().Get(Counter::kDirectCacheHit), 9u);
  EXPECT_EQ(store->stats().Get(Counter::kLocalStorageWrite), 60u);
  EXPECT_TRUE(test::FileExists(root_ + "/stats"));
  absl::StatusOr<std::optional<Entry>> got = store->Get(KeyOf("c3"), EntryType::kResult);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  // The cache still works afterwards.
  ASSERT_TRUE(store->Put(KeyOf("after"), ResultEntry("x")).ok());
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

TEST_F(LocalStoreTest, CleanupRemovesStaleTempFilesAndKeepsFreshOnes) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const Key key = KeyInShard(10, 1);
  ASSERT_TRUE(store->Put(key, ResultEntry("entry")).ok());
  const std::string entry_path = store->PathFor(key, EntryType::kResult);
  const time_t now = std::time(nullptr);

  const std::string stale = absl::StrCat(entry_path, ".tmp.4242.00000000deadbeef");
  const std::string fresh = absl::StrCat(entry_path, ".tmp.4243.00000000feedface");
  const std::string almost_stale = absl::StrCat(entry_path, ".tmp.4244.0000000000000001");
  ASSERT_TRUE(util::CreateDirectories(absl::StrCat(root_, "/2/b")).ok());
  const std::string stale_elsewhere =
      absl::StrCat(root_, "/2/b/", std::string(62, '0'), "M.tmp.17.0123456789abcdef");
  for (const std::string& p : {stale, fresh, almost_stale, stale_elsewhere}) {
    test::WriteTestFile(p, "partial entry");
  }
  test::SetFileTimes(stale, now - 7200);
  test::SetFileTimes(stale_elsewhere, now - 86400);
  test::SetFileTimes(almost_stale, now - 3000);

  absl::StatusOr<CleanupResult> result = store->Cleanup();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(test::FileExists(stale));
  EXPECT_FALSE(test::FileExists(stale_elsewhere));
  EXPECT_TRUE(test::FileExists(fresh));
  EXPECT_TRUE(test::FileExists(almost_stale));
  EXPECT_TRUE(test::FileExists(entry_path));
  // Temporary files are not entries: the tallies count the one entry only.
  EXPECT_EQ(result->files_remaining, 1u);
  EXPECT_EQ(store->stats().Read().TotalFiles(), 1u);
  EXPECT_EQ(store->stats().Read().TotalBytes(), FileSize(entry_path));
}

TEST_F(LocalStoreTest, TempFilesAgeByTheStoresClock) {
  // A writer that died an hour ago, seen on a fake clock instead of a backdated file.
  test::FakeClock clock(test::FakeClock::RealNowNs());
  std::unique_ptr<LocalStore> store = OpenStoreOn(&clock);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(util::CreateDirectories(root_ + "/5/5").ok());
  const std::string temp = root_ + "/5/5/" + std::string(62, '1') + "R.tmp.1.2";
  test::WriteTestFile(temp, "x");
  ASSERT_TRUE(store->Clear().ok());
  EXPECT_TRUE(test::FileExists(temp)) << "a write in flight";
  clock.Advance(int64_t{3601} * 1'000'000'000);
  ASSERT_TRUE(store->Clear().ok());
  EXPECT_FALSE(test::FileExists(temp)) << "stale after an hour";
}

TEST_F(LocalStoreTest, CleanupSweepsStaleTempFilesOfKilledCompilesOutsideTheShards) {
  // A compile killed mid-miss leaves its private dependency file in <root>/tmp; a writer of a
  // compiler memo killed mid-write leaves one in <root>/compilers.
  test::FakeClock clock(test::FakeClock::RealNowNs());
  std::unique_ptr<LocalStore> store = OpenStoreOn(&clock);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(util::CreateDirectories(root_ + "/tmp").ok());
  ASSERT_TRUE(util::CreateDirectories(root_ + "/compilers").ok());
  const std::string dep = root_ + "/tmp/dep.tmp.123.00000000deadbeef";
  const std::string memo_temp = root_ + "/compilers/0123abcd.tmp.124.00000000feedf00d";
  const std::string memo = root_ + "/compilers/0123abcd";
  const std::string statcache_temp = root_ + "/statcache.tmp.125.0000000012345678";
  for (const std::string* f : {&dep, &memo_temp, &memo, &statcache_temp}) {
    test::WriteTestFile(*f, "x");
  }

  ASSERT_TRUE(store->Cleanup().ok());
  EXPECT_TRUE(test::FileExists(dep)) << "a compile in flight";
  EXPECT_TRUE(test::FileExists(memo_temp)) << "a write in flight";

  clock.Advance(int64_t{3601} * 1'000'000'000);
  ASSERT_TRUE(store->Cleanup().ok());
  EXPECT_FALSE(test::FileExists(dep)) << "stale after an hour";
  EXPECT_FALSE(test::FileExists(memo_temp)) << "stale after an hour";
  EXPECT_FALSE(test::FileExists(statcache_temp)) << "stale after an hour";
  EXPECT_TRUE(test::FileExists(memo)) << "not a temporary file";
  EXPECT_TRUE(test::FileExists(root_ + "/stats"));
}

TEST_F(LocalStoreTest, ClearRemovesStaleTempFiles) {
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(util::CreateDirectories(root_ + "/5/5").ok());
  const std::string stale = root_ + "/5/5/" + std::string(62, '1') + "R.tmp.1.2";
  test::WriteTestFile(stale, "x");
  test::SetFileTimes(stale, std::time(nullptr) - 7200);
  ASSERT_TRUE(store->Clear().ok());
  EXPECT_FALSE(test::FileExists(stale));
}

TEST_F(LocalStoreTest, ClearKeepsFreshTempFilesOfWritesInFlight) {
  // Clear removes entries and *stale* temporary files (local_store.h). A fresh one belongs to a
  // Put in progress in another process, whose Commit must still succeed after the Clear.
  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const Key key = KeyInShard(4, 1);
  ASSERT_TRUE(store->Put(key, ResultEntry("old")).ok());
  absl::StatusOr<util::AtomicFile> in_flight =
      util::AtomicFile::Create(store->PathFor(key, EntryType::kResult));
  ASSERT_TRUE(in_flight.ok()) << in_flight.status();
  ASSERT_TRUE(in_flight->Write("new content").ok());

  ASSERT_TRUE(store->Clear().ok());
  EXPECT_TRUE(test::FileExists(in_flight->temp_path())) << "Clear removed a fresh temporary file";
  EXPECT_TRUE(in_flight->Commit().ok()) << "the concurrent writer's Commit failed";
}

// ---- many processes --------------------------------------------------------------------------

// Object payload of a self-identifying entry: writer, sequence number and size up front, then
// bytes that depend on all three, so any mixture of two writes is detected.
char PatternByte(uint32_t writer, uint32_t seq, size_t i) {
  return static_cast<char>((writer * 31 + seq * 7 + i) & 0xff);
}

Entry SelfIdentifyingEntry(uint32_t writer, uint32_t seq, uint32_t size) {
  std::string object;
  util::ByteWriter w(&object);
  w.U32(writer);
  w.U32(seq);
  w.U32(size);
  object.reserve(12 + size);
  for (size_t i = 0; i < size; ++i) object.push_back(PatternByte(writer, seq, i));
  Entry entry = ResultEntry(std::move(object), static_cast<int32_t>(writer * 100000 + seq));
  entry.Add(PayloadKind::kStderr, absl::StrCat("writer ", writer, " seq ", seq), "tag");
  return entry;
}

bool IsSelfConsistent(const Entry& entry) {
  const Payload* object = entry.Find(PayloadKind::kObject);
  if (object == nullptr) return false;
  util::ByteReader r(object->data);
  uint32_t writer = 0, seq = 0, size = 0;
  if (!r.U32(&writer) || !r.U32(&seq) || !r.U32(&size) || r.remaining() != size) return false;
  absl::string_view data = absl::string_view(object->data).substr(12);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != PatternByte(writer, seq, i)) return false;
  }
  const Payload* tag = entry.Find(PayloadKind::kStderr, "tag");
  return tag != nullptr && tag->data == absl::StrCat("writer ", writer, " seq ", seq) &&
         entry.ExitCode() == static_cast<int32_t>(writer * 100000 + seq);
}

// Sizes from a few bytes to 1 MiB; every tenth write is large.
uint32_t PayloadSize(uint32_t writer, uint32_t seq) {
  if (seq % 10 == 0) return (1u << 20) - (writer * 7919 + seq * 104729) % (1u << 19);
  return ((writer + 1) * (seq + 1) * 2654435761u) % (32u << 10);
}

// Exit statuses of the children below, so a failure says what went wrong.
enum ChildFailure {
  kOpenFailed = 1,
  kPutFailed = 2,
  kGetDataLoss = 3,
  kGetOtherError = 4,
  kTornEntry = 5,
  kNoFinalHit = 6,
  kWrongContent = 7,
};

TEST_F(LocalStoreTest, ConcurrentWritersAndReadersOfOneKeyNeverSeeATornEntry) {
  constexpr uint32_t kWriters = 8;
  constexpr uint32_t kReaders = 4;
  constexpr uint32_t kPutsPerWriter = 120;
  const Key key = KeyOf("one contended key");
  // [0]: writers finished; [1]: hits seen by readers; [2]: reads done.
  test::SharedMemory shared(4096);
  uint64_t* counters = shared.As<uint64_t>();
  test::StartBarrier barrier;
  std::vector<pid_t> writers, readers;

  for (uint32_t w = 0; w < kWriters; ++w) {
    writers.push_back(test::ForkChild([&, w]() -> int {
      StoreOptions options;
      options.root = root_;
      options.max_size = 0;
      options.compression_level = w % 2 == 0 ? 0 : 1;  // both file shapes race
      absl::StatusOr<std::unique_ptr<LocalStore>> store = LocalStore::Open(options);
      if (!store.ok()) return kOpenFailed;
      barrier.Wait();
      for (uint32_t seq = 0; seq < kPutsPerWriter; ++seq) {
        if (!(*store)->Put(key, SelfIdentifyingEntry(w, seq, PayloadSize(w, seq))).ok()) {
          return kPutFailed;
        }
      }
      std::atomic_ref<uint64_t>(counters[0]).fetch_add(1);
      return 0;
    }));
  }
  for (uint32_t r = 0; r < kReaders; ++r) {
    readers.push_back(test::ForkChild([&]() -> int {
      StoreOptions options;
      options.root = root_;
      options.max_size = 0;
      absl::StatusOr<std::unique_ptr<LocalStore>> store = LocalStore::Open(options);
      if (!store.ok()) return kOpenFailed;
      barrier.Wait();
      bool writers_done = false;
      while (!writers_done) {
        writers_done = std::atomic_ref<uint64_t>(counters[0]).load() == kWriters;
        absl::StatusOr<std::optional<Entry>> got = (*store)->Get(key, EntryType::kResult);
        std::atomic_ref<uint64_t>(counters[2]).fetch_add(1);
        if (!got.ok()) return absl::IsDataLoss(got.status()) ? kGetDataLoss : kGetOtherError;
        if (!got->has_value()) {
          if (writers_done) return kNoFinalHit;
          continue;
        }
        if (!IsSelfConsistent(**got)) return kTornEntry;
        std::atomic_ref<uint64_t>(counters[1]).fetch_add(1);
      }
      return 0;
    }));
  }
  barrier.Release();
  for (pid_t pid : writers) EXPECT_TRUE(test::WaitForSuccess(pid)) << "writer";
  for (pid_t pid : readers) EXPECT_TRUE(test::WaitForSuccess(pid)) << "reader";
  EXPECT_GT(counters[1], uint64_t{kReaders}) << "the readers saw too few entries to prove much";

  std::unique_ptr<LocalStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::optional<Entry>> last = store->Get(key, EntryType::kResult);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_TRUE(IsSelfConsistent(**last));
  EXPECT_EQ(store->stats().Get(Counter::kCorruptCacheEntry), 0u);
  EXPECT_EQ(store->stats().Get(Counter::kLocalStorageWrite), uint64_t{kWriters} * kPutsPerWriter);
  const DiskUsage disk = MeasureDisk(root_);
  EXPECT_EQ(disk.files, 1u);
  EXPECT_EQ(disk.temp_files, 0u) << "writers left temporary files behind";
  RecordProperty("reads", static_cast<int>(counters[2]));
  RecordProperty("hits", static_cast<int>(counters[1]));
}

// The object a writer of the many-keys test stores under its key number `k`.
std::string ManyKeysObject(int child, int k) {
  return test::PseudoRandomBytes(1000 + static_cast<size_t>((child * 131 + k * 71) % 5000),
                                 static_cast<uint64_t>(child * 100000 + k));
}

TEST_F(LocalStoreTest, ManyProcessesWritingManyKeysSucceedAndStayUnderTheLimit) {
  constexpr int kChildren = 6;
  constexpr int kKeysPerChild = 150;
  constexpr uint64_t kMaxSize = 256 << 10;  // 16 KiB per shard: a handful of entries each
  test::StartBarrier barrier;
  std::vector<pid_t> pids;
  for (int c = 0; c < kChildren; ++c) {
    pids.push_back(test::ForkChild([&, c]() -> int {
      StoreOptions options;
      options.root = root_;
      options.max_size = kMaxSize;
      options.compression_level = 1;
      absl::StatusOr<std::unique_ptr<LocalStore>> store = LocalStore::Open(options);
      if (!store.ok()) return kOpenFailed;
      barrier.Wait();
      for (int k = 0; k < kKeysPerChild; ++k) {
        const Key key = KeyOf(absl::StrCat("child ", c, " key ", k));
        if (!(*store)->Put(key, ResultEntry(ManyKeysObject(c, k))).ok()) return kPutFailed;
        if (k % 3 != 0) continue;
        // Read back an earlier entry: a hit with the right content, or a miss if it was evicted.
        const int earlier = k / 2;
        absl::StatusOr<std::optional<Entry>> got =
            (*store)->Get(KeyOf(absl::StrCat("child ", c, " key ", earlier)), EntryType::kResult);
        if (!got.ok()) return absl::IsDataLoss(got.status()) ? kGetDataLoss : kGetOtherError;
        if (got->has_value() &&
            (*got)->Find(PayloadKind::kObject)->data != ManyKeysObject(c, earlier)) {
          return kWrongContent;
        }
      }
      return 0;
    }));
  }
  barrier.Release();
  for (pid_t pid : pids) EXPECT_TRUE(test::WaitForSuccess(pid));

  std::unique_ptr<LocalStore> store = OpenStore(kMaxSize);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->stats().Get(Counter::kLocalStorageWrite), uint64_t{kChildren} * kKeysPerChild);
  EXPECT_EQ(store->stats().Get(Counter::kCorruptCacheEntry), 0u);
  EXPECT_GT(store->stats().Get(Counter::kFilesEvicted), 0u);
  const DiskUsage before = MeasureDisk(root_);
  EXPECT_EQ(before.temp_files, 0u);
  RecordProperty("bytes_before_final_cleanup", static_cast<int>(before.bytes));

  ASSERT_TRUE(store->Cleanup().ok());
  const DiskUsage disk = MeasureDisk(root_);
  EXPECT_LE(disk.bytes, kMaxSize);
  EXPECT_GT(disk.files, 0u);
  EXPECT_TRUE(TalliesMatchDisk(*store));
}

}  // namespace
}  // namespace zc::store
