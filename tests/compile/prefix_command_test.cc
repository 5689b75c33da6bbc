#include "cachecore/compile/prefix_command.h"

#include "gtest/gtest.h"

namespace zc::compile {
namespace {

TEST(PrefixCommandTest, WordsAreSplitAtBlanks) {
  EXPECT_TRUE(PrefixWords("").empty());
  EXPECT_TRUE(PrefixWords("  \t ").empty());
  EXPECT_EQ(PrefixWords(" distcc "), std::vector<std::string>{"distcc"});
  EXPECT_EQ(PrefixWords("icecc\t--x  y"), (std::vector<std::string>{"icecc", "--x", "y"}));
}

TEST(PrefixCommandTest, TheKeyHoldsTheLaunchersNameAndArgumentsNotItsPlace) {
  EXPECT_EQ(LauncherKey(""), "");
  EXPECT_EQ(LauncherKey("distcc"), "distcc");
  EXPECT_EQ(LauncherKey("/usr/bin/distcc"), "distcc");
  EXPECT_EQ(LauncherKey(" /opt/icecream/bin/icecc  --x\ty "), "icecc --x y");
}

TEST(PrefixCommandTest, DistccLinesAreTheLaunchersOwn) {
  const LauncherOutput out = SplitLauncherOutput(
      "/usr/bin/distcc",
      "distcc[23388] ERROR: compile bad.c on 127.0.0.1:23632/4 failed\n"
      "bad.c:3:24: error: 'X' undeclared\n"
      "distcc[23388] (dcc_build_somewhere) Warning: remote compilation of 'bad.c' failed\n"
      "  distcc[1] indented: the compiler's\n"
      "distcc[] not a pid\n"
      "distcc[12]");
  EXPECT_EQ(out.compiler_stderr,
            "bad.c:3:24: error: 'X' undeclared\n"
            "  distcc[1] indented: the compiler's\n"
            "distcc[] not a pid\n");
  ASSERT_EQ(out.launcher_lines.size(), 3u);
  EXPECT_EQ(out.launcher_lines[0],
            "distcc[23388] ERROR: compile bad.c on 127.0.0.1:23632/4 failed");
}

TEST(PrefixCommandTest, IceccLinesAreTheLaunchersOwnAndOnlyForIcecc) {
  const std::string err = "ICECC[24370] 2026-12-02 13:44:07: no local daemon found\nw\n";
  EXPECT_EQ(SplitLauncherOutput("icecc", err).compiler_stderr, "w\n");
  EXPECT_EQ(SplitLauncherOutput("icerun", err).launcher_lines.size(), 1u);
  // Another launcher's lines are kept: zcwrap does not know they are not the compiler's.
  EXPECT_EQ(SplitLauncherOutput("/usr/bin/distcc", err).compiler_stderr, err);
  EXPECT_EQ(SplitLauncherOutput("/opt/bin/mylauncher", err).compiler_stderr, err);
}

TEST(PrefixCommandTest, OnlySuccessOrAnErrorTheCompilerExplainedIsAVerdict) {
  EXPECT_TRUE(IsCompilerVerdict(0, ""));
  EXPECT_TRUE(IsCompilerVerdict(1, "a.c:1:1: error: x\n"));
  EXPECT_FALSE(IsCompilerVerdict(1, " \n"));                   // nothing said
  EXPECT_FALSE(IsCompilerVerdict(116, "distcc said things"));  // distcc: no host
  EXPECT_FALSE(IsCompilerVerdict(4, "internal compiler error"));
  EXPECT_FALSE(IsCompilerVerdict(128 + 9, ""));  // killed
}

}  // namespace
}  // namespace zc::compile
