#include "cachecore/compile/arguments.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zc::compile {
namespace {

using stats::Counter;
using ::testing::Contains;
using ::testing::ElementsAre;
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
  EXPECT_EQ(Reason({"-S", "a.h"}), Counter::kUnsupportedSourceLanguage);
  EXPECT_EQ(Reason({"-c", "a.f90"}), Counter::kUnsupportedSourceLanguage);
  EXPECT_EQ(Reason({"-c", "a.c", "-fsyntax-only"}), Counter::kUnsupportedCompilerOption);
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
  CompilePlan mapped =
      Plan({"-c", "a.c", "-g", "-fdebug-prefix-map=/a=b", "-ffile-prefix-map=/c=d"});
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
  EXPECT_THAT(p.preprocess_args,
              ElementsAre("-I", "inc", "-include", "pre.h", "-isystem", "sys", "a.cc"));
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

namespace zc::compile {
namespace {

TEST(ArgumentsTest, HeaderCompilesProduceAPrecompiledHeader) {
  CompilePlan p = Plan({"-x", "c-header", "p.h", "-o", "p.h.gch"});
  EXPECT_TRUE(p.pch_output);
  EXPECT_EQ(p.language, "c-header");
  EXPECT_EQ(p.output, "p.h.gch");
  // Without -o the PCH goes beside the header, with or without -c.
  EXPECT_EQ(Plan({"-c", "inc/p.hpp"}).output, "inc/p.hpp.gch");
  EXPECT_EQ(Plan({"inc/p.h"}).output, "inc/p.h.gch");
  EXPECT_TRUE(
      Plan({"-c", "-Xclang", "-emit-pch", "-x", "c++-header", "x.cxx", "-o", "x.pch"}).pch_output);
  EXPECT_FALSE(Plan({"-x", "c-header", "p.h", "-Xclang", "-fno-pch-timestamp"}).pch_timestamps);
  // A PCH names the files it was made from: where it is written matters.
  EXPECT_THAT(p.hashed_args, Contains("p.h.gch"));
}

TEST(ArgumentsTest, HeaderCompilesWithSideFilesNamedByOtherRulesAreNotCached) {
  EXPECT_EQ(Reason({"p.h", "-MD"}), Counter::kUnsupportedCompilerOption);
  EXPECT_EQ(Reason({"p.h", "-fstack-usage"}), Counter::kUnsupportedCompilerOption);
  EXPECT_TRUE(Plan({"p.h", "-MD", "-MF", "p.d"}).dep_file_wanted);
}

TEST(ArgumentsTest, CxxDriverReadsCAndHeaderFilesAsCxx) {
  EXPECT_EQ(ClassifyArguments({"-c", "a.c"}, DriverFor("/usr/bin/g++-12")).index(), 0u);
  EXPECT_EQ(
      std::get<CompilePlan>(ClassifyArguments({"-c", "a.c"}, DriverFor("/usr/bin/g++"))).language,
      "c++");
  EXPECT_EQ(std::get<CompilePlan>(ClassifyArguments({"p.h"}, DriverFor("clang++"))).language,
            "c++-header");
  EXPECT_EQ(std::get<CompilePlan>(ClassifyArguments({"-c", "a.c"}, DriverFor("gcc"))).language,
            "c");
  EXPECT_EQ(
      std::get<CompilePlan>(ClassifyArguments({"-x", "c", "-c", "a.c"}, DriverFor("g++"))).language,
      "c");
}

TEST(ArgumentsTest, SideFilesAreNamedAfterTheOutputOrTheOption) {
  CompilePlan p = Plan({"-c", "src/a.c", "-o", "obj/a.o", "-fstack-usage", "-fcallgraph-info=su",
                        "-Wa,-adhln=lst/a.lst,--noexecstack"});
  ASSERT_EQ(p.side_files.size(), 3u);
  EXPECT_EQ(p.side_files[0].path, "obj/a.su");
  EXPECT_EQ(p.side_files[1].path, "obj/a.ci");
  EXPECT_EQ(p.side_files[2].path, "lst/a.lst");
  EXPECT_EQ(p.side_files[2].name, "listing1");
  EXPECT_EQ(Plan({"-c", "a.c", "-Xassembler", "-al=x.lst"}).side_files.at(0).path, "x.lst");
  // A listing on standard output is stored with stdout; other -a... options are not listings.
  EXPECT_TRUE(Plan({"-c", "a.c", "-Wa,-al"}).side_files.empty());
  EXPECT_TRUE(Plan({"-c", "a.c", "-Wa,--64"}).side_files.empty());
}

TEST(ArgumentsTest, OptionsThatWriteFilesZcwrapDoesNotKeepAreNotCached) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"-c", "a.c", "-Wa,--MD,as.d"},
           {"-c", "a.c", "-ftime-trace"},
           {"-c", "a.c", "-MJ", "x.json"},
           {"-c", "a.c", "-fopt-info-vec-all=x.txt"},
           {"-c", "a.c", "-fdiagnostics-format=sarif-file"},
           {"-c", "a.c", "-fsave-optimization-record"},
           {"-c", "a.c", "-foptimization-record-file=x.yaml"},
           {"-c", "a.c", "-fprofile-note=x.gcno"},
           {"-c", "a.c", "-Xclang", "-dependency-file", "-Xclang", "x.d"},
           {"-c", "a.c", "-dumpbase", "x"},
       }) {
    EXPECT_EQ(Reason(args), Counter::kUnsupportedCompilerOption) << args[2];
  }
  EXPECT_TRUE(Plan({"-c", "a.c", "-fopt-info-vec"}).side_files.empty()) << "to stderr: cached";
  // Figures of one run on stderr: a hit would replay another run's.
  EXPECT_EQ(Reason({"-c", "a.c", "-ftime-report"}), Counter::kUnsupportedCompilerOption);
  EXPECT_EQ(Reason({"-c", "a.c", "-fmem-report"}), Counter::kUnsupportedCompilerOption);
  EXPECT_EQ(Reason({"-c", "a.c", "-Q"}), Counter::kUnsupportedCompilerOption);
}

TEST(ArgumentsTest, FilesNamedByOptionsAreInputs) {
  EXPECT_THAT(Plan({"-c", "a.c", "-fsanitize-ignorelist=ign.txt", "-fprofile-use=prof",
                    "-fplugin=./p.so", "--specs=/abs/x.specs", "-include-pch", "p.pch", "-Xclang",
                    "-include-pch", "-Xclang", "q.pch"})
                  .input_files,
              ElementsAre("ign.txt", "prof", "./p.so", "/abs/x.specs", "p.pch", "q.pch"));
  EXPECT_THAT(Plan({"-c", "a.c", "-include-pch", "p.pch"}).explicit_pchs, ElementsAre("p.pch"));
  // Defaults: gcc reads <output base>.gcda, clang default.profdata.
  EXPECT_THAT(Plan({"-c", "a.c", "-o", "obj/a.o", "-fprofile-use"}).input_files,
              ElementsAre("obj/a.gcda", "default.profdata"));
  EXPECT_THAT(Plan({"-c", "a.c", "-fprofile-use", "-fprofile-dir=pd"}).input_files,
              ElementsAre("pd", "default.profdata"));
  EXPECT_THAT(Plan({"-c", "a.c", "-fauto-profile"}).input_files, ElementsAre("fbdata.afdo"));
  // Looked up in the compiler's own directories: which file is read cannot be told.
  EXPECT_EQ(Reason({"-c", "a.c", "-specs=rel.specs"}), Counter::kUnsupportedCompilerOption);
  EXPECT_EQ(Reason({"-c", "a.c", "-fplugin=annobin"}), Counter::kUnsupportedCompilerOption);
  EXPECT_EQ(Reason({"-c", "a.c", "-Xclang", "-include-pch"}), Counter::kBadCompilerArguments);
}

TEST(ArgumentsTest, IncludeFilesAreRecordedForPchLookup) {
  EXPECT_THAT(Plan({"-c", "a.c", "-include", "pre.h", "-include", "/abs/b.h"}).include_files,
              ElementsAre("pre.h", "/abs/b.h"));
}

}  // namespace
}  // namespace zc::compile
