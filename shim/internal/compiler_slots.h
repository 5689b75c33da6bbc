// CompilerSlots: a ProcessRunner that lets at most N compiler processes run at once, counting the
// host's own running processes (an optional counter it updates) against the same budget. Hits
// spawn nothing, so they never wait here.
//
//   zc::shim::CompilerSlots slots(&posix_runner, /*limit=*/8, host_counter_or_null);
//   engine uses &slots as its runner
//
// A command waiting for a slot still honours its cancel fds: it returns Cancelled without
// running. The host's counter is re-read at least every 2 ms while a command waits.
// Thread-safe.
#ifndef ZCWRAP_SHIM_INTERNAL_COMPILER_SLOTS_H_
#define ZCWRAP_SHIM_INTERNAL_COMPILER_SLOTS_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "cachecore/util/process.h"

namespace zc::shim {

class CompilerSlots : public util::ProcessRunner {
 public:
  // `inner` and `host_in_flight` (may be null) must outlive this object. limit >= 1.
  CompilerSlots(util::ProcessRunner* inner, uint32_t limit, const volatile int32_t* host_in_flight);

  absl::StatusOr<util::ProcessResult> Run(const util::Command& cmd) override;

  uint64_t running() const;
  uint64_t waiting() const;
  // Microseconds the calling thread has waited for slots since its last call to this.
  static uint64_t TakeThreadWaitMicros();

 private:
  int64_t HostCount() const;

  util::ProcessRunner* inner_;
  const uint32_t limit_;
  const volatile int32_t* host_in_flight_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t running_ = 0;
  uint64_t waiting_ = 0;
};

}  // namespace zc::shim

#endif  // ZCWRAP_SHIM_INTERNAL_COMPILER_SLOTS_H_
