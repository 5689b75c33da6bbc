#include "cachecore/compile/compiler_option.h"

#include "gtest/gtest.h"

namespace zc::compile {
namespace {

TEST(CompilerOptionTest, TableIsSortedAndUnique) {
  auto options = AllOptions();
  for (size_t i = 1; i < options.size(); ++i) {
    EXPECT_LT(options[i - 1].name, options[i].name) << "at " << options[i].name;
  }
}

TEST(CompilerOptionTest, FindsExactNames) {
  ASSERT_NE(FindOption("-isystem"), nullptr);
  EXPECT_TRUE(FindOption("-isystem")->flags & kTakesArg);
  EXPECT_TRUE(FindOption("-fsyntax-only")->flags & kTooHard);
  EXPECT_EQ(FindOption("-Wall"), nullptr);
  EXPECT_EQ(FindOption(""), nullptr);
}

TEST(CompilerOptionTest, FindsJoinedFormsByLongestPrefix) {
  ASSERT_NE(FindPrefixOption("-I/usr/include"), nullptr);
  EXPECT_EQ(FindPrefixOption("-I/usr/include")->name, "-I");
  EXPECT_EQ(FindPrefixOption("--sysroot=/x")->name, "--sysroot=");
  EXPECT_EQ(FindPrefixOption("-fdump-tree-all")->name, "-fdump-");
  EXPECT_EQ(FindPrefixOption("-isystem/opt/inc")->name, "-isystem");
  EXPECT_EQ(FindPrefixOption("-MFdeps.d")->name, "-MF");
  // -include has no joined form; "-I" must not swallow "-include" either way.
  EXPECT_EQ(FindPrefixOption("-include"), nullptr);
  // A name is not a prefix of itself.
  EXPECT_EQ(FindPrefixOption("-I"), nullptr);
  EXPECT_EQ(FindPrefixOption("-W"), nullptr);
}

}  // namespace
}  // namespace zc::compile
