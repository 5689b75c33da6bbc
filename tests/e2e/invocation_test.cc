// The ways a build calls zcwrap: a symlink named after the compiler first in PATH (masquerade),
// `zcwrap zcwrap gcc`, and CC="zcwrap /usr/bin/gcc".
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

const std::vector<std::string> kCompile = {"gcc", "-Wall", "-c", "a.c", "-o", "a.o"};

class InvocationTest : public E2eTest {
 protected:
  // Runs `run` twice (expects a miss, then a hit), each time matching the plain compiler.
  template <typename RunFn>
  void ExpectMissThenHit(RunFn run) {
    WriteBoth("a.c", kWarningC);
    const RunResult plain = Plain(kCompile);
    ASSERT_EQ(plain.exit_code, 0);
    for (int i = 1; i <= 2; ++i) {
      SCOPED_TRACE(i == 1 ? "first (miss)" : "second (hit)");
      std::filesystem::remove(WrapPath("a.o"));
      const RunResult r = run();
      ExpectSameResult(plain, r);
      EXPECT_TRUE(SameFile("a.o"));
      EXPECT_TRUE(HasMissesAndHits(1, i - 1u));
    }
  }
};

TEST_F(InvocationTest, MasqueradeSymlinkFirstInPathCachesWithoutRecursing) {
  const std::string masq = Path("masq");
  std::filesystem::create_directories(masq);
  std::filesystem::create_symlink(ZcwrapBinary(), masq + "/gcc");
  const std::vector<std::string> env = {absl::StrCat("PATH=", masq, ":", kHarnessPath)};
  // The shell finds "gcc" in PATH, as make would; `timeout` turns a recursion into a failure.
  ExpectMissThenHit([&] {
    return Run({"/bin/sh", "-c", "exec timeout 20 gcc -Wall -c a.c -o a.o"}, wrap_dir_, env);
  });
}

TEST_F(InvocationTest, ZcwrapNamedTwiceSkipsItself) {
  ExpectMissThenHit([&] { return Zcwrap({"zcwrap", "gcc", "-Wall", "-c", "a.c", "-o", "a.o"}); });
}

TEST_F(InvocationTest, ZcwrapGivenItsOwnPathTwiceSkipsItself) {
  ExpectMissThenHit([&] {
    return Zcwrap({ZcwrapBinary(), "gcc", "-Wall", "-c", "a.c", "-o", "a.o"});
  });
}

TEST_F(InvocationTest, CompilerAsAbsolutePathInCcVariable) {
  const std::vector<std::string> env = {absl::StrCat("CC=", ZcwrapBinary(), " /usr/bin/gcc")};
  ExpectMissThenHit([&] {
    return Run({"/bin/sh", "-c", "exec $CC -Wall -c a.c -o a.o"}, wrap_dir_, env);
  });
}

}  // namespace
}  // namespace zc::e2e
