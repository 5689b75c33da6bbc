#include "cachecore/compile/base_dir.h"

#include <sys/stat.h>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

const std::string kMark(1, kBaseMarker);

TEST(BaseDirTest, AutoFindsTheTopOfTheEnclosingCheckout) {
  test::TempDir dir;
  const std::string top = dir.Join("proj");
  ASSERT_EQ(::mkdir(top.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((top + "/build").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((top + "/build/sub").c_str(), 0755), 0);
  EXPECT_EQ(FindBaseDir("auto", top + "/build/sub"), "") << "no checkout yet";
  ASSERT_EQ(::mkdir((top + "/.git").c_str(), 0755), 0);
  EXPECT_EQ(FindBaseDir("auto", top + "/build/sub"), top);
  EXPECT_EQ(FindBaseDir("auto", top + "/build/sub/"), top);
  EXPECT_EQ(FindBaseDir("auto", top), top);
  // A submodule or worktree has a .git file: its own top is the nearest.
  test::WriteTestFile(top + "/build/.hg", "");
  EXPECT_EQ(FindBaseDir("auto", top + "/build/sub"), top + "/build");
}

TEST(BaseDirTest, SettingNamesTheBaseOrNone) {
  EXPECT_EQ(FindBaseDir("none", "/any/where"), "");
  EXPECT_EQ(FindBaseDir("", "/any/where"), "");
  EXPECT_EQ(FindBaseDir("/src/proj/", "/elsewhere"), "/src/proj");
  EXPECT_EQ(FindBaseDir("/", "/src"), "") << "the root is no base";
  EXPECT_EQ(FindBaseDir("relative", "/src"), "");
}

TEST(BaseDirTest, KeyPathsMarkTheBaseOnlyAtAPathBoundary) {
  EXPECT_EQ(KeyPath("/ci/a/include/x.h", "/ci/a"), kMark + "/include/x.h");
  EXPECT_EQ(KeyPath("/ci/a", "/ci/a"), kMark);
  EXPECT_EQ(KeyPath("/ci/ab/x.h", "/ci/a"), "/ci/ab/x.h");
  EXPECT_EQ(KeyPath("include/x.h", "/ci/a"), "include/x.h");
  EXPECT_EQ(KeyPath("/ci/a/x.h", ""), "/ci/a/x.h");
  EXPECT_EQ(ExpandKeyPath(kMark + "/include/x.h", "/ci/b"), "/ci/b/include/x.h");
  EXPECT_EQ(ExpandKeyPath("/usr/include/x.h", "/ci/b"), "/usr/include/x.h");
  EXPECT_EQ(ExpandKeyPath(kMark + "/x.h", ""), std::nullopt) << "no base to put back";
  EXPECT_EQ(ShowKeyPath(kMark + "/x.h"), "$BASE/x.h");
}

TEST(BaseDirTest, ArgumentsKeyOnlyPathsOfPathOptions) {
  const std::vector<std::string> args = {"-I/ci/a/include",
                                         "-isystem",
                                         "/ci/a/third_party",
                                         "-DDIR=\"/ci/a/data\"",
                                         "-D",
                                         "X=/ci/a",
                                         "-include",
                                         "/ci/a/pre.h",
                                         "-ffile-prefix-map=/ci/a=.",
                                         "-O2",
                                         "/ci/a/src/x.cc",
                                         "-I/ci/ab/inc",
                                         "-fmacro-prefix-map=/ci/a/src=/ci/a",
                                         "-o",
                                         "/ci/a/build/x.o"};
  const std::vector<std::string> keyed = KeyArgs(args, "/ci/a");
  ASSERT_EQ(keyed.size(), args.size()) << "one keyed argument per argument";
  EXPECT_EQ(keyed[0], "-I" + kMark + "/include");
  EXPECT_EQ(keyed[2], kMark + "/third_party");
  // A macro's value is what the program sees: the base stays in it (and so in the key).
  EXPECT_EQ(keyed[3], args[3]);
  EXPECT_EQ(keyed[5], args[5]);
  EXPECT_EQ(keyed[7], kMark + "/pre.h");
  // A prefix map's old prefix is where files are; its new one is what the output says.
  EXPECT_EQ(keyed[8], "-ffile-prefix-map=" + kMark + "=.");
  EXPECT_EQ(keyed[10], kMark + "/src/x.cc");
  EXPECT_EQ(keyed[11], "-I/ci/ab/inc");
  EXPECT_EQ(keyed[12], "-fmacro-prefix-map=" + kMark + "/src=/ci/a");
  EXPECT_EQ(keyed[14], kMark + "/build/x.o");
  // Another checkout keys the same.
  std::vector<std::string> other;
  for (const std::string& a : args) {
    std::string b = a;
    for (size_t at = b.find("/ci/a"); at != std::string::npos; at = b.find("/ci/a", at + 1)) {
      if (at + 5 == b.size() || b[at + 5] == '/' || b[at + 5] == '=' || b[at + 5] == '"') {
        b.replace(at, 5, "/home/me/work/b");
      }
    }
    other.push_back(b);
  }
  const std::vector<std::string> other_keyed = KeyArgs(other, "/home/me/work/b");
  for (size_t i : {0, 1, 2, 4, 6, 7, 8, 9, 10, 13, 14}) {
    EXPECT_EQ(other_keyed[i], keyed[i]) << args[i];
  }
  EXPECT_NE(other_keyed[3], keyed[3]);
  EXPECT_NE(other_keyed[12], keyed[12]) << "the new prefix differs, and so does the output";
}

TEST(BaseDirTest, DependencyTextMarksTheBaseWherePathsStart) {
  const std::string d =
      "/ci/a/build/x.o: /ci/a/src/x.cc /ci/a/include/a.h \\\n /ci/ab/y.h /usr/x/ci/a/z.h\n";
  const std::string marked = ReplaceBase(d, "/ci/a");
  EXPECT_EQ(marked, kMark + "/build/x.o: " + kMark + "/src/x.cc " + kMark +
                        "/include/a.h \\\n /ci/ab/y.h /usr/x/ci/a/z.h\n");
  EXPECT_EQ(ExpandBase(marked, "/ci/a"), d);
  EXPECT_EQ(ExpandBase(marked, "/w/b"),
            "/w/b/build/x.o: /w/b/src/x.cc /w/b/include/a.h \\\n /ci/ab/y.h /usr/x/ci/a/z.h\n");
  EXPECT_EQ(ReplaceBase("output=/ci/a/build/x.o\n", "/ci/a"), "output=" + kMark + "/build/x.o\n");
}

TEST(BaseDirTest, ApparentCwdIsPwdOnlyWhenItIsTheSameDirectory) {
  test::TempDir dir;
  const std::string real = dir.Join("real");
  const std::string link = dir.Join("link");
  ASSERT_EQ(::mkdir(real.c_str(), 0755), 0);
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  EXPECT_EQ(ApparentCwd(real, link), link);
  EXPECT_EQ(ApparentCwd(real, std::nullopt), real);
  EXPECT_EQ(ApparentCwd(real, dir.path()), real) << "another directory";
  EXPECT_EQ(ApparentCwd(real, std::string("relative")), real);
}

}  // namespace
}  // namespace zc::compile
