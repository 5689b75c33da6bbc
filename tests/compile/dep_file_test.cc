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
