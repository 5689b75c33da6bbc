// Readings of the system clocks in nanoseconds since the epoch, the unit file timestamps use.
//
//   int64_t now = zc::util::RealNowNs();
//   int64_t tick = zc::util::CoarseNowNs();   // never later than now
//
// CLOCK_REALTIME_COARSE is the kernel's tick (4 ms here): a file written now gets a timestamp no
// older than it (with multigrain timestamps, Linux 6.13+, anywhere up to the real time).
#ifndef ZCWRAP_CACHECORE_UTIL_CLOCK_H_
#define ZCWRAP_CACHECORE_UTIL_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace zc::util {

inline int64_t TimespecNs(const struct timespec& ts) {
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// CLOCK_REALTIME.
int64_t RealNowNs();
// CLOCK_REALTIME_COARSE.
int64_t CoarseNowNs();
// Returns once the coarse clock reads later than `ns` (a tick or two: a few ms).
void WaitForCoarseClockPast(int64_t ns);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_CLOCK_H_
