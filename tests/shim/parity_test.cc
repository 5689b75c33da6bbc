// The parity gate, C++ twin of shim/rust/tests/parity.rs: the same compiles through the embedded
// service and through the zcwrap binary (with and without its daemon), on fresh and on warm
// caches, give byte-identical objects, side files, stdout, stderr, exit codes and cache
// outcomes; and a result stored by either path is a hit for the other.
#include <unistd.h>

#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/shim/shim_fixture.h"

namespace zc::shimtest {
namespace {

struct Case {
  const char* name;
  const char* file;
  const char* source;
  std::vector<std::string> argv;
  std::vector<std::string> outputs;  // files the compile writes (relative to src/)
};

const Case kCases[] = {
    {"CWithWarning",
     "w.c",
     "int main(void) {\n  int unused = 1;\n  return 0;\n}\n",
     {"gcc", "-Wall", "-g", "-c", "w.c", "-o", "w.o"},
     {"w.o"}},
    {"CxxWithWarning",
     "w.cc",
     "#include <vector>\nint main() {\n  std::vector<int> v;\n  int unused = 1;\n  return 0;\n}\n",
     {"g++", "-Wall", "-O1", "-c", "w.cc", "-o", "w.o"},
     {"w.o"}},
    {"CWithError",
     "e.c",
     "int broken(void) { return 1 }\n",
     {"gcc", "-c", "e.c", "-o", "e.o"},
     {"e.o"}},
    {"CxxWithDependencyFile",
     "d.cc",
     "#include \"d.h\"\nint d() { return D; }\n",
     {"g++", "-MD", "-MF", "d.d", "-c", "d.cc", "-o", "d.o"},
     {"d.o", "d.d"}},
    {"ClangC",
     "k.c",
     "int k(int x) { return x * 3; }\n",
     {"clang", "-Wall", "-c", "k.c", "-o", "k.o"},
     {"k.o"}},
};

// What one compile produced, for comparison.
struct Observed {
  int exit_code = -1;
  std::string stdout_data, stderr_data, outcome;
  std::vector<std::optional<std::string>> outputs;
};

class ParityTest : public ShimTest,
                   public ::testing::WithParamInterface<std::tuple<Case, const char*>> {
 protected:
  void SetUp() override {
    const Case& c = std::get<0>(GetParam());
    Write(absl::StrCat("src/", c.file), c.source);
    Write("src/d.h", "#define D 4\n");
    daemon_ = std::get<1>(GetParam());
  }
  void TearDown() override {
    for (const char* cache : {"cache-e", "cache-w"}) {
      std::vector<std::string> env = BaseEnv();
      env.push_back(absl::StrCat("ZCWRAP_DIR=", Path(cache)));
      RunProgram({ZcwrapBinary(), "--daemon-stop"}, src_, env);
    }
  }

  void RemoveOutputs() {
    for (const std::string& o : std::get<0>(GetParam()).outputs) ::unlink(Path("src/" + o).c_str());
  }
  std::vector<std::optional<std::string>> Outputs() const {
    std::vector<std::optional<std::string>> out;
    for (const std::string& o : std::get<0>(GetParam()).outputs) out.push_back(Read("src/" + o));
    return out;
  }
  static std::string OutcomeName(zc_outcome o) {
    switch (o) {
      case ZC_OUTCOME_HIT: return "hit";
      case ZC_OUTCOME_MISS: return "miss";
      case ZC_OUTCOME_UNCACHEABLE: return "uncacheable";
      case ZC_OUTCOME_ERROR: return "error";
    }
    return "?";
  }

  Observed Plain() {
    RemoveOutputs();
    Ran r = RunProgram(std::get<0>(GetParam()).argv, src_, BaseEnv());
    return {r.exit_code, r.stdout_data, r.stderr_data, "plain", Outputs()};
  }
  Observed Embedded(const char* cache) {
    RemoveOutputs();
    zc_config config = DefaultConfig(cache);
    EXPECT_TRUE(StartService(config));
    std::vector<std::string> env = BaseEnv();
    Outcome r = Compile(std::get<0>(GetParam()).argv, &env);
    EXPECT_EQ(r.status, ZC_OK) << zc_last_error();
    zc_service_shutdown(service_, ZC_SHUTDOWN_GRACEFUL);
    return {r.exit_code, r.stdout_data, r.stderr_data, OutcomeName(r.outcome), Outputs()};
  }
  // zcwrap learns nothing about outcomes on stdout: its audit event says what happened.
  Observed Wrapped(const char* cache) {
    RemoveOutputs();
    const std::string audit = Path("wrapped-audit.jsonl");
    ::unlink(audit.c_str());
    std::vector<std::string> env = BaseEnv();
    env.push_back(absl::StrCat("ZCWRAP_DIR=", Path(cache)));
    env.push_back(absl::StrCat("ZCWRAP_DAEMON=", daemon_));
    env.push_back(absl::StrCat("ZCWRAP_AUDIT_FILE=", audit));
    env.push_back("ZCWRAP_AUDIT_MODE=summary");
    std::vector<std::string> argv = {ZcwrapBinary()};
    for (const std::string& a : std::get<0>(GetParam()).argv) argv.push_back(a);
    Ran r = RunProgram(argv, src_, env);
    std::string outcome = "?";
    if (std::optional<std::string> text = Read("wrapped-audit.jsonl")) {
      const std::string needle = "\"outcome\":\"";
      const size_t at = text->find(needle);
      if (at != std::string::npos) {
        const size_t b = at + needle.size();
        outcome = text->substr(b, text->find('"', b) - b);
      }
    }
    return {r.exit_code, r.stdout_data, r.stderr_data, outcome, Outputs()};
  }

  static void ExpectSame(const Observed& a, const Observed& b, bool compare_outcome = true) {
    EXPECT_EQ(a.exit_code, b.exit_code);
    EXPECT_EQ(a.stdout_data, b.stdout_data);
    EXPECT_EQ(a.stderr_data, b.stderr_data);
    if (compare_outcome) {
      EXPECT_EQ(a.outcome, b.outcome);
    }
    ASSERT_EQ(a.outputs.size(), b.outputs.size());
    for (size_t i = 0; i < a.outputs.size(); ++i) {
      EXPECT_EQ(a.outputs[i].has_value(), b.outputs[i].has_value()) << "output " << i;
      if (a.outputs[i] && b.outputs[i]) {
        EXPECT_TRUE(*a.outputs[i] == *b.outputs[i]) << "output " << i;
      }
    }
  }

  const char* daemon_ = "off";
};

TEST_P(ParityTest, BothBackendsGiveTheSameBytesAndOutcomesFreshAndWarm) {
  const Observed plain = Plain();
  const bool compiles = plain.exit_code == 0;

  const Observed embedded_fresh = Embedded("cache-e");
  const Observed wrapped_fresh = Wrapped("cache-w");
  ExpectSame(embedded_fresh, plain, /*compare_outcome=*/false);
  ExpectSame(embedded_fresh, wrapped_fresh);
  EXPECT_EQ(embedded_fresh.outcome, "miss");

  const Observed embedded_warm = Embedded("cache-e");
  const Observed wrapped_warm = Wrapped("cache-w");
  ExpectSame(embedded_warm, plain, /*compare_outcome=*/false);
  ExpectSame(embedded_warm, wrapped_warm);
  // A failed compile is never stored: it misses again.
  EXPECT_EQ(embedded_warm.outcome, compiles ? "hit" : "miss");
}

TEST_P(ParityTest, AResultStoredByEitherPathIsAHitForTheOther) {
  const Observed plain = Plain();
  // A failed compile is stored by neither, so the other misses too.
  const std::string stored = plain.exit_code == 0 ? "hit" : "miss";
  EXPECT_EQ(Embedded("cache-e").outcome, "miss");
  const Observed wrapped = Wrapped("cache-e");
  EXPECT_EQ(wrapped.outcome, stored);
  ExpectSame(wrapped, plain, /*compare_outcome=*/false);

  EXPECT_EQ(Wrapped("cache-w").outcome, "miss");
  const Observed embedded = Embedded("cache-w");
  EXPECT_EQ(embedded.outcome, stored);
  ExpectSame(embedded, plain, /*compare_outcome=*/false);
}

INSTANTIATE_TEST_SUITE_P(Cases, ParityTest,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::Values("off", "on")),
                         [](const ::testing::TestParamInfo<std::tuple<Case, const char*>>& info) {
                           return absl::StrCat(
                               std::get<0>(info.param).name,
                               std::string(std::get<1>(info.param)) == "on" ? "ThroughDaemon" : "");
                         });

}  // namespace
}  // namespace zc::shimtest
