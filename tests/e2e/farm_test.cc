// Distributed compiles on real farms (tests/support/compile_farms.h): zcwrap with prefix_command
// set to distcc or icecc against a distccd, or an icecream scheduler and daemons, started on
// loopback by each test. A miss is compiled on the farm (its own counters or logs say so), a hit
// never reaches it, a farm that is down or hangs leaves the compile green and identical, and the
// launcher's own messages never reach the compile's output.
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/e2e_harness.h"
#include "tests/support/compile_farms.h"

namespace zc::e2e {
namespace {

constexpr absl::string_view kHeader = "#define ANSWER 42\n";
constexpr absl::string_view kSource =
    "#include \"answer.h\"\nint answer(void) { int unused; return ANSWER; }\n";

// `r` without distcc's own lines ("distcc[PID] ..."), which a plain `distcc gcc` run shows and
// zcwrap keeps out of the compile's output.
RunResult WithoutDistccLines(RunResult r) {
  std::string kept;
  for (absl::string_view line : absl::StrSplit(r.stderr_data, absl::ByString("\n"))) {
    if (absl::StartsWith(line, "distcc[")) continue;
    absl::StrAppend(&kept, line, "\n");
  }
  if (!kept.empty()) kept.pop_back();  // the split's last piece had no line end
  r.stderr_data = kept;
  return r;
}

class DistccTest : public E2eTest, public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    auto farm = test::DistccFarm::Start();
    ASSERT_TRUE(farm.ok()) << farm.status();
    farm_ = *std::move(farm);
    WriteBoth("answer.h", kHeader);
    WriteBoth("a.c", kSource);
  }

  std::string Compiler() const { return GetParam(); }
  std::vector<std::string> Compile() const { return {Compiler(), "-Wall", "-c", "a.c"}; }
  // The farm's variables, distcc told not to fall back on its own (so a compile that is not
  // distributed fails, unless zcwrap compiles it locally), and ZCWRAP_PREFIX.
  std::vector<std::string> FarmEnv(std::vector<std::string> extra = {}) const {
    std::vector<std::string> env = farm_->Env();
    env.insert(env.end(),
               {"DISTCC_FALLBACK=0", "DISTCC_SKIP_LOCAL_RETRY=1", "ZCWRAP_PREFIX=distcc"});
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
  }
  // `distcc compiler args` in plain/, as a build without zcwrap would run it.
  RunResult PlainDistcc() const {
    std::vector<std::string> argv = Compile();
    argv[0] = ResolveProgram(argv[0]);
    argv.insert(argv.begin(), "distcc");
    return WithoutDistccLines(Run(argv, PlainPath(""), Environment(PlainPath(""), FarmEnv())));
  }
  test::DistccStats StatsWhen(const std::function<bool(const test::DistccStats&)>& done) const {
    absl::StatusOr<test::DistccStats> s = farm_->WaitForStats(done);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.value_or(test::DistccStats{});
  }

  std::unique_ptr<test::DistccFarm> farm_;
};

// The miss is compiled on the farm, and says what `distcc gcc` says; the hit never connects.
TEST_P(DistccTest, AMissIsCompiledOnTheFarmAndAHitNeverReachesIt) {
  const RunResult plain = PlainDistcc();
  ASSERT_EQ(plain.exit_code, 0) << ::testing::PrintToString(plain);
  StatsWhen([](const test::DistccStats& s) { return s.compile_ok == 1; });

  const RunResult miss = Zcwrap(Compile(), "", FarmEnv());
  ExpectSameResult(plain, miss);
  EXPECT_TRUE(SameFile("a.o"));
  const test::DistccStats after_miss =
      StatsWhen([](const test::DistccStats& s) { return s.compile_ok == 2; });
  EXPECT_TRUE(HasCounters({{"cache_miss", 1},
                           {"prefix_command_run", 1},
                           {"prefix_command_retried_locally", 0},
                           {"prefix_command_messages", 0}}));

  ASSERT_EQ(::unlink(WrapPath("a.o").c_str()), 0);
  const RunResult hit = Zcwrap(Compile(), "", FarmEnv());
  ExpectSameResult(plain, hit);
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_EQ(Stat(HitCounter()), 1u);
  absl::StatusOr<test::DistccStats> now = farm_->Stats();
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->tcp_accept, after_miss.tcp_accept);
  EXPECT_EQ(Stat("prefix_command_run"), 1u);
}

// A farm's object is not always the local compiler's (docs/distributed.md): a compile without the
// prefix never gets it, and gets the local compiler's own object.
TEST_P(DistccTest, AFarmsObjectIsNeverALocalCompilesHit) {
  ASSERT_EQ(Zcwrap(Compile(), "", FarmEnv()).exit_code, 0);
  StatsWhen([](const test::DistccStats& s) { return s.compile_ok == 1; });
  const RunResult plain = Plain(Compile());
  ExpectSameResult(plain, Zcwrap(Compile()));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasCounters({{"cache_miss", 2}, {HitCounter(), 0}, {"prefix_command_run", 1}}));
}

// distcc gives up (116: no host) and zcwrap compiles locally, once: the plain compiler's result.
TEST_P(DistccTest, AFarmThatIsDownIsCompiledLocallyOnce) {
  farm_->Kill();
  const RunResult plain = Plain(Compile());
  const RunResult wrapped = Zcwrap(Compile(), "", FarmEnv());
  ExpectSameResult(plain, wrapped);
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasCounters({{"cache_miss", 1},
                           {"prefix_command_run", 1},
                           {"prefix_command_retried_locally", 1},
                           {"prefix_command_messages", 1}}));
  // Stored like any other miss.
  ExpectSameResult(plain, Zcwrap(Compile(), "", FarmEnv()));
  EXPECT_EQ(Stat(HitCounter()), 1u);
}

// With distcc's own fallback, its warning is distcc's, not the compiler's: neither the miss nor
// the hit shows it; the log has it.
TEST_P(DistccTest, TheLaunchersFallbackWarningStaysOutOfTheOutput) {
  farm_->Kill();
  const std::string log = Path("zcwrap.log");
  const std::vector<std::string> env = FarmEnv({"DISTCC_FALLBACK=1", "ZCWRAP_LOGFILE=" + log});
  const RunResult plain = Plain(Compile());
  ExpectSameResult(plain, Zcwrap(Compile(), "", env));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasCounters({{"prefix_command_retried_locally", 0}, {"prefix_command_messages", 1}}));
  EXPECT_TRUE(absl::StrContains(ReadFile(log).value_or(""), "running locally instead"));
  ExpectSameResult(plain, Zcwrap(Compile(), "", env));
  EXPECT_EQ(Stat(HitCounter()), 1u);
}

// A host that accepts and never answers: distcc gives up after DISTCC_IO_TIMEOUT, zcwrap compiles
// locally; the build waits for that timeout only.
TEST_P(DistccTest, AHungHostCostsDistccsTimeoutAndNoMore) {
  farm_->Pause();
  const RunResult plain = Plain(Compile());
  const auto start = std::chrono::steady_clock::now();
  const RunResult wrapped = Zcwrap(Compile(), "", FarmEnv({"DISTCC_IO_TIMEOUT=2"}));
  const auto took = std::chrono::steady_clock::now() - start;
  farm_->Resume();
  ExpectSameResult(plain, wrapped);
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_EQ(Stat("prefix_command_retried_locally"), 1u);
  EXPECT_LT(took, std::chrono::seconds(15));
}

// A compile error found on the farm is the compiler's verdict: shown as distcc shows it, not
// compiled again, not stored.
TEST_P(DistccTest, ACompileErrorOnTheFarmIsTheVerdict) {
  WriteBoth("a.c", kSyntaxErrorC);
  const RunResult plain = PlainDistcc();
  ASSERT_NE(plain.exit_code, 0);
  const RunResult wrapped = Zcwrap(Compile(), "", FarmEnv());
  ExpectSameResult(plain, wrapped);
  EXPECT_TRUE(HasCounters(
      {{"compile_failed", 1}, {"prefix_command_run", 1}, {"prefix_command_retried_locally", 0}}));
  StatsWhen([](const test::DistccStats& s) { return s.compile_error == 2; });
}

INSTANTIATE_TEST_SUITE_P(Compilers, DistccTest, ::testing::Values("gcc", "clang"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

class IcecreamTest : public E2eTest {
 protected:
  void SetUp() override {
    auto farm = test::IcecreamFarm::Start();
    ASSERT_TRUE(farm.ok()) << farm.status();
    farm_ = *std::move(farm);
    WriteBoth("answer.h", kHeader);
    WriteBoth("a.c", kSource);
  }
  std::vector<std::string> FarmEnv() const {
    std::vector<std::string> env = farm_->Env();
    env.push_back("ZCWRAP_PREFIX=icecc");
    return env;
  }
  static std::vector<std::string> Compile() { return {"gcc", "-c", "a.c"}; }

  std::unique_ptr<test::IcecreamFarm> farm_;
};

// icecream ships this machine's compiler: the object is the plain compiler's, byte for byte. Then
// without a compile daemon icecc compiles locally itself; without any daemon it fails (119 with a
// private socket) and zcwrap compiles locally. Green each time, the plain compiler's result. (One
// test: a farm takes 6-9 s to start and 5 s to take gcc's environment.)
TEST_F(IcecreamTest, MissesAreCompiledByTheFarmHitsNeverReachItAndAFarmGoneLeavesThemGreen) {
  const RunResult plain = Plain(Compile());
  const RunResult miss = Zcwrap(Compile(), "", FarmEnv());
  ExpectSameResult(plain, miss);
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_EQ(farm_->Jobs().remote, 1) << farm_->CompileDaemonLog();
  EXPECT_EQ(farm_->Jobs().local, 0);
  EXPECT_TRUE(HasCounters({{"cache_miss", 1},
                           {"prefix_command_run", 1},
                           {"prefix_command_retried_locally", 0},
                           {"prefix_command_messages", 0}}));

  ASSERT_EQ(::unlink(WrapPath("a.o").c_str()), 0);
  ExpectSameResult(plain, Zcwrap(Compile(), "", FarmEnv()));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_EQ(Stat(HitCounter()), 1u);
  EXPECT_EQ(farm_->Jobs().remote, 1);
  EXPECT_EQ(farm_->Jobs().local, 0);

  farm_->KillCompileDaemon();
  WriteBoth("a.c", absl::StrCat(kSource, "int other(void) { return 1; }\n"));
  const RunResult plain2 = Plain(Compile());
  ExpectSameResult(plain2, Zcwrap(Compile(), "", FarmEnv()));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_EQ(farm_->Jobs().remote, 1);
  EXPECT_EQ(Stat("prefix_command_retried_locally"), 0u);

  farm_->Kill();
  WriteBoth("a.c", absl::StrCat(kSource, "int third(void) { return 3; }\n"));
  const RunResult plain3 = Plain(Compile());
  ExpectSameResult(plain3, Zcwrap(Compile(), "", FarmEnv()));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasCounters(
      {{"cache_miss", 3}, {"prefix_command_run", 3}, {"prefix_command_retried_locally", 1}}));
}

}  // namespace
}  // namespace zc::e2e
