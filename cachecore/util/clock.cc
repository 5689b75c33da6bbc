#include "cachecore/util/clock.h"

namespace zc::util {
namespace {

int64_t Read(clockid_t id) {
  struct timespec now;
  ::clock_gettime(id, &now);
  return TimespecNs(now);
}

class KernelClock final : public Clock {
 public:
  int64_t RealNs() const override { return Read(CLOCK_REALTIME); }
  int64_t CoarseNs() const override { return Read(CLOCK_REALTIME_COARSE); }
  int64_t MonotonicNs() const override { return Read(CLOCK_MONOTONIC); }
  void WaitForCoarsePast(int64_t ns) const override {
    while (CoarseNs() <= ns) {
      struct timespec nap = {0, 500'000};
      ::nanosleep(&nap, nullptr);
    }
  }
};

}  // namespace

const Clock& SystemClock() {
  static const KernelClock* const clock = new KernelClock;
  return *clock;
}

}  // namespace zc::util
