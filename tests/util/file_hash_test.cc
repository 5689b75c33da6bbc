#include "cachecore/util/file_hash.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::util {
namespace {

constexpr size_t kChunk = 128 * 1024;  // the read size of HashFile

class FileHashSizeTest : public ::testing::TestWithParam<size_t> {};

TEST_P(FileHashSizeTest, HashFileEqualsHashOfContent) {
  test::TempDir dir;
  const std::string path = dir.Join("file");
  const std::string content = test::PseudoRandomBytes(GetParam(), GetParam() + 7);
  test::WriteTestFile(path, content);

  absl::StatusOr<Digest> digest = HashFile(path);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, Sha256::Of(content));
}

INSTANTIATE_TEST_SUITE_P(ChunkBoundaries, FileHashSizeTest,
                         ::testing::Values(size_t{0}, size_t{1}, kChunk - 1, kChunk, kChunk + 1,
                                           size_t{3} << 20),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return "Size" + std::to_string(info.param);
                         });

TEST(FileHashTest, HashFileIntoContinuesAnExistingHash) {
  test::TempDir dir;
  const std::string path = dir.Join("file");
  const std::string content = test::PseudoRandomBytes(kChunk + 5, 9);
  test::WriteTestFile(path, content);

  Sha256 hasher;
  hasher.Update("prefix");
  ASSERT_TRUE(HashFileInto(path, hasher).ok());
  hasher.Update("suffix");
  EXPECT_EQ(hasher.Finish(), Sha256::Of("prefix" + content + "suffix"));
}

TEST(FileHashTest, HashFileOfMissingFileIsNotFound) {
  test::TempDir dir;
  absl::StatusOr<Digest> digest = HashFile(dir.Join("missing"));
  ASSERT_FALSE(digest.ok());
  EXPECT_TRUE(absl::IsNotFound(digest.status())) << digest.status();
  EXPECT_NE(digest.status().message().find("missing"), absl::string_view::npos)
      << "the message names the path: " << digest.status();
}

TEST(FileHashTest, HashFileIntoOfMissingFileIsNotFound) {
  test::TempDir dir;
  Sha256 hasher;
  EXPECT_TRUE(absl::IsNotFound(HashFileInto(dir.Join("missing"), hasher)));
}

TEST(FileHashTest, HashFileOfDirectoryIsAnError) {
  test::TempDir dir;
  EXPECT_FALSE(HashFile(dir.path()).ok());
}

}  // namespace
}  // namespace zc::util
