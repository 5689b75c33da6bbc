#include "cachecore/util/clock.h"

namespace zc::util {

int64_t RealNowNs() {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  return TimespecNs(now);
}

int64_t CoarseNowNs() {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return TimespecNs(now);
}

void WaitForCoarseClockPast(int64_t ns) {
  while (CoarseNowNs() <= ns) {
    struct timespec nap = {0, 500'000};
    ::nanosleep(&nap, nullptr);
  }
}

}  // namespace zc::util
