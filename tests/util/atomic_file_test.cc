#include "cachecore/util/atomic_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "cachecore/util/file_io.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::util {
namespace {

// Names of everything in `dir`.
std::set<std::string> ListDir(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

TEST(AtomicFileTest, ContentAppearsOnlyAfterCommit) {
  test::TempDir dir;
  const std::string path = dir.Join("out");
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->Write("hello ").ok());
  ASSERT_TRUE(file->Write("world").ok());
  EXPECT_FALSE(test::FileExists(path)) << "visible before Commit";
  EXPECT_TRUE(test::FileExists(file->temp_path()));

  const std::string temp_path = file->temp_path();
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(test::ReadTestFile(path), "hello world");
  EXPECT_FALSE(test::FileExists(temp_path)) << "temporary file left behind";
  EXPECT_EQ(ListDir(dir.path()), std::set<std::string>{"out"});
}

TEST(AtomicFileTest, DestructorWithoutCommitLeavesNoTempFileAndNoTarget) {
  test::TempDir dir;
  const std::string path = dir.Join("out");
  std::string temp_path;
  {
    absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE(file->Write("abandoned").ok());
    temp_path = file->temp_path();
    ASSERT_TRUE(test::FileExists(temp_path));
  }
  EXPECT_FALSE(test::FileExists(temp_path));
  EXPECT_FALSE(test::FileExists(path));
  EXPECT_TRUE(ListDir(dir.path()).empty());
}

TEST(AtomicFileTest, AbandonedReplacementLeavesOldContent) {
  test::TempDir dir;
  const std::string path = dir.Join("out");
  test::WriteTestFile(path, "old");
  {
    absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(file->Write("new").ok());
  }
  EXPECT_EQ(test::ReadTestFile(path), "old");
  EXPECT_EQ(ListDir(dir.path()), std::set<std::string>{"out"});
}

TEST(AtomicFileTest, CommitReplacesExistingFile) {
  test::TempDir dir;
  const std::string path = dir.Join("out");
  test::WriteTestFile(path, "old content that is longer than the new one");
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file->Write("new").ok());
  EXPECT_EQ(test::ReadTestFile(path), "old content that is longer than the new one");
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(test::ReadTestFile(path), "new");
}

TEST(AtomicFileTest, TempFileLivesNextToTargetAndContainsTheMarker) {
  test::TempDir dir;
  const std::string path = dir.Join("entry");
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->path(), path);
  const std::string& temp = file->temp_path();
  EXPECT_EQ(Dirname(temp), Dirname(path));
  EXPECT_NE(Basename(temp).find(AtomicFile::kTempMarker), absl::string_view::npos) << temp;
  EXPECT_EQ(Basename(temp).substr(0, 5 + AtomicFile::kTempMarker.size()),
            std::string("entry") + std::string(AtomicFile::kTempMarker));
}

TEST(AtomicFileTest, ConcurrentAtomicFilesForOnePathUseDistinctTempFilesAndLastCommitWins) {
  test::TempDir dir;
  const std::string path = dir.Join("out");
  absl::StatusOr<AtomicFile> a = AtomicFile::Create(path);
  absl::StatusOr<AtomicFile> b = AtomicFile::Create(path);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->temp_path(), b->temp_path());
  ASSERT_TRUE(a->Write("from a").ok());
  ASSERT_TRUE(b->Write("from b").ok());
  ASSERT_TRUE(a->Commit().ok());
  EXPECT_EQ(test::ReadTestFile(path), "from a");
  ASSERT_TRUE(b->Commit().ok());
  EXPECT_EQ(test::ReadTestFile(path), "from b");
  EXPECT_EQ(ListDir(dir.path()), std::set<std::string>{"out"});
}

TEST(AtomicFileTest, WriteAndCommitAfterCommitFail) {
  test::TempDir dir;
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(dir.Join("out"));
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Write("late")));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Commit()));
  EXPECT_EQ(test::ReadTestFile(dir.Join("out")), "");
}

TEST(AtomicFileTest, MoveConstructionTransfersTheTempFile) {
  test::TempDir dir;
  const std::string path = dir.Join("out");
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
  ASSERT_TRUE(file.ok());
  const std::string temp = file->temp_path();
  {
    AtomicFile moved(std::move(*file));
    EXPECT_EQ(moved.temp_path(), temp);
    ASSERT_TRUE(moved.Write("moved").ok());
    ASSERT_TRUE(moved.Commit().ok());
  }
  EXPECT_EQ(test::ReadTestFile(path), "moved");
  file = absl::UnknownError("destroy the moved-from object");  // must not touch the result
  EXPECT_EQ(test::ReadTestFile(path), "moved");
  EXPECT_EQ(ListDir(dir.path()), std::set<std::string>{"out"});
}

TEST(AtomicFileTest, MoveAssignmentDiscardsTheOverwrittenTempFile) {
  test::TempDir dir;
  absl::StatusOr<AtomicFile> a = AtomicFile::Create(dir.Join("a"));
  absl::StatusOr<AtomicFile> b = AtomicFile::Create(dir.Join("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string a_temp = a->temp_path();
  *a = std::move(*b);
  EXPECT_FALSE(test::FileExists(a_temp));
  ASSERT_TRUE(a->Write("b content").ok());
  ASSERT_TRUE(a->Commit().ok());
  EXPECT_EQ(test::ReadTestFile(dir.Join("b")), "b content");
  EXPECT_FALSE(test::FileExists(dir.Join("a")));
}

TEST(AtomicFileTest, CreateInMissingDirectoryIsNotFound) {
  test::TempDir dir;
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(dir.Join("no/such/dir/out"));
  ASSERT_FALSE(file.ok());
  EXPECT_TRUE(absl::IsNotFound(file.status())) << file.status();
}

TEST(AtomicFileTest, WriteFileAtomicallyWritesContentWithMode) {
  test::TempDir dir;
  const std::string path = dir.Join("out");
  ASSERT_TRUE(WriteFileAtomically(path, std::string("a\0b", 3), 0600).ok());
  EXPECT_EQ(test::ReadTestFile(path), std::string("a\0b", 3));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(test::ReadTestFile(path), "second");
  EXPECT_EQ(ListDir(dir.path()), std::set<std::string>{"out"});
}

}  // namespace
}  // namespace zc::util
