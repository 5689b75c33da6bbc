#include "cachecore/compile/input_digest.h"

#include <sys/stat.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

absl::StatusOr<util::Digest> HashFile(const std::string& path) {
  absl::StatusOr<std::string> text = util::ReadFileToString(path);
  if (!text.ok()) return text.status();
  return util::Sha256::Of(*text);
}

util::Digest Of(const std::string& path) {
  absl::StatusOr<util::Digest> d = PathDigest(path, HashFile);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : util::Digest{};
}

TEST(PathDigestTest, FileIsItsContentDigest) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("list.txt"), "fun:f\n");
  EXPECT_EQ(Of(dir.Join("list.txt")), util::Sha256::Of("fun:f\n"));
}

TEST(PathDigestTest, AbsentIsItsOwnState) {
  test::TempDir dir;
  EXPECT_EQ(Of(dir.Join("missing")), AbsentDigest());
  EXPECT_EQ(Of(dir.Join("missing/below")), AbsentDigest());
  test::WriteTestFile(dir.Join("empty"), "");
  EXPECT_NE(Of(dir.Join("empty")), AbsentDigest());
}

TEST(PathDigestTest, DirectoryCoversNamesAndContentsBelowIt) {
  test::TempDir dir;
  ASSERT_EQ(::mkdir(dir.Join("d").c_str(), 0777), 0);
  ASSERT_EQ(::mkdir(dir.Join("d/sub").c_str(), 0777), 0);
  test::WriteTestFile(dir.Join("d/a.gcda"), "1");
  test::WriteTestFile(dir.Join("d/sub/b.gcda"), "2");
  const util::Digest before = Of(dir.Join("d"));
  EXPECT_EQ(Of(dir.Join("d")), before);
  test::WriteTestFile(dir.Join("d/sub/b.gcda"), "3");
  const util::Digest changed = Of(dir.Join("d"));
  EXPECT_NE(changed, before);
  test::WriteTestFile(dir.Join("d/c.gcda"), "");
  const util::Digest added = Of(dir.Join("d"));
  EXPECT_NE(added, changed) << "a new name changes it";
  ASSERT_EQ(::rename(dir.Join("d/c.gcda").c_str(), dir.Join("d/e.gcda").c_str()), 0);
  EXPECT_NE(Of(dir.Join("d")), added) << "so does a renamed file";
}

TEST(PathDigestTest, HugeDirectoryIsAnError) {
  test::TempDir dir;
  ASSERT_EQ(::mkdir(dir.Join("d").c_str(), 0777), 0);
  for (size_t i = 0; i <= kMaxDirectoryEntries; ++i) {
    test::WriteTestFile(dir.Join(absl::StrCat("d/", i)), "");
  }
  EXPECT_FALSE(PathDigest(dir.Join("d"), HashFile).ok());
}

}  // namespace
}  // namespace zc::compile
