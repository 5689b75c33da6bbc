// One project in two checkouts (issue 13): built CMake-style (absolute source and -I paths, the
// build directory as working directory, a .d per object), the second checkout hits on what the
// first built wherever the outputs cannot tell the checkouts apart, and misses wherever they can:
// debug info without a covering prefix map, __FILE__ (even hidden in sizeof), a path in a
// diagnostic, a header that names the first checkout. Every object, .d and diagnostic the second
// checkout gets is the plain compiler's there, byte for byte.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

using ::testing::HasSubstr;

class CheckoutTest : public E2eTest,
                     public ::testing::WithParamInterface<std::tuple<const char*, Mode>> {
 protected:
  void SetUp() override {
    compiler_ = std::get<0>(GetParam());
    mode_ = std::get<1>(GetParam());
    // Paths of different lengths: a key or output that used the path in any form differs.
    a_ = Path("ci/a/proj");
    b_ = Path("elsewhere/deeper/b/proj");
    for (const std::string& top : {a_, b_}) {
      std::filesystem::create_directories(top + "/.git");
      std::filesystem::create_directories(top + "/build");
    }
  }

  // The same file in both checkouts.
  void WriteBoth(const std::string& rel, const std::string& content) {
    WriteFile(a_ + "/" + rel, content);
    WriteFile(b_ + "/" + rel, content);
  }

  // The compile of src/x.c as CMake writes it, in `top`/build, with `flags` (in which "TOP"
  // stands for the checkout).
  std::vector<std::string> Command(const std::string& top, std::vector<std::string> flags) const {
    std::vector<std::string> argv = {compiler_, "-I" + top + "/include"};
    for (std::string& f : flags) {
      for (size_t at = f.find("TOP"); at != std::string::npos; at = f.find("TOP")) {
        f.replace(at, 3, top);
      }
      argv.push_back(f);
    }
    argv.insert(argv.end(),
                {"-MD", "-MT", "x.o", "-MF", "x.o.d", "-o", "x.o", "-c", top + "/src/x.c"});
    return argv;
  }

  struct Built {
    RunResult run;
    std::string object;
    std::string deps;
  };
  Built Read(const std::string& top, RunResult run) const {
    return {std::move(run), ReadFile(top + "/build/x.o").value_or("missing"),
            ReadFile(top + "/build/x.o.d").value_or("missing")};
  }
  Built Cached(const std::string& top, const std::vector<std::string>& flags,
               const std::vector<std::string>& env = {}) const {
    std::filesystem::remove(top + "/build/x.o");
    return Read(top, Zcwrap(Command(top, flags), top + "/build", env));
  }
  Built PlainBuild(const std::string& top, const std::vector<std::string>& flags) const {
    std::filesystem::remove(top + "/build/x.o");
    return Read(top, Plain(Command(top, flags), top + "/build"));
  }

  // Builds in A, then in B: B hits (`shared`) or misses, and B's outputs are the plain
  // compiler's in B.
  void ExpectB(const std::vector<std::string>& flags, bool shared,
               const std::vector<std::string>& env = {}) {
    const Built a = Cached(a_, flags, env);
    ASSERT_EQ(a.run.exit_code, 0) << ::testing::PrintToString(a.run);
    ASSERT_TRUE(HasMissesAndHits(1, 0));
    const Built b = Cached(b_, flags, env);
    ASSERT_EQ(b.run.exit_code, 0) << ::testing::PrintToString(b.run);
    if (shared) {
      EXPECT_TRUE(HasMissesAndHits(1, 1)) << "the other checkout shares the result";
    } else {
      EXPECT_TRUE(HasMissesAndHits(2, 0)) << "the other checkout must not get A's result";
    }
    const Built plain = PlainBuild(b_, flags);
    ExpectSameResult(plain.run, b.run);
    EXPECT_TRUE(SameBytes("object", plain.object, b.object));
    EXPECT_TRUE(SameBytes(".d", plain.deps, b.deps));
  }

  std::string compiler_;
  std::string a_, b_;
};

constexpr absl::string_view kHeader = "#define ANSWER 42\n";
constexpr absl::string_view kSource =
    "#include <stdio.h>\n#include \"answer.h\"\nint f(void) { return ANSWER; }\n";

TEST_P(CheckoutTest, WithoutDebugInfoTheOtherCheckoutHits) {
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", std::string(kSource));
  ExpectB({"-O2"}, /*shared=*/true);
}

TEST_P(CheckoutTest, DebugInfoWithACoveringPrefixMapHits) {
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", std::string(kSource));
  ExpectB({"-g", "-O2", "-ffile-prefix-map=TOP=."}, /*shared=*/true);
}

TEST_P(CheckoutTest, DebugInfoWithoutAPrefixMapMissesAndExplainSaysWhy) {
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", std::string(kSource));
  ExpectB({"-g"}, /*shared=*/false);
  const RunResult why = Zcwrap({"--explain", "x.o"}, b_ + "/build");
  EXPECT_THAT(why.stdout_data, HasSubstr("against " + a_ + "/build/x.o")) << why.stdout_data;
  EXPECT_THAT(why.stdout_data, HasSubstr("the checkout moved (" + a_ + " -> " + b_ + ")"));
  EXPECT_THAT(why.stdout_data, HasSubstr("debug info without a -fdebug-prefix-map"));
}

TEST_P(CheckoutTest, FileMacroNamingTheCheckoutMisses) {
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", "const char* where(void) { return __FILE__; }\n");
  ExpectB({"-O2"}, /*shared=*/false);
}

TEST_P(CheckoutTest, FileMacroUnderAMacroPrefixMapHits) {
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", "const char* where(void) { return __FILE__; }\n");
  ExpectB({"-O2", "-fmacro-prefix-map=TOP=."}, /*shared=*/true);
}

TEST_P(CheckoutTest, FileMacroSeenOnlyThroughItsLengthMisses) {
  // Nothing of the path reaches the object but its length: no scan of the outputs sees it.
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", "unsigned long size(void) { return sizeof(__FILE__); }\n");
  ExpectB({"-O2"}, /*shared=*/false);
  // Each checkout's result stays its own: the second's miss stored nothing over the first's.
  const Built again = Cached(a_, {"-O2"});
  EXPECT_TRUE(HasMissesAndHits(2, 1));
  EXPECT_TRUE(SameBytes("object", PlainBuild(a_, {"-O2"}).object, again.object));
}

TEST_P(CheckoutTest, AssertFromASystemHeaderNamingTheCheckoutMisses) {
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", "#include <assert.h>\nvoid check(int x) { assert(x > 0); }\n");
  ExpectB({"-O2"}, /*shared=*/false);
  // With NDEBUG, assert expands to nothing: nothing names the checkout. (A miss does not run
  // the preprocessor to see that; the second checkout does, hits, and shares the record.)
  std::filesystem::remove_all(cache_dir_);
  ExpectB({"-O2", "-DNDEBUG"}, /*shared=*/true);
  EXPECT_EQ(Cached(a_, {"-O2", "-DNDEBUG"}).run.exit_code, 0);
  EXPECT_TRUE(HasMissesAndHits(1, 2)) << "the first checkout still hits after the record is shared";
}

TEST_P(CheckoutTest, CxxWithTheStandardLibraryHits) {
  // libstdc++'s <bits/c++config.h> uses __FILE__ (in __glibcxx_assert): every C++ source reads
  // a file with it, and none of it names the checkout.
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c",
            "#include <string>\n#include <vector>\n#include \"answer.h\"\n"
            "std::string f(const std::vector<int>& v) { return std::to_string(v.size() + ANSWER); "
            "}\n");
  ExpectB({"-x", "c++", "-O2"}, /*shared=*/true);
}

TEST_P(CheckoutTest, DiagnosticNamingTheCheckoutMisses) {
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", "#include \"answer.h\"\nint f(void) { int unused = 1; return ANSWER; }\n");
  ExpectB({"-O2", "-Wall"}, /*shared=*/false);
}

TEST_P(CheckoutTest, HeaderNamingTheFirstCheckoutIsNotTrustedInTheSecond) {
  // A header written with the first checkout's absolute path (a generated file committed as it
  // was): the second checkout's compile reads the FIRST checkout's file. A record keyed
  // relative to the base would check the second checkout's copy instead.
  WriteBoth("include/answer.h", "#include \"" + a_ + "/gen/value.h\"\n");
  WriteBoth("gen/value.h", "#define ANSWER 1\n");
  WriteBoth("src/x.c", std::string(kSource));
  const Built a = Cached(a_, {"-O2"});
  ASSERT_EQ(a.run.exit_code, 0) << ::testing::PrintToString(a.run);
  WriteFile(a_ + "/gen/value.h", "#define ANSWER 2\n");  // B's copy still says 1
  const Built b = Cached(b_, {"-O2"});
  const Built plain = PlainBuild(b_, {"-O2"});
  EXPECT_TRUE(SameBytes("object", plain.object, b.object)) << "B must see A's value.h, as gcc does";
  EXPECT_EQ(Stat("cache_miss"), 2u);
}

TEST_P(CheckoutTest, AHeaderThatDiffersInTheOtherCheckoutMisses) {
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", std::string(kSource));
  WriteFile(b_ + "/include/answer.h", "#define ANSWER 43\n");
  ExpectB({"-O2"}, /*shared=*/false);
}

TEST_P(CheckoutTest, DependencyFileNamedAfterAnAbsoluteObjectGetsThisCheckoutsTarget) {
  // No -MT: the .d's target is the -o path as given, here absolute in each checkout.
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", std::string(kSource));
  auto command = [&](const std::string& top) {
    return std::vector<std::string>{compiler_, "-I" + top + "/include", "-O2", "-MD",
                                    "-o",      top + "/build/x.o",      "-c",  top + "/src/x.c"};
  };
  ASSERT_EQ(Zcwrap(command(a_), a_ + "/build").exit_code, 0);
  const RunResult b = Zcwrap(command(b_), b_ + "/build");
  ASSERT_EQ(b.exit_code, 0) << ::testing::PrintToString(b);
  EXPECT_TRUE(HasMissesAndHits(1, 1));
  const std::string deps = ReadFile(b_ + "/build/x.d").value_or("missing");
  const std::string object = ReadFile(b_ + "/build/x.o").value_or("missing");
  const RunResult plain = Plain(command(b_), b_ + "/build");
  ExpectSameResult(plain, b);
  EXPECT_TRUE(SameBytes(".d", ReadFile(b_ + "/build/x.d").value_or(""), deps));
  EXPECT_TRUE(SameBytes("object", ReadFile(b_ + "/build/x.o").value_or(""), object));
}

TEST_P(CheckoutTest, BaseDirNoneKeepsCheckoutsApart) {
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", std::string(kSource));
  ExpectB({"-O2"}, /*shared=*/false, {"ZCWRAP_BASE_DIR=none"});
}

TEST_P(CheckoutTest, ExplicitBaseDirWorksWithoutACheckout) {
  std::filesystem::remove_all(a_ + "/.git");
  std::filesystem::remove_all(b_ + "/.git");
  WriteBoth("include/answer.h", std::string(kHeader));
  WriteBoth("src/x.c", std::string(kSource));
  // One setting for both: the parent of both checkouts' differing parts is not a base, so each
  // build names its own (as a CI job would set ZCWRAP_BASE_DIR=$CI_PROJECT_DIR).
  const Built a = Cached(a_, {"-O2"}, {"ZCWRAP_BASE_DIR=" + a_});
  ASSERT_EQ(a.run.exit_code, 0);
  const Built b = Cached(b_, {"-O2"}, {"ZCWRAP_BASE_DIR=" + b_});
  ASSERT_EQ(b.run.exit_code, 0);
  EXPECT_TRUE(HasMissesAndHits(1, 1));
  EXPECT_TRUE(SameBytes("object", PlainBuild(b_, {"-O2"}).object, b.object));
}

INSTANTIATE_TEST_SUITE_P(CompilersAndModes, CheckoutTest,
                         ::testing::Combine(::testing::Values("gcc", "clang"),
                                            ::testing::Values(Mode::kDirect, Mode::kPreprocessor)),
                         CompilerModeName);

}  // namespace
}  // namespace zc::e2e
