#include "cachecore/compile/freshness.h"

#include <sys/stat.h>

#include "cachecore/util/clock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

// The newest of a file's mtime and ctime, the time CheckFreshness judges it by.
int64_t NewestTime(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return std::max(util::TimespecNs(st.st_mtim), util::TimespecNs(st.st_ctim));
}

// Start times placed around the file's own timestamp, so no test waits for a clock.
class FreshnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::WriteTestFile(dir_.Join("h.h"), "#define H 1\n");
    t_ = NewestTime(dir_.Join("h.h"));
  }
  Freshness Check(int64_t coarse, int64_t fine) {
    return CheckFreshness({"h.h"}, dir_.path(), StartTime{coarse, fine});
  }
  test::TempDir dir_;
  int64_t t_ = 0;
};

TEST_F(FreshnessTest, WrittenBeforeTheTickTheCompileStartedInIsOld) {
  EXPECT_EQ(Check(t_ + 1, t_ + 2), Freshness::kOld);
}

TEST_F(FreshnessTest, WrittenBetweenTheTickAndTheRealStartCannotBeTold) {
  // A generated header written just before its compile, or one written just after it started.
  EXPECT_EQ(Check(t_, t_ + 1), Freshness::kAmbiguous);
  EXPECT_EQ(Check(t_ - 1, t_ + 1), Freshness::kAmbiguous);
}

TEST_F(FreshnessTest, WrittenAtOrAfterTheRealStartIsModified) {
  EXPECT_EQ(Check(t_ - 2, t_), Freshness::kModified);
  EXPECT_EQ(Check(t_ - 2, t_ - 1), Freshness::kModified);
}

TEST_F(FreshnessTest, TheWorstFileDecidesAndAGoneFileIsMissing) {
  EXPECT_EQ(CheckFreshness({"h.h", "gone.h"}, dir_.path(), StartTime{t_ + 1, t_ + 2}),
            Freshness::kMissing);
  EXPECT_EQ(CheckFreshness({}, dir_.path(), StartTime{0, 0}), Freshness::kOld);
}

TEST(StartTimeTest, CoarseIsNeverLaterThanFine) {
  const StartTime t = StartTime::Now(util::SystemClock());
  EXPECT_LE(t.coarse_ns, t.fine_ns);
}

}  // namespace
}  // namespace zc::compile
