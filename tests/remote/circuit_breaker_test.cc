#include "cachecore/remote/circuit_breaker.h"

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::remote {
namespace {

class CircuitBreakerTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::unique_ptr<TierState> state_ = TierState::Open(dir_.path(), "redis://h:1/0");
  CircuitBreaker breaker_{*state_, /*cool_down_s=*/10, /*claim_ms=*/500};
};

TEST_F(CircuitBreakerTest, ClosedLetsEverythingGo) {
  EXPECT_EQ(breaker_.Admit(1000), Gate::kGo);
  breaker_.Succeeded();
  EXPECT_EQ(breaker_.Admit(1001), Gate::kGo);
}

TEST_F(CircuitBreakerTest, OneFailureOpensForTheCoolDownThenOneProbe) {
  breaker_.Failed(1000);
  EXPECT_EQ(breaker_.Admit(1001), Gate::kSkip);
  EXPECT_EQ(breaker_.Admit(10'999), Gate::kSkip);
  EXPECT_EQ(breaker_.Admit(11'000), Gate::kProbe);
  EXPECT_EQ(breaker_.Admit(11'001), Gate::kSkip);  // one probe at a time
  breaker_.Succeeded();
  EXPECT_EQ(breaker_.Admit(11'002), Gate::kGo);
}

TEST_F(CircuitBreakerTest, AFailedProbeDoublesThePauseUpTo16Times) {
  int64_t now = 0;
  breaker_.Failed(now);
  int64_t expected_pause = 10'000;
  for (int i = 0; i < 7; ++i) {
    now += expected_pause;
    ASSERT_EQ(breaker_.Admit(now - 1), Gate::kSkip) << i;
    ASSERT_EQ(breaker_.Admit(now), Gate::kProbe) << i;
    breaker_.Failed(now);
    expected_pause = std::min<int64_t>(expected_pause * 2, 160'000);
  }
}

TEST_F(CircuitBreakerTest, AProbeWhoseProcessDiedIsGivenUp) {
  breaker_.Failed(0);
  EXPECT_EQ(breaker_.Admit(10'000), Gate::kProbe);  // and never reports
  EXPECT_EQ(breaker_.Admit(10'499), Gate::kSkip);
  EXPECT_EQ(breaker_.Admit(10'501), Gate::kProbe);
}

TEST_F(CircuitBreakerTest, APauseOrClaimLongerThanEverSetIsNotWaitedOut) {
  // A corrupt state file (or a clock set back a day): open until far in the future.
  state_->Breaker(BreakerSlot::kOpenUntilMs).store(uint64_t{1} << 60);
  EXPECT_EQ(breaker_.Admit(1000), Gate::kProbe);
  EXPECT_EQ(breaker_.Admit(1001), Gate::kSkip);  // one probe at a time, as always
  breaker_.Succeeded();
  EXPECT_EQ(breaker_.Admit(1002), Gate::kGo);

  // The longest real pause (16 cool-downs) is still waited out.
  state_->Breaker(BreakerSlot::kOpenUntilMs).store(2000 + 160'000);
  EXPECT_EQ(breaker_.Admit(2000), Gate::kSkip);

  // A probe claim far ahead is given up like one whose process died.
  state_->Breaker(BreakerSlot::kOpenUntilMs).store(500);
  state_->Breaker(BreakerSlot::kProbeUntilMs).store(uint64_t{1} << 60);
  EXPECT_EQ(breaker_.Admit(3000), Gate::kProbe);
}

TEST_F(CircuitBreakerTest, StateIsSharedThroughTheCacheDirectory) {
  std::unique_ptr<TierState> other_process = TierState::Open(dir_.path(), "redis://h:1/0");
  CircuitBreaker theirs(*other_process, 10, 500);
  breaker_.Failed(1000);
  EXPECT_EQ(theirs.Admit(1001), Gate::kSkip);
  std::unique_ptr<TierState> other_tier = TierState::Open(dir_.path(), "redis://h:2/0");
  EXPECT_EQ(CircuitBreaker(*other_tier, 10, 500).Admit(1001), Gate::kGo);
}

TEST(TierStateTest, CountersAndLatencyPercentiles) {
  test::TempDir dir;
  std::unique_ptr<TierState> s = TierState::Open(dir.path(), "x");
  s->Add(TierCounter::kReadHit, 3);
  s->Add(TierCounter::kTimeout);
  for (int i = 0; i < 98; ++i) s->RecordLatency(Op::kGet, 100);
  s->RecordLatency(Op::kGet, 10'000);
  s->RecordLatency(Op::kGet, 1'000'000);
  TierReport r = TierState::Open(dir.path(), "x")->Report(0);
  EXPECT_EQ(r.counters[static_cast<int>(TierCounter::kReadHit)], 3u);
  EXPECT_EQ(r.counters[static_cast<int>(TierCounter::kTimeout)], 1u);
  EXPECT_EQ(r.get.count, 100u);
  EXPECT_NEAR(static_cast<double>(r.get.p50_us), 100, 25);
  EXPECT_NEAR(static_cast<double>(r.get.p95_us), 100, 25);
  EXPECT_NEAR(static_cast<double>(r.get.p99_us), 10'000, 2'500);
  EXPECT_EQ(r.put.count, 0u);
}

TEST(TierStateTest, BucketsCoverMicrosecondsToHours) {
  for (uint64_t us : {1ull, 2ull, 3ull, 100ull, 1000ull, 123'456ull, 60'000'000ull}) {
    const uint64_t back = TierState::MicrosOf(TierState::BucketOf(us));
    EXPECT_NEAR(static_cast<double>(back), static_cast<double>(us), 0.3 * us + 1) << us;
  }
  EXPECT_EQ(TierState::BucketOf(~0ull), kLatencyBuckets - 1);
}

}  // namespace
}  // namespace zc::remote
