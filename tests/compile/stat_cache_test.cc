#include "cachecore/compile/stat_cache.h"

#include <sys/stat.h>

#include <atomic>
#include <thread>
#include <vector>

#include "cachecore/util/clock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

struct stat StatOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st;
}

constexpr int64_t kLater = 3600'000'000'000;

TEST(StatCacheTest, RemembersAnOldEnoughFileVersion) {
  test::TempDir dir;
  auto cache = StatCache::Open(dir.Join("statcache"));
  ASSERT_TRUE(cache.ok()) << cache.status();
  test::WriteTestFile(dir.Join("h.h"), "abc");
  struct stat st = StatOf(dir.Join("h.h"));
  FileFacts facts{util::Sha256::Of("abc"), 5};
  EXPECT_FALSE((*cache)->Lookup(st).has_value());
  EXPECT_TRUE((*cache)->Insert(st, facts, util::SystemClock().RealNs() + kLater));
  std::optional<FileFacts> got = (*cache)->Lookup(st);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->digest, facts.digest);
  EXPECT_EQ(got->flags, 5u);

  // Shared through the file with another opener.
  auto again = StatCache::Open(dir.Join("statcache"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->Lookup(st).has_value());
}

TEST(StatCacheTest, RefusesFilesYoungerThanTheRacyWindow) {
  auto cache = StatCache::InMemory();
  test::TempDir dir;
  test::WriteTestFile(dir.Join("h.h"), "abc");
  struct stat st = StatOf(dir.Join("h.h"));
  EXPECT_FALSE(cache->Insert(st, {util::Sha256::Of("abc"), 0}, util::SystemClock().RealNs()));
  EXPECT_FALSE(cache->Lookup(st).has_value());
}

TEST(StatCacheTest, SameSizeEditWithMtimeSetBackMisses) {
  auto cache = StatCache::InMemory();
  test::TempDir dir;
  const std::string path = dir.Join("h.h");
  test::WriteTestFile(path, "abc");
  test::SetFileTimes(path, 1000000);
  struct stat before = StatOf(path);
  ASSERT_TRUE(
      cache->Insert(before, {util::Sha256::Of("abc"), 0}, util::SystemClock().RealNs() + kLater));
  test::WriteTestFile(path, "xyz");
  test::SetFileTimes(path, 1000000);  // mtime restored; ctime moves on regardless
  struct stat after = StatOf(path);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_FALSE(cache->Lookup(after).has_value());
}

TEST(StatCacheTest, CorruptFileIsReplaced) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("statcache"), "garbage");
  auto cache = StatCache::Open(dir.Join("statcache"));
  ASSERT_TRUE(cache.ok()) << cache.status();
  struct stat st {};
  EXPECT_FALSE((*cache)->Lookup(st).has_value());
}

TEST(StatCacheTest, TornSlotReadsAsMiss) {
  test::TempDir dir;
  const std::string path = dir.Join("statcache");
  {
    auto cache = StatCache::Open(path);
    ASSERT_TRUE(cache.ok());
    test::WriteTestFile(dir.Join("h.h"), "abc");
    ASSERT_TRUE((*cache)->Insert(StatOf(dir.Join("h.h")), {util::Sha256::Of("abc"), 0},
                                 util::SystemClock().RealNs() + kLater));
  }
  // Flip one byte in every slot's digest area: the checksum must reject them.
  std::string data = test::ReadTestFile(path);
  for (size_t off = StatCache::kHeaderSize + 50; off < data.size(); off += StatCache::kSlotSize) {
    data[off] = static_cast<char>(data[off] ^ 0x5a);
  }
  test::WriteTestFile(path, data);
  auto cache = StatCache::Open(path);
  ASSERT_TRUE(cache.ok());
  EXPECT_FALSE((*cache)->Lookup(StatOf(dir.Join("h.h"))).has_value());
}

// The daemon's and the shim's threads share one table: a reader racing writers of the same slot
// gets nothing or one writer's whole facts, never a mix. (Under ThreadSanitizer this also shows
// that slots are accessed without a data race.)
TEST(StatCacheTest, ThreadsRacingOnOneSlotSeeWholeFactsOrNothing) {
  auto cache = StatCache::InMemory();
  test::TempDir dir;
  test::WriteTestFile(dir.Join("h.h"), "abc");
  const struct stat st = StatOf(dir.Join("h.h"));
  const FileFacts a{util::Sha256::Of("a"), 1}, b{util::Sha256::Of("b"), 2};
  const int64_t now = util::SystemClock().RealNs() + kLater;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (t < 2) {
          cache->Insert(st, t == 0 ? a : b, now);
        } else if (std::optional<FileFacts> got = cache->Lookup(st)) {
          const bool whole = (got->digest == a.digest && got->flags == a.flags) ||
                             (got->digest == b.digest && got->flags == b.flags);
          if (!whole) ++bad;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(cache->Lookup(st).has_value());
}

}  // namespace
}  // namespace zc::compile
