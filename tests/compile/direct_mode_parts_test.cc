// Small pure parts of direct mode: scanning sources, parsing .d files and line markers, and the
// compiler's -v search-path report.
#include "cachecore/compile/cache_key.h"
#include "cachecore/compile/dep_file.h"
#include "cachecore/compile/line_markers.h"
#include "cachecore/compile/search_dirs.h"
#include "cachecore/compile/source_scan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

using ::testing::ElementsAre;

TEST(SourceScanTest, FindsTimeMacros) {
  EXPECT_TRUE(ScanSource("const char* t = __TIME__;").flags & kUsesTimeMacros);
  EXPECT_TRUE(ScanSource("x __DATE__").flags & kUsesTimeMacros);
  EXPECT_TRUE(ScanSource("__TIMESTAMP__").flags & kUsesTimeMacros);
  EXPECT_FALSE(ScanSource("my__TIME__x __TIME__X").flags & kUsesTimeMacros);
  EXPECT_EQ(ScanSource("int main() { return 0; }").flags, 0u);
}

TEST(SourceScanTest, CollectsHasIncludeProbes) {
  SourceScan s = ScanSource(
      "#if __has_include(<sys/single_threaded.h>)\n#elif __has_include_next( \"cfg.h\" )\n"
      "#if defined(__has_include)\n");
  EXPECT_TRUE(s.flags & kUsesHasInclude);
  EXPECT_FALSE(s.flags & kUsesOpaqueHasInclude);
  EXPECT_THAT(s.probed_names, ElementsAre("sys/single_threaded.h", "cfg.h"));
  EXPECT_TRUE(ScanSource("#if __has_include(HEADER)\n").flags & kUsesOpaqueHasInclude);
}

TEST(DepFileParseTest, ParsesFirstRuleWithContinuationsAndEscapes) {
  EXPECT_THAT(ParseDependencies("a.o: a.c /usr/include/stdio.h \\\n inc/x\\ y.h \\\n  b$$.h\n"
                                "inc/x\\ y.h:\n\nb$$.h:\n"),
              ElementsAre("a.c", "/usr/include/stdio.h", "inc/x y.h", "b$.h"));
  EXPECT_THAT(ParseDependencies("dir\\ a/a.o dir/b.o: a.c\n"), ElementsAre("a.c"));
  EXPECT_THAT(ParseDependencies(""), ElementsAre());
}

TEST(LineMarkersTest, ListsFilesOnceWithoutPseudoFiles) {
  EXPECT_THAT(FilesFromLineMarkers("# 0 \"a.c\"\n# 0 \"<built-in>\"\n# 0 \"<command-line>\"\n"
                                   "# 1 \"/usr/include/stdio.h\" 1 3 4\nint x;\n"
                                   "# 5 \"a.c\" 2\n# 1 \"dir\\\\q.h\" 1\n"),
              ElementsAre("a.c", "/usr/include/stdio.h", "dir\\q.h"));
}

TEST(SearchDirsTest, ParsesReportIncludingNonexistentDirectories) {
  const char* report =
      "ignoring nonexistent directory \"/usr/local/include/x86_64-linux-gnu\"\n"
      "ignoring duplicate directory \"inc\"\n"
      "#include \"...\" search starts here:\n"
      " quote\n"
      "#include <...> search starts here:\n"
      " inc\n"
      " /usr/include\n"
      "End of search list.\n";
  EXPECT_THAT(ParseSearchDirReport(report), ElementsAre("/usr/local/include/x86_64-linux-gnu",
                                                        "inc", "quote", "inc", "/usr/include"));
}

// Answers `cc -E -v` with one directory, and counts how often it was asked.
class CountingSearchPath : public util::ProcessRunner {
 public:
  absl::StatusOr<util::ProcessResult> Run(const util::Command&) override {
    ++runs;
    util::ProcessResult r;
    r.stderr_data = "#include <...> search starts here:\n inc\nEnd of search list.\n";
    return r;
  }
  int runs = 0;
};

TEST(SearchDirsTest, TheMemoIsPerCompilerPathArgumentsAndIncludeVariables) {
  test::TempDir dir;
  CountingSearchPath runner;
  SearchDirsInputs in;
  in.compiler = "/opt/a/bin/gcc";
  in.compiler_id = util::Sha256::Of("one gcc binary");
  in.language = "c";
  in.env = std::vector<std::string>{"PATH=/bin"};
  auto ask = [&] { ASSERT_TRUE(SearchDirs(in, runner, dir.path()).ok()); };
  ask();
  ask();
  EXPECT_EQ(runner.runs, 1) << "memoised";
  in.compiler = "/opt/b/bin/gcc";  // the same binary installed elsewhere searches elsewhere
  ask();
  EXPECT_EQ(runner.runs, 2);
  in.env = std::vector<std::string>{"PATH=/bin", "CPATH=/extra/include"};
  ask();
  EXPECT_EQ(runner.runs, 3);
  in.cpp_args = {"-Iinc"};
  ask();
  EXPECT_EQ(runner.runs, 4);
  in.env = std::vector<std::string>{"PATH=/usr/bin", "CPATH=/extra/include"};
  ask();
  EXPECT_EQ(runner.runs, 4) << "PATH does not change where headers are searched";
}

}  // namespace
}  // namespace zc::compile

namespace zc::compile {
namespace {

TEST(CwdForKeyTest, OnlyAMapCoveringTheDirectoryHidesIt) {
  CompilePlan plan;
  plan.debug_info = true;
  EXPECT_EQ(CwdForKey(plan, "/home/me/build"), "/home/me/build");
  // A map for an unrelated directory leaves the real one in the key (it is in the debug info).
  plan.debug_prefix_maps = {{"/usr", "/x"}};
  EXPECT_EQ(CwdForKey(plan, "/home/me/build"), "/home/me/build");
  // A map covering it replaces it by what the compiler writes.
  plan.debug_prefix_maps = {{"/home/me", "/src"}};
  EXPECT_EQ(CwdForKey(plan, "/home/me/build"), CwdForKey(plan, "/home/me/build"));
  EXPECT_NE(CwdForKey(plan, "/home/me/build"), CwdForKey(plan, "/home/me/other"));
  EXPECT_EQ(CwdForKey(plan, "/home/me/build"), "mapped:\n/src/build\n");
  // Two checkouts mapped to the same name share keys.
  CompilePlan a = plan, b = plan;
  a.debug_prefix_maps = {{"/home/a", "/src"}};
  b.debug_prefix_maps = {{"/home/b", "/src"}};
  EXPECT_EQ(CwdForKey(a, "/home/a"), CwdForKey(b, "/home/b"));
  // Prefix on a path-component boundary only.
  plan.debug_prefix_maps = {{"/home/m", "/x"}};
  EXPECT_EQ(CwdForKey(plan, "/home/me"), "/home/me");
}

}  // namespace
}  // namespace zc::compile
