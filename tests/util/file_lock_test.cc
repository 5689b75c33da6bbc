#include "cachecore/util/file_lock.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace zc::util {
namespace {

// A pipe a child uses to tell the parent "I hold the lock".
class Signal {
 public:
  Signal() {
    int fds[2];
    if (::pipe(fds) != 0) ADD_FAILURE() << "pipe failed";
    read_fd_ = fds[0];
    write_fd_ = fds[1];
  }
  ~Signal() {
    ::close(read_fd_);
    ::close(write_fd_);
  }
  void Notify() { (void)!::write(write_fd_, "x", 1); }
  // True when the child notified, false if it exited first (end of file).
  bool AwaitInParent() {
    ::close(write_fd_);
    write_fd_ = -1;
    char c;
    return ::read(read_fd_, &c, 1) == 1;
  }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

TEST(FileLockTest, TryAcquireTakesAFreeLockAndCreatesTheFile) {
  test::TempDir dir;
  const std::string path = dir.Join("lock");
  absl::StatusOr<std::optional<FileLock>> lock = FileLock::TryAcquire(path);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(lock->has_value());
  EXPECT_TRUE(test::FileExists(path));
}

TEST(FileLockTest, SecondLockInTheSameProcessIsExcludedUntilTheFirstIsReleased) {
  test::TempDir dir;
  const std::string path = dir.Join("lock");
  {
    absl::StatusOr<FileLock> held = FileLock::Acquire(path);
    ASSERT_TRUE(held.ok()) << held.status();
    absl::StatusOr<std::optional<FileLock>> again = FileLock::TryAcquire(path);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_FALSE(again->has_value());
  }
  absl::StatusOr<std::optional<FileLock>> after = FileLock::TryAcquire(path);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->has_value());
}

TEST(FileLockTest, MovedLockStaysHeld) {
  test::TempDir dir;
  const std::string path = dir.Join("lock");
  absl::StatusOr<FileLock> held = FileLock::Acquire(path);
  ASSERT_TRUE(held.ok());
  FileLock moved = std::move(*held);
  held = absl::UnknownError("destroy the moved-from lock");
  absl::StatusOr<std::optional<FileLock>> again = FileLock::TryAcquire(path);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value()) << "moving the lock released it";
}

TEST(FileLockTest, TryAcquireReturnsNulloptWhileAnotherProcessHoldsTheLock) {
  test::TempDir dir;
  const std::string path = dir.Join("lock");
  Signal locked;
  int release_pipe[2];
  ASSERT_EQ(::pipe(release_pipe), 0);
  const pid_t child = test::ForkChild([&] {
    ::close(release_pipe[1]);
    absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
    if (!lock.ok()) return 1;
    locked.Notify();
    char c;
    while (::read(release_pipe[0], &c, 1) > 0) {
    }
    return 0;  // releases the lock by exiting
  });
  ::close(release_pipe[0]);
  ASSERT_TRUE(locked.AwaitInParent());

  absl::StatusOr<std::optional<FileLock>> attempt = FileLock::TryAcquire(path);
  ASSERT_TRUE(attempt.ok()) << attempt.status();
  EXPECT_FALSE(attempt->has_value()) << "got a lock another process holds";

  ::close(release_pipe[1]);
  EXPECT_TRUE(test::WaitForSuccess(child));
  attempt = FileLock::TryAcquire(path);
  ASSERT_TRUE(attempt.ok());
  EXPECT_TRUE(attempt->has_value());
}

TEST(FileLockTest, LockIsReleasedWhenTheHolderIsKilled) {
  test::TempDir dir;
  const std::string path = dir.Join("lock");
  Signal locked;
  const pid_t child = test::ForkChild([&] {
    absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
    if (!lock.ok()) return 1;
    locked.Notify();
    for (;;) ::pause();
  });
  ASSERT_TRUE(locked.AwaitInParent());

  absl::StatusOr<std::optional<FileLock>> attempt = FileLock::TryAcquire(path);
  ASSERT_TRUE(attempt.ok());
  EXPECT_FALSE(attempt->has_value());

  ASSERT_EQ(::kill(child, SIGKILL), 0);
  const int status = test::WaitForStatus(child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  attempt = FileLock::TryAcquire(path);
  ASSERT_TRUE(attempt.ok());
  EXPECT_TRUE(attempt->has_value()) << "a killed process left the lock held";
  attempt->reset();
  absl::StatusOr<FileLock> blocking = FileLock::Acquire(path);
  EXPECT_TRUE(blocking.ok()) << blocking.status();
}

TEST(FileLockTest, AcquireWaitsForTheHolderToRelease) {
  test::TempDir dir;
  const std::string path = dir.Join("lock");
  const std::string marker = dir.Join("released");
  Signal locked;
  const pid_t child = test::ForkChild([&] {
    absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
    if (!lock.ok()) return 1;
    locked.Notify();
    ::usleep(200 * 1000);
    // Written while still holding the lock: the parent must see it once it gets the lock.
    FILE* f = std::fopen(marker.c_str(), "w");
    if (f == nullptr) return 2;
    std::fclose(f);
    return 0;
  });
  ASSERT_TRUE(locked.AwaitInParent());
  absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(test::FileExists(marker)) << "Acquire returned while another process held the lock";
  EXPECT_TRUE(test::WaitForSuccess(child));
}

TEST(FileLockTest, LockInMissingDirectoryIsNotFound) {
  test::TempDir dir;
  EXPECT_TRUE(absl::IsNotFound(FileLock::Acquire(dir.Join("missing/lock")).status()));
  EXPECT_TRUE(absl::IsNotFound(FileLock::TryAcquire(dir.Join("missing/lock")).status()));
}

}  // namespace
}  // namespace zc::util
