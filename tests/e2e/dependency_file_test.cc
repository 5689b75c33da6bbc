// Dependency files (-MD and friends): one source compiled to two object paths; the second compile
// is a hit, and each .d is byte for byte what the plain compiler writes for that object path.
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

// "sub/b.o" -> "sub/b"
std::string Stem(const std::string& object) { return object.substr(0, object.rfind('.')); }
// "sub/b.o" -> "b"
std::string BaseStem(const std::string& object) {
  std::string stem = Stem(object);
  return stem.substr(stem.rfind('/') + 1);
}

struct DepForm {
  const char* label;
  std::vector<std::string> (*args)(const std::string& object);
  std::string (*dep_file)(const std::string& object);
};

std::string DefaultDepFile(const std::string& object) { return Stem(object) + ".d"; }
std::string DepsDirFile(const std::string& object) { return "deps/" + BaseStem(object) + ".d"; }

const DepForm kForms[] = {
    {"MD", [](const std::string&) { return std::vector<std::string>{"-MD"}; }, DefaultDepFile},
    {"MMD", [](const std::string&) { return std::vector<std::string>{"-MMD"}; }, DefaultDepFile},
    {"MF",
     [](const std::string& o) {
       return std::vector<std::string>{"-MD", "-MF", DepsDirFile(o)};
     },
     DepsDirFile},
    {"MT",
     [](const std::string&) {
       return std::vector<std::string>{"-MD", "-MT", "custom-target"};
     },
     DefaultDepFile},
    {"MQ",
     [](const std::string&) {
       return std::vector<std::string>{"-MD", "-MQ", "$(OBJ)/x y.o"};
     },
     DefaultDepFile},
    {"MP",
     [](const std::string&) {
       return std::vector<std::string>{"-MD", "-MP"};
     },
     DefaultDepFile},
    {"WpMD",
     [](const std::string& o) { return std::vector<std::string>{"-Wp,-MD," + DepsDirFile(o)}; },
     DepsDirFile},
    {"WpMMD",
     [](const std::string& o) { return std::vector<std::string>{"-Wp,-MMD," + DepsDirFile(o)}; },
     DepsDirFile},
};

struct DepCase {
  DepForm form;
  const char* compiler;
  Mode mode;
};

void PrintTo(const DepCase& c, std::ostream* os) {
  *os << c.compiler << " -c a.c -o OBJECT";
  for (const std::string& a : c.form.args("OBJECT.o")) *os << " " << a;
  *os << " (" << ModeName(c.mode) << " mode)";
}

class DependencyFileTest : public E2eTest, public ::testing::WithParamInterface<DepCase> {};

TEST_P(DependencyFileTest, HitRestoresDependencyFileForItsObjectPath) {
  const DepForm& form = GetParam().form;
  mode_ = GetParam().mode;
  WriteBoth("a.c", "#include \"h.h\"\nint f(void) { return h(); }\n");
  WriteBoth("h.h", "static inline int h(void) { return 1; }\n");
  WriteBoth("sub/.keep", "");
  WriteBoth("deps/.keep", "");

  // With -Wp,-MD gcc names the .d target after the source and clang after -o, so zcwrap keys
  // those forms by output path too: a new -o misses, the same -o again hits.
  const bool output_keyed = absl::StartsWith(form.label, "Wp");
  int round = 0;
  for (const std::string object : {"a.o", "sub/b.o"}) {
    SCOPED_TRACE("-o " + object);
    std::vector<std::string> args = {GetParam().compiler, "-c", "a.c", "-o", object};
    for (const std::string& a : form.args(object)) args.push_back(a);
    const RunResult plain = Plain(args);
    ASSERT_EQ(plain.exit_code, 0) << ::testing::PrintToString(plain);
    const RunResult wrapped = Zcwrap(args);
    ExpectSameResult(plain, wrapped);
    EXPECT_TRUE(SameFile(object));
    EXPECT_TRUE(SameFile(form.dep_file(object)));
    ++round;
    if (output_keyed) {
      EXPECT_TRUE(HasMissesAndHits(round, 0));
    } else {
      EXPECT_TRUE(HasMissesAndHits(1, round - 1u))
          << "only the object path changed: the second compile should hit";
    }
  }
  if (output_keyed) {
    std::vector<std::string> args = {GetParam().compiler, "-c", "a.c", "-o", "sub/b.o"};
    for (const std::string& a : form.args("sub/b.o")) args.push_back(a);
    ExpectSameResult(Plain(args), Zcwrap(args));
    EXPECT_TRUE(SameFile("sub/b.o"));
    EXPECT_TRUE(SameFile(form.dep_file("sub/b.o")));
    EXPECT_TRUE(HasMissesAndHits(2, 1));
  }
}

std::vector<DepCase> AllCases() {
  std::vector<DepCase> out;
  for (Mode mode : {Mode::kDirect, Mode::kPreprocessor}) {
    for (const char* compiler : {"gcc", "clang"}) {
      for (const DepForm& form : kForms) out.push_back({form, compiler, mode});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Forms, DependencyFileTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<DepCase>& info) {
                           return std::string(info.param.compiler == std::string("gcc") ? "Gcc"
                                                                                        : "Clang") +
                                  info.param.form.label + ModeName(info.param.mode);
                         });

}  // namespace
}  // namespace zc::e2e
