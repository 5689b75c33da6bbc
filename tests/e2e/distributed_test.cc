// Distributed compiles: prefix_command (compile/prefix_command.h) with a launcher zcwrap knows
// nothing about, here a script that takes its time as a farm would. The daemon runs more misses
// through it at once than the machine has cores (remote_jobs caps them), while a hit never waits
// behind them. The farms themselves (distcc, icecream) are in farm_test.cc.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

class PrefixCapacityTest : public E2eTest {
 protected:
  // A launcher that notes when each run starts and ends (ms) in log/, waits `seconds`, then runs
  // the compile. hit.c is compiled at once, unlogged.
  std::string SlowLauncher(int seconds) {
    const std::string path = Path("bin/slowlaunch");
    WriteFile(path, absl::StrCat("#!/bin/sh\n"
                                 "case \"$*\" in *hit.c*) exec \"$@\" ;; esac\n"
                                 "log=",
                                 Path("log"),
                                 "/$$\n"
                                 "echo \"$(date +%s%3N)\" > \"$log\"\n"
                                 "sleep ",
                                 seconds,
                                 "\n"
                                 "\"$@\"; rc=$?\n"
                                 "echo \"$(date +%s%3N)\" >> \"$log\"\n"
                                 "exit $rc\n"));
    ::chmod(path.c_str(), 0755);
    ::mkdir(Path("log").c_str(), 0755);
    return path;
  }

  // The most runs of the launcher that overlapped in time; `timeline` gets each run's start and
  // end (ms after the first start), for the failure message.
  int PeakOverlap(std::string* timeline = nullptr) {
    std::vector<std::pair<int64_t, int>> edges;
    for (const std::string& name : ListFiles(Path("log"))) {
      std::vector<std::string> lines =
          absl::StrSplit(ReadFile(Path("log/" + name)).value_or(""), '\n', absl::SkipEmpty());
      int64_t start = 0, end = 0;
      if (lines.size() != 2 || !absl::SimpleAtoi(lines[0], &start) ||
          !absl::SimpleAtoi(lines[1], &end)) {
        ADD_FAILURE() << "launcher log " << name << " unfinished";
        continue;
      }
      edges.emplace_back(start, +1);
      edges.emplace_back(end, -1);
    }
    std::sort(edges.begin(), edges.end());  // an end before a start at the same ms
    int now = 0, peak = 0;
    for (const auto& e : edges) {
      peak = std::max(peak, now += e.second);
      if (timeline != nullptr) {
        absl::StrAppend(timeline, e.second > 0 ? " +" : " -", e.first - edges.front().first);
      }
    }
    return peak;
  }

  // `n` compiles of distinct sources at once, through the daemon, each a miss. The daemon is
  // started first: were its start slow (a loaded CI machine), the compiles would rightly run in
  // their own processes, out of the daemon's budget, and the overlap would measure nothing.
  // (The sources are written before, so that no compile starts in the same clock tick as its
  // source's write and is run twice to verify it.)
  RunResult ParallelMisses(int n, const std::vector<std::string>& env) {
    std::string script = "set -e\n";
    for (int i = 0; i < n; ++i) {
      WriteBoth(absl::StrCat("s", i, ".c"),
                absl::StrCat("int f", i, "(void) { return ", i, "; }\n"));
      absl::StrAppend(&script, ZcwrapBinary(), " gcc -c s", i, ".c -o s", i, ".o &\n");
    }
    // --daemon-start gives up after 3 s; a loaded machine may take longer, so wait for an answer.
    RunResult started = Zcwrap({"--daemon-start"}, root_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (Zcwrap({"--daemon-status"}, root_).exit_code != 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the daemon did not start: " << ::testing::PrintToString(started);
        break;
      }
      ::usleep(50'000);
    }
    script += "for j in $(jobs -p); do wait $j; done\n";
    std::vector<std::string> all = {"ZCWRAP_DAEMON=on"};
    all.insert(all.end(), env.begin(), env.end());
    return Run({"/bin/bash", "-c", script}, WrapPath(""), Environment(WrapPath(""), all));
  }
};

TEST_F(PrefixCapacityTest, TheDaemonRunsMorePrefixedMissesThanCoresAtOnce) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int n = static_cast<int>(cores) * 4;
  const std::string launcher = SlowLauncher(2);
  RunResult r = ParallelMisses(n, {"ZCWRAP_PREFIX=" + launcher});
  ASSERT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
  EXPECT_TRUE(HasCounters({{"cache_miss", n}, {"prefix_command_run", n}, {"daemon_fallback", 0}}));
  std::string timeline;
  EXPECT_EQ(PeakOverlap(&timeline), n) << "the local budget is " << cores << "; runs:" << timeline;
  for (int i = 0; i < n; ++i) {
    const std::string source = absl::StrCat("s", i, ".c");
    const std::string object = absl::StrCat("s", i, ".o");
    ASSERT_EQ(Plain({"gcc", "-c", source, "-o", object}).exit_code, 0);
    EXPECT_TRUE(SameFile(object));
  }
}

TEST_F(PrefixCapacityTest, RemoteJobsCapsThem) {
  const std::string launcher = SlowLauncher(2);  // long enough that a loaded machine's runs overlap
  RunResult r = ParallelMisses(8, {"ZCWRAP_PREFIX=" + launcher, "ZCWRAP_REMOTE_JOBS=3"});
  ASSERT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
  EXPECT_TRUE(HasCounters({{"cache_miss", 8}, {"prefix_command_run", 8}, {"daemon_fallback", 0}}));
  std::string timeline;
  EXPECT_EQ(PeakOverlap(&timeline), 3) << "runs (+start -end, ms):" << timeline;
}

// While the daemon's misses wait on the farm, a hit is answered at once.
TEST_F(PrefixCapacityTest, AHitDoesNotWaitForMissesOnTheFarm) {
  WriteBoth("hit.c", kCleanC);
  const std::string launcher = SlowLauncher(4);
  const std::vector<std::string> env = {"ZCWRAP_DAEMON=on", "ZCWRAP_PREFIX=" + launcher};
  ASSERT_EQ(Zcwrap({"gcc", "-c", "hit.c"}, "", env).exit_code, 0);  // stored
  std::thread misses([&] { ParallelMisses(8, {"ZCWRAP_PREFIX=" + launcher}); });
  while (ListFiles(Path("log")).size() < 8) ::usleep(10'000);  // all 8 on the "farm"
  const auto start = std::chrono::steady_clock::now();
  RunResult hit = Zcwrap({"gcc", "-c", "hit.c"}, "", env);
  const auto took = std::chrono::steady_clock::now() - start;
  misses.join();
  EXPECT_EQ(hit.exit_code, 0) << ::testing::PrintToString(hit);
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(Stat(HitCounter()), 1u);
}

}  // namespace
}  // namespace zc::e2e
