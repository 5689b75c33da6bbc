// The client's checks before it talks to a daemon: only a socket itself, served by this user.
#include "cachecore/daemon/frame_io.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace zc::daemon {
namespace {

namespace fs = std::filesystem;

class FrameIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/zcwrap-frame-io-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FrameIoTest, ConnectsToAListeningSocketOfThisUser) {
  const std::string path = dir_ + "/s.sock";
  absl::StatusOr<util::ScopedFd> listener = ListenUnix(path);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE(ConnectUnix(path).ok());
}

TEST_F(FrameIoTest, ALinkToASocketIsNotFollowed) {
  const std::string path = dir_ + "/s.sock";
  absl::StatusOr<util::ScopedFd> listener = ListenUnix(path);
  ASSERT_TRUE(listener.ok()) << listener.status();
  fs::create_symlink(path, dir_ + "/link.sock");
  absl::StatusOr<util::ScopedFd> fd = ConnectUnix(dir_ + "/link.sock");
  EXPECT_TRUE(absl::IsUnavailable(fd.status())) << fd.status();
  EXPECT_NE(fd.status().message().find("not a socket"), std::string::npos);
}

TEST_F(FrameIoTest, AFifoIsNotASocket) {
  const std::string path = dir_ + "/fifo.sock";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_TRUE(absl::IsUnavailable(ConnectUnix(path).status()));
}

TEST_F(FrameIoTest, ASocketServedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to listen as another user";
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  const std::string path = dir_ + "/other.sock";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Another user's daemon: listens, says so, waits to be killed.
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) _exit(2);
    absl::StatusOr<util::ScopedFd> listener = ListenUnix(path);
    if (!listener.ok()) _exit(3);
    ::chmod(path.c_str(), 0666);
    (void)!::write(ready[1], "r", 1);
    ::pause();
    _exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the other user's listener did not start";
  ::close(ready[0]);
  absl::StatusOr<util::ScopedFd> fd = ConnectUnix(path);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(absl::IsPermissionDenied(fd.status())) << fd.status();
  EXPECT_NE(fd.status().message().find("uid 65534"), std::string::npos) << fd.status();
}

}  // namespace
}  // namespace zc::daemon
