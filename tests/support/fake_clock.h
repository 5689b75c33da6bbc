// A clock that moves only when a test moves it, so no test sleeps to age a file or pass a tick.
//
//   zc::test::FakeClock clock(zc::test::FakeClock::RealNowNs() + 60'000'000'000);  // a minute on
//   Engine engine(config, std::move(store), &runner, 0, clock);
//   clock.Advance(3'000'000'000);
//
// Files keep the kernel's timestamps, so a clock set a minute ahead of the real time makes every
// file a test writes look a minute old; to make one look written during a compile, give it an
// mtime at or after the clock's reading (test::SetFileTimes). WaitForCoarsePast moves the clock
// past the time asked for and returns at once. Thread-safe.
#ifndef ZCWRAP_TESTS_SUPPORT_FAKE_CLOCK_H_
#define ZCWRAP_TESTS_SUPPORT_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "cachecore/util/clock.h"

namespace zc::test {

class FakeClock final : public util::Clock {
 public:
  explicit FakeClock(int64_t real_ns) : real_ns_(real_ns) {}

  // The system clock's CLOCK_REALTIME, to start a fake one from.
  static int64_t RealNowNs() { return util::SystemClock().RealNs(); }

  int64_t RealNs() const override { return real_ns_.load(); }
  // One kernel tick (4 ms) behind, as the real coarse clock may be.
  int64_t CoarseNs() const override { return real_ns_.load() - kTickNs; }
  int64_t MonotonicNs() const override { return real_ns_.load(); }
  void WaitForCoarsePast(int64_t ns) const override {
    int64_t now = real_ns_.load();
    while (now - kTickNs <= ns && !real_ns_.compare_exchange_weak(now, ns + kTickNs + 1)) {
    }
  }

  void Advance(int64_t ns) { real_ns_ += ns; }
  void Set(int64_t real_ns) { real_ns_ = real_ns; }

  static constexpr int64_t kTickNs = 4'000'000;

 private:
  mutable std::atomic<int64_t> real_ns_;
};

}  // namespace zc::test

#endif  // ZCWRAP_TESTS_SUPPORT_FAKE_CLOCK_H_
