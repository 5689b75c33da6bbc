#include "cachecore/util/cpus.h"

#include <algorithm>
#include <thread>

#include "gtest/gtest.h"

namespace zc::util {
namespace {

TEST(CpusTest, ACgroup2QuotaIsRoundedUp) {
  EXPECT_EQ(CpusOfCgroup2Max("250000 100000\n"), 3u);
  EXPECT_EQ(CpusOfCgroup2Max("200000 100000"), 2u);
  EXPECT_EQ(CpusOfCgroup2Max("50000 100000"), 1u);
  EXPECT_EQ(CpusOfCgroup2Max("max 100000"), std::nullopt);
  EXPECT_EQ(CpusOfCgroup2Max("garbage"), std::nullopt);
  EXPECT_EQ(CpusOfCgroup2Max("0 100000"), std::nullopt);
}

TEST(CpusTest, ACgroup1QuotaOfMinusOneIsNoLimit) {
  EXPECT_EQ(CpusOfCgroup1Quota("-1\n", "100000\n"), std::nullopt);
  EXPECT_EQ(CpusOfCgroup1Quota("150000", "100000"), 2u);
}

TEST(CpusTest, TheCgroup2PathIsTheUnifiedLine) {
  EXPECT_EQ(Cgroup2Path("12:cpu:/old\n0::/user.slice/build.scope\n"), "/user.slice/build.scope");
  EXPECT_EQ(Cgroup2Path("4:cpu,cpuacct:/docker/abc\n"), std::nullopt);
}

TEST(CpusTest, UsableCpusIsAtLeastOneAndAtMostTheMachines) {
  const uint32_t n = UsableCpus();
  EXPECT_GE(n, 1u);
  EXPECT_LE(n, std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace zc::util
