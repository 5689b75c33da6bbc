#include "cachecore/util/worker_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"

namespace zc::util {
namespace {

// A gate closures wait at, bounded so that a broken pool fails the test instead of hanging it.
class Gate {
 public:
  // True once `n` callers arrived; false after 10 s.
  bool ArriveAndWaitFor(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    ++arrived_;
    cv_.notify_all();
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return arrived_ >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitOpen() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  bool open_ = false;
};

TEST(WorkerPoolTest, NoClosureWaitsForAnother) {
  // Each closure returns only once all 12 run at once: a pool that queued one behind another
  // (a fixed number of threads) would time out here.
  constexpr int kClosures = 12;
  WorkerPool pool(/*max_idle=*/2);
  Gate gate;
  std::atomic<int> met{0};
  for (int i = 0; i < kClosures; ++i) {
    ASSERT_TRUE(pool.Run([&] { met += gate.ArriveAndWaitFor(kClosures) ? 1 : 0; }).ok());
  }
  pool.WaitUntilQuiet();
  EXPECT_EQ(met.load(), kClosures);
  EXPECT_EQ(pool.counts().started, static_cast<uint64_t>(kClosures));
  // Only max_idle threads stay.
  EXPECT_EQ(pool.counts().threads, 2u);
  EXPECT_EQ(pool.counts().idle, 2u);
}

TEST(WorkerPoolTest, AnIdleThreadTakesTheNextClosure) {
  WorkerPool pool(/*max_idle=*/4);
  std::atomic<int> ran{0};
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(pool.Run([&] { ++ran; }).ok());
    pool.WaitUntilQuiet();
  }
  EXPECT_EQ(ran.load(), 20);
  EXPECT_EQ(pool.counts().started, 1u);
  EXPECT_EQ(pool.counts().threads, 1u);
}

TEST(WorkerPoolTest, ABusyThreadIsNotWaitedFor) {
  WorkerPool pool(/*max_idle=*/4);
  Gate busy;
  ASSERT_TRUE(pool.Run([&] { busy.WaitOpen(); }).ok());
  // The one thread is busy until the gate opens, which only the second closure does.
  ASSERT_TRUE(pool.Run([&] { busy.Open(); }).ok());
  EXPECT_TRUE(busy.WaitOpen());
  pool.WaitUntilQuiet();
  EXPECT_EQ(pool.counts().started, 2u);
  EXPECT_EQ(pool.counts().running, 0u);
}

TEST(WorkerPoolTest, NoIdleThreadsKeptWithZeroMaxIdle) {
  WorkerPool pool(/*max_idle=*/0);
  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.Run([&] { ++ran; }).ok());
  pool.WaitUntilQuiet();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_EQ(pool.counts().threads, 0u);
}

TEST(WorkerPoolTest, TheDestructorWaitsForRunningClosures) {
  std::atomic<bool> finished{false};
  {
    WorkerPool pool(/*max_idle=*/1);
    ASSERT_TRUE(pool.Run([&] {
                      std::this_thread::sleep_for(std::chrono::milliseconds(50));
                      finished = true;
                    })
                    .ok());
  }
  EXPECT_TRUE(finished.load());
}

TEST(WorkerPoolTest, ClosuresCapturesAreGoneWhenTheyAreCountedDone) {
  WorkerPool pool(/*max_idle=*/1);
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  ASSERT_TRUE(pool.Run([t = std::move(token)] { (void)*t; }).ok());
  pool.WaitUntilQuiet();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace zc::util
