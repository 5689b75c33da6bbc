// The circuit breaker of one remote tier, its state shared by every process using the cache
// directory (tier_state.h), so a dead or black-hole server costs one failed operation per
// cool-down period for the whole machine's build, not one per compile (ccache forgets a dead
// server after every process; each compile pays the timeout again).
//
//   CircuitBreaker breaker(state, spec.cool_down_s);
//   switch (breaker.Admit(now_ms)) {
//     case Gate::kSkip: count it, go on without the tier;
//     case Gate::kGo: case Gate::kProbe: do the operation, then
//       ok ? breaker.Succeeded() : breaker.Failed(now_ms);
//   }
//
// Closed: every operation goes. A failure (a timeout, no connection, a refused login: anything
// that says the tier is unusable, not a bad value) opens it for the cool-down, doubled after
// each failed probe up to 16 times the cool-down. When the cool-down is over, exactly one
// operation (the first to claim it, in any process) goes as a half-open probe; the others skip
// until it reports. Success closes the breaker; failure opens it again for longer. A probe whose
// process died is given up after its claim expires.
#ifndef ZCWRAP_CACHECORE_REMOTE_CIRCUIT_BREAKER_H_
#define ZCWRAP_CACHECORE_REMOTE_CIRCUIT_BREAKER_H_

#include <cstdint>

#include "cachecore/remote/tier_state.h"

namespace zc::remote {

enum class Gate { kGo, kProbe, kSkip };

class CircuitBreaker {
 public:
  // `state` must outlive the breaker. `claim_ms`: how long a probe may take before another
  // process may probe instead (the tier's operation timeout plus its connect timeout).
  CircuitBreaker(TierState& state, int cool_down_s, int64_t claim_ms)
      : state_(state), cool_down_ms_(int64_t{cool_down_s} * 1000), claim_ms_(claim_ms) {}

  Gate Admit(int64_t now_ms);
  void Succeeded();
  void Failed(int64_t now_ms);

 private:
  TierState& state_;
  const int64_t cool_down_ms_;
  const int64_t claim_ms_;
};

}  // namespace zc::remote

#endif  // ZCWRAP_CACHECORE_REMOTE_CIRCUIT_BREAKER_H_
