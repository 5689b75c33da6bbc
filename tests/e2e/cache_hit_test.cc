// A cacheable compile through zcwrap: the first run is a miss, the second a hit, and both give
// exactly what the plain compiler gives. A failed compile is passed on and never cached.
#include <filesystem>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

using ::testing::HasSubstr;

struct CompilerAndSource {
  const char* compiler;
  const char* source;
  absl::string_view text;
  const char* label;
};

void PrintTo(const CompilerAndSource& c, std::ostream* os) {
  *os << c.compiler << " -Wall -c " << c.source;
}

class CacheHitTest : public E2eTest,
                     public ::testing::WithParamInterface<std::tuple<CompilerAndSource, Mode>> {};

TEST_P(CacheHitTest, MissThenHitMatchPlainCompilerByteForByte) {
  const CompilerAndSource& p = std::get<0>(GetParam());
  mode_ = std::get<1>(GetParam());
  WriteBoth(p.source, p.text);
  const std::vector<std::string> args = {p.compiler, "-Wall", "-c", p.source, "-o", "a.o"};

  const RunResult plain = Plain(args);
  ASSERT_EQ(plain.exit_code, 0) << ::testing::PrintToString(plain);
  ASSERT_THAT(plain.stderr_data, HasSubstr("unused")) << "the source must warn";

  const RunResult miss = Zcwrap(args);
  ExpectSameResult(plain, miss);
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasMissesAndHits(1, 0));
  EXPECT_TRUE(CacheHolds(1));

  std::filesystem::remove(WrapPath("a.o"));
  const RunResult hit = Zcwrap(args);
  ExpectSameResult(plain, hit);  // the warning is replayed
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasMissesAndHits(1, 1));
}

INSTANTIATE_TEST_SUITE_P(
    Compilers, CacheHitTest,
    ::testing::Combine(
        ::testing::Values(CompilerAndSource{"gcc", "a.c", kWarningC, "GccC"},
                          CompilerAndSource{"gcc", "a.cpp", kWarningCxx, "GccCxx"},
                          CompilerAndSource{"g++", "a.c", kWarningC, "GxxC"},
                          CompilerAndSource{"g++", "a.cpp", kWarningCxx, "GxxCxx"},
                          CompilerAndSource{"clang", "a.c", kWarningC, "ClangC"},
                          CompilerAndSource{"clang", "a.cpp", kWarningCxx, "ClangCxx"},
                          CompilerAndSource{"clang++", "a.c", kWarningC, "ClangxxC"},
                          CompilerAndSource{"clang++", "a.cpp", kWarningCxx, "ClangxxCxx"}),
        ::testing::Values(Mode::kDirect, Mode::kPreprocessor)),
    [](const ::testing::TestParamInfo<std::tuple<CompilerAndSource, Mode>>& info) {
      return std::get<0>(info.param).label + ModeName(std::get<1>(info.param));
    });

class FailedCompileTest : public E2eTest,
                          public ::testing::WithParamInterface<std::tuple<const char*, Mode>> {};

TEST_P(FailedCompileTest, FailedCompileMatchesPlainAndIsNotCached) {
  mode_ = std::get<1>(GetParam());
  WriteBoth("bad.c", kSyntaxErrorC);
  const std::vector<std::string> args = {std::get<0>(GetParam()), "-c", "bad.c", "-o", "bad.o"};
  const RunResult plain = Plain(args);
  ASSERT_NE(plain.exit_code, 0);
  ASSERT_FALSE(plain.stderr_data.empty());

  const RunResult first = Zcwrap(args);
  ExpectSameResult(plain, first);
  EXPECT_FALSE(Exists(WrapPath("bad.o")));
  EXPECT_TRUE(HasCounters({{"compile_failed", 1}}));
  EXPECT_TRUE(HasMissesAndHits(0, 0));
  EXPECT_TRUE(CacheHolds(0));

  const RunResult second = Zcwrap(args);
  ExpectSameResult(plain, second);
  EXPECT_FALSE(Exists(WrapPath("bad.o")));
  EXPECT_TRUE(HasCounters({{"compile_failed", 2}}));
  EXPECT_TRUE(HasMissesAndHits(0, 0));
  EXPECT_TRUE(CacheHolds(0));
}

INSTANTIATE_TEST_SUITE_P(Compilers, FailedCompileTest,
                         ::testing::Combine(::testing::Values("gcc", "clang"),
                                            ::testing::Values(Mode::kDirect, Mode::kPreprocessor)),
                         CompilerModeName);

}  // namespace
}  // namespace zc::e2e
