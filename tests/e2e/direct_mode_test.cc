// Direct-mode guards end to end: time macros never hit stale, a file changed during the compile
// is not stored, and the second compile is a direct hit that runs no preprocessor.
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

// The seconds the object's __TIME__ may name: those the compile ran in (local time, as gcc).
bool TimeWithin(const std::string& object, time_t from, time_t to) {
  for (time_t t = from; t <= to; ++t) {
    char buf[16];
    struct tm tm;
    ::localtime_r(&t, &tm);
    ::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    if (object.find(buf) != std::string::npos) return true;
  }
  return false;
}

// A second compile of a time-macro source: never a direct hit (direct mode does not see the
// time), and whatever it gives carries a time from its own run. That a key follows the second
// is tested on a fake clock (tests/compile/engine_test.cc, TimeMacro*); here nothing waits for
// one, so the two compiles may share a second, and then a hit is the right answer.
class DirectModeTest : public E2eTest {
 protected:
  void ExpectFreshTimeOnSecondCompile(const std::vector<std::string>& args) {
    ASSERT_EQ(Zcwrap(args).exit_code, 0);
    const time_t from = ::time(nullptr);
    ASSERT_EQ(Zcwrap(args).exit_code, 0);
    const time_t to = ::time(nullptr);
    const std::optional<std::string> second = ReadFile(WrapPath("t.o"));
    ASSERT_TRUE(second);
    EXPECT_TRUE(TimeWithin(*second, from, to)) << "__TIME__ must be the second compile's";
    EXPECT_EQ(Stat("direct_cache_hit"), 0u);
  }
};

TEST_F(DirectModeTest, SecondCompileIsADirectHitMatchingThePlainCompiler) {
  WriteBoth("a.cc", kWarningCxx);
  const std::vector<std::string> args = {"g++", "-Wall", "-c", "a.cc", "-o", "a.o"};
  const RunResult plain = Plain(args);
  ExpectSameResult(plain, Zcwrap(args));
  ASSERT_EQ(::unlink(WrapPath("a.o").c_str()), 0);
  ExpectSameResult(plain, Zcwrap(args));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasCounters({{"direct_cache_hit", 1},
                           {"direct_cache_miss", 1},
                           {"cache_miss", 1},
                           {"preprocessed_cache_miss", 0}}));
}

TEST_F(DirectModeTest, TimeMacroInSourceNeverHitsStale) {
  WriteBoth("t.c", "const char* when = __TIME__;\n");
  ExpectFreshTimeOnSecondCompile({"gcc", "-c", "t.c", "-o", "t.o"});
}

TEST_F(DirectModeTest, TimeMacroInHeaderNeverHitsStale) {
  WriteBoth("when.h", "static const char* when = __TIME__;\n");
  WriteBoth("t.c", "#include \"when.h\"\nconst char* get(void) { return when; }\n");
  ExpectFreshTimeOnSecondCompile({"gcc", "-c", "t.c", "-o", "t.o"});
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
  EXPECT_TRUE(HasCounters(
      {{"preprocessed_cache_hit", 1}, {"direct_cache_hit", 0}, {"direct_cache_miss", 0}}));
}

}  // namespace
}  // namespace zc::e2e
