// Direct-mode guards end to end: time macros never hit stale, a file changed during the compile
// is not stored, and the second compile is a direct hit that runs no preprocessor.
#include <sys/stat.h>
#include <unistd.h>

#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

class DirectModeTest : public E2eTest {};

TEST_F(DirectModeTest, SecondCompileIsADirectHitMatchingThePlainCompiler) {
  WriteBoth("a.cc", kWarningCxx);
  const std::vector<std::string> args = {"g++", "-Wall", "-c", "a.cc", "-o", "a.o"};
  const RunResult plain = Plain(args);
  ExpectSameResult(plain, Zcwrap(args));
  ASSERT_EQ(::unlink(WrapPath("a.o").c_str()), 0);
  ExpectSameResult(plain, Zcwrap(args));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasCounters({{"direct_cache_hit", 1}, {"direct_cache_miss", 1},
                           {"cache_miss", 1}, {"preprocessed_cache_miss", 0}}));
}

TEST_F(DirectModeTest, TimeMacroInSourceNeverHitsStale) {
  WriteBoth("t.c", "const char* when = __TIME__;\n");
  const std::vector<std::string> args = {"gcc", "-c", "t.c", "-o", "t.o"};
  ASSERT_EQ(Zcwrap(args).exit_code, 0);
  const std::optional<std::string> first = ReadFile(WrapPath("t.o"));
  ::sleep(1);
  ::usleep(100'000);
  ASSERT_EQ(Zcwrap(args).exit_code, 0);
  const std::optional<std::string> second = ReadFile(WrapPath("t.o"));
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second) << "__TIME__ must be the time of the second compile";
  EXPECT_EQ(Stat("direct_cache_hit") + Stat("preprocessed_cache_hit"), 0u);
}

TEST_F(DirectModeTest, TimeMacroInHeaderNeverHitsStale) {
  WriteBoth("when.h", "static const char* when = __TIME__;\n");
  WriteBoth("t.c", "#include \"when.h\"\nconst char* get(void) { return when; }\n");
  const std::vector<std::string> args = {"gcc", "-c", "t.c", "-o", "t.o"};
  ASSERT_EQ(Zcwrap(args).exit_code, 0);
  const std::optional<std::string> first = ReadFile(WrapPath("t.o"));
  ::sleep(1);
  ::usleep(100'000);
  ASSERT_EQ(Zcwrap(args).exit_code, 0);
  const std::optional<std::string> second = ReadFile(WrapPath("t.o"));
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  EXPECT_EQ(Stat("direct_cache_hit") + Stat("preprocessed_cache_hit"), 0u);
}

TEST_F(DirectModeTest, HeaderChangedDuringTheCompileIsNotStored) {
  // A "compiler" that edits the header while it runs (as a concurrent editor or code generator
  // would), then compiles.
  WriteBoth("h.h", "#define V 1\n");
  WriteBoth("a.c", "#include \"h.h\"\nint v(void) { return V; }\n");
  const std::string script = Path("bin/cc-touching");
  WriteFile(script, "#!/bin/sh\ntouch h.h\nexec gcc \"$@\"\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  const std::vector<std::string> args = {script, "-c", "a.c", "-o", "a.o"};
  ASSERT_EQ(Zcwrap(args).exit_code, 0);
  EXPECT_EQ(Stat("modified_input_file"), 1u);
  EXPECT_EQ(ResultEntryCount(), 0);
}

TEST_F(DirectModeTest, DisabledByEnvironmentUsesPreprocessorMode) {
  WriteBoth("a.c", kCleanC);
  const std::vector<std::string> args = {"gcc", "-c", "a.c"};
  ASSERT_EQ(Zcwrap(args, "", {"ZCWRAP_DIRECT=0"}).exit_code, 0);
  ASSERT_EQ(Zcwrap(args, "", {"ZCWRAP_DIRECT=0"}).exit_code, 0);
  EXPECT_TRUE(HasCounters({{"preprocessed_cache_hit", 1}, {"direct_cache_hit", 0},
                           {"direct_cache_miss", 0}}));
}

}  // namespace
}  // namespace zc::e2e
