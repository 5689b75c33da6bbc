// Precompiled headers: a PCH the compile uses without naming it is part of the key (in direct and
// preprocessor mode), PCH-producing compiles are cached, and clang's timestamp checks are kept.
//
// gcc's .gch files hold heap addresses, so two runs of the same command differ byte for byte;
// where a test needs the same PCH in plain/ and wrap/, it builds it once and copies it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

// p.h defines PV; a.c includes it first. Same size for every value of PV, so nothing but the
// content changes.
std::string Header(int value) {
  return "#ifndef P_H\n#define P_H\n#define PV " + std::to_string(value) +
         "\nstatic inline int pv(void) { return PV; }\n#endif\n";
}
constexpr absl::string_view kUser = "#include \"p.h\"\nint f(void) { return pv(); }\n";

class PchTest : public E2eTest, public ::testing::WithParamInterface<Mode> {
 protected:
  void SetUp() override { mode_ = GetParam(); }

  // Builds `pch` from `header` with `compiler` in wrap/ and copies both to plain/.
  void BuildPch(const std::vector<std::string>& compile, const std::string& pch) {
    const RunResult r = Run(compile, wrap_dir_);
    ASSERT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
    std::filesystem::copy(WrapPath(pch), PlainPath(pch),
                          std::filesystem::copy_options::overwrite_existing |
                              std::filesystem::copy_options::recursive);
  }

  // Compiles in both directories; expects the same result and object.
  void CompileBoth(const std::vector<std::string>& args, const std::string& object) {
    const RunResult plain = Plain(args);
    ASSERT_EQ(plain.exit_code, 0) << ::testing::PrintToString(plain);
    ExpectSameResult(plain, Zcwrap(args));
    EXPECT_TRUE(SameFile(object));
  }
};

TEST_P(PchTest, GchBesideTheFirstIncludeIsKeyedByContent) {
  // The report: the .gch changes (with its header), gcc's dependency list names neither.
  WriteBoth("p.h", Header(1));
  WriteBoth("a.c", kUser);
  BuildPch({"gcc", "-O2", "-x", "c-header", "p.h", "-o", "p.h.gch"}, "p.h.gch");
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  CompileBoth(args, "a.o");
  CompileBoth(args, "a.o");
  EXPECT_TRUE(HasMissesAndHits(1, 1));

  WriteBoth("p.h", Header(9));
  BuildPch({"gcc", "-O2", "-x", "c-header", "p.h", "-o", "p.h.gch"}, "p.h.gch");
  CompileBoth(args, "a.o");
  EXPECT_TRUE(HasMissesAndHits(2, 1)) << "a new .gch must be a miss";
}

TEST_P(PchTest, GchAppearingLaterIsAMiss) {
  // Recorded without any PCH; then one appears, built from another version of the header (gcc
  // uses it without looking at p.h again).
  WriteBoth("p.h", Header(1));
  WriteBoth("a.c", kUser);
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  CompileBoth(args, "a.o");
  WriteBoth("p.h", Header(5));
  BuildPch({"gcc", "-O2", "-x", "c-header", "p.h", "-o", "p.h.gch"}, "p.h.gch");
  WriteBoth("p.h", Header(1));
  CompileBoth(args, "a.o");
  EXPECT_TRUE(HasMissesAndHits(2, 0));
}

TEST_P(PchTest, GchInASearchDirectoryBeforeTheHeaderIsSeen) {
  // -Ipch -Iinc: gcc looks for pch/p.h.gch before inc/p.h.
  WriteBoth("inc/p.h", Header(1));
  WriteBoth("pch/.keep", "");
  WriteBoth("a.c", kUser);
  const std::vector<std::string> args = {"gcc", "-O2", "-Ipch", "-Iinc", "-c", "a.c", "-o", "a.o"};
  CompileBoth(args, "a.o");
  WriteBoth("pch/p.h", Header(7));
  BuildPch({"gcc", "-O2", "-x", "c-header", "pch/p.h", "-o", "pch/p.h.gch"}, "pch/p.h.gch");
  std::filesystem::remove(WrapPath("pch/p.h"));
  std::filesystem::remove(PlainPath("pch/p.h"));
  CompileBoth(args, "a.o");
  EXPECT_TRUE(HasMissesAndHits(2, 0));
}

TEST_P(PchTest, GchDirectoryIsKeyedByEveryCandidate) {
  WriteBoth("p.h", Header(1));
  WriteBoth("a.c", kUser);
  std::filesystem::create_directories(WrapPath("p.h.gch"));
  BuildPch({"gcc", "-O2", "-x", "c-header", "p.h", "-o", "p.h.gch/one"}, "p.h.gch");
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  CompileBoth(args, "a.o");
  CompileBoth(args, "a.o");
  WriteBoth("p.h", Header(3));
  BuildPch({"gcc", "-O2", "-x", "c-header", "p.h", "-o", "p.h.gch/one"}, "p.h.gch");
  CompileBoth(args, "a.o");
  EXPECT_TRUE(HasMissesAndHits(2, 1));
}

TEST_P(PchTest, GccIncludeOptionWithPchBesideIt) {
  // How CMake uses a gcc PCH: -include <absolute path>, the .gch beside it.
  WriteBoth("p.h", Header(1));
  WriteBoth("b.c", "int f(void) { return pv(); }\n");
  BuildPch({"gcc", "-O2", "-x", "c-header", "p.h", "-o", "p.h.gch"}, "p.h.gch");
  auto args = [](const std::string& dir) {
    return std::vector<std::string>{
        "gcc", "-O2", "-Winvalid-pch", "-include", dir + "/p.h", "-c", "b.c", "-o", "b.o"};
  };
  for (int round = 0; round < 2; ++round) {
    const RunResult plain = Plain(args(plain_dir_));
    ASSERT_EQ(plain.exit_code, 0);
    ExpectSameResult(plain, Zcwrap(args(wrap_dir_)));
    EXPECT_TRUE(SameFile("b.o"));
  }
  WriteBoth("p.h", Header(4));
  BuildPch({"gcc", "-O2", "-x", "c-header", "p.h", "-o", "p.h.gch"}, "p.h.gch");
  const RunResult plain = Plain(args(plain_dir_));
  ExpectSameResult(plain, Zcwrap(args(wrap_dir_)));
  EXPECT_TRUE(SameFile("b.o"));
  EXPECT_TRUE(HasMissesAndHits(2, 1));
}

TEST_P(PchTest, ClangIncludeOptionWithPchBesideIt) {
  // clang's driver turns -include p.h into -include-pch p.h.pch when that file exists.
  WriteBoth("p.h", Header(1));
  WriteBoth("b.c", "int f(void) { return pv(); }\n");
  const std::vector<std::string> make_pch = {
      "clang", "-O2", "-x", "c-header", "p.h", "-o", "p.h.pch", "-Xclang", "-fno-pch-timestamp"};
  BuildPch(make_pch, "p.h.pch");
  const std::vector<std::string> args = {"clang", "-O2", "-include", "p.h",
                                         "-c",    "b.c", "-o",       "b.o"};
  CompileBoth(args, "b.o");
  CompileBoth(args, "b.o");
  WriteBoth("p.h", Header(6));
  BuildPch(make_pch, "p.h.pch");
  CompileBoth(args, "b.o");
  EXPECT_TRUE(HasMissesAndHits(2, 1));
}

TEST_P(PchTest, ExplicitIncludePchIsKeyedByContent) {
  WriteBoth("p.h", Header(1));
  WriteBoth("b.c", "int f(void) { return pv(); }\n");
  const std::vector<std::string> make_pch = {
      "clang", "-O2", "-x", "c-header", "p.h", "-o", "x.pch", "-Xclang", "-fno-pch-timestamp"};
  BuildPch(make_pch, "x.pch");
  const std::vector<std::string> args = {"clang", "-O2", "-include-pch", "x.pch",
                                         "-c",    "b.c", "-o",           "b.o"};
  CompileBoth(args, "b.o");
  WriteBoth("p.h", Header(2));
  BuildPch(make_pch, "x.pch");
  CompileBoth(args, "b.o");
  CompileBoth(args, "b.o");
  EXPECT_TRUE(HasMissesAndHits(2, 1));
}

TEST_P(PchTest, PchCompileIsCachedAndItsPchWorks) {
  for (const char* compiler : {"gcc", "clang"}) {
    SCOPED_TRACE(compiler);
    WriteBoth("p.h", Header(1));
    WriteBoth("a.c", kUser);
    const std::vector<std::string> make_pch = {compiler, "-O2", "-x",     "c-header",
                                               "p.h",    "-o",  "p.h.gch"};
    for (int round = 0; round < 2; ++round) {
      ASSERT_EQ(Plain(make_pch).exit_code, 0);
      const RunResult wrapped = Zcwrap(make_pch);
      ASSERT_EQ(wrapped.exit_code, 0) << ::testing::PrintToString(wrapped);
      ASSERT_TRUE(Exists(WrapPath("p.h.gch")));
      // The restored PCH is one the compiler accepts: the object built with it is the same.
      const std::vector<std::string> use = {compiler, "-O2", "-include", "p.h",
                                            "-c",     "a.c", "-o",       "a.o"};
      ASSERT_EQ(Run(use, plain_dir_).exit_code, 0);
      const RunResult used = Run(use, wrap_dir_);
      ASSERT_EQ(used.exit_code, 0) << ::testing::PrintToString(used);
      EXPECT_TRUE(SameFile("a.o"));
      std::filesystem::remove(WrapPath("p.h.gch"));
    }
  }
  EXPECT_TRUE(HasMissesAndHits(2, 2));
}

TEST_P(PchTest, CMakeStylePchCompileHitsAfterItsOutputIsRemoved) {
  // CMake's gcc PCH compile includes the header its output is named after: that output is not an
  // input of its own (found by building a real project: every clean rebuild missed).
  WriteBoth("dir/x.hxx", Header(1));
  WriteBoth("dir/x.hxx.cxx", "/* generated */\n");
  const std::vector<std::string> args = {"g++",           "-O2",      "-Winvalid-pch",       "-x",
                                         "c++-header",    "-include", WrapPath("dir/x.hxx"), "-o",
                                         "dir/x.hxx.gch", "-c",       "dir/x.hxx.cxx"};
  for (int round = 0; round < 2; ++round) {
    const RunResult r = Zcwrap(args);
    ASSERT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
    ASSERT_TRUE(Exists(WrapPath("dir/x.hxx.gch")));
    std::filesystem::remove(WrapPath("dir/x.hxx.gch"));
  }
  EXPECT_TRUE(HasMissesAndHits(1, 1));
}

TEST_P(PchTest, ClangPchWithoutTimestampsIsRestoredByteForByte) {
  // A clang PCH names the absolute path of its header, so the reference is built in wrap/ too.
  WriteBoth("p.h", Header(1));
  const std::vector<std::string> args = {"clang", "-x",    "c-header", "p.h",
                                         "-o",    "p.pch", "-Xclang",  "-fno-pch-timestamp"};
  const RunResult plain = Run(args, wrap_dir_);
  ASSERT_EQ(plain.exit_code, 0);
  const std::optional<std::string> expected = ReadFile(WrapPath("p.pch"));
  ASSERT_TRUE(expected);
  for (int round = 0; round < 2; ++round) {
    std::filesystem::remove(WrapPath("p.pch"));
    ExpectSameResult(plain, Zcwrap(args));
    EXPECT_TRUE(FileHasBytes(WrapPath("p.pch"), *expected));
  }
  EXPECT_TRUE(HasMissesAndHits(1, 1));
}

TEST_P(PchTest, ClangPchRecordsHeaderTimesSoATouchedHeaderMisses) {
  // Without -fno-pch-timestamp, clang writes the header's mtime into the PCH and refuses the PCH
  // once the header's mtime changes: a restored copy from before the touch would break the build.
  WriteBoth("p.h", Header(1));
  WriteBoth("b.c", "int f(void) { return pv(); }\n");
  const std::vector<std::string> make_pch = {"clang", "-O2", "-x",     "c-header",
                                             "p.h",   "-o",  "p.h.pch"};
  const std::vector<std::string> use = {"clang", "-O2", "-include", "p.h",
                                        "-c",    "b.c", "-o",       "b.o"};
  ASSERT_EQ(Zcwrap(make_pch).exit_code, 0);
  ASSERT_EQ(Zcwrap(use).exit_code, 0);
  // Touch the header (to a later second: clang records whole seconds): the consumer must now
  // fail as clang fails, not hit.
  const struct timespec later[2] = {{::time(nullptr) + 5, 0}, {::time(nullptr) + 5, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, WrapPath("p.h").c_str(), later, 0), 0);
  const RunResult stale = Zcwrap(use);
  EXPECT_NE(stale.exit_code, 0) << ::testing::PrintToString(stale);
  EXPECT_TRUE(absl::StrContains(stale.stderr_data, "modified")) << stale.stderr_data;
  // Rebuilding the PCH after the touch must produce one with the new time (a miss), which the
  // consumer then accepts.
  ASSERT_EQ(Zcwrap(make_pch).exit_code, 0);
  const RunResult fresh = Zcwrap(use);
  EXPECT_EQ(fresh.exit_code, 0) << ::testing::PrintToString(fresh);
  EXPECT_EQ(Stat("direct_cache_hit") + Stat("preprocessed_cache_hit"), 0u);
}

TEST_P(PchTest, ClangPchPinsOnlyTheHeadersItWasBuiltFrom) {
  // A header the PCH does not contain (a generated one, rewritten with the same content by every
  // clean build) keeps hitting; the PCH's own header does not (previous test).
  WriteBoth("p.h", Header(1));
  WriteBoth("gen.h", "#define G 2\n");
  WriteBoth("b.c", "#include \"gen.h\"\nint f(void) { return pv() + G; }\n");
  const std::vector<std::string> make_pch = {"clang", "-O2", "-x",     "c-header",
                                             "p.h",   "-o",  "p.h.pch"};
  const std::vector<std::string> use = {"clang", "-O2", "-include", "p.h",
                                        "-c",    "b.c", "-o",       "b.o"};
  ASSERT_EQ(Run(make_pch, wrap_dir_).exit_code, 0);
  ASSERT_EQ(Zcwrap(use).exit_code, 0);
  WriteFile(WrapPath("gen.h"), "#define G 2\n");  // same content, another mtime
  const struct timespec earlier[2] = {{::time(nullptr) - 5, 0}, {::time(nullptr) - 5, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, WrapPath("gen.h").c_str(), earlier, 0), 0);
  const RunResult again = Zcwrap(use);
  ASSERT_EQ(again.exit_code, 0) << ::testing::PrintToString(again);
  EXPECT_TRUE(HasMissesAndHits(1, 1));
}

INSTANTIATE_TEST_SUITE_P(Modes, PchTest, ::testing::Values(Mode::kDirect, Mode::kPreprocessor),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return ModeName(info.param);
                         });

}  // namespace
}  // namespace zc::e2e
