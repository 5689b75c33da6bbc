// Compiles direct mode cannot record are still stored under a sound key, so the next identical
// compile hits; inputs written just before a compile are stored; every file an option names is
// in the key.
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

// Returns just after the kernel's coarse clock (the one file timestamps come from) ticked, so
// that what happens next happens early in a tick.
void WaitForClockTick() {
  struct timespec start, now;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &start);
  do {
    ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  } while (now.tv_sec == start.tv_sec && now.tv_nsec == start.tv_nsec);
}

class NoSilentGapTest : public E2eTest {};

TEST_F(NoSilentGapTest, OpaqueHasIncludeInAHeaderIsStoredAndHits) {
  // The report (abseil's headers probe __has_include(MACRO)): direct mode cannot know
  // what such a probe could see, so the result goes to preprocessor mode, and the manifest says so.
  WriteBoth("cfg.h",
            "#define PROBE <stdio.h>\n#if __has_include(PROBE)\n#define HAVE 1\n#else\n"
            "#define HAVE 0\n#endif\n");
  WriteBoth("a.c", "#include \"cfg.h\"\nint have(void) { return HAVE; }\n");
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  const RunResult plain = Plain(args);
  for (int round = 0; round < 3; ++round) {
    ExpectSameResult(plain, Zcwrap(args));
    EXPECT_TRUE(SameFile("a.o"));
  }
  EXPECT_TRUE(HasCounters({{"cache_miss", 1},
                           {"preprocessed_cache_hit", 2},
                           {"direct_mode_fallback", 1},
                           {"direct_cache_hit", 0}}));
}

TEST_F(NoSilentGapTest, OpaqueProbeStillSeesANewHeader) {
  // Stored in preprocessor mode, the probe's answer is part of the key.
  WriteBoth("cfg.h",
            "#define PROBE \"extra.h\"\n#if __has_include(PROBE)\n#include PROBE\n#else\n"
            "#define EXTRA 0\n#endif\n");
  WriteBoth("a.c", "#include \"cfg.h\"\nint extra(void) { return EXTRA; }\n");
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  ExpectSameResult(Plain(args), Zcwrap(args));
  WriteBoth("extra.h", "#define EXTRA 42\n");
  ExpectSameResult(Plain(args), Zcwrap(args));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasCounters({{"cache_miss", 2}, {"preprocessed_cache_hit", 0}}));
}

TEST_F(NoSilentGapTest, GeneratedHeadersWrittenJustBeforeTheirCompileAreStored) {
  // A generator writes a header, the build compiles it at once, often within one clock tick of
  // the kernel's file timestamps (the report: never stored). Every such compile is stored
  // (compiled again to be sure when it cannot tell whether the header was written before it
  // started), and a rebuild that regenerates the same headers is all hits.
  constexpr int kSources = 12;
  for (int i = 0; i < kSources; ++i) {
    WriteBoth(absl::StrCat("s", i, ".c"),
              absl::StrCat("#include \"gen", i, ".h\"\nint f", i, "(void) { return G; }\n"));
  }
  for (int build = 0; build < 2; ++build) {
    for (int i = 0; i < kSources; ++i) {
      const std::string header = absl::StrCat("gen", i, ".h");
      WaitForClockTick();
      WriteFile(WrapPath(header), absl::StrCat("#define G ", i, "\n"));
      // Run() straight away: Zcwrap() would let the clock settle after a write first.
      const RunResult r = Run({ZcwrapBinary(), "gcc", "-c", absl::StrCat("s", i, ".c"), "-o",
                               absl::StrCat("s", i, ".o")},
                              wrap_dir_);
      ASSERT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
    }
  }
  EXPECT_EQ(ResultEntryCount(), kSources);
  EXPECT_TRUE(HasCounters(
      {{"cache_miss", kSources}, {"direct_cache_hit", kSources}, {"modified_input_file", 0}}));
}

TEST_F(NoSilentGapTest, TimeMacrosInAHeaderWithSourceDateEpochHit) {
  // With SOURCE_DATE_EPOCH, gcc's __DATE__/__TIME__ are fixed: the result can be stored in
  // preprocessor mode (a compile and its key agree) and hit.
  WriteBoth("when.h", "static const char* when = __DATE__ \" \" __TIME__;\n");
  WriteBoth("t.c", "#include \"when.h\"\nconst char* get(void) { return when; }\n");
  const std::vector<std::string> args = {"gcc", "-c", "t.c", "-o", "t.o"};
  const std::vector<std::string> env = {"SOURCE_DATE_EPOCH=1700000000"};
  const RunResult plain = Run(args, plain_dir_, env);
  ASSERT_EQ(plain.exit_code, 0);
  // The first compile is stored when it and its preprocessor run fell in one second; otherwise
  // the second one is (preprocessor mode brackets its compile): a hit comes by the third.
  for (int round = 0; round < 3; ++round) {
    ExpectSameResult(plain, Zcwrap(args, "", env));
    EXPECT_TRUE(SameFile("t.o"));
  }
  EXPECT_GE(Stat("preprocessed_cache_hit"), 1u);
  EXPECT_EQ(Stat("direct_cache_hit"), 0u);
}

// Files named by options: their content is in the key, in both modes.
class NamedInputTest : public E2eTest, public ::testing::WithParamInterface<Mode> {
 protected:
  void SetUp() override { mode_ = GetParam(); }
};

TEST_P(NamedInputTest, SanitizerIgnoreListIsKeyedByContent) {
  WriteBoth("a.c", "int g;\nvoid f(int* p) { *p = g; }\nvoid h(int* p) { *p = g + 1; }\n");
  const std::vector<std::string> args = {
      "clang", "-O1", "-fsanitize=address", "-fsanitize-ignorelist=ign.txt", "-c", "a.c",
      "-o",    "a.o"};
  WriteBoth("ign.txt", "fun:f\n");
  ExpectSameResult(Plain(args), Zcwrap(args));
  ExpectSameResult(Plain(args), Zcwrap(args));
  WriteBoth("ign.txt", "fun:h\n");
  ExpectSameResult(Plain(args), Zcwrap(args));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasMissesAndHits(2, 1));
}

// A file the assembler reads (.incbin or .include in inline asm, here from a header) is in no
// dependency list, so no key can hold it: never stored, counted, and each compile is the
// compiler's own (a stale object here would be a false hit).
TEST_P(NamedInputTest, AssemblerIncludedFileIsNeverCached) {
  WriteBoth("blob.h",
            "__asm__(\".section .rodata\\n\\t.incbin \\\"blob.bin\\\"\\n\\t.previous\");\n");
  WriteBoth("a.c", "#include \"blob.h\"\nint f(void) { return 1; }\n");
  const std::vector<std::string> args = {"gcc", "-c", "a.c", "-o", "a.o"};
  for (const char* content : {"first", "second", "second", "third!"}) {
    SCOPED_TRACE(content);
    WriteBoth("blob.bin", content);
    ExpectSameResult(Plain(args), Zcwrap(args));
    EXPECT_TRUE(SameFile("a.o"));
  }
  EXPECT_TRUE(HasCounters(
      {{"unsupported_code_directive", 4}, {"direct_cache_hit", 0}, {"preprocessed_cache_hit", 0}}));
  EXPECT_EQ(ResultEntryCount(), 0);
}

TEST_P(NamedInputTest, ProfileDataIsKeyedByContent) {
  WriteBoth("a.c",
            "int work(int n) { int s = 0; for (int i = 0; i < n; i++) { if (i % 3) s += i; "
            "else s -= i; } return s; }\nint main(int c, char** v) { (void)v; "
            "return work(c * 1000) & 1; }\n");
  // Profile data from an instrumented run, the same file in plain/ and wrap/.
  auto profile = [&](const std::vector<std::string>& run_args) {
    ASSERT_EQ(Run({"gcc", "-O2", "-fprofile-generate", "a.c", "-o", "prog"}, wrap_dir_).exit_code,
              0);
    std::filesystem::remove(WrapPath("prog-a.gcda"));
    (void)Run(run_args, wrap_dir_);  // its exit code is the program's answer
    ASSERT_TRUE(Exists(WrapPath("prog-a.gcda"))) << "no profile written";
    std::filesystem::create_directories(WrapPath("obj"));
    std::filesystem::create_directories(PlainPath("obj"));
    std::filesystem::copy_file(WrapPath("prog-a.gcda"), WrapPath("obj/a.gcda"),
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(WrapPath("prog-a.gcda"), PlainPath("obj/a.gcda"),
                               std::filesystem::copy_options::overwrite_existing);
  };
  // Objects built with profile data name nothing of the directory, but the compile's warnings
  // would; both runs use one directory.
  const std::vector<std::string> args = {"gcc", "-O2", "-fprofile-use", "-c",
                                         "a.c", "-o",  "obj/a.o"};
  profile({WrapPath("prog")});
  const RunResult first = Run(args, plain_dir_);
  ASSERT_EQ(first.exit_code, 0);
  ExpectSameResult(first, Zcwrap(args));
  ExpectSameResult(first, Zcwrap(args));
  EXPECT_TRUE(SameFile("obj/a.o"));
  profile({WrapPath("prog"), "x", "y", "z", "w", "v", "u"});
  const RunResult second = Run(args, plain_dir_);
  ExpectSameResult(second, Zcwrap(args));
  EXPECT_TRUE(SameFile("obj/a.o"));
  EXPECT_TRUE(HasMissesAndHits(2, 1));
}

TEST_P(NamedInputTest, AbsoluteSpecsFileIsKeyedByContent) {
  WriteBoth("a.c", "int v(void) { return V; }\n");
  const std::string specs = Path("my.specs");
  const std::vector<std::string> args = {"gcc", "-O2", "-specs=" + specs, "-c", "a.c", "-o", "a.o"};
  WriteFile(specs, "*cpp:\n+ -DV=1\n\n");
  ExpectSameResult(Plain(args), Zcwrap(args));
  ExpectSameResult(Plain(args), Zcwrap(args));
  WriteFile(specs, "*cpp:\n+ -DV=2\n\n");
  ExpectSameResult(Plain(args), Zcwrap(args));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasMissesAndHits(2, 1));
}

INSTANTIATE_TEST_SUITE_P(Modes, NamedInputTest,
                         ::testing::Values(Mode::kDirect, Mode::kPreprocessor),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return ModeName(info.param);
                         });

}  // namespace
}  // namespace zc::e2e
