// Side outputs: -gsplit-dwarf's .dwo, --coverage's .gcno, -fstack-usage's .su,
// -fcallgraph-info's .ci and assembler listings (-Wa,-a...=file) are stored with the object and
// restored on a hit, equal to the plain compiler's.
//
// Both embed the directory (debug info, the .gcda path), so the plain compiler runs first in the
// very directory zcwrap then uses; its outputs are saved and removed before each zcwrap run.
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

struct SideOutputCase {
  const char* label;
  std::vector<std::string> args;     // the whole command, compiler first
  std::vector<std::string> outputs;  // relative to the working directory
};

void PrintTo(const SideOutputCase& c, std::ostream* os) {
  for (const std::string& a : c.args) *os << a << " ";
}

class SideOutputTest : public E2eTest,
                       public ::testing::WithParamInterface<std::tuple<SideOutputCase, Mode>> {};

TEST_P(SideOutputTest, HitRestoresSideOutputEqualToPlainCompiler) {
  const SideOutputCase& c = std::get<0>(GetParam());
  mode_ = std::get<1>(GetParam());
  WriteFile(WrapPath("a.c"), kCleanC);
  WriteFile(WrapPath("out/.keep"), "");

  const RunResult plain = Plain(c.args, wrap_dir_);
  ASSERT_EQ(plain.exit_code, 0) << ::testing::PrintToString(plain);
  std::map<std::string, std::string> expected;
  for (const std::string& rel : c.outputs) {
    std::optional<std::string> data = ReadFile(WrapPath(rel));
    ASSERT_TRUE(data) << "the plain compiler wrote no " << rel;
    expected[rel] = *data;
    std::filesystem::remove(WrapPath(rel));
  }

  for (const char* run : {"miss", "hit"}) {
    SCOPED_TRACE(run);
    const RunResult wrapped = Zcwrap(c.args);
    ExpectSameResult(plain, wrapped);
    for (const auto& [rel, data] : expected) {
      EXPECT_TRUE(FileHasBytes(WrapPath(rel), data));
      std::filesystem::remove(WrapPath(rel));
    }
  }
  EXPECT_TRUE(HasMissesAndHits(1, 1));
}

INSTANTIATE_TEST_SUITE_P(
    Outputs, SideOutputTest,
    ::testing::Combine(
        ::testing::Values(
            SideOutputCase{"GccSplitDwarf",
                           {"gcc", "-gsplit-dwarf", "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "out/a.dwo"}},
            SideOutputCase{"ClangSplitDwarf",
                           // clang 14: -gsplit-dwarf alone does not turn on debug info.
                           {"clang", "-g", "-gsplit-dwarf", "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "out/a.dwo"}},
            // clang's spelling with a mode (=single keeps everything in the object).
            SideOutputCase{"ClangSplitDwarfSplitMode",
                           {"clang", "-g", "-gsplit-dwarf=split", "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "out/a.dwo"}},
            // gcc stamps .gcno with the time unless given a seed.
            SideOutputCase{"GccCoverage",
                           {"gcc", "--coverage", "-frandom-seed=1", "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "out/a.gcno"}},
            SideOutputCase{"ClangCoverage",
                           {"clang", "--coverage", "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "out/a.gcno"}},
            // Assembler listings, named in the option (the report).
            SideOutputCase{"GccAssemblerListing",
                           {"gcc", "-Wa,-adhln=out/a.lst", "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "out/a.lst"}},
            // gas writes one listing, the last one asked for. (Without "n", its page headers
            // name gcc's temporary .s file, which differs from run to run.)
            SideOutputCase{"GccTwoListings",
                           {"gcc", "-Wa,-al=one.lst,--noexecstack", "-Xassembler", "-alhn=two.lst",
                            "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "two.lst"}},
            // Stack usage and call graph info, named after the object.
            SideOutputCase{"GccStackUsage",
                           {"gcc", "-fstack-usage", "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "out/a.su"}},
            SideOutputCase{"ClangStackUsage",
                           {"clang", "-fstack-usage", "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "out/a.su"}},
            SideOutputCase{"GccStackUsageAssembly",
                           {"gcc", "-fstack-usage", "-S", "a.c", "-o", "out/a.s"},
                           {"out/a.s", "out/a.su"}},
            SideOutputCase{"GccCallgraphInfo",
                           {"gcc", "-fcallgraph-info=su", "-c", "a.c", "-o", "out/a.o"},
                           {"out/a.o", "out/a.ci"}}),
        ::testing::Values(Mode::kDirect, Mode::kPreprocessor)),
    [](const ::testing::TestParamInfo<std::tuple<SideOutputCase, Mode>>& info) {
      return std::get<0>(info.param).label + ModeName(std::get<1>(info.param));
    });

}  // namespace
}  // namespace zc::e2e
