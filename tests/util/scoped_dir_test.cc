#include "cachecore/util/scoped_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "gtest/gtest.h"

namespace zc::util {
namespace {

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

TEST(ScopedDirTest, ClosesOnDestruction) {
  int fd = -1;
  {
    ScopedDir dir(::opendir("/"));
    ASSERT_TRUE(dir.valid());
    fd = ::dirfd(dir.get());
    EXPECT_TRUE(IsOpen(fd));
  }
  EXPECT_FALSE(IsOpen(fd));
}

TEST(ScopedDirTest, FailedOpenAndDefaultAreInvalid) {
  ScopedDir missing(::opendir("/nonexistent-zcwrap-test-dir"));
  EXPECT_FALSE(missing.valid());
  EXPECT_EQ(missing.get(), nullptr);
  ScopedDir none;
  EXPECT_FALSE(none.valid());
}

TEST(ScopedDirTest, MoveTransfersOwnershipAndAssignmentClosesTheOldStream) {
  ScopedDir first(::opendir("/"));
  ScopedDir other(::opendir("/"));
  ASSERT_TRUE(first.valid());
  ASSERT_TRUE(other.valid());
  DIR* const a = first.get();
  const int other_fd = ::dirfd(other.get());

  ScopedDir second(std::move(first));
  EXPECT_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(second.get(), a);

  other = std::move(second);
  EXPECT_FALSE(IsOpen(other_fd)) << "assignment leaked the previous stream";
  EXPECT_EQ(other.get(), a);
  EXPECT_TRUE(IsOpen(::dirfd(a)));
}

TEST(ScopedDirTest, ResetClosesEarly) {
  ScopedDir dir(::opendir("/"));
  ASSERT_TRUE(dir.valid());
  const int fd = ::dirfd(dir.get());
  dir.Reset();
  EXPECT_FALSE(dir.valid());
  EXPECT_FALSE(IsOpen(fd));
}

}  // namespace
}  // namespace zc::util
