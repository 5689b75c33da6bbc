#include "cachecore/compile/input_files.h"

#include "cachecore/compile/input_digest.h"
#include "cachecore/compile/source_scan.h"
#include "cachecore/util/clock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

TEST(InputFilesTest, FactsAreTheDigestAndScanFlags) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("t.h"), "const char* t = __TIME__;\n");
  InputFiles files(dir.Join("statcache"), util::SystemClock());
  absl::StatusOr<FileFacts> f = files.Facts(dir.path(), "t.h");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->digest, util::Sha256::Of("const char* t = __TIME__;\n"));
  EXPECT_TRUE(f->flags & kUsesTimeMacros);
  EXPECT_FALSE(files.Facts(dir.path(), "missing.h").ok());
}

TEST(InputFilesTest, AnOldFileIsRememberedByItsSignatureAcrossProcesses) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("h.h"), "one");
  test::SetFileTimes(dir.Join("h.h"), ::time(nullptr) - 100);
  {
    InputFiles first(dir.Join("statcache"), util::SystemClock());
    ASSERT_TRUE(first.Facts(dir.path(), "h.h").ok());
  }
  // The stat cache is shared through the cache directory: a new reader finds the digest there.
  // (Only old files are remembered; this one's ctime is new, so it is hashed again: same digest.)
  InputFiles second(dir.Join("statcache"), util::SystemClock());
  absl::StatusOr<FileFacts> f = second.Facts(dir.path(), "h.h");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->digest, util::Sha256::Of("one"));
}

TEST(InputFilesTest, StateCoversFilesDirectoriesAndAbsence) {
  test::TempDir dir;
  InputFiles files(dir.Join("statcache"), util::SystemClock());
  EXPECT_EQ(*files.State(dir.path(), "prof.gcda"), AbsentDigest());
  test::WriteTestFile(dir.Join("prof.gcda"), "counts");
  EXPECT_EQ(*files.State(dir.path(), "prof.gcda"), util::Sha256::Of("counts"));
  EXPECT_EQ(*files.State("/elsewhere", dir.Join("prof.gcda")), util::Sha256::Of("counts"))
      << "absolute paths ignore the working directory";
}

TEST(InputFilesTest, UnusableStatCacheFileStillWorksInMemory) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("h.h"), "x");
  InputFiles files("/proc/nonexistent/statcache", util::SystemClock());
  EXPECT_TRUE(files.Facts(dir.path(), "h.h").ok());
}

}  // namespace
}  // namespace zc::compile
