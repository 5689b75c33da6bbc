// zcwrap --explain names why a compile missed: a header edit, a define added, the compiler
// swapped, a new shadowing header, -g in another directory; and says when it would hit.
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

using ::testing::HasSubstr;

class ExplainTest : public E2eTest, public ::testing::WithParamInterface<Mode> {
 protected:
  void SetUp() override { mode_ = GetParam(); }
  // zcwrap --explain with `args` in wrap/, as the same mode's compiles ran.
  RunResult Explain(std::vector<std::string> args) {
    args.insert(args.begin(), "--explain");
    return Zcwrap(args);
  }
  std::string ExplainText(std::vector<std::string> args) {
    RunResult r = Explain(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
    return r.stdout_data;
  }
};

TEST_P(ExplainTest, AHitIsSaidToHitAndNothingIsCountedOrStored) {
  WriteBoth("a.c", "#include \"h.h\"\nint f(void) { return H; }\n");
  WriteBoth("h.h", "#define H 1\n");
  ASSERT_EQ(Zcwrap({"gcc", "-c", "a.c", "-o", "a.o"}).exit_code, 0);
  const std::map<std::string, uint64_t> before = Stats();
  const size_t entries = ResultEntryCount();
  EXPECT_THAT(ExplainText({"a.o"}), HasSubstr("would hit"));
  EXPECT_THAT(ExplainText({"--", "gcc", "-c", "a.c", "-o", "a.o"}), HasSubstr("would hit"));
  EXPECT_EQ(Stats(), before) << "explaining counts nothing";
  EXPECT_EQ(ResultEntryCount(), entries);
}

TEST_P(ExplainTest, HeaderEditIsNamedWithBothDigests) {
  WriteBoth("a.c", "#include \"h.h\"\nint f(void) { return H; }\n");
  WriteBoth("h.h", "#define H 1\n");
  ASSERT_EQ(Zcwrap({"gcc", "-c", "a.c", "-o", "a.o"}).exit_code, 0);
  WriteBoth("h.h", "#define H 2\n");
  const std::string text = ExplainText({"a.o"});
  EXPECT_THAT(text, HasSubstr("would miss"));
  EXPECT_THAT(text, HasSubstr("file changed: h.h ("));
  const RunResult json = Explain({"--json", "a.o"});
  EXPECT_THAT(json.stdout_data, HasSubstr("\"kind\":\"file_changed\",\"subject\":\"h.h\""));
}

TEST_P(ExplainTest, DefineAddedIsNamed) {
  WriteBoth("a.c", "int f(void) { return 1; }\n");
  ASSERT_EQ(Zcwrap({"gcc", "-c", "a.c", "-o", "a.o"}).exit_code, 0);
  const std::string text = ExplainText({"--", "gcc", "-DNEW=1", "-c", "a.c", "-o", "a.o"});
  EXPECT_THAT(text, HasSubstr("would miss"));
  EXPECT_THAT(text, HasSubstr("argument added: -DNEW=1"));
}

TEST_P(ExplainTest, SwappedCompilerIsNamed) {
  // A private gcc-12, then another build of it at the same path.
  const std::string copy = CopyOfGcc(Path("cc"), "gcc");
  ASSERT_FALSE(copy.empty());
  WriteBoth("a.c", "int f(void) { return 1; }\n");
  ASSERT_EQ(Zcwrap({copy, "-c", "a.c", "-o", "a.o"}).exit_code, 0);
  std::string data = ReadFile(copy).value_or("");
  data.push_back('\0');
  WriteFile(copy, data);
  const std::string text = ExplainText({"a.o"});
  EXPECT_THAT(text, HasSubstr("the compiler changed: " + copy));
}

TEST_P(ExplainTest, NewShadowingHeaderIsNamed) {
  WriteBoth("a.c", "#include <x.h>\nint f(void) { return X; }\n");
  WriteBoth("inc_a/other.h", "\n");
  WriteBoth("inc_b/x.h", "#define X 2\n");
  const std::vector<std::string> cmd = {"gcc", "-Iinc_a", "-Iinc_b", "-c", "a.c", "-o", "a.o"};
  ASSERT_EQ(Zcwrap(cmd).exit_code, 0);
  WriteBoth("inc_a/x.h", "#define X 1\n");
  const std::string text = ExplainText({"a.o"});
  EXPECT_THAT(text, HasSubstr("would miss"));
  if (mode_ == Mode::kDirect) {
    EXPECT_THAT(text, HasSubstr("where the compiler looks for headers"));
    EXPECT_THAT(text, HasSubstr("inc_a/x.h"));
  } else {
    // Preprocessor mode sees the new header in the preprocessed text itself.
    EXPECT_THAT(text, HasSubstr("would miss"));
  }
}

TEST_P(ExplainTest, DebugInfoInAnotherDirectoryNamesTheDirectory) {
  // The same file built in a second directory (another checkout) misses; asked there, the
  // explanation compares with the nearest record, the first directory's.
  WriteBoth("a.c", "int f(void) { return 1; }\n");
  WriteFile(Path("other/a.c"), "int f(void) { return 1; }\n");
  ASSERT_EQ(Zcwrap({"gcc", "-g", "-c", "a.c", "-o", "a.o"}).exit_code, 0);
  ASSERT_EQ(Zcwrap({"gcc", "-g", "-c", "a.c", "-o", "a.o"}, Path("other")).exit_code, 0);
  EXPECT_EQ(Stat("cache_miss"), 2u);
  const RunResult r = Zcwrap({"--explain", "a.o"}, Path("other"));
  ASSERT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
  EXPECT_THAT(r.stdout_data, HasSubstr("its last miss, against " + WrapPath("a.o")));
  EXPECT_THAT(r.stdout_data, HasSubstr("working directory is in the key"));
  EXPECT_THAT(r.stdout_data, HasSubstr("/wrap -> " + Path("other")));
}

TEST_P(ExplainTest, SeesTheDirectoryAsTheCompileDidThroughASymlinkedPwd) {
  // A compile keys the directory the shell says ($PWD, as gcc writes it into debug info); an
  // explanation asked from the same shell must use the same one, not the resolved path.
  WriteBoth("a.c", "int f(void) { return 1; }\n");
  ASSERT_EQ(::symlink(WrapPath("").c_str(), Path("link").c_str()), 0);
  ASSERT_EQ(Zcwrap({"gcc", "-c", "a.c", "-o", "a.o"}, Path("link")).exit_code, 0);
  const RunResult r = Zcwrap({"--explain", "a.o"}, Path("link"));
  ASSERT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
  EXPECT_THAT(r.stdout_data, HasSubstr(Path("link") + "/a.o: would hit"));
  const RunResult command =
      Zcwrap({"--explain", "--", "gcc", "-c", "a.c", "-o", "a.o"}, Path("link"));
  EXPECT_THAT(command.stdout_data, HasSubstr("would hit")) << command.stdout_data;
}

TEST_P(ExplainTest, UnknownObjectAndBadUsageAreOneLineErrors) {
  const RunResult none = Explain({"never-built.o"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.stderr_data, HasSubstr("no compile of"));
  const RunResult usage = Explain({});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.stderr_data, HasSubstr("--explain needs"));
}

INSTANTIATE_TEST_SUITE_P(Modes, ExplainTest, ::testing::Values(Mode::kDirect, Mode::kPreprocessor),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return ModeName(info.param);
                         });

}  // namespace
}  // namespace zc::e2e
