#include "tests/support/compile_farms.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace zc::test {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

struct Ran {
  int exit_code = -1;
  std::string stderr_data;
  double seconds = 0;
};

// Runs `argv` in `cwd` with the test's environment, minus any DISTCC_* and ICECC_* setting of
// the caller's, plus `extra` ("NAME=value").
Ran RunCommand(const std::vector<std::string>& argv, const std::string& cwd,
               const std::vector<std::string>& extra = {}) {
  util::Command cmd{.argv = argv, .cwd = cwd};
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!absl::StartsWith(*entry, "DISTCC_") && !absl::StartsWith(*entry, "ICECC_")) {
      env.emplace_back(*entry);
    }
  }
  env.insert(env.end(), extra.begin(), extra.end());
  cmd.env = env;
  const Clock::time_point start = Clock::now();
  absl::StatusOr<util::ProcessResult> result = util::PosixProcessRunner().Run(cmd);
  Ran ran;
  ran.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!result.ok()) {
    ADD_FAILURE() << "cannot run " << argv[0] << ": " << result.status();
    return ran;
  }
  ran.exit_code = result->exit_code;
  ran.stderr_data = result->stderr_data;
  return ran;
}

std::vector<std::string> With(std::vector<std::string> env, const std::vector<std::string>& more) {
  env.insert(env.end(), more.begin(), more.end());
  return env;
}

// Nothing answers on 127.0.0.1:`port` any more.
bool Refused(int port) { return !ConnectTcp(port, 1000).ok(); }

// Whether a live (not zombie) process is in the process group `pgid`. (Workers killed with their
// daemon are reparented to init, which may take a while to reap them.)
bool GroupAlive(pid_t pgid) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string stat = ReadWholeFile(entry.path().string() + "/stat").value_or("");
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const size_t comm_end = stat.rfind(')');
    if (comm_end == std::string::npos) continue;
    std::vector<std::string> fields = absl::StrSplit(stat.substr(comm_end + 2), ' ');
    if (fields.size() > 2 && fields[0] != "Z" && fields[2] == absl::StrCat(pgid)) return true;
  }
  return false;
}

// No live process is left in the process group `pgid` (waits up to ~2 s for the kernel).
bool GroupGone(pid_t pgid) {
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(2);
  while (GroupAlive(pgid) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return !GroupAlive(pgid);
}

// A source and the object the plain compiler makes of it, to compare farm objects with.
class FarmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteTestFile(dir_.Join("a.c"), "int add(int a, int b) { return a + b; }\n");
    WriteTestFile(dir_.Join("bad.c"), "int broken( {\n");
  }

  // `compiler` -c a.c -o NAME.o without a farm: the reference object.
  std::string PlainObject(const std::string& compiler, const std::string& name) {
    const Ran ran = RunCommand({compiler, "-c", "a.c", "-o", name + ".o"}, dir_.path());
    EXPECT_EQ(ran.exit_code, 0) << ran.stderr_data;
    return ReadTestFile(dir_.Join(name + ".o"));
  }

  TempDir dir_;
};

// --- DistccFarm ---

class DistccFarmTest : public FarmTest {
 protected:
  // distcc `compiler` -c `source` -o `object`, failing instead of compiling locally.
  Ran Distcc(const DistccFarm& farm, const std::string& compiler, const std::string& source,
             const std::string& object, const std::vector<std::string>& more_env = {}) {
    return RunCommand({"distcc", compiler, "-c", source, "-o", object}, dir_.path(),
                      With(With(farm.Env(), {"DISTCC_FALLBACK=0"}), more_env));
  }
};

TEST_F(DistccFarmTest, CompilesAbsoluteCompilerPathsToTheSameObjects) {
  absl::StatusOr<std::unique_ptr<DistccFarm>> started = DistccFarm::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  DistccFarm& farm = **started;
  EXPECT_EQ(farm.hosts(), absl::StrCat("127.0.0.1:", farm.port(), "/4"));
  EXPECT_THAT(farm.Env(), ::testing::ElementsAre("DISTCC_HOSTS=" + farm.hosts(),
                                                 "DISTCC_DIR=" + farm.client_dir()));
  EXPECT_THAT(farm.compilers(), ::testing::IsSupersetOf({"/usr/bin/gcc", "gcc", "/bin/gcc",
                                                         "/usr/bin/clang", "/usr/bin/g++"}));

  std::vector<std::string> compilers = {"/usr/bin/gcc", "/usr/bin/g++", "/usr/bin/clang",
                                        "/usr/bin/clang++-14", "/usr/bin/cc"};
  int n = 0;
  for (const std::string& compiler : compilers) {
    SCOPED_TRACE(compiler);
    const std::string name = absl::StrCat("d", n);
    const Ran ran = Distcc(farm, compiler, "a.c", name + ".o");
    ASSERT_EQ(ran.exit_code, 0) << ran.stderr_data << farm.Log();
    EXPECT_TRUE(ReadTestFile(dir_.Join(name + ".o")) == PlainObject(compiler, name + "_plain"))
        << "the farm's object differs from the plain compile's";
    ++n;
    absl::StatusOr<DistccStats> stats =
        farm.WaitForStats([n](const DistccStats& s) { return s.compile_ok == n; });
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->tcp_accept, n);
  }
  EXPECT_THAT(farm.Log(), HasSubstr("COMPILE_OK exit:0 sig:0 core:0 ret:0"));
}

TEST_F(DistccFarmTest, RefusesCompilersOffItsAllowList) {
  absl::StatusOr<std::unique_ptr<DistccFarm>> started =
      DistccFarm::Start({.jobs = 2, .compilers = {"/usr/bin/gcc"}});
  ASSERT_TRUE(started.ok()) << started.status();
  DistccFarm& farm = **started;
  EXPECT_EQ(farm.hosts(), absl::StrCat("127.0.0.1:", farm.port(), "/2"));
  EXPECT_EQ(Distcc(farm, "/usr/bin/gcc", "a.c", "ok.o").exit_code, 0);

  const Ran refused = Distcc(farm, "/usr/bin/clang", "a.c", "no.o");
  EXPECT_EQ(refused.exit_code, 116) << refused.stderr_data;
  EXPECT_FALSE(FileExists(dir_.Join("no.o")));
  absl::StatusOr<DistccStats> stats =
      farm.WaitForStats([](const DistccStats& s) { return s.compile_ok == 1 && s.other == 1; });
  EXPECT_TRUE(stats.ok()) << stats.status();
  EXPECT_THAT(farm.Log(), HasSubstr("lookup of /usr/bin/clang in DISTCC_CMDLIST failed"));
}

TEST_F(DistccFarmTest, RefusesAbsolutePathsOutsideBinLikeAStockDaemon) {
  absl::StatusOr<std::unique_ptr<DistccFarm>> started = DistccFarm::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string real_clang = std::filesystem::canonical("/usr/bin/clang").string();
  ASSERT_FALSE(absl::StartsWith(real_clang, "/usr/bin/")) << real_clang;
  const Ran refused = Distcc(**started, real_clang, "a.c", "no.o");
  EXPECT_EQ(refused.exit_code, 116) << refused.stderr_data;
}

TEST_F(DistccFarmTest, KillFailsCompilesAndRestartServesAtOnce) {
  absl::StatusOr<std::unique_ptr<DistccFarm>> started = DistccFarm::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  DistccFarm& farm = **started;
  const int port = farm.port();
  const pid_t pgid = farm.pid();
  ASSERT_EQ(Distcc(farm, "/usr/bin/gcc", "a.c", "before.o").exit_code, 0);

  farm.Kill();
  farm.Kill();
  EXPECT_EQ(farm.pid(), -1);
  EXPECT_TRUE(GroupGone(pgid)) << "distccd's workers outlived Kill()";
  EXPECT_TRUE(Refused(port));
  const Ran failed = Distcc(farm, "/usr/bin/gcc", "a.c", "during.o");
  EXPECT_GE(failed.exit_code, 100);
  EXPECT_LE(failed.exit_code, 118);
  EXPECT_EQ(failed.exit_code, 116) << failed.stderr_data;
  EXPECT_THAT(failed.stderr_data, HasSubstr("failed to distribute and fallbacks are disabled"));
  EXPECT_FALSE(FileExists(dir_.Join("during.o")));

  ASSERT_TRUE(farm.Restart().ok());
  EXPECT_EQ(farm.port(), port);
  const Ran after = Distcc(farm, "/usr/bin/gcc", "a.c", "after.o");
  EXPECT_EQ(after.exit_code, 0) << "the backoff mark was not cleared: " << after.stderr_data;
  absl::StatusOr<DistccStats> stats =
      farm.WaitForStats([](const DistccStats& s) { return s.compile_ok == 1; });
  EXPECT_TRUE(stats.ok()) << "a restarted distccd counts from 0: " << stats.status();
}

TEST_F(DistccFarmTest, PauseMakesTheClientTimeOut) {
  absl::StatusOr<std::unique_ptr<DistccFarm>> started = DistccFarm::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  DistccFarm& farm = **started;
  farm.Pause();
  const Ran hung = Distcc(farm, "/usr/bin/gcc", "a.c", "hung.o", {"DISTCC_IO_TIMEOUT=2"});
  EXPECT_EQ(hung.exit_code, 116) << hung.stderr_data;
  EXPECT_THAT(hung.stderr_data, HasSubstr("IO timeout"));
  EXPECT_GE(hung.seconds, 1.9);
  EXPECT_LT(hung.seconds, 10);

  farm.Resume();
  const Ran resumed = Distcc(farm, "/usr/bin/gcc", "a.c", "resumed.o");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.stderr_data;
}

// Facts the header states about distcc itself, kept true here.
TEST_F(DistccFarmTest, CompileErrorMarksTheHostDownUnlessSkipLocalRetry) {
  absl::StatusOr<std::unique_ptr<DistccFarm>> started = DistccFarm::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  DistccFarm& farm = **started;
  EXPECT_EQ(Distcc(farm, "/usr/bin/gcc", "bad.c", "bad.o").exit_code, 1);
  EXPECT_EQ(Distcc(farm, "/usr/bin/gcc", "a.c", "next.o").exit_code, 116)
      << "the compile error put the host in backoff";

  farm.ClearBackoff();
  const std::vector<std::string> skip = {"DISTCC_SKIP_LOCAL_RETRY=1"};
  const Ran bad = Distcc(farm, "/usr/bin/gcc", "bad.c", "bad.o", skip);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.stderr_data, HasSubstr("error:"));
  EXPECT_EQ(Distcc(farm, "/usr/bin/gcc", "a.c", "next.o", skip).exit_code, 0);
  absl::StatusOr<DistccStats> stats = farm.WaitForStats(
      [](const DistccStats& s) { return s.compile_error == 2 && s.compile_ok == 1; });
  EXPECT_TRUE(stats.ok()) << stats.status();
}

TEST_F(DistccFarmTest, BackoffPeriodZeroRetriesADeadFarmForever) {
  absl::StatusOr<std::unique_ptr<DistccFarm>> started = DistccFarm::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  DistccFarm& farm = **started;
  farm.Kill();
  const Ran looping =
      RunCommand({"timeout", "2", "distcc", "/usr/bin/gcc", "-c", "a.c", "-o", "x.o"}, dir_.path(),
                 With(farm.Env(), {"DISTCC_FALLBACK=0", "DISTCC_BACKOFF_PERIOD=0"}));
  EXPECT_EQ(looping.exit_code, 124) << "distcc gave up: " << looping.stderr_data.substr(0, 500);
}

TEST_F(DistccFarmTest, DestructorStopsTheDaemonAndItsWorkers) {
  pid_t pgid = 0;
  int port = 0, stats_port = 0;
  std::string client_dir;
  {
    absl::StatusOr<std::unique_ptr<DistccFarm>> started = DistccFarm::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    pgid = (*started)->pid();
    port = (*started)->port();
    stats_port = (*started)->stats_port();
    client_dir = (*started)->client_dir();
  }
  EXPECT_TRUE(GroupGone(pgid));
  EXPECT_TRUE(Refused(port));
  EXPECT_TRUE(Refused(stats_port));
  EXPECT_FALSE(FileExists(client_dir));
}

// The daemon drops root privileges (which clears PR_SET_PDEATHSIG) and preforks workers: the
// watchdog still takes them all down when the process that started the farm dies without
// stopping it, as a test killed by a timeout does.
TEST_F(DistccFarmTest, DiesWithTheProcessThatStartedIt) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ForkChild([&] {
    ::close(fds[0]);
    absl::StatusOr<std::unique_ptr<DistccFarm>> started = DistccFarm::Start();
    if (!started.ok()) return 1;
    const std::string report =
        absl::StrCat((*started)->pid(), " ",
                     std::filesystem::path((*started)->client_dir()).parent_path().string());
    if (::write(fds[1], report.data(), report.size()) != static_cast<ssize_t>(report.size())) {
      return 2;
    }
    ::_exit(0);  // now, before `started` goes: no destructor stops the farm
  });
  ::close(fds[1]);
  std::string report;
  char chunk[512];
  for (ssize_t n; (n = ::read(fds[0], chunk, sizeof(chunk))) > 0;) report.append(chunk, n);
  ::close(fds[0]);
  ASSERT_TRUE(WaitForSuccess(child));
  std::pair<std::string, std::string> pgid_dir = absl::StrSplit(report, ' ');
  pid_t pgid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(pgid_dir.first, &pgid)) << report;
  EXPECT_TRUE(GroupGone(pgid)) << "distccd outlived the process that started it";
  std::error_code ec;
  std::filesystem::remove_all(pgid_dir.second, ec);
}

TEST_F(DistccFarmTest, MissingBinaryIsAnError) {
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path != nullptr ? old_path : "";
  ::setenv("PATH", "/nonexistent", 1);
  absl::StatusOr<std::unique_ptr<DistccFarm>> started = DistccFarm::Start();
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_FALSE(started.ok());
  EXPECT_TRUE(absl::IsNotFound(started.status())) << started.status();
  EXPECT_THAT(started.status().message(), HasSubstr("distccd"));
}

// --- IcecreamFarm ---

class IcecreamFarmTest : public FarmTest {
 protected:
  Ran Icecc(const IcecreamFarm& farm, const std::string& compiler, const std::string& object) {
    return RunCommand({"icecc", compiler, "-c", "a.c", "-o", object}, dir_.path(), farm.Env());
  }
};

// One farm through its life (each start costs ~6 s, each first compile ~5 s).
TEST_F(IcecreamFarmTest, CompilesOnTheCompileDaemonAndTellsFallbacksApart) {
  absl::StatusOr<std::unique_ptr<IcecreamFarm>> started = IcecreamFarm::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  IcecreamFarm& farm = **started;
  EXPECT_THAT(farm.Env(), ::testing::ElementsAre("ICECC_TEST_SOCKET=" + farm.socket_path(),
                                                 "ICECC_TEST_REMOTEBUILD=1"));
  const std::string plain = PlainObject("/usr/bin/gcc", "plain");

  // The first compile builds the compiler environment.
  Ran ran = Icecc(farm, "/usr/bin/gcc", "i1.o");
  ASSERT_EQ(ran.exit_code, 0) << ran.stderr_data;
  EXPECT_TRUE(ReadTestFile(dir_.Join("i1.o")) == plain);
  ran = Icecc(farm, "/usr/bin/gcc", "i2.o");
  ASSERT_EQ(ran.exit_code, 0) << ran.stderr_data;
  EXPECT_TRUE(ReadTestFile(dir_.Join("i2.o")) == plain);
  IcecreamJobs jobs = farm.Jobs();
  EXPECT_EQ(jobs.remote, 2) << farm.CompileDaemonLog();
  EXPECT_EQ(jobs.remote_failed, 0);
  EXPECT_EQ(jobs.local, 0) << farm.ClientDaemonLog();
  EXPECT_THAT(farm.SchedulerLog(), HasSubstr("server=zcwrap-compile"));

  // A compile error: the compile daemon's compiler fails, then icecc compiles again itself (to
  // show gcc's diagnostics as a local compile would), unless ICECC_CARET_WORKAROUND=0.
  ran =
      RunCommand({"icecc", "/usr/bin/gcc", "-c", "bad.c", "-o", "bad.o"}, dir_.path(), farm.Env());
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_THAT(ran.stderr_data, HasSubstr("error:"));
  jobs = farm.Jobs();
  EXPECT_EQ(jobs.remote, 3);
  EXPECT_EQ(jobs.remote_failed, 1);
  EXPECT_EQ(jobs.local, 1);
  ran = RunCommand({"icecc", "/usr/bin/gcc", "-c", "bad.c", "-o", "bad.o"}, dir_.path(),
                   With(farm.Env(), {"ICECC_CARET_WORKAROUND=0"}));
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_THAT(ran.stderr_data, HasSubstr("error:"));
  jobs = farm.Jobs();
  EXPECT_EQ(jobs.remote, 4);
  EXPECT_EQ(jobs.remote_failed, 2);
  EXPECT_EQ(jobs.local, 1);

  // Without its compile host, icecc quietly compiles itself: only Jobs() tells.
  farm.KillCompileDaemon();
  ran = Icecc(farm, "/usr/bin/gcc", "i3.o");
  EXPECT_EQ(ran.exit_code, 0) << ran.stderr_data;
  EXPECT_TRUE(ReadTestFile(dir_.Join("i3.o")) == plain);
  jobs = farm.Jobs();
  EXPECT_EQ(jobs.remote, 4);
  EXPECT_EQ(jobs.local, 2) << farm.ClientDaemonLog();

  // Without its daemon, icecc (with ICECC_TEST_SOCKET) fails and compiles nothing.
  farm.Kill();
  farm.Kill();
  const int daemon_port = farm.daemon_port();
  EXPECT_TRUE(Refused(farm.scheduler_port()));
  ran = Icecc(farm, "/usr/bin/gcc", "i4.o");
  EXPECT_EQ(ran.exit_code, 119) << ran.stderr_data;
  EXPECT_FALSE(FileExists(dir_.Join("i4.o")));

  ASSERT_TRUE(farm.Restart().ok());
  EXPECT_EQ(farm.daemon_port(), daemon_port);
  ran = Icecc(farm, "/usr/bin/gcc", "i5.o");
  ASSERT_EQ(ran.exit_code, 0) << ran.stderr_data;
  EXPECT_TRUE(ReadTestFile(dir_.Join("i5.o")) == plain);
  EXPECT_EQ(farm.Jobs().remote, 5) << farm.CompileDaemonLog();
}

TEST_F(IcecreamFarmTest, DestructorStopsEverything) {
  int scheduler_port = 0, daemon_port = 0;
  std::string socket;
  std::vector<pid_t> pids;
  {
    absl::StatusOr<std::unique_ptr<IcecreamFarm>> started = IcecreamFarm::Start({.jobs = 1});
    ASSERT_TRUE(started.ok()) << started.status();
    scheduler_port = (*started)->scheduler_port();
    daemon_port = (*started)->daemon_port();
    socket = (*started)->socket_path();
    pids = (*started)->pids();
    EXPECT_TRUE(ConnectUnix(socket, 1000).ok());
  }
  ASSERT_EQ(pids.size(), 3u);
  for (pid_t pgid : pids) EXPECT_TRUE(GroupGone(pgid)) << pgid;
  EXPECT_TRUE(Refused(scheduler_port));
  EXPECT_TRUE(Refused(scheduler_port + 1));
  EXPECT_TRUE(Refused(daemon_port));
  EXPECT_FALSE(FileExists(socket));
}

}  // namespace
}  // namespace zc::test
