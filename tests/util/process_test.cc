#include "cachecore/util/process.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace zc::util {
namespace {

TEST(AnyReadableTest, SaysWhetherAnyDescriptorFired) {
  const int a = ::eventfd(0, EFD_CLOEXEC), b = ::eventfd(0, EFD_CLOEXEC);
  EXPECT_FALSE(AnyReadable({}));
  EXPECT_FALSE(AnyReadable({a, b}));
  const uint64_t one = 1;
  ASSERT_EQ(::write(b, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  EXPECT_TRUE(AnyReadable({a, b}));
  EXPECT_FALSE(AnyReadable({a}));
  ::close(a);
  ::close(b);
}

TEST(PosixProcessRunnerTest, OnOutputSeesEveryChunkOfBothStreamsInOrder) {
  Command cmd;
  cmd.argv = {"/bin/sh", "-c", "printf out1; printf err1 >&2; sleep 0.05; printf out2"};
  std::string out, err;
  cmd.on_output = [&](int stream, absl::string_view chunk) {
    (stream == 1 ? out : err).append(chunk.data(), chunk.size());
  };
  absl::StatusOr<ProcessResult> r = PosixProcessRunner().Run(cmd);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(out, "out1out2");
  EXPECT_EQ(err, "err1");
  EXPECT_EQ(r->stdout_data, out);
  EXPECT_EQ(r->stderr_data, err);
}

TEST(PosixProcessRunnerTest, AnyOfSeveralCancelFdsKillsTheRun) {
  const int quiet = ::eventfd(0, EFD_CLOEXEC), fires = ::eventfd(0, EFD_CLOEXEC);
  std::thread trigger([fires] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const uint64_t one = 1;
    (void)!::write(fires, &one, sizeof(one));
  });
  Command cmd;
  cmd.argv = {"/bin/sleep", "30"};
  cmd.cancel_fds = {quiet, fires};
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ProcessResult> r = PosixProcessRunner().Run(cmd);
  trigger.join();
  EXPECT_TRUE(absl::IsCancelled(r.status())) << r.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ::close(quiet);
  ::close(fires);
}

}  // namespace
}  // namespace zc::util
