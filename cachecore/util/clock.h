// The clocks zcwrap reads, behind an interface so tests step a fake one instead of sleeping.
//
//   const zc::util::Clock& clock = zc::util::SystemClock();
//   int64_t now = clock.RealNs();
//   int64_t tick = clock.CoarseNs();   // never later than RealNs()
//
// Readings are nanoseconds: RealNs/CoarseNs since the epoch, the unit file timestamps use;
// MonotonicNs from an arbitrary start, for durations and timeouts.
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

class Clock {
 public:
  virtual ~Clock() = default;
  // CLOCK_REALTIME.
  virtual int64_t RealNs() const = 0;
  // CLOCK_REALTIME_COARSE.
  virtual int64_t CoarseNs() const = 0;
  // CLOCK_MONOTONIC.
  virtual int64_t MonotonicNs() const = 0;
  // Returns once CoarseNs() reads later than `ns` (on the system clock: a tick or two, a few ms).
  virtual void WaitForCoarsePast(int64_t ns) const = 0;
};

// The kernel's clocks. Lives for the whole process.
const Clock& SystemClock();

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_CLOCK_H_
