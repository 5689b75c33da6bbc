#include "cachecore/compile/memory_cache.h"

#include <sys/stat.h>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

struct stat StatOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st;
}

TEST(MemoryCacheTest, ServesAValueWhileTheFileIsTheSame) {
  test::TempDir dir;
  const std::string path = dir.Join("f");
  test::WriteTestFile(path, "v1");
  MemoryCache<std::string> cache(1 << 20);
  cache.Insert(path, StatOf(path), std::make_shared<const std::string>("decoded v1"), 10);
  std::shared_ptr<const std::string> got = cache.Find(path, StatOf(path));
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, "decoded v1");
}

TEST(MemoryCacheTest, AReplacedFileIsAMiss) {
  test::TempDir dir;
  const std::string path = dir.Join("f");
  test::WriteTestFile(path, "v1");
  MemoryCache<std::string> cache(1 << 20);
  cache.Insert(path, StatOf(path), std::make_shared<const std::string>("decoded v1"), 10);
  // Cache files are replaced by rename: a new inode.
  test::WriteTestFile(dir.Join("g"), "v2");
  ASSERT_EQ(::rename(dir.Join("g").c_str(), path.c_str()), 0);
  EXPECT_EQ(cache.Find(path, StatOf(path)), nullptr);
}

TEST(MemoryCacheTest, StaysWithinItsBudget) {
  test::TempDir dir;
  MemoryCache<std::string> cache(1000);
  for (int i = 0; i < 50; ++i) {
    const std::string path = dir.Join("f" + std::to_string(i));
    test::WriteTestFile(path, "x");
    cache.Insert(path, StatOf(path), std::make_shared<const std::string>("v"), 100);
  }
  EXPECT_LE(cache.entries(), 10u);
  // The newest survive.
  const std::string newest = dir.Join("f49");
  EXPECT_NE(cache.Find(newest, StatOf(newest)), nullptr);
  const std::string oldest = dir.Join("f0");
  EXPECT_EQ(cache.Find(oldest, StatOf(oldest)), nullptr);
  // A value bigger than a quarter of the budget is not kept at all.
  cache.Insert(newest, StatOf(newest), std::make_shared<const std::string>("big"), 600);
  EXPECT_EQ(cache.Find(newest, StatOf(newest)), nullptr);
}

}  // namespace
}  // namespace zc::compile
