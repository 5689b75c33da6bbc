#include "cachecore/remote/circuit_breaker.h"

#include <algorithm>

namespace zc::remote {

Gate CircuitBreaker::Admit(int64_t now_ms) {
  const uint64_t open_until = state_.Breaker(BreakerSlot::kOpenUntilMs).load();
  if (open_until == 0) return Gate::kGo;
  // A pause longer than Failed ever sets (a corrupt state file, or the clock set back) is not
  // waited out: the tier would stay off for good. Its cool-down counts as over.
  const bool pause_possible = open_until <= static_cast<uint64_t>(now_ms + (cool_down_ms_ << 4));
  if (now_ms < static_cast<int64_t>(open_until) && pause_possible) return Gate::kSkip;
  // Cool-down over: the first to move the probe claim forward probes. A claim further ahead
  // than one probe may take is likewise impossible, and treated as expired.
  std::atomic_ref<uint64_t> claim = state_.Breaker(BreakerSlot::kProbeUntilMs);
  uint64_t held = claim.load();
  while (static_cast<int64_t>(held) <= now_ms ||
         held > static_cast<uint64_t>(now_ms + std::max<int64_t>(claim_ms_, 1))) {
    if (claim.compare_exchange_weak(held, static_cast<uint64_t>(now_ms + claim_ms_))) {
      return Gate::kProbe;
    }
  }
  return Gate::kSkip;
}

void CircuitBreaker::Succeeded() {
  // Cheap when already closed: loads only.
  if (state_.Breaker(BreakerSlot::kOpenUntilMs).load() == 0 &&
      state_.Breaker(BreakerSlot::kFailures).load() == 0) {
    return;
  }
  state_.Breaker(BreakerSlot::kFailures).store(0);
  state_.Breaker(BreakerSlot::kLevel).store(0);
  state_.Breaker(BreakerSlot::kOpenUntilMs).store(0);
  state_.Breaker(BreakerSlot::kProbeUntilMs).store(0);
}

void CircuitBreaker::Failed(int64_t now_ms) {
  state_.Breaker(BreakerSlot::kFailures).fetch_add(1);
  const uint64_t level = std::min<uint64_t>(state_.Breaker(BreakerSlot::kLevel).fetch_add(1), 4);
  const int64_t pause = cool_down_ms_ << level;  // 1, 2, 4, 8, 16 times the cool-down
  const uint64_t until = static_cast<uint64_t>(now_ms + std::max<int64_t>(pause, 1));
  // Several failures at once (a build's parallel compiles): the latest pause wins.
  std::atomic_ref<uint64_t> open = state_.Breaker(BreakerSlot::kOpenUntilMs);
  uint64_t held = open.load();
  while (held < until && !open.compare_exchange_weak(held, until)) {
  }
  state_.Breaker(BreakerSlot::kProbeUntilMs).store(0);
}

}  // namespace zc::remote
