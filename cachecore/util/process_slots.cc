#include "cachecore/util/process_slots.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"

namespace zc::util {
namespace {

thread_local uint64_t thread_wait_micros = 0;

uint64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

}  // namespace

ProcessSlots::ProcessSlots(ProcessRunner* inner, uint32_t limit,
                           const volatile int32_t* host_in_flight)
    : inner_(inner) {
  std::function<int64_t()> external;
  if (host_in_flight != nullptr) {
    external = [host_in_flight] {
      return int64_t{__atomic_load_n(host_in_flight, __ATOMIC_ACQUIRE)};
    };
  }
  pool_ = std::make_shared<SlotPool>(limit, std::move(external));
}

ProcessSlots::ProcessSlots(ProcessRunner* inner, std::shared_ptr<SlotPool> pool)
    : inner_(inner), pool_(std::move(pool)) {}

bool ProcessSlots::TakeLocalSlot(const Command& cmd) {
  if (pool_->TryAcquire(SlotPool::Holder::kService)) return true;
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++waiting_;
  }
  const bool got = pool_->Acquire(SlotPool::Holder::kService, cmd.cancel_fds);
  {
    std::lock_guard<std::mutex> lock(mu_);
    --waiting_;
  }
  thread_wait_micros += MicrosSince(start);
  return got;
}

bool ProcessSlots::WaitForOffload(std::unique_lock<std::mutex>& lock, const Command& cmd) {
  auto full = [&] { return cmd.offload_limit != 0 && offloaded_running_ >= cmd.offload_limit; };
  if (!full()) return true;
  const auto start = std::chrono::steady_clock::now();
  ++offloaded_waiting_;
  bool cancelled = false;
  while (full()) {
    if (AnyReadable(cmd.cancel_fds)) {
      cancelled = true;
      break;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(2));
  }
  --offloaded_waiting_;
  thread_wait_micros += MicrosSince(start);
  return !cancelled;
}

absl::StatusOr<ProcessResult> ProcessSlots::Run(const Command& cmd) {
  if (cmd.offloaded) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!WaitForOffload(lock, cmd)) {
        return absl::CancelledError(absl::StrCat(cmd.argv[0], " cancelled"));
      }
      ++offloaded_running_;
    }
    absl::StatusOr<ProcessResult> result = inner_->Run(cmd);
    {
      std::lock_guard<std::mutex> lock(mu_);
      --offloaded_running_;
    }
    cv_.notify_all();
    return result;
  }
  if (!TakeLocalSlot(cmd)) return absl::CancelledError(absl::StrCat(cmd.argv[0], " cancelled"));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++running_;
  }
  absl::StatusOr<ProcessResult> result = inner_->Run(cmd);
  {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
  }
  pool_->Release(SlotPool::Holder::kService);
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
