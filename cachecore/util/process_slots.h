// ProcessSlots: a ProcessRunner that lets at most N processes run at once: it takes a slot of a
// SlotPool (util/slot_pool.h) for each, a pool of its own or one shared with a host, so host and
// services stay within one budget together. The engine's
// runner in the daemon and the embedded service: compilers (and preprocessor runs) wait for a
// slot, while hits, which spawn nothing, never wait behind them. Offloaded commands (a
// distributed compile's launcher, Command::offloaded) take no local slot: they wait only for one
// another, at most Command::offload_limit at once.
//
//   zc::util::ProcessSlots slots(&posix_runner, /*limit=*/8, /*host_in_flight=*/nullptr);
//   zc::util::ProcessSlots shared(&posix_runner, pool);   // a std::shared_ptr<SlotPool>
//   engine uses &slots as its runner
//
// A command waiting for a slot still honours its cancel fds: it returns Cancelled without
// running. The deprecated host counter (zcshim's host_in_flight) is re-read every 2 ms while a
// command waits.
// Thread-safe.
#ifndef ZCWRAP_CACHECORE_UTIL_PROCESS_SLOTS_H_
#define ZCWRAP_CACHECORE_UTIL_PROCESS_SLOTS_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "cachecore/util/process.h"
#include "cachecore/util/slot_pool.h"

namespace zc::util {

class ProcessSlots : public ProcessRunner {
 public:
  // A pool of its own. `inner` and `host_in_flight` (may be null) must outlive this object.
  ProcessSlots(ProcessRunner* inner, uint32_t limit, const volatile int32_t* host_in_flight);
  // Slots of a pool shared with a host. `inner` must outlive this object.
  ProcessSlots(ProcessRunner* inner, std::shared_ptr<SlotPool> pool);

  absl::StatusOr<ProcessResult> Run(const Command& cmd) override;

  // This runner's local and offloaded commands together.
  uint64_t running() const;
  uint64_t waiting() const;
  const SlotPool& pool() const { return *pool_; }
  // Microseconds the calling thread has waited for slots since its last call to this.
  static uint64_t TakeThreadWaitMicros();

 private:
  // Waits for a local slot; false if a cancel fd fired first.
  bool TakeLocalSlot(const Command& cmd);
  // Waits (mu_ held by `lock`) for an offloaded run's turn; false if a cancel fd fired first.
  bool WaitForOffload(std::unique_lock<std::mutex>& lock, const Command& cmd);

  ProcessRunner* inner_;
  std::shared_ptr<SlotPool> pool_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t running_ = 0;  // local commands
  uint64_t waiting_ = 0;
  uint64_t offloaded_running_ = 0;
  uint64_t offloaded_waiting_ = 0;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_PROCESS_SLOTS_H_
