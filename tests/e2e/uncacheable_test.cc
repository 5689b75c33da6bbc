// Every call zcwrap cannot cache runs the compiler untouched: the same exit code, stdout, stderr
// and output files as the plain compiler, with the reason counted.
//
// Each form runs the plain compiler and then zcwrap in the same directory (outputs removed in
// between), because some outputs record the directory they were made in.
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

struct UncacheableForm {
  const char* label;
  std::vector<std::string> args;  // after the compiler
  const char* counter;
  std::string stdin_data = "";
  // False for files that hold timings: the same command gives different bytes on every run, so
  // only the file's presence can be compared.
  bool deterministic_outputs = true;
};

struct FormAndCompiler {
  UncacheableForm form;
  const char* compiler;
};

void PrintTo(const FormAndCompiler& c, std::ostream* os) {
  *os << c.compiler;
  for (const std::string& a : c.form.args) *os << " " << a;
}

class UncacheableTest : public E2eTest, public ::testing::WithParamInterface<FormAndCompiler> {
 protected:
  // Files in wrap/ that are not in `before`, with their content; removes them.
  std::map<std::string, std::string> TakeNewFiles(const std::vector<std::string>& before) {
    std::map<std::string, std::string> out;
    for (const std::string& rel : ListFiles(wrap_dir_)) {
      if (std::find(before.begin(), before.end(), rel) != before.end()) continue;
      out[rel] = ReadFile(WrapPath(rel)).value_or("");
      std::filesystem::remove(WrapPath(rel));
    }
    return out;
  }
};

TEST_P(UncacheableTest, RunsCompilerUntouchedAndCountsReason) {
  const UncacheableForm& form = GetParam().form;
  WriteBoth("a.c", kWarningC);
  WriteBoth("b.c", kCleanC);
  WriteBoth("h.h", "#define H 1\n");
  std::vector<std::string> args = {GetParam().compiler};
  args.insert(args.end(), form.args.begin(), form.args.end());
  const std::vector<std::string> inputs = ListFiles(wrap_dir_);

  const RunResult plain = Plain(args, wrap_dir_, form.stdin_data);
  const std::map<std::string, std::string> plain_outputs = TakeNewFiles(inputs);

  const RunResult wrapped = Zcwrap(args, wrap_dir_, {}, form.stdin_data);
  const std::map<std::string, std::string> wrapped_outputs = TakeNewFiles(inputs);

  ExpectSameResult(plain, wrapped);
  std::vector<std::string> plain_names, wrapped_names;
  for (const auto& [name, data] : plain_outputs) plain_names.push_back(name);
  for (const auto& [name, data] : wrapped_outputs) wrapped_names.push_back(name);
  EXPECT_EQ(wrapped_names, plain_names) << "output files";
  const bool deterministic = form.deterministic_outputs;
  for (const auto& [name, data] : plain_outputs) {
    auto it = wrapped_outputs.find(name);
    if (it != wrapped_outputs.end() && deterministic) {
      EXPECT_TRUE(SameBytes(name, data, it->second));
    }
  }
  EXPECT_TRUE(HasCounters({{form.counter, 1}}));
  EXPECT_TRUE(HasMissesAndHits(0, 0));
  EXPECT_TRUE(CacheHolds(0));
}

const UncacheableForm kForms[] = {
    {"Link", {"a.c", "-o", "prog"}, "called_for_link", ""},
    {"Preprocess", {"-E", "a.c"}, "called_for_preprocessing", ""},
    {"DependenciesOnlyM", {"-M", "a.c"}, "called_for_preprocessing", ""},
    {"DependenciesOnlyMM", {"-MM", "a.c"}, "called_for_preprocessing", ""},
    {"DependenciesOnlyMWithC", {"-c", "-M", "a.c"}, "called_for_preprocessing", ""},
    {"TwoSources", {"-c", "a.c", "b.c"}, "multiple_source_files", ""},
    {"NoInput", {"-c"}, "no_input_file", ""},
    {"StdinInput", {"-c", "-x", "c", "-", "-o", "stdin.o"}, "stdin_input", std::string(kCleanC)},
    {"SaveTemps", {"-c", "-save-temps", "b.c"}, "save_temps", ""},
    {"OutputToStdout", {"-c", "b.c", "-o", "-"}, "output_to_stdout", ""},
    {"SyntaxOnly", {"-c", "-fsyntax-only", "-Wall", "a.c"}, "unsupported_compiler_option", ""},
    {"HeaderToAssembly", {"-S", "h.h"}, "unsupported_source_language", "", false},
    // Options that write files zcwrap does not keep (docs/outputs.md): each compiler runs them
    // (or rejects them) itself.
    {"TimeTrace", {"-c", "-ftime-trace", "b.c"}, "unsupported_compiler_option", "", false},
    {"CompileDbFragment", {"-c", "-MJ", "frag.json", "b.c"}, "unsupported_compiler_option", ""},
    {"OptInfoToFile",
     {"-c", "-O2", "-fopt-info-vec=vec.txt", "b.c"},
     "unsupported_compiler_option",
     ""},
    {"AssemblerDependencies",
     {"-c", "-Wa,--MD,as.d", "b.c"},
     "unsupported_compiler_option",
     "",
     false},
    {"OptimizationRecord",
     {"-c", "-fsave-optimization-record", "b.c"},
     "unsupported_compiler_option",
     "",
     false},
    {"DumpTree", {"-c", "-fdump-tree-original", "b.c"}, "unsupported_compiler_option", ""},
    {"Cc1DependencyFile",
     {"-c", "-Xclang", "-dependency-file", "-Xclang", "x.d", "b.c"},
     "unsupported_compiler_option",
     ""},
    {"RelativeSpecs", {"-c", "-specs=my.specs", "b.c"}, "unsupported_compiler_option", ""},
    {"PluginByName", {"-c", "-fplugin=annobin", "b.c"}, "unsupported_compiler_option", ""},
};

std::vector<FormAndCompiler> AllCases() {
  std::vector<FormAndCompiler> out;
  for (const char* compiler : {"gcc", "clang"}) {
    for (const UncacheableForm& form : kForms) out.push_back({form, compiler});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Forms, UncacheableTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<FormAndCompiler>& info) {
                           return std::string(info.param.compiler == std::string("gcc") ? "Gcc"
                                                                                        : "Clang") +
                                  info.param.form.label;
                         });

}  // namespace
}  // namespace zc::e2e
