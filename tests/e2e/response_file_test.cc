// @response files are expanded before classification: `zcwrap gcc @args.rsp` has the same key as
// the command line the file spells out.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

class ResponseFileTest : public E2eTest, public ::testing::WithParamInterface<Mode> {
 protected:
  void SetUp() override { mode_ = GetParam(); }

  void ExpectSameKeyAsExpanded(absl::string_view rsp_text,
                               const std::vector<std::string>& expanded) {
    WriteBoth("args.rsp", rsp_text);
    const std::vector<std::string> with_rsp = {"gcc", "@args.rsp"};
    const RunResult plain = Plain(with_rsp);
    ASSERT_EQ(plain.exit_code, 0) << ::testing::PrintToString(plain);

    const RunResult miss = Zcwrap(with_rsp);
    ExpectSameResult(plain, miss);
    EXPECT_TRUE(SameFile("a.o"));
    EXPECT_TRUE(HasMissesAndHits(1, 0));

    const RunResult hit = Zcwrap(expanded);
    ExpectSameResult(plain, hit);
    EXPECT_TRUE(SameFile("a.o"));
    EXPECT_TRUE(HasMissesAndHits(1, 1))
        << "the expanded command line should hit the entry the response file made";
  }
};

TEST_P(ResponseFileTest, ResponseFileHasSameKeyAsExpandedCommandLine) {
  WriteBoth("a.c", kWarningC);
  ExpectSameKeyAsExpanded("-Wall -c a.c\n-o a.o\n", {"gcc", "-Wall", "-c", "a.c", "-o", "a.o"});
}

TEST_P(ResponseFileTest, QuotedResponseFileArgumentHasSameKeyAsExpanded) {
  WriteBoth("a.c", "const char* greeting(void) { return GREETING; }\n");
  ExpectSameKeyAsExpanded("-c a.c -o a.o '-DGREETING=\"hi there\"'\n",
                          {"gcc", "-c", "a.c", "-o", "a.o", "-DGREETING=\"hi there\""});
}

INSTANTIATE_TEST_SUITE_P(Modes, ResponseFileTest,
                         ::testing::Values(Mode::kDirect, Mode::kPreprocessor),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return ModeName(info.param);
                         });

}  // namespace
}  // namespace zc::e2e
