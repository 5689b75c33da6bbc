#include "cachecore/util/process_slots.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"

namespace zc::util {
namespace {

thread_local uint64_t thread_wait_micros = 0;

}  // namespace

ProcessSlots::ProcessSlots(ProcessRunner* inner, uint32_t limit,
                           const volatile int32_t* host_in_flight)
    : inner_(inner), limit_(limit == 0 ? 1 : limit), host_in_flight_(host_in_flight) {}

int64_t ProcessSlots::HostCount() const {
  if (host_in_flight_ == nullptr) return 0;
  const int32_t n = __atomic_load_n(host_in_flight_, __ATOMIC_ACQUIRE);
  return n > 0 ? n : 0;
}

bool ProcessSlots::WaitForSlot(std::unique_lock<std::mutex>& lock, const Command& cmd,
                               uint64_t* waiting, const std::function<bool()>& full) {
  if (!full()) return true;
  const auto start = std::chrono::steady_clock::now();
  ++*waiting;
  bool cancelled = false;
  while (full()) {
    if (AnyReadable(cmd.cancel_fds)) {
      cancelled = true;
      break;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(2));
  }
  --*waiting;
  thread_wait_micros += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                  std::chrono::steady_clock::now() - start)
                                                  .count());
  return !cancelled;
}

absl::StatusOr<ProcessResult> ProcessSlots::Run(const Command& cmd) {
  uint64_t* running = cmd.offloaded ? &offloaded_running_ : &running_;
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool got =
        cmd.offloaded
            ? WaitForSlot(
                  lock, cmd, &offloaded_waiting_,
                  [&] { return cmd.offload_limit != 0 && offloaded_running_ >= cmd.offload_limit; })
            : WaitForSlot(lock, cmd, &waiting_,
                          [&] { return static_cast<int64_t>(running_) + HostCount() >= limit_; });
    if (!got) return absl::CancelledError(absl::StrCat(cmd.argv[0], " cancelled"));
    ++*running;
  }
  absl::StatusOr<ProcessResult> result = inner_->Run(cmd);
  {
    std::lock_guard<std::mutex> lock(mu_);
    --*running;
  }
  cv_.notify_all();
  return result;
}

uint64_t ProcessSlots::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_ + offloaded_running_;
}

uint64_t ProcessSlots::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_ + offloaded_waiting_;
}

uint64_t ProcessSlots::TakeThreadWaitMicros() {
  const uint64_t v = thread_wait_micros;
  thread_wait_micros = 0;
  return v;
}

}  // namespace zc::util
