// Hostile users and paths (docs/reliability.md): a symbolic link or a FIFO planted where zcwrap
// keeps a file of its own is refused or replaced, never followed or waited on; another local user
// can neither read nor plant entries in a private cache, nor use its owner's daemon.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/daemon/endpoint.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kVictim = "the victim's own content\n";

enum class Plant { kLink, kFifo };

// Where something is planted: a name for the test, and the path(s) given the cache directory and
// the daemon's endpoint.
struct Place {
  const char* name;
  std::function<std::vector<std::string>(const std::string& cache, const std::vector<std::string>&,
                                         const daemon::Endpoint&)>
      paths;
  bool daemon = false;  // the place exists only when a daemon serves the cache
};

std::vector<std::string> WithSuffix(const std::string& cache,
                                    const std::vector<std::string>& entries, char suffix) {
  std::vector<std::string> out;
  for (const std::string& e : entries) {
    if (!e.empty() && e.back() == suffix) out.push_back(cache + "/" + e);
  }
  return out;
}

const Place kPlaces[] = {
    {"ResultEntry", [](const std::string& c, const std::vector<std::string>& e,
                       const daemon::Endpoint&) { return WithSuffix(c, e, 'R'); }},
    {"Manifest", [](const std::string& c, const std::vector<std::string>& e,
                    const daemon::Endpoint&) { return WithSuffix(c, e, 'M'); }},
    {"Stats", [](const std::string& c, const std::vector<std::string>&,
                 const daemon::Endpoint&) { return std::vector<std::string>{c + "/stats"}; }},
    {"StatCache",
     [](const std::string& c, const std::vector<std::string>&, const daemon::Endpoint&) {
       return std::vector<std::string>{c + "/statcache"};
     }},
    {"CompilerMemos",
     [](const std::string& c, const std::vector<std::string>&, const daemon::Endpoint&) {
       std::vector<std::string> out;
       for (const auto& f : fs::directory_iterator(c + "/compilers")) out.push_back(f.path());
       return out;
     }},
    {"TempDirectory", [](const std::string& c, const std::vector<std::string>&,
                         const daemon::Endpoint&) { return std::vector<std::string>{c + "/tmp"}; }},
    {"ShardDirectories",
     [](const std::string& c, const std::vector<std::string>& e, const daemon::Endpoint&) {
       std::vector<std::string> out;
       for (const std::string& rel : e) {
         if (std::find(out.begin(), out.end(), c + "/" + rel.substr(0, 1)) == out.end()) {
           out.push_back(c + "/" + rel.substr(0, 1));
         }
       }
       return out;
     }},
    {"CleanupLocks",
     [](const std::string& c, const std::vector<std::string>&, const daemon::Endpoint&) {
       std::vector<std::string> out;
       for (const char* d :
            {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"}) {
         fs::create_directories(c + "/" + d);
         out.push_back(c + "/" + d + "/lock");
       }
       return out;
     }},
    {"DaemonSocket",
     [](const std::string&, const std::vector<std::string>&, const daemon::Endpoint& ep) {
       return std::vector<std::string>{ep.socket_path};
     },
     true},
    {"DaemonLock",
     [](const std::string&, const std::vector<std::string>&, const daemon::Endpoint& ep) {
       return std::vector<std::string>{ep.lock_path};
     },
     true},
    {"DaemonLog",
     [](const std::string&, const std::vector<std::string>&, const daemon::Endpoint& ep) {
       return std::vector<std::string>{ep.log_path};
     },
     true},
};

class PlantedPathTest : public E2eTest,
                        public ::testing::WithParamInterface<std::tuple<Plant, int>> {
 protected:
  daemon::Endpoint Endpoint() const {
    absl::StatusOr<daemon::Endpoint> ep = daemon::EndpointFor(
        cache_dir_, [](absl::string_view) -> std::optional<std::string> { return std::nullopt; });
    EXPECT_TRUE(ep.ok()) << ep.status();
    return ep.ok() ? *ep : daemon::Endpoint{};
  }

  // zcwrap, stopped after `seconds` by timeout(1) (exit 124) if it waits for something.
  RunResult ZcwrapWithin(int seconds, const std::vector<std::string>& args,
                         const std::vector<std::string>& env) const {
    std::vector<std::string> argv = {"/usr/bin/timeout", "-s", "KILL", absl::StrCat(seconds),
                                     ZcwrapBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> extra = {"ZCWRAP_DIRECT=1"};
    extra.insert(extra.end(), env.begin(), env.end());
    return Run(argv, wrap_dir_, extra);
  }
};

TEST_P(PlantedPathTest, IsRefusedNotFollowedAndTheBuildStaysGreen) {
  if (!DaemonMode().empty()) GTEST_SKIP() << "chooses in-process or daemon per place itself";
  const auto [plant, index] = GetParam();
  const Place& place = kPlaces[index];
  const std::vector<std::string> daemon_env = {
      absl::StrCat("ZCWRAP_DAEMON=", place.daemon ? "on" : "off")};
  const std::vector<std::string> args = {"gcc", "-c", "a.c", "-o", "a.o"};
  WriteBoth("a.c", kCleanC);
  const RunResult plain = Plain(args);
  ASSERT_EQ(Zcwrap(args, "", daemon_env).exit_code, 0);  // fills the cache
  (void)Zcwrap({"--daemon-stop"}, root_);

  // Links point at a file with content (read or overwritten if followed), or for the files that
  // are only ever written at a name that does not exist (created if followed).
  const bool write_only =
      absl::StrContains(place.name, "Lock") || absl::StrContains(place.name, "Log");
  const std::string victim = root_ + "/victim";
  const std::string absent = root_ + "/victim-absent";
  const std::string victim_dir = root_ + "/victim-dir";
  WriteFile(victim, kVictim);
  fs::create_directories(victim_dir);
  const std::vector<std::string> paths = place.paths(cache_dir_, EntryFiles(), Endpoint());
  ASSERT_FALSE(paths.empty());
  for (const std::string& path : paths) {
    const bool is_dir = fs::is_directory(path);
    fs::remove_all(path);
    if (plant == Plant::kLink) {
      fs::create_symlink(is_dir ? victim_dir : write_only ? absent : victim, path);
    } else {
      ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
    }
  }

  for (const char* run : {"hit or miss", "again"}) {
    SCOPED_TRACE(run);
    fs::remove(WrapPath("a.o"));
    const RunResult r = ZcwrapWithin(60, args, daemon_env);
    ExpectSameResult(plain, r);
    EXPECT_TRUE(SameFile("a.o"));
  }
  // Housekeeping meets the planted paths too: one clear line at worst, never a hang.
  const RunResult cleanup = ZcwrapWithin(60, {"--cleanup"}, daemon_env);
  EXPECT_NE(cleanup.exit_code, 124) << ::testing::PrintToString(cleanup);
  EXPECT_LE(std::count(cleanup.stderr_data.begin(), cleanup.stderr_data.end(), '\n'), 1);
  EXPECT_NE(ZcwrapWithin(60, {"--print-stats"}, daemon_env).exit_code, 124);
  (void)ZcwrapWithin(60, {"--daemon-stop"}, {});

  EXPECT_EQ(ReadFile(victim).value_or("(gone)"), kVictim) << "a link was followed";
  EXPECT_FALSE(Exists(absent)) << "a link was followed";
  EXPECT_TRUE(fs::is_empty(victim_dir)) << "a link to a directory was written through";
  for (const std::string& path : paths) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) ::unlink(path.c_str());
  }
}

INSTANTIATE_TEST_SUITE_P(Everywhere, PlantedPathTest,
                         ::testing::Combine(::testing::Values(Plant::kLink, Plant::kFifo),
                                            ::testing::Range(0,
                                                             static_cast<int>(std::size(kPlaces)))),
                         [](const ::testing::TestParamInfo<std::tuple<Plant, int>>& info) {
                           return absl::StrCat(
                               std::get<0>(info.param) == Plant::kLink ? "Link" : "Fifo", "At",
                               kPlaces[std::get<1>(info.param)].name);
                         });

class OtherUserTest : public E2eTest {
 protected:
  void SetUp() override {
    if (::getuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0 ||
        ::access("/usr/bin/python3", X_OK) != 0) {
      GTEST_SKIP() << "needs root, setpriv and python3 to act as another user";
    }
  }
  // Runs `argv` as uid/gid 65534 (nobody) in `cwd`.
  RunResult AsNobody(const std::vector<std::string>& argv, const std::string& cwd,
                     const std::vector<std::string>& env = {}) const {
    std::vector<std::string> full = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                     "--clear-groups"};
    full.insert(full.end(), argv.begin(), argv.end());
    return Run(full, cwd, env);
  }
};

TEST_F(OtherUserTest, CannotReadOrPlantEntriesInAPrivateCache) {
  const std::vector<std::string> args = {"gcc", "-c", "a.c", "-o", "a.o"};
  WriteBoth("a.c", kCleanC);
  ASSERT_EQ(Zcwrap(args).exit_code, 0);
  struct stat st;
  ASSERT_EQ(::stat(cache_dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "a cache zcwrap creates is private";
  const std::vector<std::string> before = ListFiles(cache_dir_);
  const std::vector<std::string> entries = EntryFiles();
  ASSERT_FALSE(entries.empty());

  // Read an entry, list the cache, write into it: each must be refused.
  const std::string entry = cache_dir_ + "/" + entries.front();
  const std::string shard = cache_dir_ + "/" + entries.front().substr(0, 3);
  const std::string script =
      absl::StrCat("import os,sys\nrefused=0\n", "for attempt in (lambda: open('", entry,
                   "','rb').read(), lambda: os.listdir('", cache_dir_, "'),\n  lambda: open('",
                   shard, "/planted','wb').write(b'x'), lambda: open('", cache_dir_,
                   "/zcwrap.conf','a').write('max_size = 1\\n')):\n",
                   "  try:\n    attempt()\n  except PermissionError:\n    refused+=1\n",
                   "sys.exit(0 if refused==4 else 3)\n");
  const RunResult probe = AsNobody({"/usr/bin/python3", "-c", script}, "/");
  EXPECT_EQ(probe.exit_code, 0) << ::testing::PrintToString(probe);

  // zcwrap run by that user on this cache: its compile works, the cache is untouched.
  const std::string theirs = root_ + "/theirs";
  fs::create_directories(theirs);
  WriteFile(theirs + "/a.c", kCleanC);
  fs::permissions(root_, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  fs::permissions(theirs, fs::perms::all);
  fs::permissions(theirs + "/a.c", fs::perms::all);
  // Their own copy of zcwrap: the build tree may sit where they cannot go (a clone in /root).
  fs::create_directories(theirs + "/bin");
  fs::copy_file(ZcwrapBinary(), theirs + "/bin/zcwrap");
  fs::permissions(theirs + "/bin", fs::perms::all);
  fs::permissions(theirs + "/bin/zcwrap", fs::perms::all);
  const RunResult compile = AsNobody(
      {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=" + theirs, "ZCWRAP_DIR=" + cache_dir_,
       "ZCWRAP_DAEMON=off", theirs + "/bin/zcwrap", "gcc", "-c", "a.c", "-o", "a.o"},
      theirs);
  EXPECT_EQ(compile.exit_code, 0) << ::testing::PrintToString(compile);
  EXPECT_EQ(compile.stdout_data + compile.stderr_data, "") << "zcwrap's own words go to its log";
  EXPECT_TRUE(FileHasBytes(theirs + "/a.o", ReadFile(WrapPath("a.o")).value_or("")));
  EXPECT_EQ(ListFiles(cache_dir_), before);
}

}  // namespace
}  // namespace zc::e2e
