#include "cachecore/util/slot_pool.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "cachecore/util/wake_fd.h"
#include "gtest/gtest.h"

namespace zc::util {
namespace {

using Holder = SlotPool::Holder;

// Waits (bounded) until `done` holds.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 5000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return done();
}

TEST(SlotPoolTest, HostAndServiceShareOneBudget) {
  SlotPool pool(2);
  EXPECT_TRUE(pool.TryAcquire(Holder::kHost));
  EXPECT_TRUE(pool.TryAcquire(Holder::kService));
  EXPECT_FALSE(pool.TryAcquire(Holder::kHost));
  SlotPool::Counts c = pool.counts();
  EXPECT_EQ(c.limit, 2u);
  EXPECT_EQ(c.host_held, 1u);
  EXPECT_EQ(c.service_held, 1u);
  pool.Release(Holder::kHost);
  EXPECT_TRUE(pool.TryAcquire(Holder::kService));
  EXPECT_EQ(pool.counts().service_held, 2u);
}

TEST(SlotPoolTest, AReleasedSlotGoesToTheFirstWaiterInOrder) {
  SlotPool pool(1);
  ASSERT_TRUE(pool.TryAcquire(Holder::kHost));
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&, i] {
      ASSERT_TRUE(pool.Acquire(i % 2 ? Holder::kHost : Holder::kService, {}));
      {
        std::lock_guard<std::mutex> lock(mu);
        order.push_back(i);
      }
      pool.Release(i % 2 ? Holder::kHost : Holder::kService);
    });
    // Each in the queue before the next arrives.
    ASSERT_TRUE(Eventually([&] {
      SlotPool::Counts c = pool.counts();
      return c.host_waiting + c.service_waiting == static_cast<uint32_t>(i + 1);
    }));
  }
  // A newcomer cannot overtake the queue, even at the moment a slot is released.
  EXPECT_FALSE(pool.TryAcquire(Holder::kHost));
  pool.Release(Holder::kHost);
  for (std::thread& t : waiters) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(pool.counts().host_held + pool.counts().service_held, 0u);
}

TEST(SlotPoolTest, NeverMoreHoldersThanTheLimit) {
  SlotPool pool(3);
  std::atomic<int> now{0}, peak{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const Holder who = i % 2 ? Holder::kHost : Holder::kService;
      for (int j = 0; j < 50; ++j) {
        ASSERT_TRUE(pool.Acquire(who, {}));
        const int n = ++now;
        int seen = peak.load();
        while (n > seen && !peak.compare_exchange_weak(seen, n)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        --now;
        pool.Release(who);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2);
}

TEST(SlotPoolTest, AnAsyncWaiterIsCalledByTheRelease) {
  SlotPool pool(1);
  bool ran_inline = false;
  pool.AcquireAsync(Holder::kHost, [&] { ran_inline = true; });
  EXPECT_TRUE(ran_inline);  // free: granted at once
  std::atomic<bool> ready{false};
  const uint64_t ticket = pool.AcquireAsync(Holder::kHost, [&] { ready = true; });
  EXPECT_FALSE(ready.load());
  EXPECT_EQ(pool.counts().host_waiting, 1u);
  pool.Release(Holder::kHost);
  EXPECT_TRUE(ready.load());
  EXPECT_FALSE(pool.CancelWait(ticket));  // granted already: the slot is the waiter's
  EXPECT_EQ(pool.counts().host_held, 1u);
}

TEST(SlotPoolTest, AWithdrawnWaitIsNeverGranted) {
  SlotPool pool(1);
  ASSERT_TRUE(pool.TryAcquire(Holder::kService));
  bool ready = false;
  const uint64_t ticket = pool.AcquireAsync(Holder::kHost, [&] { ready = true; });
  EXPECT_TRUE(pool.CancelWait(ticket));
  pool.Release(Holder::kService);
  EXPECT_FALSE(ready);
  EXPECT_EQ(pool.counts().host_held, 0u);
  EXPECT_TRUE(pool.TryAcquire(Holder::kHost));
}

TEST(SlotPoolTest, ABlockedWaiterHonoursItsCancelFdAndHoldsNothing) {
  SlotPool pool(1);
  ASSERT_TRUE(pool.TryAcquire(Holder::kHost));
  absl::StatusOr<WakeFd> cancel = WakeFd::Create();
  ASSERT_TRUE(cancel.ok());
  std::atomic<int> got{-1};
  std::thread waiter([&] { got = pool.Acquire(Holder::kService, {cancel->fd()}) ? 1 : 0; });
  ASSERT_TRUE(Eventually([&] { return pool.counts().service_waiting == 1; }));
  cancel->Signal();
  waiter.join();
  EXPECT_EQ(got.load(), 0);
  SlotPool::Counts c = pool.counts();
  EXPECT_EQ(c.service_waiting, 0u);
  EXPECT_EQ(c.service_held, 0u);
}

TEST(SlotPoolTest, AWaiterWatchingDescriptorsIsWokenByTheRelease) {
  SlotPool pool(1);
  ASSERT_TRUE(pool.TryAcquire(Holder::kHost));
  absl::StatusOr<WakeFd> cancel = WakeFd::Create();
  ASSERT_TRUE(cancel.ok());
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = pool.Acquire(Holder::kService, {cancel->fd()}); });
  ASSERT_TRUE(Eventually([&] { return pool.counts().service_waiting == 1; }));
  const auto released = std::chrono::steady_clock::now();
  pool.Release(Holder::kHost);
  waiter.join();
  EXPECT_TRUE(got.load());
  // Woken by the grant, not by a timer: well under a scheduler's tick on an idle machine.
  EXPECT_LT(std::chrono::steady_clock::now() - released, std::chrono::seconds(1));
  EXPECT_EQ(pool.counts().service_held, 1u);
}

TEST(SlotPoolTest, AnExternalCountIsPartOfTheBudget) {
  std::atomic<int64_t> external{2};
  SlotPool pool(2, [&] { return external.load(); });
  EXPECT_FALSE(pool.TryAcquire(Holder::kService));
  EXPECT_EQ(pool.counts().host_held, 2u);
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = pool.Acquire(Holder::kService, {}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(got.load());
  external = 1;  // nobody releases through the pool: the waiter re-reads the count
  waiter.join();
  EXPECT_TRUE(got.load());
}

}  // namespace
}  // namespace zc::util
