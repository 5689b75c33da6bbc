#include "cachecore/compile/arguments.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zc::compile {
namespace {

using stats::Counter;
using ::testing::ElementsAre;
using ::testing::Contains;
using ::testing::Not;

CompilePlan Plan(const std::vector<std::string>& args) {
  Classification c = ClassifyArguments(args);
  if (const Counter* reason = std::get_if<Counter>(&c)) {
    ADD_FAILURE() << "uncacheable: " << stats::CounterName(*reason);
    return {};
  }
  return std::get<CompilePlan>(c);
}

Counter Reason(const std::vector<std::string>& args) {
  Classification c = ClassifyArguments(args);
  if (const Counter* reason = std::get_if<Counter>(&c)) return *reason;
  ADD_FAILURE() << "unexpectedly cacheable";
  return Counter::kInternalError;
}

TEST(ArgumentsTest, PlainCompileHasSourceOutputAndLanguage) {
  CompilePlan p = Plan({"-c", "src/a.c", "-o", "obj/a.o", "-O2"});
  EXPECT_EQ(p.source, "src/a.c");
  EXPECT_EQ(p.output, "obj/a.o");
  EXPECT_EQ(p.language, "c");
  EXPECT_THAT(p.compile_args, ElementsAre("-c", "src/a.c", "-o", "obj/a.o", "-O2"));
  EXPECT_THAT(p.preprocess_args, ElementsAre("src/a.c", "-O2"));
  EXPECT_THAT(p.hashed_args, ElementsAre("-c", "src/a.c", "-O2"));
}

TEST(ArgumentsTest, DefaultOutputIsSourceBasenameInCwd) {
  EXPECT_EQ(Plan({"-c", "dir/x.cpp"}).output, "x.o");
  EXPECT_EQ(Plan({"-S", "dir/x.cpp"}).output, "x.s");
  EXPECT_EQ(Plan({"-c", "dir/x.cpp"}).language, "c++");
}

TEST(ArgumentsTest, JoinedOutputForm) {
  CompilePlan p = Plan({"-c", "a.c", "-oout.o"});
  EXPECT_EQ(p.output, "out.o");
  EXPECT_THAT(p.hashed_args, Not(Contains("-oout.o")));
}

TEST(ArgumentsTest, ExplicitLanguageAppliesToLaterInputs) {
  EXPECT_EQ(Plan({"-x", "c++", "-c", "a.c"}).language, "c++");
  EXPECT_EQ(Plan({"-xc", "-c", "a.txt"}).language, "c");
  EXPECT_EQ(Plan({"-c", "a.c", "-x", "c++"}).language, "c");
  EXPECT_EQ(Plan({"-x", "c++", "-x", "none", "-c", "a.c"}).language, "c");
}

TEST(ArgumentsTest, UncacheableFormsHaveTypedReasons) {
  EXPECT_EQ(Reason({"a.c", "-o", "a"}), Counter::kCalledForLink);
  EXPECT_EQ(Reason({"-E", "a.c"}), Counter::kCalledForPreprocessing);
  EXPECT_EQ(Reason({"-M", "-c", "a.c"}), Counter::kCalledForPreprocessing);
  EXPECT_EQ(Reason({"-MM", "-c", "a.c"}), Counter::kCalledForPreprocessing);
  EXPECT_EQ(Reason({"-c", "a.c", "b.c"}), Counter::kMultipleSourceFiles);
  EXPECT_EQ(Reason({"-c"}), Counter::kNoInputFile);
  EXPECT_EQ(Reason({"-c", "-x", "c", "-"}), Counter::kStdinInput);
  EXPECT_EQ(Reason({"-c", "a.c", "-save-temps"}), Counter::kSaveTemps);
  EXPECT_EQ(Reason({"-c", "a.c", "-save-temps=obj"}), Counter::kSaveTemps);
  EXPECT_EQ(Reason({"-c", "a.c", "-o", "-"}), Counter::kOutputToStdout);
  EXPECT_EQ(Reason({"-c", "a.h"}), Counter::kUnsupportedSourceLanguage);
  EXPECT_EQ(Reason({"-c", "a.f90"}), Counter::kUnsupportedSourceLanguage);
  EXPECT_EQ(Reason({"-c", "a.c", "-fsyntax-only"}), Counter::kUnsupportedCompilerOption);
  EXPECT_EQ(Reason({"-c", "a.c", "-fprofile-use=x"}), Counter::kUnsupportedCompilerOption);
  EXPECT_EQ(Reason({"-c", "a.c", "-I"}), Counter::kBadCompilerArguments);
}

TEST(ArgumentsTest, MinusMWithMDIsADependencyFileNotPreprocessing) {
  CompilePlan p = Plan({"-c", "a.c", "-MD", "-MF", "deps/a.d", "-MT", "tgt"});
  EXPECT_TRUE(p.dep_file_wanted);
  EXPECT_EQ(p.dep_file, "deps/a.d");
  EXPECT_TRUE(p.dep_target_explicit);
  EXPECT_THAT(p.dep_key_args, ElementsAre("-MD", "-MT", "tgt"));
  EXPECT_THAT(p.hashed_args, ElementsAre("-c", "a.c"));
  EXPECT_THAT(p.preprocess_args, ElementsAre("a.c"));
}

TEST(ArgumentsTest, DefaultDependencyFileFollowsOutput) {
  EXPECT_EQ(Plan({"-c", "src/a.c", "-MMD", "-o", "obj/a.o"}).dep_file, "obj/a.d");
  EXPECT_EQ(Plan({"-c", "src/a.c", "-MD"}).dep_file, "a.d");
}

TEST(ArgumentsTest, WpMDFormNamesTheDependencyFile) {
  CompilePlan p = Plan({"-c", "a.c", "-Wp,-MD,x/a.d"});
  EXPECT_TRUE(p.dep_file_wanted);
  EXPECT_EQ(p.dep_file, "x/a.d");
  EXPECT_TRUE(p.direct_mode_ok);
  EXPECT_FALSE(Plan({"-c", "a.c", "-Wp,-DX=1"}).direct_mode_ok);
  EXPECT_FALSE(Plan({"-c", "a.c", "-Xpreprocessor", "-DX"}).direct_mode_ok);
}

TEST(ArgumentsTest, SideFilesFollowTheObject) {
  CompilePlan p = Plan({"-c", "a.c", "-g", "-gsplit-dwarf", "-o", "o/a.o"});
  EXPECT_EQ(p.dwo_file, "o/a.dwo");
  EXPECT_TRUE(p.embeds_output_path);
  // The object names its .dwo, so the output path is part of the key.
  EXPECT_THAT(p.hashed_args, Contains("o/a.o"));
  CompilePlan c = Plan({"-c", "a.c", "--coverage", "-o", "o/a.o"});
  EXPECT_EQ(c.gcno_file, "o/a.gcno");
}

TEST(ArgumentsTest, DebugLevelAndPrefixMaps) {
  EXPECT_TRUE(Plan({"-c", "a.c", "-g"}).debug_info);
  EXPECT_FALSE(Plan({"-c", "a.c", "-g", "-g0"}).debug_info);
  EXPECT_TRUE(Plan({"-c", "a.c", "-ggdb3"}).debug_info);
  CompilePlan mapped = Plan({"-c", "a.c", "-g", "-fdebug-prefix-map=/a=b", "-ffile-prefix-map=/c=d"});
  ASSERT_EQ(mapped.debug_prefix_maps.size(), 2u);
  EXPECT_EQ(mapped.debug_prefix_maps[0].first, "/a");
  EXPECT_EQ(mapped.debug_prefix_maps[1].second, "d");
}

TEST(ArgumentsTest, ColorOptions) {
  EXPECT_EQ(Plan({"-c", "a.c"}).color, ColorMode::kAuto);
  EXPECT_EQ(Plan({"-c", "a.c", "-fdiagnostics-color=always"}).color, ColorMode::kAlways);
  EXPECT_EQ(Plan({"-c", "a.c", "-fno-diagnostics-color"}).color, ColorMode::kNever);
  EXPECT_EQ(Plan({"-c", "a.c", "-fcolor-diagnostics"}).color, ColorMode::kAlways);
}

TEST(ArgumentsTest, SeparateOptionArgumentsAreNotInputs) {
  CompilePlan p = Plan({"-c", "-I", "inc", "-include", "pre.h", "-isystem", "sys", "a.cc"});
  EXPECT_EQ(p.source, "a.cc");
  EXPECT_THAT(p.preprocess_args, ElementsAre("-I", "inc", "-include", "pre.h", "-isystem", "sys",
                                             "a.cc"));
}

TEST(ArgumentsTest, PreprocessedInputsNeedNoPreprocessor) {
  EXPECT_TRUE(Plan({"-c", "a.i"}).preprocessed_input);
  EXPECT_TRUE(Plan({"-c", "a.ii"}).preprocessed_input);
  EXPECT_FALSE(Plan({"-c", "a.S"}).preprocessed_input);
}

TEST(ArgumentsTest, ReplaceExtension) {
  EXPECT_EQ(ReplaceExtension("a/b.o", ".d"), "a/b.d");
  EXPECT_EQ(ReplaceExtension("a.b/c", ".d"), "a.b/c.d");
  EXPECT_EQ(ReplaceExtension(".hidden", ".d"), ".hidden.d");
  EXPECT_EQ(ReplaceExtension("x.tar.o", ".dwo"), "x.tar.dwo");
}

TEST(ArgumentsTest, LanguageForExtension) {
  EXPECT_EQ(LanguageForExtension("a.c"), "c");
  EXPECT_EQ(LanguageForExtension("a.C"), "c++");
  EXPECT_EQ(LanguageForExtension("a.cxx"), "c++");
  EXPECT_EQ(LanguageForExtension("a.s"), "assembler");
  EXPECT_EQ(LanguageForExtension("a.S"), "assembler-with-cpp");
  EXPECT_EQ(LanguageForExtension("dir.c/a"), "");
}

}  // namespace
}  // namespace zc::compile
