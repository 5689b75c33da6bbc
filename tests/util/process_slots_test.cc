#include "cachecore/util/process_slots.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace zc::util {
namespace {

// A runner whose commands block until released, counting how many run at once.
class GatedRunner : public ProcessRunner {
 public:
  absl::StatusOr<ProcessResult> Run(const Command&) override {
    const int now = ++running_;
    int seen = peak_.load();
    while (now > seen && !peak_.compare_exchange_weak(seen, now)) {
    }
    while (!open_.load()) std::this_thread::yield();
    --running_;
    return ProcessResult{};
  }
  std::atomic<bool> open_{false};
  std::atomic<int> running_{0};
  std::atomic<int> peak_{0};
};

TEST(ProcessSlotsTest, AtMostTheLimitRunAndTheRestWait) {
  GatedRunner inner;
  ProcessSlots slots(&inner, 2, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&] { ASSERT_TRUE(slots.Run(Command{{"cc"}}).ok()); });
  }
  while (slots.running() + slots.waiting() < 5) std::this_thread::yield();
  EXPECT_EQ(slots.running(), 2u);
  EXPECT_EQ(slots.waiting(), 3u);
  inner.open_ = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(inner.peak_.load(), 2);
}

TEST(ProcessSlotsTest, TheHostsOwnProcessesCountAgainstTheLimit) {
  GatedRunner inner;
  inner.open_ = true;
  volatile int32_t host = 1;
  ProcessSlots slots(&inner, 1, &host);
  std::atomic<bool> done{false};
  std::thread t([&] {
    ASSERT_TRUE(slots.Run(Command{{"cc"}}).ok());
    done = true;
  });
  while (slots.waiting() == 0) std::this_thread::yield();
  EXPECT_FALSE(done.load());
  __atomic_store_n(&host, 0, __ATOMIC_RELEASE);
  t.join();
  EXPECT_TRUE(done.load());
}

TEST(ProcessSlotsTest, AWaitingCommandHonoursItsCancelFd) {
  GatedRunner inner;
  ProcessSlots slots(&inner, 1, nullptr);
  std::thread busy([&] { ASSERT_TRUE(slots.Run(Command{{"cc"}}).ok()); });
  while (slots.running() == 0) std::this_thread::yield();
  const int fd = ::eventfd(1, EFD_CLOEXEC);  // already readable: cancelled
  Command cmd{{"cc"}};
  cmd.cancel_fds = {fd};
  EXPECT_TRUE(absl::IsCancelled(slots.Run(cmd).status()));
  ::close(fd);
  inner.open_ = true;
  busy.join();
}

// Distributed compiles (a launcher such as distcc) take no local slot: with both local slots busy,
// six offloaded commands run at once, and no more than their own limit of six.
TEST(ProcessSlotsTest, OffloadedCommandsRunBeyondTheLocalBudgetUpToTheirOwnLimit) {
  GatedRunner inner;
  ProcessSlots slots(&inner, 2, nullptr);
  Command offloaded{{"distcc", "cc"}};
  offloaded.offloaded = true;
  offloaded.offload_limit = 6;
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] { ASSERT_TRUE(slots.Run(Command{{"cc"}}).ok()); });
  }
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ASSERT_TRUE(slots.Run(offloaded).ok()); });
  }
  while (slots.running() + slots.waiting() < 10) std::this_thread::yield();
  EXPECT_EQ(slots.running(), 8u);  // 2 local + 6 offloaded
  EXPECT_EQ(slots.waiting(), 2u);  // offloaded, over their limit
  EXPECT_EQ(inner.running_.load(), 8);
  inner.open_ = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(inner.peak_.load(), 8);
}

TEST(ProcessSlotsTest, OffloadedCommandsWithoutALimitNeverWait) {
  GatedRunner inner;
  ProcessSlots slots(&inner, 1, nullptr);
  Command offloaded{{"distcc", "cc"}};
  offloaded.offloaded = true;
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] { ASSERT_TRUE(slots.Run(offloaded).ok()); });
  }
  while (inner.running_.load() < 12) std::this_thread::yield();
  EXPECT_EQ(slots.waiting(), 0u);
  inner.open_ = true;
  for (std::thread& t : threads) t.join();
}

}  // namespace
}  // namespace zc::util
