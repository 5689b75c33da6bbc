// Environment switches: ZCWRAP_DISABLE, ZCWRAP_RECACHE, ZCWRAP_READONLY and ZCWRAP_LOGFILE, and
// the settings that reach every key: ZCWRAP_NAMESPACE, ZCWRAP_EXTRAFILES, ZCWRAP_IGNOREOPTIONS,
// ZCWRAP_COMPILERCHECK.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kCompile = {"gcc", "-Wall", "-c", "a.c", "-o", "a.o"};

class SwitchesTest : public E2eTest, public ::testing::WithParamInterface<Mode> {
 protected:
  void SetUp() override {
    mode_ = GetParam();
    WriteBoth("a.c", kWarningC);
    plain_ = Plain(kCompile);
    ASSERT_EQ(plain_.exit_code, 0);
  }
  // Compiles through zcwrap with `env` and expects exactly the plain compiler's result.
  void CompileMatchingPlain(const std::vector<std::string>& env = {}) {
    std::filesystem::remove(WrapPath("a.o"));
    ExpectSameResult(plain_, Zcwrap(kCompile, "", env));
    EXPECT_TRUE(SameFile("a.o"));
  }
  RunResult plain_;
};

TEST_P(SwitchesTest, DisableCompilesWithoutTouchingStats) {
  const std::map<std::string, uint64_t> before = Stats();
  CompileMatchingPlain({"ZCWRAP_DISABLE=1"});
  EXPECT_EQ(Stats(), before);
  EXPECT_TRUE(EntryFiles().empty());
}

TEST_P(SwitchesTest, RecacheCompilesInsteadOfHittingAndCountsRecache) {
  CompileMatchingPlain();
  CompileMatchingPlain({"ZCWRAP_RECACHE=1"});
  EXPECT_TRUE(HasCounters({{"recache", 1}}));
  EXPECT_TRUE(HasMissesAndHits(2, 0));
  EXPECT_TRUE(CacheHolds(1));
  CompileMatchingPlain();
  EXPECT_TRUE(HasMissesAndHits(2, 1));
}

TEST_P(SwitchesTest, ReadonlyMissIsNotStored) {
  CompileMatchingPlain({"ZCWRAP_READONLY=1"});
  EXPECT_TRUE(HasCounters({{"readonly_miss", 1}}));
  EXPECT_TRUE(HasMissesAndHits(1, 0));
  EXPECT_TRUE(CacheHolds(0));
  EXPECT_TRUE(EntryFiles().empty()) << "a read-only miss stores nothing, not even a manifest";
  CompileMatchingPlain();
  EXPECT_TRUE(HasMissesAndHits(2, 0)) << "the read-only miss must not have stored an entry";
  CompileMatchingPlain({"ZCWRAP_READONLY=1"});
  EXPECT_TRUE(HasMissesAndHits(2, 1)) << "a read-only cache still serves hits";
}

TEST_P(SwitchesTest, LogFileGetsOneLinePerCallNamingHitOrMiss) {
  const std::string log = Path("zcwrap.log");
  const std::string setting = absl::StrCat("ZCWRAP_LOGFILE=", log);
  CompileMatchingPlain({setting});
  CompileMatchingPlain({setting});
  std::vector<std::string> lines =
      absl::StrSplit(ReadFile(log).value_or(""), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr(" miss "));
  EXPECT_THAT(lines[0], Not(HasSubstr(" hit ")));
  EXPECT_THAT(lines[1], HasSubstr(" hit "));
}

TEST_P(SwitchesTest, NamespacesShareAStoreButNoEntry) {
  CompileMatchingPlain({"ZCWRAP_NAMESPACE=team-a"});
  CompileMatchingPlain({"ZCWRAP_NAMESPACE=team-b"});
  CompileMatchingPlain({"ZCWRAP_NAMESPACE=team-a"});
  CompileMatchingPlain();
  EXPECT_TRUE(HasMissesAndHits(3, 1));
}

TEST_P(SwitchesTest, ExtraFilesToHashAreKeyedByContent) {
  const std::vector<std::string> env = {"ZCWRAP_EXTRAFILES=toolchain.txt:" + Path("absent")};
  WriteBoth("toolchain.txt", "gcc 12 build 1\n");
  CompileMatchingPlain(env);
  CompileMatchingPlain(env);
  WriteBoth("toolchain.txt", "gcc 12 build 2\n");
  CompileMatchingPlain(env);
  EXPECT_TRUE(HasMissesAndHits(2, 1));
}

TEST_P(SwitchesTest, IgnoredOptionsAreLeftOutOfTheKeyOnly) {
  const std::vector<std::string> env = {"ZCWRAP_IGNOREOPTIONS=-fmessage-length=*"};
  for (const char* length : {"-fmessage-length=80", "-fmessage-length=0"}) {
    std::vector<std::string> args = kCompile;
    args.push_back(length);
    const RunResult plain = Plain(args);
    ExpectSameResult(plain, Zcwrap(args, "", env));
    EXPECT_TRUE(SameFile("a.o"));
  }
  EXPECT_TRUE(HasMissesAndHits(1, 1));
}

TEST_P(SwitchesTest, CompilerCheckSettings) {
  CompileMatchingPlain({"ZCWRAP_COMPILERCHECK=string:12"});
  CompileMatchingPlain({"ZCWRAP_COMPILERCHECK=string:12"});
  CompileMatchingPlain({"ZCWRAP_COMPILERCHECK=string:13"});
  CompileMatchingPlain(
      {"ZCWRAP_COMPILERCHECK=%compiler% -dumpfullversion; %compiler% -dumpmachine"});
  CompileMatchingPlain(
      {"ZCWRAP_COMPILERCHECK=%compiler% -dumpfullversion; %compiler% -dumpmachine"});
  CompileMatchingPlain({"ZCWRAP_COMPILERCHECK=mtime"});
  CompileMatchingPlain({"ZCWRAP_COMPILERCHECK=mtime"});
  EXPECT_TRUE(HasMissesAndHits(4, 3));
  // A check that cannot run: the build stays green, uncached, and says why.
  CompileMatchingPlain({"ZCWRAP_COMPILERCHECK=/nonexistent/identify %compiler%"});
  EXPECT_EQ(Stat("compiler_check_failed"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Modes, SwitchesTest, ::testing::Values(Mode::kDirect, Mode::kPreprocessor),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return ModeName(info.param);
                         });

}  // namespace
}  // namespace zc::e2e
