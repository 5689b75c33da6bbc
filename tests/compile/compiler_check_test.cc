#include "cachecore/compile/compiler_check.h"

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

class CompilerCheckTest : public ::testing::Test {
 protected:
  void SetUp() override { test::WriteTestFile(compiler_, "compiler v1"); }
  absl::StatusOr<util::Digest> Check(absl::string_view check) {
    return CompilerCheckDigest(check, compiler_, dir_.Join("memo"),
                               [this](std::vector<std::string> argv) {
                                 ran_.push_back(argv);
                                 util::ProcessResult r;
                                 r.stdout_data = "version " + version_;
                                 r.exit_code = exit_code_;
                                 return absl::StatusOr<util::ProcessResult>(r);
                               });
  }
  test::TempDir dir_;
  const std::string compiler_ = dir_.Join("cc");
  std::vector<std::vector<std::string>> ran_;
  std::string version_ = "1";
  int exit_code_ = 0;
};

TEST_F(CompilerCheckTest, ContentFollowsTheProgramsBytes) {
  const util::Digest before = *Check("content");
  test::SetFileTimes(compiler_, 1000);
  EXPECT_EQ(*Check("content"), before) << "a touch is not a change of content";
  test::WriteTestFile(compiler_, "compiler v2");
  EXPECT_NE(*Check("content"), before);
}

TEST_F(CompilerCheckTest, MtimeFollowsSizeAndTimeNotContent) {
  test::SetFileTimes(compiler_, 1000);
  const util::Digest before = *Check("mtime");
  test::WriteTestFile(compiler_, "compiler v2");  // same size
  test::SetFileTimes(compiler_, 1000);
  EXPECT_EQ(*Check("mtime"), before) << "the user's trade: same size and mtime, same compiler";
  test::SetFileTimes(compiler_, 2000);
  EXPECT_NE(*Check("mtime"), before);
  EXPECT_FALSE(CompilerCheckDigest("mtime", dir_.Join("gone"), dir_.Join("memo"), nullptr).ok());
}

TEST_F(CompilerCheckTest, NoneAndStringIgnoreTheProgram) {
  const util::Digest none = *Check("none");
  const util::Digest s1 = *Check("string:12.2");
  test::WriteTestFile(compiler_, "another compiler entirely");
  EXPECT_EQ(*Check("none"), none);
  EXPECT_EQ(*Check("string:12.2"), s1);
  EXPECT_NE(*Check("string:12.3"), s1);
  EXPECT_NE(none, s1);
  EXPECT_TRUE(ran_.empty());
}

TEST_F(CompilerCheckTest, CommandsRunWithTheCompilerSubstitutedAndTheirOutputCounts) {
  const util::Digest v1 = *Check("%compiler% -v; echo  %compiler%");
  ASSERT_EQ(ran_.size(), 2u);
  EXPECT_EQ(ran_[0], (std::vector<std::string>{compiler_, "-v"}));
  EXPECT_EQ(ran_[1], (std::vector<std::string>{"echo", compiler_}));
  version_ = "2";
  EXPECT_NE(*Check("%compiler% -v; echo  %compiler%"), v1);
  exit_code_ = 1;
  EXPECT_FALSE(Check("%compiler% -v").ok()) << "a failing check identifies nothing";
  EXPECT_FALSE(Check(" ; ").ok());
}

}  // namespace
}  // namespace zc::compile
