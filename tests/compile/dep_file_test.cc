#include "cachecore/compile/dep_file.h"

#include "gtest/gtest.h"

namespace zc::compile {
namespace {

TEST(DepFileTest, RewritesTheLeadingTarget) {
  EXPECT_EQ(RewriteDepTarget("old/a.o: a.c a.h\n", "old/a.o", "new/b.o"), "new/b.o: a.c a.h\n");
  EXPECT_EQ(RewriteDepTarget("a.o: a.c\n", "a.o", "a.o"), "a.o: a.c\n");
}

TEST(DepFileTest, EscapesTargetsLikeGcc) {
  EXPECT_EQ(EscapeMakeTarget("a b#$.o"), "a\\ b\\#$$.o");
  EXPECT_EQ(RewriteDepTarget("my\\ dir/a.o: a.c\n", "my dir/a.o", "x y.o"), "x\\ y.o: a.c\n");
}

TEST(DepFileTest, RefusesUnexpectedContent) {
  EXPECT_EQ(RewriteDepTarget("other.o: a.c\n", "a.o", "b.o"), std::nullopt);
  EXPECT_EQ(RewriteDepTarget("a.o.x: a.c\n", "a.o", "b.o"), std::nullopt);
  EXPECT_EQ(RewriteDepTarget("", "a.o", "b.o"), std::nullopt);
}

}  // namespace
}  // namespace zc::compile

namespace zc::compile {
namespace {

// The first lines of what gcc 12 and clang 14 write for one source (-MD -MP -MT x.o).
constexpr absl::string_view kGccDeps =
    "x.o: /tmp/exp/d.c /usr/include/stdc-predef.h /usr/include/stdio.h \\\n"
    " /usr/include/x86_64-linux-gnu/bits/libc-header-start.h \\\n"
    " /usr/include/features.h /usr/include/features-time64.h\n"
    "/usr/include/stdc-predef.h:\n";
constexpr absl::string_view kClangDeps =
    "x.o: /tmp/exp/d.c /usr/include/stdio.h \\\n"
    "  /usr/include/x86_64-linux-gnu/bits/libc-header-start.h \\\n"
    "  /usr/include/features.h /usr/include/features-time64.h\n"
    "\n/usr/include/stdio.h:\n";

TEST(DepFileTest, LineBreaksAreTheCompilersOwn) {
  EXPECT_EQ(DetectDepWrap(kGccDeps), DepWrap::kGcc);
  EXPECT_EQ(DetectDepWrap(kClangDeps), DepWrap::kClang);
  EXPECT_EQ(DetectDepWrap("x.o: a.c \\\n b.h\n"), DepWrap::kNone) << "a break neither makes";
  EXPECT_EQ(DetectDepWrap("x.o: my\\ file.c\n"), DepWrap::kNone) << "escaped names";
  EXPECT_EQ(RewrapDependencies(kGccDeps, DepWrap::kGcc), kGccDeps);
  EXPECT_EQ(RewrapDependencies(kClangDeps, DepWrap::kClang), kClangDeps);
}

TEST(DepFileTest, ALongerPathMovesTheBreaksAsTheCompilerWould) {
  // The source 20 characters longer: gcc's first line no longer holds stdio.h.
  std::string longer(kGccDeps);
  longer.replace(longer.find("/tmp/exp"), 8, "/tmp/exp/twenty-more-chars..");
  EXPECT_EQ(RewrapDependencies(longer, DepWrap::kGcc),
            "x.o: /tmp/exp/twenty-more-chars../d.c /usr/include/stdc-predef.h \\\n"
            " /usr/include/stdio.h \\\n"
            " /usr/include/x86_64-linux-gnu/bits/libc-header-start.h \\\n"
            " /usr/include/features.h /usr/include/features-time64.h\n"
            "/usr/include/stdc-predef.h:\n");
}

// Found by tests/fuzz/dep_file (corpus/dep_file/regress-escaped-space-in-target): a hit writing
// the .d for an output whose name has a space must not split that name where it re-flows.
TEST(DepFileTest, RewrapKeepsEscapedSpacesInNames) {
  std::optional<std::string> moved = RewriteDepTarget("obj/a.o: a.c\n", "obj/a.o", "my out.o ");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(*moved, "my\\ out.o\\ : a.c\n");
  for (DepWrap wrap : {DepWrap::kGcc, DepWrap::kClang}) {
    EXPECT_EQ(RewrapDependencies(*moved, wrap), *moved) << DepWrapName(wrap);
    EXPECT_EQ(ParseDependencies(RewrapDependencies(*moved, wrap)), std::vector<std::string>{"a.c"});
  }
}

}  // namespace
}  // namespace zc::compile
