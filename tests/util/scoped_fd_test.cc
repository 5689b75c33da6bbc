#include "cachecore/util/scoped_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "gtest/gtest.h"

namespace zc::util {
namespace {

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

int OpenDevNull() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(ScopedFdTest, ClosesOnDestruction) {
  int raw = OpenDevNull();
  ASSERT_GE(raw, 0);
  {
    ScopedFd fd(raw);
    EXPECT_TRUE(fd.valid());
    EXPECT_EQ(fd.get(), raw);
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(ScopedFdTest, DefaultIsInvalid) {
  ScopedFd fd;
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(fd.get(), -1);
}

TEST(ScopedFdTest, ReleaseGivesUpOwnershipWithoutClosing) {
  int raw = OpenDevNull();
  ASSERT_GE(raw, 0);
  {
    ScopedFd fd(raw);
    EXPECT_EQ(fd.Release(), raw);
    EXPECT_FALSE(fd.valid());
  }
  EXPECT_TRUE(IsOpen(raw));
  ::close(raw);
}

TEST(ScopedFdTest, MoveTransfersOwnershipAndAssignmentClosesTheOldDescriptor) {
  int a = OpenDevNull();
  int b = OpenDevNull();
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ScopedFd first(a);
  ScopedFd second(std::move(first));
  EXPECT_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(second.get(), a);

  ScopedFd third(b);
  third = std::move(second);
  EXPECT_FALSE(IsOpen(b)) << "assignment leaked the previous descriptor";
  EXPECT_EQ(third.get(), a);
  EXPECT_TRUE(IsOpen(a));
}

TEST(ScopedFdTest, ResetClosesAndTakesTheNewDescriptor) {
  int a = OpenDevNull();
  int b = OpenDevNull();
  ScopedFd fd(a);
  fd.Reset(b);
  EXPECT_FALSE(IsOpen(a));
  EXPECT_EQ(fd.get(), b);
  fd.Reset();
  EXPECT_FALSE(IsOpen(b));
  EXPECT_FALSE(fd.valid());
}

}  // namespace
}  // namespace zc::util
