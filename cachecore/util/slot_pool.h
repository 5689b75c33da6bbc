// SlotPool: a budget of N compiler slots shared by a host (a build tool) and the services that
// compile for it, so that together they never run more than N processes. Waiters are served in
// arrival order (FIFO); a released slot is handed straight to the first waiter, so nobody can
// overtake it and the count never overshoots. Both sides see every count (counts()).
//
//   auto pool = std::make_shared<zc::util::SlotPool>(/*limit=*/8);
//   if (pool->Acquire(SlotPool::Holder::kHost, cancel_fds)) { run; pool->Release(kHost); }
//   uint64_t ticket = pool->AcquireAsync(kHost, [] { /* the slot is ours */ });
//   pool->CancelWait(ticket);   // true: removed before it was granted, `ready` never runs
//
// `external` (optional) counts holders the pool does not see acquire: the deprecated polled
// counter of zcshim's host_in_flight. It is re-read every 2 ms while somebody waits.
// Thread-safe.
#ifndef ZCWRAP_CACHECORE_UTIL_SLOT_POOL_H_
#define ZCWRAP_CACHECORE_UTIL_SLOT_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "cachecore/util/wake_fd.h"

namespace zc::util {

class SlotPool {
 public:
  enum class Holder { kHost, kService };
  struct Counts {
    uint32_t limit = 0;
    uint32_t host_held = 0;
    uint32_t service_held = 0;
    uint32_t host_waiting = 0;
    uint32_t service_waiting = 0;
  };

  explicit SlotPool(uint32_t limit, std::function<int64_t()> external = {});
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  // Waits for a slot (FIFO). False, holding nothing, if one of `cancel_fds` became readable
  // first.
  bool Acquire(Holder who, const std::vector<int>& cancel_fds);
  // A slot now, if one is free and nobody waits for one.
  bool TryAcquire(Holder who);
  // Queues for a slot; `ready` runs once it is granted: inline if it is free now, else on the
  // thread that releases one (outside the pool's lock). Returns a ticket for CancelWait.
  uint64_t AcquireAsync(Holder who, std::function<void()> ready);
  // True: the wait was removed before its grant; `ready` never runs. False: it was granted
  // (`ready` ran or runs now), so the slot is the waiter's to release.
  bool CancelWait(uint64_t ticket);
  void Release(Holder who);

  Counts counts() const;
  uint32_t limit() const { return limit_; }

 private:
  struct Waiter {
    uint64_t ticket = 0;
    Holder who = Holder::kService;
    std::function<void()> ready;   // async waiters
    const WakeFd* wake = nullptr;  // blocking waiters that also watch descriptors
    bool granted = false;
  };

  int64_t ExternalCount() const;
  bool FreeLocked() const;
  uint32_t& held(Holder who) { return who == Holder::kHost ? host_held_ : service_held_; }
  uint32_t& waiting(Holder who) { return who == Holder::kHost ? host_waiting_ : service_waiting_; }
  // Grants free slots to the waiters at the head of the queue. Returns the async waiters'
  // callbacks, to be run once mu_ is released.
  std::vector<std::function<void()>> GrantLocked();
  // Removes `waiter` from the queue if it is still there.
  void DropLocked(const std::shared_ptr<Waiter>& waiter);
  void RunReady(std::vector<std::function<void()>> ready);

  const uint32_t limit_;
  const std::function<int64_t()> external_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Waiter>> queue_;
  uint64_t next_ticket_ = 1;
  uint32_t host_held_ = 0;
  uint32_t service_held_ = 0;
  uint32_t host_waiting_ = 0;
  uint32_t service_waiting_ = 0;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_SLOT_POOL_H_
