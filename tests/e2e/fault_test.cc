// Faults under real compiles (docs/reliability.md): a full cache disk, a read-only cache, writers
// killed in the middle of a store, cleanup during a parallel build, file times from a clock that
// jumped, inputs changed while the compiler runs, a low open-file limit, foreign files where the
// cache keeps its own. Each time the build stays green, every output is the plain compiler's,
// nothing stale is served, and the counters (or, where the cache cannot be written, the audit
// log) say what happened.
//
// Mounting a tmpfs needs root (CI runs as root); elsewhere those tests skip and say so.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cachecore/store/entry_format.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

extern char** environ;

namespace zc::e2e {
namespace {

namespace fs = std::filesystem;

// A tmpfs of `options` (e.g. "size=2m") mounted at `dir` for the scope; unmounted lazily, so a
// daemon still holding files there cannot keep it.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& options) : dir_(dir) {
    fs::create_directories(dir_);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted_) ADD_FAILURE() << "mount tmpfs at " << dir_ << ": " << std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  bool RemountReadOnly() const {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Writes zeros to `path` until the disk is full.
void FillDisk(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const std::string block(64 * 1024, '\0');
  size_t chunk = block.size();
  while (chunk > 0) {
    if (::write(fd, block.data(), chunk) < 0) chunk /= 2;  // ENOSPC: try the last scraps
  }
  ::close(fd);
}

class FaultTest : public E2eTest {
 protected:
  // A clean source (no diagnostics) that differs for each `i`.
  static std::string Source(int i) {
    return absl::StrFormat("int value_%d(int x) { return x * %d + %d; }\n", i, i + 3, i);
  }

  // Compiles src<i>.c plainly and through zcwrap: same result and same object.
  void ExpectSameCompile(int i, const std::vector<std::string>& env = {}) {
    SCOPED_TRACE(absl::StrCat("src", i, ".c"));
    const std::string src = absl::StrCat("src", i, ".c");
    const std::string obj = absl::StrCat("src", i, ".o");
    const std::vector<std::string> args = {"gcc", "-O2", "-c", src, "-o", obj};
    fs::remove(PlainPath(obj));
    fs::remove(WrapPath(obj));
    const RunResult plain = Plain(args);
    ASSERT_EQ(plain.exit_code, 0) << ::testing::PrintToString(plain);
    const RunResult wrapped = Zcwrap(args, "", env);
    ExpectSameResult(plain, wrapped);
    EXPECT_TRUE(SameFile(obj));
  }

  // Starts `argv` in `cwd` with `env` (stdout and stderr to `log`); returns its pid.
  static pid_t Start(const std::vector<std::string>& argv, const std::string& cwd,
                     const std::vector<std::string>& env, const std::string& log) {
    std::vector<char*> args, envp;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    const int rc =
        ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << std::strerror(rc);
    return rc == 0 ? pid : -1;
  }

  // The wait status of `pid`.
  static int Wait(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  }

  // The zcwrap command line and environment that Zcwrap() would use in wrap/.
  std::pair<std::vector<std::string>, std::vector<std::string>> ZcwrapCommand(
      const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) const {
    std::vector<std::string> argv = {ZcwrapBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> extra = {mode_ == Mode::kDirect ? "ZCWRAP_DIRECT=1"
                                                             : "ZCWRAP_DIRECT=0"};
    extra.insert(extra.end(), extra_env.begin(), extra_env.end());
    return {argv, Environment(wrap_dir_, extra)};
  }

  // Every entry file in the cache decodes: nothing torn or half-written is visible. (A killed
  // writer's temporary file, "<name>.tmp.<pid>.<random>", is no entry: lookups never read it.)
  ::testing::AssertionResult EveryEntryDecodes() const {
    for (const std::string& rel : EntryFiles()) {
      if (absl::StrContains(rel, ".tmp.")) continue;
      std::optional<std::string> bytes = ReadFile(cache_dir_ + "/" + rel);
      if (!bytes) return ::testing::AssertionFailure() << rel << " cannot be read";
      absl::StatusOr<store::Entry> entry = store::DecodeEntry(*bytes);
      if (!entry.ok()) {
        return ::testing::AssertionFailure() << rel << " does not decode: " << entry.status();
      }
    }
    return ::testing::AssertionSuccess();
  }

  // The audit log's compile.finished lines for the runs given AuditEnv().
  std::vector<std::string> AuditEnv() const { return {"ZCWRAP_AUDIT_FILE=" + root_ + "/audit"}; }
  std::string AuditLog() const { return ReadFile(root_ + "/audit").value_or(""); }

  bool IsRoot() const { return ::geteuid() == 0; }
};

TEST_F(FaultTest, FullCacheDiskKeepsTheBuildGreenAndCountsTheFailedStores) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  TmpfsMount disk(cache_dir_, "size=2m,mode=0700");
  ASSERT_TRUE(disk.mounted());
  WriteBoth("src0.c", Source(0));
  ExpectSameCompile(0);  // the cache's own files exist now, then the disk fills up
  FillDisk(cache_dir_ + "/filler");
  for (int i = 1; i <= 4; ++i) {
    WriteBoth(absl::StrCat("src", i, ".c"), Source(i));
    ExpectSameCompile(i);
  }
  EXPECT_TRUE(HasCounters({{"cache_miss", 5}, {"store_failed", 4}, {"compile_failed", 0}}));
  EXPECT_TRUE(EveryEntryDecodes());
  // Room again: the next miss is stored and hits.
  fs::remove(cache_dir_ + "/filler");
  ExpectSameCompile(1);
  ExpectSameCompile(1);
  EXPECT_TRUE(HasCounters({{"cache_miss", 6}, {HitCounter(), 1}, {"store_failed", 4}}));
}

TEST_F(FaultTest, ReadOnlyCacheServesHitsAndCompilesMisses) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to remount a tmpfs read-only";
  TmpfsMount disk(cache_dir_, "size=16m,mode=0700");
  ASSERT_TRUE(disk.mounted());
  WriteBoth("src0.c", Source(0));
  ExpectSameCompile(0);
  // A daemon keeps the counters mapped for writing, which a read-only remount refuses.
  (void)Zcwrap({"--daemon-stop"}, root_);
  ASSERT_TRUE(disk.RemountReadOnly()) << std::strerror(errno);
  ExpectSameCompile(0, AuditEnv());  // a hit, read from the read-only cache
  WriteBoth("src1.c", Source(1));
  ExpectSameCompile(1, AuditEnv());  // a miss that cannot be stored
  // The counters cannot be written; the audit log says what happened.
  const std::string audit = AuditLog();
  EXPECT_TRUE(absl::StrContains(audit, "\"outcome\":\"hit\"")) << audit;
  EXPECT_TRUE(absl::StrContains(audit, "store_failed")) << audit;
  // What --print-stats shows is still the cache's own (read, not written).
  EXPECT_TRUE(HasCounters({{"cache_miss", 1}, {"store_failed", 0}}));
}

// kill -9 of the process writing an entry: half the rounds are killed the moment a temporary
// file appears in the cache (inotify: mid-store, between its creation and the rename that
// publishes it), the others at a random point of the miss. After every round each entry file
// decodes whole, and later compiles hit whole entries or miss, never corrupt.
TEST_F(FaultTest, WritersKilledMidStoreNeverLeaveATornEntry) {
  if (!DaemonMode().empty()) GTEST_SKIP() << "the writer is the daemon: covered in-process";
  // A 512 KiB object of incompressible constants: writing its entry takes a while.
  std::mt19937_64 random(42);
  std::string big = "const unsigned long long blob[] = {\n";
  for (int i = 0; i < 65536; ++i) absl::StrAppendFormat(&big, "0x%016xull,\n", random());
  big += "};\n";
  const std::vector<std::string> env = {"ZCWRAP_COMPRESSION_LEVEL=1"};
  WriteBoth("big.c", big + "int tag = -1;\n");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(Zcwrap({"gcc", "-c", "big.c", "-o", "big.o"}, "", env).exit_code, 0);
  const int64_t miss_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  // Every shard directory exists and is watched for new files.
  const int watch = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  ASSERT_GE(watch, 0);
  for (const char* hex = "0123456789abcdef"; *hex != '\0'; ++hex) {
    for (const char* hex2 = "0123456789abcdef"; *hex2 != '\0'; ++hex2) {
      const std::string dir =
          absl::StrCat(cache_dir_, "/", std::string(1, *hex), "/", std::string(1, *hex2));
      fs::create_directories(dir);
      ASSERT_GE(::inotify_add_watch(watch, dir.c_str(), IN_CREATE), 0);
    }
  }
  const std::string log = root_ + "/killed.log";
  constexpr int kRounds = 40;
  int mid_store = 0;
  for (int i = 0; i < kRounds; ++i) {
    WriteFile(WrapPath("big.c"), big + absl::StrCat("int tag = ", i, ";\n"));  // a new key
    LetWritesSettle();
    char events[4096];
    while (::read(watch, events, sizeof(events)) > 0) {
    }
    auto [argv, child_env] = ZcwrapCommand({"gcc", "-c", "big.c", "-o", "big.o"}, env);
    const pid_t pid = Start(argv, wrap_dir_, child_env, log);
    ASSERT_GT(pid, 0);
    if (i % 2 == 0) {
      // Kill at the first file made in the cache (or give up after a few misses' time).
      bool seen = false;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!seen && std::chrono::steady_clock::now() < deadline) {
        pollfd p{watch, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const ssize_t n = ::read(watch, events, sizeof(events));
        for (ssize_t at = 0; at < n;) {
          const auto* e = reinterpret_cast<const inotify_event*>(events + at);
          if (e->len > 0) seen = true;  // a temporary file, unless entries are written in place
          at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
        }
      }
      ::kill(pid, SIGKILL);
      mid_store += seen ? 1 : 0;
    } else {
      std::uniform_int_distribution<int64_t> when(0, miss_us * 3 / 2);
      std::this_thread::sleep_for(std::chrono::microseconds(when(random)));
      ::kill(pid, SIGKILL);
    }
    Wait(pid);
    ASSERT_TRUE(EveryEntryDecodes()) << "after round " << i;
  }
  ::close(watch);
  EXPECT_GE(mid_store, kRounds / 4) << "too few kills landed inside a store to prove anything";
  // Every fourth round once more, complete: a hit of a whole entry or a miss, never corrupt.
  for (int i = 0; i < kRounds; i += 4) {
    SCOPED_TRACE(absl::StrCat("round ", i));
    WriteBoth("big.c", big + absl::StrCat("int tag = ", i, ";\n"));
    fs::remove(WrapPath("big.o"));
    const RunResult plain = Plain({"gcc", "-c", "big.c", "-o", "big.o"});
    ExpectSameResult(plain, Zcwrap({"gcc", "-c", "big.c", "-o", "big.o"}, "", env));
    EXPECT_TRUE(SameFile("big.o"));
  }
  EXPECT_TRUE(HasCounters({{"corrupt_cache_entry", 0}}));
  EXPECT_TRUE(EveryEntryDecodes());
  std::cout << "[ info ] " << kRounds << " writers killed, " << mid_store
            << " of them inside a store (a miss takes " << miss_us / 1000 << " ms)\n";
}

TEST_F(FaultTest, CleanupDuringAParallelBuildKeepsItGreen) {
  constexpr int kSources = 24;
  for (int i = 0; i < kSources; ++i) WriteBoth(absl::StrCat("src", i, ".c"), Source(i));
  for (int i = 0; i < kSources; ++i) {
    const std::string src = absl::StrCat("src", i, ".c");
    ASSERT_EQ(Plain({"gcc", "-O2", "-c", src, "-o", absl::StrCat("src", i, ".o")}).exit_code, 0);
  }
  // A cache far too small for the build: every store cleans, and a second process cleans too.
  const std::vector<std::string> env = {"ZCWRAP_MAX_SIZE=12K"};
  std::atomic<bool> done{false};
  std::thread cleaner([&] {
    auto [argv, cleaner_env] = ZcwrapCommand({"--cleanup"}, env);
    while (!done.load()) Wait(Start(argv, root_, cleaner_env, root_ + "/cleaner.log"));
  });
  for (int round = 0; round < 3; ++round) {
    std::vector<pid_t> pids;
    for (int i = 0; i < kSources; ++i) {
      const std::string src = absl::StrCat("src", i, ".c");
      const std::string obj = absl::StrCat("src", i, ".o");
      fs::remove(WrapPath(obj));
      auto [argv, child_env] = ZcwrapCommand({"gcc", "-O2", "-c", src, "-o", obj}, env);
      pids.push_back(Start(argv, wrap_dir_, child_env, absl::StrCat(root_, "/", src, ".log")));
    }
    for (pid_t pid : pids) {
      const int status = Wait(pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
    for (int i = 0; i < kSources; ++i) EXPECT_TRUE(SameFile(absl::StrCat("src", i, ".o")));
  }
  done = true;
  cleaner.join();
  for (int i = 0; i < kSources; ++i) {
    EXPECT_EQ(ReadFile(absl::StrCat(root_, "/src", i, ".c.log")).value_or("?"), "") << i;
  }
  const std::map<std::string, uint64_t> stats = Stats();
  EXPECT_GT(stats.at("cleanups_performed"), 0u);
  EXPECT_EQ(stats.at("corrupt_cache_entry"), 0u);
  EXPECT_EQ(
      stats.at("cache_miss") + stats.at("direct_cache_hit") + stats.at("preprocessed_cache_hit"),
      3u * kSources);
  EXPECT_TRUE(EveryEntryDecodes());
}

class ClockTest : public FaultTest, public ::testing::WithParamInterface<Mode> {};

// A clock set back makes files look as if written in the future; one set forward, or a restored
// backup, gives old times. Content changes that keep size and time are still seen.
TEST_P(ClockTest, InputsWithTimesFromAJumpingClockAreNeverServedStale) {
  mode_ = GetParam();
  const std::vector<std::string> args = {"gcc", "-c", "a.c", "-o", "a.o"};
  WriteBoth("a.c", "#include \"h.h\"\nint f(void) { return X; }\n");
  struct Jump {
    const char* name;
    std::chrono::seconds offset;
  };
  for (const Jump& jump : {Jump{"a year ahead", std::chrono::hours(24 * 365)},
                           Jump{"thirty years back", -std::chrono::hours(24 * 365 * 30)}}) {
    SCOPED_TRACE(jump.name);
    for (const char* value : {"1", "2", "3"}) {  // same size each time
      SCOPED_TRACE(value);
      WriteBoth("h.h", absl::StrCat("#define X ", value, "\n"));
      const auto when = fs::file_time_type::clock::now() + jump.offset;
      fs::last_write_time(PlainPath("h.h"), when);
      fs::last_write_time(WrapPath("h.h"), when);
      fs::remove(WrapPath("a.o"));
      ExpectSameResult(Plain(args), Zcwrap(args));
      ASSERT_TRUE(SameFile("a.o"));
      fs::remove(WrapPath("a.o"));
      ExpectSameResult(Plain(args), Zcwrap(args));  // and once more, perhaps a hit
      ASSERT_TRUE(SameFile("a.o"));
    }
  }
}

// The compiler (a script around gcc, as some toolchains are) rewrites a header right after it
// read it: the result must not be stored under the new header's content.
TEST_P(ClockTest, InputChangedWhileTheCompilerRunsIsNeverStoredStale) {
  mode_ = GetParam();
  const std::string script =
      "#!/bin/sh\n/usr/bin/gcc \"$@\" || exit $?\n"
      "case \" $* \" in *\" -c \"*) grep -q 'X 2' h.h || printf '#define X 2\\n' > h.h ;; esac\n";
  for (const std::string& dir : {plain_dir_, wrap_dir_}) {
    WriteFile(dir + "/cc-edits", script);
    fs::permissions(dir + "/cc-edits", fs::perms::owner_all);
  }
  WriteBoth("a.c", "#include \"h.h\"\nint f(void) { return X; }\n");
  const std::vector<std::string> args = {"./cc-edits", "-c", "a.c", "-o", "a.o"};
  for (int run = 0; run < 3; ++run) {
    SCOPED_TRACE(run);
    if (run == 0) WriteBoth("h.h", "#define X 1\n");
    fs::remove(WrapPath("a.o"));
    ExpectSameResult(Plain(args), Zcwrap(args));
    ASSERT_TRUE(SameFile("a.o"));
  }
  EXPECT_TRUE(HasCounters({{"modified_input_file", 1}, {"cache_miss", 2}, {HitCounter(), 1}}))
      << "the first compile must not be stored";
}

INSTANTIATE_TEST_SUITE_P(Modes, ClockTest, ::testing::Values(Mode::kDirect, Mode::kPreprocessor),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return ModeName(info.param);
                         });

TEST_F(FaultTest, OpenFileLimitOf64KeepsTheBuildGreen) {
  constexpr int kSources = 16;
  for (int i = 0; i < kSources; ++i) {
    WriteBoth(absl::StrCat("src", i, ".c"), Source(i));
    ASSERT_EQ(Plain({"gcc", "-O2", "-c", absl::StrCat("src", i, ".c"), "-o",
                     absl::StrCat("src", i, ".o")})
                  .exit_code,
              0);
  }
  // Everything under the limit, the daemon too (it starts from the first of these compiles).
  (void)Zcwrap({"--daemon-stop"}, root_);
  for (int round = 0; round < 2; ++round) {
    std::vector<pid_t> pids;
    for (int i = 0; i < kSources; ++i) {
      const std::string obj = absl::StrCat("src", i, ".o");
      fs::remove(WrapPath(obj));
      auto [argv, env] =
          ZcwrapCommand({"gcc", "-O2", "-c", absl::StrCat("src", i, ".c"), "-o", obj});
      std::vector<std::string> limited = {"/bin/sh", "-c", "ulimit -n 64 && exec \"$@\"", "sh"};
      limited.insert(limited.end(), argv.begin(), argv.end());
      pids.push_back(Start(limited, wrap_dir_, env, absl::StrCat(root_, "/", obj, ".log")));
    }
    for (pid_t pid : pids) {
      const int status = Wait(pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
    for (int i = 0; i < kSources; ++i) {
      EXPECT_TRUE(SameFile(absl::StrCat("src", i, ".o")));
      EXPECT_EQ(ReadFile(absl::StrCat(root_, "/src", i, ".o.log")).value_or("?"), "");
    }
  }
  const std::map<std::string, uint64_t> stats = Stats();
  EXPECT_EQ(stats.at("cache_miss"), static_cast<uint64_t>(kSources));
  EXPECT_EQ(stats.at(HitCounter()), static_cast<uint64_t>(kSources));
}

// Something foreign where zcwrap keeps a file of its own: a directory, or garbage in its
// configuration. (Garbage in every cache file: corruption_test.cc.)
TEST_F(FaultTest, ForeignFilesAtTheCachesOwnPathsKeepTheBuildGreen) {
  WriteBoth("src0.c", Source(0));
  ExpectSameCompile(0);
  const std::vector<std::string> own = {"stats", "statcache", "tmp", "compilers"};
  for (const std::string& name : own) {
    SCOPED_TRACE(name);
    const std::string path = cache_dir_ + "/" + name;
    fs::remove_all(path);
    if (name == "tmp" || name == "compilers") {
      WriteFile(path, "not a directory\n");
    } else {
      fs::create_directories(path + "/not-a-file");
    }
    (void)Zcwrap({"--daemon-stop"}, root_);
    ExpectSameCompile(0);
    WriteBoth("src1.c", Source(1));
    ExpectSameCompile(1);
    fs::remove_all(path);
  }
  // A shard directory that is a file.
  fs::remove_all(cache_dir_ + "/0");
  WriteFile(cache_dir_ + "/0", "not a directory\n");
  for (int i = 2; i < 8; ++i) {
    WriteBoth(absl::StrCat("src", i, ".c"), Source(i));
    ExpectSameCompile(i);
  }
}

}  // namespace
}  // namespace zc::e2e
