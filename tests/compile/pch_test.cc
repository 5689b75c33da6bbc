#include "cachecore/compile/pch.h"

#include <sys/stat.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Leading(absl::string_view text, bool* computed = nullptr) {
  bool c = false;
  std::vector<std::string> names = LeadingIncludes(text, &c);
  if (computed != nullptr) *computed = c;
  return names;
}

TEST(LeadingIncludesTest, FirstIncludeOutsideConditionalsIsTheOnlyCandidate) {
  EXPECT_THAT(Leading("#include \"p.h\"\n#include <vector>\nint x;\n"), ElementsAre("p.h"));
  EXPECT_THAT(Leading("  #  include <sys/types.h>\n#include \"q.h\"\n"),
              ElementsAre("sys/types.h"));
  EXPECT_THAT(Leading("#import \"objc.h\"\n"), ElementsAre("objc.h"));
}

TEST(LeadingIncludesTest, CommentsDefinesAndPragmasBeforeItDoNotCount) {
  EXPECT_THAT(Leading("// copyright\n/* a\n   block */\n#pragma once\n#define X 1\n"
                      "#include \"p.h\"\n"),
              ElementsAre("p.h"));
  EXPECT_THAT(Leading("\xEF\xBB\xBF#include \"bom.h\"\n"), ElementsAre("bom.h"));
  EXPECT_THAT(Leading("#include \\\n  \"spliced.h\"\n"), ElementsAre("spliced.h"));
  EXPECT_THAT(Leading("#include /* why */ \"c.h\"\n"), ElementsAre("c.h"));
}

TEST(LeadingIncludesTest, NoIncludeAfterTheFirstToken) {
  EXPECT_THAT(Leading("int x;\n#include \"late.h\"\n"), IsEmpty());
  EXPECT_THAT(Leading("extern \"C\" {\n#include \"p.h\"\n}\n"), IsEmpty());
}

TEST(LeadingIncludesTest, ConditionalsMakeEveryEarlyIncludeACandidate) {
  // Any of them may be the first one the preprocessor really opens.
  EXPECT_THAT(Leading("#ifdef A\n#include \"a.h\"\nint skipped;\n#else\n#include \"b.h\"\n"
                      "#endif\n#include \"c.h\"\n#include \"d.h\"\n"),
              ElementsAre("a.h", "b.h", "c.h"));
  // Tokens inside a conditional may be skipped; tokens outside one are not.
  EXPECT_THAT(Leading("#if 0\nint x;\n#endif\n#include \"p.h\"\n"), ElementsAre("p.h"));
  EXPECT_THAT(Leading("#if 0\n#endif\nint x;\n#include \"p.h\"\n"), IsEmpty());
}

TEST(LeadingIncludesTest, ComputedIncludeIsReported) {
  bool computed = false;
  EXPECT_THAT(Leading("#define H \"p.h\"\n#include H\n", &computed), IsEmpty());
  EXPECT_TRUE(computed);
  Leading("#include \"p.h\"\n#include H\n", &computed);
  EXPECT_FALSE(computed) << "only the first processed include matters";
}

TEST(PchCandidatesTest, NamesFromTheSourceAndPathsFromIncludeOptions) {
  CompilePlan plan;
  plan.source = "a.c";
  plan.output = "a.o";
  plan.include_files = {"pre.h", "/abs/cmake_pch.hxx"};
  PchCandidates c = PchCandidatesFor(plan, "/work", "#include \"p.h\"\n");
  EXPECT_THAT(c.searched_names, ElementsAre("pre.h.gch", "p.h.gch"));
  EXPECT_THAT(c.paths, ElementsAre("pre.h.gch", "pre.h.pch", "/abs/cmake_pch.hxx.gch",
                                   "/abs/cmake_pch.hxx.pch"));
  EXPECT_FALSE(c.unknown);
}

TEST(PchCandidatesTest, APchCompileIsNotItsOwnCandidate) {
  CompilePlan plan;
  plan.source = "p.h";
  plan.output = "p.h.gch";
  plan.pch_output = true;
  plan.include_files = {"p.h"};
  EXPECT_THAT(PchCandidatesFor(plan, "/work", "").paths, ElementsAre("p.h.pch"));
  // As CMake spells it: -include /abs/dir/x.hxx ... -o dir/x.hxx.gch, run in /abs.
  plan.include_files = {"/abs/dir/x.hxx"};
  plan.output = "dir/./x.hxx.gch";
  EXPECT_THAT(PchCandidatesFor(plan, "/abs", "").paths, ElementsAre("/abs/dir/x.hxx.pch"));
}

TEST(PchCandidatesTest, LexicallyAbsolutePaths) {
  EXPECT_EQ(LexicallyAbsolute("/w", "a/./b//c"), "/w/a/b/c");
  EXPECT_EQ(LexicallyAbsolute("/w/x", "../y"), "/w/y");
  EXPECT_EQ(LexicallyAbsolute("/w", "/abs/../p"), "/p");
  EXPECT_EQ(LexicallyAbsolute("/", ".."), "/");
}

TEST(PchCandidatesTest, PreprocessedInputHasNoSourceCandidates) {
  CompilePlan plan;
  plan.source = "a.i";
  plan.preprocessed_input = true;
  EXPECT_THAT(PchCandidatesFor(plan, "/work", "#include \"p.h\"\n").searched_names, IsEmpty());
}

TEST(PchNamesFromLineMarkersTest, FirstFilesEnteredFromTheTopInEverySpelling) {
  const char* cpp =
      "# 0 \"a.c\"\n# 0 \"<built-in>\"\n# 0 \"<command-line>\"\n"
      "# 1 \"/usr/include/stdc-predef.h\" 1 3 4\n# 0 \"<command-line>\" 2\n# 1 \"a.c\"\n"
      "# 1 \"inc/sub/p.h\" 1\n# 1 \"inc/sub/nested.h\" 1\n# 2 \"inc/sub/p.h\" 2\n"
      "# 2 \"a.c\" 2\n# 1 \"later.h\" 1\n";
  EXPECT_THAT(PchNamesFromLineMarkers(cpp),
              ElementsAre("/usr/include/stdc-predef.h.gch", "usr/include/stdc-predef.h.gch",
                          "include/stdc-predef.h.gch", "stdc-predef.h.gch", "inc/sub/p.h.gch",
                          "sub/p.h.gch", "p.h.gch"));
}

TEST(PchNamesFromLineMarkersTest, HeadersIncludedByOthersAreNotFirst) {
  const char* cpp =
      "# 1 \"a.c\"\n# 1 \"p.h\" 1\n# 1 \"nested.h\" 1\n# 2 \"p.h\" 2\n# 2 \"a.c\" 2\n"
      "# 1 \"second.h\" 1\n";
  EXPECT_THAT(PchNamesFromLineMarkers(cpp), ElementsAre("p.h.gch", "second.h.gch"));
}

TEST(FindPchFilesTest, FindsFilesAndDirectoriesInEveryDirectory) {
  test::TempDir dir;
  ASSERT_EQ(::mkdir(dir.Join("inc").c_str(), 0777), 0);
  ASSERT_EQ(::mkdir(dir.Join("p.h.gch").c_str(), 0777), 0);
  test::WriteTestFile(dir.Join("inc/p.h.gch"), "gpch");
  EXPECT_THAT(FindPchFiles({"p.h.gch", "q.h.gch"}, {"", "inc", "missing"}, dir.path()),
              ElementsAre("p.h.gch", "inc/p.h.gch"));
}

TEST(IsClangPchTest, ByMagic) {
  EXPECT_TRUE(IsClangPch("CPCH\x01"));
  EXPECT_FALSE(IsClangPch("gpchC014"));
  EXPECT_FALSE(IsClangPch(""));
}

}  // namespace
}  // namespace zc::compile
