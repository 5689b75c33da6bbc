// ProcessSlots: a ProcessRunner that lets at most N processes run at once, counting a host's own
// running processes (an optional counter it updates) against the same budget. The engine's
// runner in the daemon and the embedded service: compilers (and preprocessor runs) wait for a
// slot, while hits, which spawn nothing, never wait behind them. Offloaded commands (a
// distributed compile's launcher, Command::offloaded) take no local slot: they wait only for one
// another, at most Command::offload_limit at once.
//
//   zc::util::ProcessSlots slots(&posix_runner, /*limit=*/8, host_counter_or_null);
//   engine uses &slots as its runner
//
// A command waiting for a slot still honours its cancel fds: it returns Cancelled without
// running. The host's counter is re-read at least every 2 ms while a command waits.
// Thread-safe.
#ifndef ZCWRAP_CACHECORE_UTIL_PROCESS_SLOTS_H_
#define ZCWRAP_CACHECORE_UTIL_PROCESS_SLOTS_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "cachecore/util/process.h"

namespace zc::util {

class ProcessSlots : public ProcessRunner {
 public:
  // `inner` and `host_in_flight` (may be null) must outlive this object. limit >= 1.
  ProcessSlots(ProcessRunner* inner, uint32_t limit, const volatile int32_t* host_in_flight);

  absl::StatusOr<ProcessResult> Run(const Command& cmd) override;

  // Local and offloaded commands together.
  uint64_t running() const;
  uint64_t waiting() const;
  // Microseconds the calling thread has waited for slots since its last call to this.
  static uint64_t TakeThreadWaitMicros();

 private:
  int64_t HostCount() const;
  // Waits (mu_ held by `lock`) until `full` is false; false if a cancel fd fired first.
  bool WaitForSlot(std::unique_lock<std::mutex>& lock, const Command& cmd, uint64_t* waiting,
                   const std::function<bool()>& full);

  ProcessRunner* inner_;
  const uint32_t limit_;
  const volatile int32_t* host_in_flight_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t running_ = 0;  // local commands
  uint64_t waiting_ = 0;
  uint64_t offloaded_running_ = 0;
  uint64_t offloaded_waiting_ = 0;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_PROCESS_SLOTS_H_
