// WorkerPool: runs closures on threads it keeps, so a closure costs a condition-variable wake
// instead of a thread start. No closure ever waits for another: with no idle thread a new one
// starts, so the pool grows to as many threads as closures run at once. When a closure returns,
// its thread waits for the next one, unless `max_idle` threads already wait; then it ends.
//
//   zc::util::WorkerPool pool(/*max_idle=*/16);
//   absl::Status s = pool.Run([] { ... });   // ResourceExhausted: no thread, nothing ran
//
// The destructor runs what is queued, waits for every closure and ends every thread. Closures
// must not destroy the pool. Thread-safe.
#ifndef ZCWRAP_CACHECORE_UTIL_WORKER_POOL_H_
#define ZCWRAP_CACHECORE_UTIL_WORKER_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "absl/status/status.h"

namespace zc::util {

class WorkerPool {
 public:
  struct Counts {
    size_t threads = 0;    // alive now
    size_t idle = 0;       // of those, waiting for a closure
    size_t running = 0;    // closures running now
    uint64_t started = 0;  // threads started since construction
  };

  explicit WorkerPool(size_t max_idle);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  absl::Status Run(std::function<void()> work);
  Counts counts() const;
  // Blocks until no closure runs or waits and every thread that will end has ended.
  void WaitUntilQuiet();

 private:
  void Work();

  const size_t max_idle_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // a closure was queued, or the pool stops
  std::condition_variable state_cv_;  // a closure returned, or a thread went idle or ended
  std::deque<std::function<void()>> queue_;
  Counts counts_;
  bool stopping_ = false;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_WORKER_POOL_H_
