// Anything that changes the compiler's output changes the key: after the change the next compile is
// a miss, not a stale hit. And what does not matter (the directory, without -g) does not.
#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kUsesHeader = "#include \"h.h\"\nint f(void) { return h(); }\n";

class KeyChangeTest : public E2eTest, public ::testing::WithParamInterface<Mode> {
 protected:
  void SetUp() override { mode_ = GetParam(); }

  // Compiles `before` through zcwrap twice (a miss, then a hit: the key is stable), applies
  // `change`, then compiles `after`: it must be a miss and, if `compare_with_plain`, give what the
  // plain compiler gives for `after`.
  // With `hits` > 2, a long-lived engine (the daemon) has come to trust the record through its
  // inotify watches (from its second check on), so the change must be seen by inotify.
  void ExpectChangeMisses(const std::vector<std::string>& before,
                          const std::function<void()>& change,
                          const std::vector<std::string>& after, bool compare_with_plain = true,
                          int hits = 1) {
    RunResult first = Zcwrap(before);
    ASSERT_EQ(first.exit_code, 0) << ::testing::PrintToString(first);
    for (int i = 0; i < hits; ++i) {
      RunResult again = Zcwrap(before);
      ASSERT_EQ(again.exit_code, 0) << ::testing::PrintToString(again);
    }
    ASSERT_TRUE(HasMissesAndHits(1, hits))
        << "an unchanged compile must hit, or this test proves nothing";

    change();
    fs::remove(WrapPath("a.o"));
    RunResult changed = Zcwrap(after);
    EXPECT_EQ(changed.exit_code, 0) << ::testing::PrintToString(changed);
    EXPECT_TRUE(HasMissesAndHits(2, hits)) << "the compile after the change must miss";
    if (compare_with_plain) {
      RunResult plain = Plain(after);
      ExpectSameResult(plain, changed);
      EXPECT_TRUE(SameFile("a.o"));
    }
  }

  // (Direct mode trusts a stat signature only once it is older than the racy window; the edits
  // below on files that old are tested on a fake clock: tests/compile/engine_test.cc,
  // DirectModeTest.*Settled*.)
  // Writes `content` to wrap/`rel` (and plain/) keeping wrap/`rel`'s size and modification time.
  void RewriteKeepingMtime(const std::string& rel, absl::string_view content) {
    struct stat before;
    ASSERT_EQ(::stat(WrapPath(rel).c_str(), &before), 0);
    ASSERT_EQ(static_cast<size_t>(before.st_size), content.size()) << "must be a same-size edit";
    WriteBoth(rel, content);
    const struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, WrapPath(rel).c_str(), times, 0), 0);
  }
};

TEST_P(KeyChangeTest, SourceEditMisses) {
  WriteBoth("a.c", "int answer(void) { return 42; }\n");
  ExpectChangeMisses({"gcc", "-c", "a.c", "-o", "a.o"},
                     [&] { WriteBoth("a.c", "int answer(void) { return 420; }\n"); },
                     {"gcc", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, IncludedHeaderEditMisses) {
  WriteBoth("a.c", kUsesHeader);
  WriteBoth("h.h", "static inline int h(void) { return 1; }\n");
  ExpectChangeMisses({"gcc", "-c", "a.c", "-o", "a.o"},
                     [&] { WriteBoth("h.h", "static inline int h(void) { return 1 + 1000; }\n"); },
                     {"gcc", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, SameSizeHeaderEditMisses) {
  WriteBoth("a.c", kUsesHeader);
  WriteBoth("h.h", "static inline int h(void) { return 1; }\n");
  ExpectChangeMisses(
      {"gcc", "-c", "a.c", "-o", "a.o"},
      [&] { RewriteKeepingMtime("h.h", "static inline int h(void) { return 7; }\n"); },
      {"gcc", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, HeaderEditAfterRepeatedHitsMisses) {
  WriteBoth("a.c", kUsesHeader);
  WriteBoth("h.h", "static inline int h(void) { return 1; }\n");
  ExpectChangeMisses(
      {"gcc", "-c", "a.c", "-o", "a.o"},
      [&] { RewriteKeepingMtime("h.h", "static inline int h(void) { return 8; }\n"); },
      {"gcc", "-c", "a.c", "-o", "a.o"}, /*compare_with_plain=*/true, /*hits=*/4);
}

TEST_P(KeyChangeTest, ShadowingHeaderAfterRepeatedHitsMisses) {
  WriteBoth("a.c", "#include <x.h>\nint f(void) { return X; }\n");
  WriteBoth("inc_a/other.h", "\n");
  WriteBoth("inc_b/x.h", "#define X 2\n");
  ExpectChangeMisses(
      {"gcc", "-Iinc_a", "-Iinc_b", "-c", "a.c", "-o", "a.o"},
      [&] { WriteBoth("inc_a/x.h", "#define X 1\n"); },
      {"gcc", "-Iinc_a", "-Iinc_b", "-c", "a.c", "-o", "a.o"},
      /*compare_with_plain=*/true, /*hits=*/4);
}

TEST_P(KeyChangeTest, IncludeDirectoryReplacedAfterRepeatedHitsMisses) {
  WriteBoth("a.c", "#include <x.h>\nint f(void) { return X; }\n");
  WriteBoth("inc/x.h", "#define X 2\n");
  ExpectChangeMisses(
      {"gcc", "-Iinc", "-c", "a.c", "-o", "a.o"},
      [&] {
        for (const std::string& root : {plain_dir_, wrap_dir_}) {
          fs::rename(root + "/inc", root + "/inc.old");
        }
        WriteBoth("inc/x.h", "#define X 3\n");
      },
      {"gcc", "-Iinc", "-c", "a.c", "-o", "a.o"},
      /*compare_with_plain=*/true, /*hits=*/4);
}

TEST_P(KeyChangeTest, NewHeaderShadowingEarlierIncludeDirectoryMisses) {
  WriteBoth("a.c", "#include <x.h>\nint f(void) { return X; }\n");
  WriteBoth("inc_a/other.h", "\n");
  WriteBoth("inc_b/x.h", "#define X 2\n");
  ExpectChangeMisses({"gcc", "-Iinc_a", "-Iinc_b", "-c", "a.c", "-o", "a.o"},
                     [&] { WriteBoth("inc_a/x.h", "#define X 1\n"); },
                     {"gcc", "-Iinc_a", "-Iinc_b", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, NewIncludeDirectoryWithShadowingHeaderMisses) {
  WriteBoth("a.c", "#include <x.h>\nint f(void) { return X; }\n");
  WriteBoth("inc_b/x.h", "#define X 2\n");
  ExpectChangeMisses({"gcc", "-Iinc_a", "-Iinc_b", "-c", "a.c", "-o", "a.o"},
                     [&] { WriteBoth("inc_a/x.h", "#define X 1\n"); },
                     {"gcc", "-Iinc_a", "-Iinc_b", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, NewHeaderNextToSourceShadowingIncludeDirectoryMisses) {
  WriteBoth("src/a.c", "#include \"x.h\"\nint f(void) { return X; }\n");
  WriteBoth("inc/x.h", "#define X 2\n");
  ExpectChangeMisses({"gcc", "-Iinc", "-c", "src/a.c", "-o", "a.o"},
                     [&] { WriteBoth("src/x.h", "#define X 1\n"); },
                     {"gcc", "-Iinc", "-c", "src/a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, DefineChangeMisses) {
  WriteBoth("a.c", "int v(void) { return V; }\n");
  ExpectChangeMisses({"gcc", "-DV=1", "-c", "a.c", "-o", "a.o"}, [] {},
                     {"gcc", "-DV=2", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, IncludeDirectoryChangeMisses) {
  WriteBoth("a.c", "#include <h.h>\nint f(void) { return h(); }\n");
  WriteBoth("inc1/h.h", "static inline int h(void) { return 1; }\n");
  WriteBoth("inc2/h.h", "static inline int h(void) { return 2; }\n");
  ExpectChangeMisses({"gcc", "-Iinc1", "-c", "a.c", "-o", "a.o"}, [] {},
                     {"gcc", "-Iinc2", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, OptimizationLevelChangeMisses) {
  WriteBoth("a.c", "int sum(int n) { int s = 0; for (int i = 0; i < n; ++i) s += i; return s; }\n");
  ExpectChangeMisses({"gcc", "-O0", "-c", "a.c", "-o", "a.o"}, [] {},
                     {"gcc", "-O2", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, DebugInfoFlagMisses) {
  WriteBoth("a.c", kCleanC);
  // Debug info records the directory, so the twins' objects differ: no comparison here.
  ExpectChangeMisses(
      {"gcc", "-c", "a.c", "-o", "a.o"}, [] {}, {"gcc", "-g", "-c", "a.c", "-o", "a.o"},
      /*compare_with_plain=*/false);
}

TEST_P(KeyChangeTest, LanguageStandardChangeMisses) {
  WriteBoth("a.c", kCleanC);
  ExpectChangeMisses({"gcc", "-std=c99", "-c", "a.c", "-o", "a.o"}, [] {},
                     {"gcc", "-std=c11", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, WarningFlagChangeMisses) {
  // -Wextra adds a warning here (unused parameter): a stale hit would lose it.
  WriteBoth("a.c", "int f(int unused_param) { return 0; }\n");
  ExpectChangeMisses({"gcc", "-Wall", "-c", "a.c", "-o", "a.o"}, [] {},
                     {"gcc", "-Wall", "-Wextra", "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, CompilerReplacedAtSamePathMisses) {
  const std::string copy = CopyOfGcc(Path("cc"), "gcc");
  ASSERT_FALSE(copy.empty());

  WriteBoth("a.c", kCleanC);
  ExpectChangeMisses({copy, "-c", "a.c", "-o", "a.o"},
                     [&] {
                       std::string data = ReadFile(copy).value_or("");
                       data.push_back('\0');
                       WriteFile(copy, data);  // same path, same permissions, one byte longer
                     },
                     {copy, "-c", "a.c", "-o", "a.o"});
}

TEST_P(KeyChangeTest, SameCompilerInstalledElsewhereShares) {
  // As on two machines with gcc-12 at different paths: the key holds the program's content and
  // its name, not where it is.
  const std::string copy = CopyOfGcc(Path("opt"), "gcc-12");
  ASSERT_FALSE(copy.empty());
  WriteBoth("a.c", kCleanC);
  ASSERT_EQ(Zcwrap({"/usr/bin/gcc-12", "-c", "a.c", "-o", "a.o"}).exit_code, 0);
  const RunResult there = Zcwrap({copy, "-c", "a.c", "-o", "a.o"});
  ASSERT_EQ(there.exit_code, 0) << ::testing::PrintToString(there);
  EXPECT_TRUE(HasMissesAndHits(1, 1));
  ASSERT_EQ(Plain({"gcc-12", "-c", "a.c", "-o", "a.o"}).exit_code, 0);
  EXPECT_TRUE(SameFile("a.o"));
}

// gcc -E -g writes the directory into the preprocessed text; clang -E does not, so with clang
// only the key's own record of the directory tells the two apart.
INSTANTIATE_TEST_SUITE_P(Modes, KeyChangeTest,
                         ::testing::Values(Mode::kDirect, Mode::kPreprocessor),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return ModeName(info.param);
                         });

class WorkingDirectoryTest : public E2eTest,
                             public ::testing::WithParamInterface<std::tuple<const char*, Mode>> {
 protected:
  void SetUp() override { mode_ = std::get<1>(GetParam()); }
  const char* compiler() const { return std::get<0>(GetParam()); }
};

TEST_P(WorkingDirectoryTest, WorkingDirectoryMattersWithDebugInfo) {
  const std::string other = Path("elsewhere");
  WriteBoth("a.c", kCleanC);
  WriteFile(other + "/a.c", kCleanC);
  const std::vector<std::string> args = {compiler(), "-g", "-c", "a.c", "-o", "a.o"};
  ASSERT_EQ(Zcwrap(args).exit_code, 0);
  RunResult moved = Zcwrap(args, other);
  EXPECT_EQ(moved.exit_code, 0);
  EXPECT_TRUE(HasMissesAndHits(2, 0))
      << "debug info names the directory: a different one must not hit";
  // The object names its own directory, exactly as the plain compiler's does there.
  std::optional<std::string> moved_object = ReadFile(other + "/a.o");
  ASSERT_TRUE(moved_object);
  ExpectSameResult(Plain(args, other), moved);
  EXPECT_TRUE(FileHasBytes(other + "/a.o", *moved_object));
}

TEST_P(WorkingDirectoryTest, UnrelatedPrefixMapStillKeysTheDirectory) {
  // The map does not cover the working directory, so the debug info still names it.
  const std::string other = Path("elsewhere");
  WriteBoth("a.c", kCleanC);
  WriteFile(other + "/a.c", kCleanC);
  const std::vector<std::string> args = {
      compiler(), "-g", "-fdebug-prefix-map=/usr/share=/x", "-c", "a.c", "-o", "a.o"};
  ASSERT_EQ(Zcwrap(args).exit_code, 0);
  RunResult moved = Zcwrap(args, other);
  EXPECT_EQ(moved.exit_code, 0);
  EXPECT_TRUE(HasMissesAndHits(2, 0));
  // Byte-identical to the plain compiler run in that same directory.
  std::optional<std::string> ours = ReadFile(other + "/a.o");
  ASSERT_TRUE(ours);
  ASSERT_EQ(Plain(args, other).exit_code, 0);
  EXPECT_TRUE(FileHasBytes(other + "/a.o", *ours));
}

TEST_P(WorkingDirectoryTest, PrefixMapCoveringTheDirectoryGivesTheMappedObject) {
  // Each directory is mapped to the same name: the hit must restore the mapped object.
  const std::string first = Path("one"), second = Path("two");
  WriteFile(first + "/a.c", kCleanC);
  WriteFile(second + "/a.c", kCleanC);
  auto args_for = [&](const std::string& dir) {
    return std::vector<std::string>{
        compiler(), "-g", "-fdebug-prefix-map=" + dir + "=/src", "-c", "a.c", "-o", "a.o"};
  };
  ASSERT_EQ(Zcwrap(args_for(first), first).exit_code, 0);
  ASSERT_EQ(Zcwrap(args_for(second), second).exit_code, 0);
  std::optional<std::string> ours = ReadFile(second + "/a.o");
  ASSERT_TRUE(ours);
  ASSERT_EQ(Plain(args_for(second), second).exit_code, 0);
  EXPECT_TRUE(FileHasBytes(second + "/a.o", *ours));
  // Different map arguments are different keys even when they map alike, so this is a miss in
  // both modes; what matters is that the result is right. The same directory again hits.
  ASSERT_EQ(Zcwrap(args_for(second), second).exit_code, 0);
  EXPECT_GE(Stat(HitCounter()), 1u);
}

TEST_P(WorkingDirectoryTest, WorkingDirectoryIgnoredWithoutDebugInfo) {
  const std::string other = Path("elsewhere");
  WriteBoth("a.c", kCleanC);
  WriteFile(other + "/a.c", kCleanC);
  const std::vector<std::string> args = {compiler(), "-c", "a.c", "-o", "a.o"};
  ASSERT_EQ(Zcwrap(args).exit_code, 0);
  RunResult moved = Zcwrap(args, other);
  EXPECT_EQ(moved.exit_code, 0);
  if (mode_ == Mode::kPreprocessor) {
    EXPECT_TRUE(HasMissesAndHits(1, 1))
        << "without debug info the object does not depend on the directory: it should hit";
  } else {
    // Direct mode keys manifests by directory (recorded header paths are relative to it), so
    // another directory is a miss by design (docs/direct-mode.md); the result must still be right.
    EXPECT_TRUE(HasMissesAndHits(2, 0));
  }
  ExpectSameResult(Plain(args), moved);
  std::optional<std::string> plain_object = ReadFile(PlainPath("a.o"));
  ASSERT_TRUE(plain_object);
  EXPECT_TRUE(FileHasBytes(other + "/a.o", *plain_object));
}

INSTANTIATE_TEST_SUITE_P(Compilers, WorkingDirectoryTest,
                         ::testing::Combine(::testing::Values("gcc", "clang"),
                                            ::testing::Values(Mode::kDirect, Mode::kPreprocessor)),
                         CompilerModeName);

}  // namespace
}  // namespace zc::e2e
