// Many processes compiling the same thing at once on a cold cache: every one succeeds with the
// plain compiler's output, and the cache ends up with one result entry and exact counters.
//
// Several rounds, each with a new key (a different -DROUND), because a race in the store shows up
// only now and then: more rounds, more chances to see it.
#include <latch>
#include <map>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cachecore/util/process.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

constexpr int kProcesses = 8;
constexpr int kRounds = 10;

constexpr absl::string_view kSource =
    "int round_value(void) { return ROUND; }\n"
    "int main(void) {\n  int unused = 1;\n  return 0;\n}\n";

struct ConcurrencyCase {
  Mode mode;
  // One directory for all processes, each with its own -o; otherwise one directory per process
  // with the same relative layout and identical command lines. (Direct mode keys the working
  // directory, so it needs the shared directory for the processes to share a key.)
  bool shared_dir;
};

void PrintTo(const ConcurrencyCase& c, std::ostream* os) {
  *os << ModeName(c.mode) << " mode, "
      << (c.shared_dir ? "one shared directory" : "own directories");
}

class ConcurrencyTest : public E2eTest, public ::testing::WithParamInterface<ConcurrencyCase> {};

TEST_P(ConcurrencyTest, SimultaneousIdenticalCompilesAllSucceedAndStoreOneEntry) {
  mode_ = GetParam().mode;
  const bool shared = GetParam().shared_dir;
  WriteFile(PlainPath("a.c"), kSource);
  std::vector<std::string> dirs, objects;
  for (int i = 0; i < kProcesses; ++i) {
    dirs.push_back(shared ? Path("shared") : Path(absl::StrCat("job", i)));
    objects.push_back(shared ? absl::StrCat("job", i, ".o") : "a.o");
    WriteFile(dirs.back() + "/a.c", kSource);
  }

  for (int round = 1; round <= kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const std::string define = absl::StrCat("-DROUND=", round);
    const RunResult plain = Plain({"gcc", "-Wall", define, "-c", "a.c", "-o", "a.o"});
    ASSERT_EQ(plain.exit_code, 0);
    const std::optional<std::string> plain_object = ReadFile(PlainPath("a.o"));
    ASSERT_TRUE(plain_object);

    std::vector<util::Command> commands;
    for (int i = 0; i < kProcesses; ++i) {
      util::Command cmd;
      cmd.argv = {ZcwrapBinary(), "gcc", "-Wall", define, "-c", "a.c", "-o", objects[i]};
      cmd.cwd = dirs[i];
      cmd.env =
          Environment(dirs[i], {mode_ == Mode::kDirect ? "ZCWRAP_DIRECT=1" : "ZCWRAP_DIRECT=0"});
      commands.push_back(std::move(cmd));
    }
    std::vector<absl::StatusOr<util::ProcessResult>> results(kProcesses,
                                                             absl::UnknownError("not run"));
    std::latch start(kProcesses);
    std::vector<std::thread> threads;
    for (int i = 0; i < kProcesses; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = util::PosixProcessRunner().Run(commands[i]);
      });
    }
    for (std::thread& t : threads) t.join();

    for (int i = 0; i < kProcesses; ++i) {
      SCOPED_TRACE(absl::StrCat("process ", i));
      ASSERT_TRUE(results[i].ok()) << results[i].status();
      RunResult r{results[i]->exit_code, results[i]->stdout_data, results[i]->stderr_data};
      ExpectSameResult(plain, r);
      EXPECT_TRUE(FileHasBytes(dirs[i] + "/" + objects[i], *plain_object));
    }

    std::map<std::string, uint64_t> stats = Stats();
    EXPECT_EQ(stats["cache_miss"] + stats[HitCounter()], uint64_t{kProcesses} * round)
        << "cache_miss=" << stats["cache_miss"] << " " << HitCounter() << "="
        << stats[HitCounter()];
    EXPECT_EQ(stats[OtherHitCounter()], 0u);
    EXPECT_EQ(stats["internal_error"], 0u);
    EXPECT_EQ(stats["corrupt_cache_entry"], 0u);
    EXPECT_TRUE(CacheHolds(round));
    if (mode_ == Mode::kPreprocessor) {
      // No manifests: the results (CacheHolds counted them) and the misses' explain records.
      for (const std::string& entry : EntryFiles()) EXPECT_NE(entry.back(), 'M') << entry;
    }
  }

  // The entries are good: a later compile hits and matches.
  const uint64_t hits_before = Stat(HitCounter());
  const std::vector<std::string> args = {"gcc", "-Wall", "-DROUND=1", "-c",
                                         "a.c", "-o",    objects[0]};
  const RunResult plain = Plain({"gcc", "-Wall", "-DROUND=1", "-c", "a.c", "-o", "a.o"});
  RunResult later = Zcwrap(args, dirs[0]);
  ExpectSameResult(plain, later);
  EXPECT_TRUE(FileHasBytes(dirs[0] + "/" + objects[0], ReadFile(PlainPath("a.o")).value_or("")));
  EXPECT_EQ(Stat(HitCounter()), hits_before + 1);
}

INSTANTIATE_TEST_SUITE_P(Setups, ConcurrencyTest,
                         ::testing::Values(ConcurrencyCase{Mode::kPreprocessor, false},
                                           ConcurrencyCase{Mode::kPreprocessor, true},
                                           ConcurrencyCase{Mode::kDirect, true}),
                         [](const ::testing::TestParamInfo<ConcurrencyCase>& info) {
                           return ModeName(info.param.mode) +
                                  (info.param.shared_dir ? "SharedDirectory" : "OwnDirectories");
                         });

}  // namespace
}  // namespace zc::e2e
