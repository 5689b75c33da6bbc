#include "cachecore/compile/include_guard.h"

#include <sys/stat.h>

#include "cachecore/compile/stat_cache.h"
#include "cachecore/util/clock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

// Builds the guard as of "an hour from now", so every directory is old enough to trust its
// signature; the tests then change the tree and ask whether the guard still holds.
class IncludeGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Join("a").c_str(), 0777);
    ::mkdir(dir_.Join("b").c_str(), 0777);
    ::mkdir(dir_.Join("b/sub").c_str(), 0777);
    test::WriteTestFile(dir_.Join("b/x.h"), "#define X 1\n");
    test::WriteTestFile(dir_.Join("b/sub/y.h"), "#define Y 1\n");
    test::WriteTestFile(dir_.Join("main.c"), "#include \"x.h\"\n");
  }

  std::vector<DirWatch> Build(std::vector<std::string> files,
                              std::vector<std::string> probes = {}) {
    GuardInputs in;
    in.cwd = dir_.path();
    in.search_dirs = {"a", "b", "missing/inc"};
    in.files = std::move(files);
    in.probed_names = std::move(probes);
    in.now_ns = util::SystemClock().RealNs() + 3600'000'000'000;
    return BuildIncludeGuard(in);
  }

  bool Holds(const std::vector<DirWatch>& w) { return IncludeGuardHolds(w, dir_.path()); }

  test::TempDir dir_;
};

TEST_F(IncludeGuardTest, HoldsWhenNothingChanged) {
  auto guard = Build({"main.c", "b/x.h", "b/sub/y.h"});
  EXPECT_FALSE(guard.empty());
  EXPECT_TRUE(Holds(guard));
}

TEST_F(IncludeGuardTest, NewHeaderInEarlierExistingDirectoryBreaksIt) {
  auto guard = Build({"main.c", "b/x.h"});
  test::WriteTestFile(dir_.Join("a/x.h"), "#define X 2\n");
  EXPECT_FALSE(Holds(guard));
}

TEST_F(IncludeGuardTest, NewSubdirectoryShadowBreaksIt) {
  auto guard = Build({"main.c", "b/sub/y.h"});
  ::mkdir(dir_.Join("a/sub").c_str(), 0777);
  EXPECT_FALSE(Holds(guard));
}

TEST_F(IncludeGuardTest, NewSearchDirectoryThatDidNotExistBreaksIt) {
  auto guard = Build({"main.c", "b/x.h"});
  ::mkdir(dir_.Join("missing").c_str(), 0777);
  EXPECT_FALSE(Holds(guard));
}

TEST_F(IncludeGuardTest, HeaderNextToTheIncluderBreaksIt) {
  // "x.h" next to main.c (the includer's directory, here the cwd) would win over b/x.h.
  auto guard = Build({"main.c", "b/x.h"});
  test::WriteTestFile(dir_.Join("x.h"), "#define X 3\n");
  EXPECT_FALSE(Holds(guard));
}

TEST_F(IncludeGuardTest, UnrelatedNewFileInAWatchedDirectoryKeepsIt) {
  auto guard = Build({"main.c", "b/x.h"});
  test::WriteTestFile(dir_.Join("main.o"), "object");
  test::WriteTestFile(dir_.Join("a/unrelated.txt"), "x");
  EXPECT_TRUE(Holds(guard));
}

TEST_F(IncludeGuardTest, ProbedNameAppearingBreaksIt) {
  auto guard = Build({"main.c", "b/x.h"}, {"config/feature.h"});
  ::mkdir(dir_.Join("a/config").c_str(), 0777);
  EXPECT_FALSE(Holds(guard));
}

TEST_F(IncludeGuardTest, RemovedWatchedDirectoryBreaksIt) {
  auto guard = Build({"main.c", "b/x.h"});
  ASSERT_EQ(::rmdir(dir_.Join("a").c_str()), 0);
  EXPECT_FALSE(Holds(guard));
}

}  // namespace
}  // namespace zc::compile
