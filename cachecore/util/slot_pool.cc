#include "cachecore/util/slot_pool.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "cachecore/util/process.h"

namespace zc::util {
namespace {

constexpr auto kExternalPoll = std::chrono::milliseconds(2);

// Waits until one of `fds` is readable, or `timeout_ms` passed (-1: no limit).
void WaitReadable(const std::vector<int>& fds, int timeout_ms) {
  std::vector<pollfd> p;
  p.reserve(fds.size());
  for (int fd : fds) p.push_back({fd, POLLIN, 0});
  (void)::poll(p.data(), p.size(), timeout_ms);  // EINTR: the caller re-checks and waits again
}

}  // namespace

SlotPool::SlotPool(uint32_t limit, std::function<int64_t()> external)
    : limit_(limit == 0 ? 1 : limit), external_(std::move(external)) {}

int64_t SlotPool::ExternalCount() const {
  if (!external_) return 0;
  return std::max<int64_t>(0, external_());
}

bool SlotPool::FreeLocked() const {
  return int64_t{host_held_} + service_held_ + ExternalCount() < limit_;
}

std::vector<std::function<void()>> SlotPool::GrantLocked() {
  std::vector<std::function<void()>> ready;
  bool woke_blocking = false;
  while (!queue_.empty() && FreeLocked()) {
    std::shared_ptr<Waiter> w = std::move(queue_.front());
    queue_.pop_front();
    --waiting(w->who);
    ++held(w->who);
    w->granted = true;
    if (w->ready) {
      ready.push_back(std::move(w->ready));
    } else {
      if (w->wake != nullptr) w->wake->Signal();
      woke_blocking = true;
    }
  }
  if (woke_blocking) cv_.notify_all();
  return ready;
}

void SlotPool::DropLocked(const std::shared_ptr<Waiter>& waiter) {
  auto it = std::find(queue_.begin(), queue_.end(), waiter);
  if (it == queue_.end()) return;
  queue_.erase(it);
  --waiting(waiter->who);
}

void SlotPool::RunReady(std::vector<std::function<void()>> ready) {
  for (std::function<void()>& f : ready) f();
}

bool SlotPool::Acquire(Holder who, const std::vector<int>& cancel_fds) {
  std::unique_lock<std::mutex> lock(mu_);
  if (queue_.empty() && FreeLocked()) {
    ++held(who);
    return true;
  }
  // Descriptors to watch: wait in poll(2) on them and on a descriptor the grant signals.
  std::optional<WakeFd> wake;
  std::vector<int> fds = cancel_fds;
  if (!cancel_fds.empty()) {
    absl::StatusOr<WakeFd> made = WakeFd::Create();
    if (made.ok()) {
      wake = std::move(*made);
      fds.push_back(wake->fd());
    }
  }
  auto w = std::make_shared<Waiter>();
  w->ticket = next_ticket_++;
  w->who = who;
  w->wake = wake ? &*wake : nullptr;
  queue_.push_back(w);
  ++waiting(who);
  for (;;) {
    if (w->granted) return true;
    if (!cancel_fds.empty() && AnyReadable(cancel_fds)) break;
    if (wake) {
      lock.unlock();
      // Without a wake descriptor (none could be made) the cancel fds are polled instead.
      WaitReadable(fds, external_ ? static_cast<int>(kExternalPoll.count()) : -1);
      lock.lock();
    } else if (!cancel_fds.empty() || external_) {
      cv_.wait_for(lock, kExternalPoll);
    } else {
      cv_.wait(lock);
    }
    if (external_ && !w->granted) {
      // The external count may have dropped: nobody releases through the pool for it.
      std::vector<std::function<void()>> ready = GrantLocked();
      if (!ready.empty()) {
        lock.unlock();
        RunReady(std::move(ready));
        lock.lock();
      }
    }
  }
  DropLocked(w);
  return false;
}

bool SlotPool::TryAcquire(Holder who) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!queue_.empty() || !FreeLocked()) return false;
  ++held(who);
  return true;
}

uint64_t SlotPool::AcquireAsync(Holder who, std::function<void()> ready) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t ticket = next_ticket_++;
  if (queue_.empty() && FreeLocked()) {
    ++held(who);
    lock.unlock();
    ready();
    return ticket;
  }
  auto w = std::make_shared<Waiter>();
  w->ticket = ticket;
  w->who = who;
  w->ready = std::move(ready);
  queue_.push_back(std::move(w));
  ++waiting(who);
  return ticket;
}

bool SlotPool::CancelWait(uint64_t ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if ((*it)->ticket == ticket) {
      --waiting((*it)->who);
      queue_.erase(it);
      return true;
    }
  }
  return false;
}

void SlotPool::Release(Holder who) {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint32_t& n = held(who);
    if (n == 0) return;  // a release without an acquire: ignored, never an underflow
    --n;
    ready = GrantLocked();
  }
  RunReady(std::move(ready));
}

SlotPool::Counts SlotPool::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  Counts c;
  c.limit = limit_;
  c.host_held = host_held_ + static_cast<uint32_t>(ExternalCount());
  c.service_held = service_held_;
  c.host_waiting = host_waiting_;
  c.service_waiting = service_waiting_;
  return c;
}

}  // namespace zc::util
