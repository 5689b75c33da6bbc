#include "cachecore/util/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "cachecore/util/scoped_fd.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::util {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(PathTest, DirnameReturnsTheDirectoryPart) {
  EXPECT_EQ(Dirname("/a/b/c"), "/a/b");
  EXPECT_EQ(Dirname("a/b"), "a");
  EXPECT_EQ(Dirname("a"), ".");
  EXPECT_EQ(Dirname(""), ".");
  EXPECT_EQ(Dirname("/a"), "/");
  EXPECT_EQ(Dirname("/"), "/");
  EXPECT_EQ(Dirname("./x"), ".");
}

TEST(PathTest, BasenameReturnsTheLastComponent) {
  EXPECT_EQ(Basename("/a/b/c.o"), "c.o");
  EXPECT_EQ(Basename("c.o"), "c.o");
  EXPECT_EQ(Basename("/c"), "c");
  EXPECT_EQ(Basename("a/"), "");
  EXPECT_EQ(Basename(""), "");
}

TEST(PathTest, JoinPathUsesExactlyOneSlash) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("/x/y", "z/w"), "/x/y/z/w");
  EXPECT_EQ(JoinPath("/", "b"), "/b");
}

TEST(PathTest, JoinPathKeepsAbsoluteOrLoneParts) {
  EXPECT_EQ(JoinPath("a", "/b"), "/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
  EXPECT_EQ(JoinPath("a", ""), "a");
  EXPECT_EQ(JoinPath("", ""), "");
}

TEST(CreateDirectoriesTest, CreatesNestedDirectories) {
  test::TempDir dir;
  const std::string path = dir.Join("a/b/c/d");
  ASSERT_TRUE(CreateDirectories(path).ok());
  EXPECT_TRUE(IsDirectory(dir.Join("a")));
  EXPECT_TRUE(IsDirectory(dir.Join("a/b/c")));
  EXPECT_TRUE(IsDirectory(path));
}

TEST(CreateDirectoriesTest, ExistingDirectoryIsOk) {
  test::TempDir dir;
  EXPECT_TRUE(CreateDirectories(dir.path()).ok());
  ASSERT_TRUE(CreateDirectories(dir.Join("x/y")).ok());
  EXPECT_TRUE(CreateDirectories(dir.Join("x/y")).ok());
  EXPECT_TRUE(CreateDirectories(dir.Join("x")).ok());
}

TEST(CreateDirectoriesTest, FileInTheWayIsAnError) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("file"), "x");
  absl::Status status = CreateDirectories(dir.Join("file"));
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(dir.Join("file")), absl::string_view::npos) << status;

  // A file as a parent component.
  EXPECT_FALSE(CreateDirectories(dir.Join("file/sub")).ok());
  EXPECT_FALSE(CreateDirectories(dir.Join("file/sub/deeper")).ok());
  EXPECT_EQ(test::ReadTestFile(dir.Join("file")), "x");
}

TEST(CreateDirectoriesTest, EmptyPathIsInvalidArgument) {
  EXPECT_TRUE(absl::IsInvalidArgument(CreateDirectories("")));
}

TEST(CreateDirectoriesTest, RelativePathsWork) {
  test::TempDir dir;
  char old_cwd[4096];
  ASSERT_NE(::getcwd(old_cwd, sizeof(old_cwd)), nullptr);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  absl::Status status = CreateDirectories("rel/a/b");
  ASSERT_EQ(::chdir(old_cwd), 0);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(IsDirectory(dir.Join("rel/a/b")));
}

TEST(ReadFileToStringTest, MissingFileIsNotFound) {
  test::TempDir dir;
  absl::StatusOr<std::string> data = ReadFileToString(dir.Join("missing"));
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(absl::IsNotFound(data.status())) << data.status();
  EXPECT_NE(data.status().message().find("missing"), absl::string_view::npos);
}

TEST(ReadFileToStringTest, ReadsWholeBinaryContent) {
  test::TempDir dir;
  for (size_t size : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536}, size_t{300000}}) {
    const std::string content = test::PseudoRandomBytes(size, size);
    test::WriteTestFile(dir.Join("f"), content);
    absl::StatusOr<std::string> data = ReadFileToString(dir.Join("f"));
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_EQ(*data, content) << "size " << size;
  }
}

TEST(ReadFileToStringTest, PathUnderAFileIsNotFound) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("file"), "x");
  EXPECT_TRUE(absl::IsNotFound(ReadFileToString(dir.Join("file/child")).status()));
}

TEST(WriteAllTest, WritesEverythingThatReadAllReadsBack) {
  test::TempDir dir;
  const std::string path = dir.Join("f");
  const std::string content = test::PseudoRandomBytes(200000, 4);
  {
    ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(WriteAll(fd.get(), content).ok());
    ASSERT_TRUE(WriteAll(fd.get(), "").ok());
  }
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  absl::StatusOr<std::string> back = ReadAll(fd.get());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, content);
}

TEST(WriteAllTest, ReadAllWorksOnAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ScopedFd read_end(fds[0]);
  {
    ScopedFd write_end(fds[1]);
    ASSERT_TRUE(WriteAll(write_end.get(), "through a pipe").ok());
  }
  absl::StatusOr<std::string> back = ReadAll(read_end.get());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "through a pipe");
}

TEST(WriteAllTest, WriteToABadDescriptorIsAnError) {
  EXPECT_FALSE(WriteAll(-1, "x").ok());
  EXPECT_FALSE(ReadAll(-1).ok());
}

TEST(RemoveFileTest, RemovesAFileAndToleratesAMissingOne) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("f"), "x");
  EXPECT_TRUE(RemoveFile(dir.Join("f")).ok());
  EXPECT_FALSE(test::FileExists(dir.Join("f")));
  EXPECT_TRUE(RemoveFile(dir.Join("f")).ok());
}

TEST(ErrnoToStatusTest, MapsErrnoToCanonicalCodes) {
  EXPECT_TRUE(absl::IsNotFound(ErrnoToStatus(ENOENT, "x")));
  EXPECT_TRUE(absl::IsPermissionDenied(ErrnoToStatus(EACCES, "x")));
  EXPECT_TRUE(absl::IsPermissionDenied(ErrnoToStatus(EPERM, "x")));
  EXPECT_TRUE(absl::IsResourceExhausted(ErrnoToStatus(ENOSPC, "x")));
  EXPECT_TRUE(absl::IsResourceExhausted(ErrnoToStatus(EDQUOT, "x")));
  EXPECT_TRUE(absl::IsInternal(ErrnoToStatus(EIO, "x")));
}

TEST(ErrnoToStatusTest, MessageIsWhatThenErrnoText) {
  absl::Status status = ErrnoToStatus(ENOENT, "/some/path");
  EXPECT_EQ(status.message(), std::string("/some/path: ") + std::strerror(ENOENT));
}

TEST(AnnotateTest, PrefixesTheMessageAndKeepsTheCode) {
  absl::Status status = Annotate(absl::DataLossError("bad checksum"), "/cache/f");
  EXPECT_TRUE(absl::IsDataLoss(status));
  EXPECT_EQ(status.message(), "/cache/f: bad checksum");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "context").ok());
}

}  // namespace
}  // namespace zc::util
