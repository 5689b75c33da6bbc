#include "cachecore/compile/response_file.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

using ::testing::ElementsAre;

TEST(ResponseFileTest, SplitsOnWhitespaceWithQuotesAndEscapes) {
  EXPECT_THAT(SplitResponseText("-c  a.c\n-o\t'out dir/a.o' \"-DX=\\\"y\\\"\" a\\ b"),
              ElementsAre("-c", "a.c", "-o", "out dir/a.o", "-DX=\"y\"", "a b"));
  EXPECT_THAT(SplitResponseText(""), ElementsAre());
  EXPECT_THAT(SplitResponseText("''"), ElementsAre(""));
}

TEST(ResponseFileTest, ExpandsNestedFilesRelativeToCwd) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("outer.rsp"), "-c @inner.rsp -O2");
  test::WriteTestFile(dir.Join("inner.rsp"), "a.c -o a.o");
  absl::StatusOr<std::vector<std::string>> args =
      ExpandResponseFiles({"-Wall", "@outer.rsp"}, dir.path());
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(*args, ElementsAre("-Wall", "-c", "a.c", "-o", "a.o", "-O2"));
}

TEST(ResponseFileTest, MissingFileIsNotFound) {
  test::TempDir dir;
  EXPECT_TRUE(absl::IsNotFound(ExpandResponseFiles({"@nope"}, dir.path()).status()));
}

TEST(ResponseFileTest, RecursionIsBounded) {
  test::TempDir dir;
  test::WriteTestFile(dir.Join("self.rsp"), "@self.rsp");
  EXPECT_FALSE(ExpandResponseFiles({"@self.rsp"}, dir.path()).ok());
}

// Twelve files, each naming the next four times: within the depth limit, yet 4^12 reads and as
// many arguments. The read budget (libiberty's 2000) ends it at once, with a one-line error.
TEST(ResponseFileTest, ReadsAreBoundedNotOnlyTheDepth) {
  test::TempDir dir;
  for (int i = 0; i < 12; ++i) {
    const std::string next = "@f" + std::to_string(i + 1) + ".rsp";
    test::WriteTestFile(dir.Join("f" + std::to_string(i) + ".rsp"),
                        next + " " + next + " " + next + " " + next);
  }
  test::WriteTestFile(dir.Join("f12.rsp"), "-DX");
  absl::StatusOr<std::vector<std::string>> args = ExpandResponseFiles({"@f0.rsp"}, dir.path());
  ASSERT_FALSE(args.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(args.status())) << args.status();
  EXPECT_NE(args.status().message().find("more than 2000 response files"), std::string::npos);
}

}  // namespace
}  // namespace zc::compile
