#include "cachecore/util/worker_pool.h"

#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace zc::util {

WorkerPool::WorkerPool(size_t max_idle) : max_idle_(max_idle) {}

WorkerPool::~WorkerPool() {
  std::unique_lock<std::mutex> lock(mu_);
  stopping_ = true;
  work_cv_.notify_all();
  state_cv_.wait(lock, [this] { return counts_.threads == 0; });
}

absl::Status WorkerPool::Run(std::function<void()> work) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return absl::FailedPreconditionError("the worker pool is stopping");
  queue_.push_back(std::move(work));
  // Every queued closure has an idle thread to take it: wake one. Otherwise start one, so the
  // closure never waits behind a running one.
  if (queue_.size() <= counts_.idle) {
    work_cv_.notify_one();
    return absl::OkStatus();
  }
  try {
    std::thread([this] { Work(); }).detach();
  } catch (const std::system_error& e) {
    queue_.pop_back();
    return absl::ResourceExhaustedError(absl::StrCat("cannot start a thread: ", e.what()));
  }
  ++counts_.threads;
  ++counts_.started;
  return absl::OkStatus();
}

void WorkerPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (!queue_.empty()) {
      std::function<void()> work = std::move(queue_.front());
      queue_.pop_front();
      ++counts_.running;
      lock.unlock();
      work();
      work = nullptr;  // the closure's captures go before the pool hears it returned
      lock.lock();
      --counts_.running;
      state_cv_.notify_all();
      continue;
    }
    if (stopping_ || counts_.idle >= max_idle_) break;
    ++counts_.idle;
    state_cv_.notify_all();
    work_cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    --counts_.idle;
  }
  // The last touch of the pool, under its lock: the destructor waits for it.
  --counts_.threads;
  state_cv_.notify_all();
}

WorkerPool::Counts WorkerPool::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void WorkerPool::WaitUntilQuiet() {
  std::unique_lock<std::mutex> lock(mu_);
  state_cv_.wait(lock, [this] {
    return queue_.empty() && counts_.running == 0 && counts_.threads == counts_.idle;
  });
}

}  // namespace zc::util
