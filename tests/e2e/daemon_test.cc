// The daemon end to end: lifecycle, sharing one cache with the in-process path, single-flight
// start, kill -9 in the middle of a build, stale sockets, protocol mismatch, foreign uids, idle
// shutdown. (The whole drop-in suite also runs through the daemon: meson test e2e_wrapper_daemon.)
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cachecore/daemon/endpoint.h"
#include "cachecore/daemon/frame_io.h"
#include "cachecore/daemon/protocol.h"
#include "cachecore/util/process.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

class DaemonTest : public E2eTest {
 protected:
  // Starts the daemon; returns its socket path.
  std::string Start(const std::vector<std::string>& env = {}) {
    RunResult r = Zcwrap({"--daemon-start"}, root_, env);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
    absl::string_view out = absl::StripAsciiWhitespace(r.stdout_data);
    absl::ConsumePrefix(&out, "zcwrap daemon listening on ");
    return std::string(out);
  }

  // A field of --daemon-status --json, or -1 if no daemon answers.
  int64_t StatusField(const std::string& field) {
    RunResult r = Zcwrap({"--daemon-status", "--json"}, root_);
    if (r.exit_code != 0) return -1;
    const std::string key = absl::StrCat("\"", field, "\": ");
    size_t at = r.stdout_data.find(key);
    if (at == std::string::npos) return -2;
    int64_t v = 0;
    absl::string_view rest = absl::string_view(r.stdout_data).substr(at + key.size());
    rest = rest.substr(0, rest.find_first_of(",}"));
    return absl::SimpleAtoi(rest, &v) ? v : -3;
  }

  // `zcwrap` copied to `dir`/zcwrap with one byte of its GNU build id changed: another build of the
  // same code and protocol, as an upgraded package or a rebuilt tree would be. Its build id, or "".
  std::string AnotherBuildOfZcwrap(const std::string& dir) {
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/zcwrap";  // named zcwrap, or it would be a masquerade
    const std::string original = ZcwrapBinary();
    std::string bytes = ReadFile(original).value_or("");
    RunResult version = Run({original, "--version"}, "/");
    const size_t at = version.stdout_data.find("Build id: ");
    if (bytes.empty() || at == std::string::npos) {
      ADD_FAILURE() << "no build id from " << ::testing::PrintToString(version);
      return "";
    }
    const std::string id = std::string(
        absl::StripAsciiWhitespace(absl::string_view(version.stdout_data).substr(at + 10)));
    const std::string raw = absl::HexStringToBytes(id);
    const size_t note = bytes.find(raw);
    if (raw.empty() || note == std::string::npos ||
        bytes.find(raw, note + 1) != std::string::npos) {
      ADD_FAILURE() << "build id " << id << " is not in " << original << " exactly once";
      return "";  // the id must be in the file exactly once: in its note
    }
    bytes[note + raw.size() - 1] ^= 0x5a;
    WriteFile(path, bytes);
    if (::chmod(path.c_str(), 0755) != 0) return "";
    RunResult other = Run({path, "--version"}, "/");
    const size_t other_at = other.stdout_data.find("Build id: ");
    if (other_at == std::string::npos) ADD_FAILURE() << ::testing::PrintToString(other);
    return other_at == std::string::npos
               ? ""
               : std::string(absl::StripAsciiWhitespace(
                     absl::string_view(other.stdout_data).substr(other_at + 10)));
  }

  // A string field of --daemon-status --json, or "" if no daemon answers.
  std::string StatusText(const std::string& field) {
    RunResult r = Zcwrap({"--daemon-status", "--json"}, root_);
    const std::string key = absl::StrCat("\"", field, "\": \"");
    const size_t at = r.stdout_data.find(key);
    if (r.exit_code != 0 || at == std::string::npos) return "";
    const size_t start = at + key.size();
    return r.stdout_data.substr(start, r.stdout_data.find('"', start) - start);
  }

  std::string LogFor(const std::string& socket_path) {
    // (The harness stops the daemon and removes these files when the test ends.)
    std::string log = socket_path.substr(0, socket_path.size() - 5) + ".log";
    return ReadFile(log).value_or("");
  }
};

TEST_F(DaemonTest, StartStatusStop) {
  EXPECT_EQ(StatusField("pid"), -1);
  RunResult none = Zcwrap({"--daemon-status"}, root_);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(none.stderr_data, "no daemon running"));

  const std::string socket = Start();
  EXPECT_FALSE(socket.empty());
  RunResult json = Zcwrap({"--daemon-status", "--json"}, root_);
  ASSERT_EQ(json.exit_code, 0);
  for (const char* key :
       {"\"pid\"", "\"version\"", "\"uptime_s\"", "\"requests\"", "\"rss_bytes\""}) {
    EXPECT_TRUE(absl::StrContains(json.stdout_data, key)) << key << " in " << json.stdout_data;
  }
  EXPECT_GT(StatusField("pid"), 0);
  EXPECT_GT(StatusField("rss_bytes"), 0);

  EXPECT_EQ(Zcwrap({"--daemon-stop"}, root_).exit_code, 0);
  EXPECT_EQ(StatusField("pid"), -1);
  EXPECT_FALSE(Exists(socket));
}

TEST_F(DaemonTest, DaemonAndInProcessShareOneCache) {
  WriteBoth("a.c", kWarningC);
  WriteBoth("b.c", kCleanC);
  const std::vector<std::string> a = {"gcc", "-Wall", "-c", "a.c"};
  const std::vector<std::string> b = {"gcc", "-c", "b.c"};
  Start();
  // Stored by the daemon, hit in-process.
  ExpectSameResult(Plain(a), Zcwrap(a, "", {"ZCWRAP_DAEMON=on"}));
  ExpectSameResult(Plain(a), Zcwrap(a, "", {"ZCWRAP_DAEMON=off"}));
  // Stored in-process, hit by the daemon.
  ExpectSameResult(Plain(b), Zcwrap(b, "", {"ZCWRAP_DAEMON=off"}));
  ExpectSameResult(Plain(b), Zcwrap(b, "", {"ZCWRAP_DAEMON=on"}));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(SameFile("b.o"));
  EXPECT_TRUE(HasMissesAndHits(2, 2));
  EXPECT_GE(StatusField("requests"), 2);
  EXPECT_GE(StatusField("memory_results"), 1) << "the daemon keeps decoded entries in memory";
}

TEST_F(DaemonTest, OutputsGetTheClientsUmaskNotTheDaemons) {
  Start();  // under the harness's umask
  WriteBoth("a.c", kCleanC);
  LetWritesSettle();  // Run(), unlike Zcwrap(), does not
  auto compile_with_umask_077 = [&] {
    return Run({"/bin/sh", "-c", "umask 077; exec \"$0\" gcc -c a.c", ZcwrapBinary()}, WrapPath(""),
               {"ZCWRAP_DAEMON=on"});
  };
  for (const char* round : {"miss", "hit"}) {
    SCOPED_TRACE(round);
    ::unlink(WrapPath("a.o").c_str());
    ASSERT_EQ(compile_with_umask_077().exit_code, 0);
    struct stat st;
    ASSERT_EQ(::stat(WrapPath("a.o").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  EXPECT_TRUE(HasMissesAndHits(1, 1));
}

TEST_F(DaemonTest, ClientThatGoesAwayCancelsItsCompile) {
  // A "compiler" that records its pid and then takes far too long.
  const std::string script = Path("bin/slowcc");
  WriteFile(script, "#!/bin/sh\necho $$ > " + Path("compiler.pid") + "\nexec sleep 60\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  WriteBoth("a.c", kCleanC);
  Start();
  util::Command cmd;
  cmd.argv = {ZcwrapBinary(), script, "-c", "a.c"};
  cmd.cwd = WrapPath("");
  cmd.env = Environment(cmd.cwd, {"ZCWRAP_DAEMON=on"});
  int client_pid = -1;
  std::thread client_thread([&] {
    // Runs the client as a child we can kill; its result does not matter.
    util::PosixProcessRunner runner;
    util::Command wrapped = cmd;
    wrapped.argv = {
        "/bin/sh",   "-c",        "echo $$ > " + Path("client.pid") + "; exec \"$0\" \"$@\"",
        cmd.argv[0], cmd.argv[1], cmd.argv[2],
        cmd.argv[3]};
    (void)runner.Run(wrapped);
  });
  std::optional<std::string> compiler_pid;
  for (int i = 0; i < 100 && !(compiler_pid = ReadFile(Path("compiler.pid"))); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(compiler_pid) << "the slow compiler never started";
  std::optional<std::string> client = ReadFile(Path("client.pid"));
  ASSERT_TRUE(client && absl::SimpleAtoi(absl::StripAsciiWhitespace(*client), &client_pid));
  int pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(*compiler_pid), &pid));
  ASSERT_EQ(::kill(client_pid, SIGKILL), 0);
  client_thread.join();
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = ::kill(pid, 0) != 0;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "the daemon must kill the compile of a client that went away";
  EXPECT_GT(StatusField("pid"), 0);
  EXPECT_EQ(ResultEntryCount(), 0);
}

TEST_F(DaemonTest, ThirtyTwoClientsStartingTogetherMakeOneDaemon) {
  constexpr int kClients = 32;
  for (int i = 0; i < kClients; ++i) WriteBoth(absl::StrCat("s", i, ".c"), kCleanC);
  std::vector<RunResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<size_t>(i)] =
          Zcwrap({"gcc", "-c", absl::StrCat("s", i, ".c")}, "", {"ZCWRAP_DAEMON=auto"});
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(results[static_cast<size_t>(i)].exit_code, 0) << i;
    ExpectSameResult(Plain({"gcc", "-c", absl::StrCat("s", i, ".c")}),
                     results[static_cast<size_t>(i)]);
    EXPECT_TRUE(SameFile(absl::StrCat("s", i, ".o"))) << i;
  }
  const std::string socket = Start();  // already running: just reports where
  const std::string log = LogFor(socket);
  const std::vector<std::string> starts = absl::StrSplit(log, "listening on ", absl::SkipEmpty());
  EXPECT_EQ(starts.size(), 2u) << "exactly one daemon must have started:\n" << log;
  EXPECT_EQ(Stat("cache_miss") + Stat("direct_cache_hit") + Stat("preprocessed_cache_hit"),
            static_cast<uint64_t>(kClients));
}

TEST_F(DaemonTest, KillingTheDaemonMidBuildLeavesTheBuildGreen) {
  constexpr int kJobs = 8;
  for (int i = 0; i < kJobs; ++i) {
    WriteBoth(absl::StrCat("k", i, ".cc"),
              absl::StrCat("#include <map>\n#include <string>\n#include <vector>\n"
                           "int f",
                           i,
                           "() { std::map<std::string, std::vector<int>> m; "
                           "m[\"a\"].push_back(",
                           i, "); return (int)m.size(); }\n"));
  }
  Start();
  const int64_t pid = StatusField("pid");
  ASSERT_GT(pid, 0);
  std::vector<RunResult> results(kJobs);
  std::vector<std::thread> threads;
  for (int i = 0; i < kJobs; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<size_t>(i)] =
          Zcwrap({"g++", "-O1", "-c", absl::StrCat("k", i, ".cc")}, "", {"ZCWRAP_DAEMON=on"});
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kJobs; ++i) {
    const std::vector<std::string> args = {"g++", "-O1", "-c", absl::StrCat("k", i, ".cc")};
    EXPECT_EQ(results[static_cast<size_t>(i)].exit_code, 0)
        << ::testing::PrintToString(results[static_cast<size_t>(i)]);
    ASSERT_EQ(Plain(args).exit_code, 0);
    EXPECT_TRUE(SameFile(absl::StrCat("k", i, ".o"))) << i;
  }
}

TEST_F(DaemonTest, StaleSocketFileIsReplaced) {
  const std::string socket = Start();
  ASSERT_EQ(Zcwrap({"--daemon-stop"}, root_).exit_code, 0);
  // A socket file nobody listens on, as a daemon killed with -9 leaves behind.
  {
    absl::StatusOr<util::ScopedFd> fd = daemon::ListenUnix(socket);
    ASSERT_TRUE(fd.ok()) << fd.status();
  }
  ASSERT_TRUE(Exists(socket));
  WriteBoth("a.c", kCleanC);
  ExpectSameResult(Plain({"gcc", "-c", "a.c"}),
                   Zcwrap({"gcc", "-c", "a.c"}, "", {"ZCWRAP_DAEMON=auto"}));
  EXPECT_GT(StatusField("pid"), 0);
}

TEST_F(DaemonTest, ClientOfAnotherProtocolVersionIsToldAndTheDaemonLivesOn) {
  const std::string socket = Start();
  absl::StatusOr<util::ScopedFd> fd = daemon::ConnectUnix(socket);
  ASSERT_TRUE(fd.ok());
  std::string frame = daemon::EncodeFrame(daemon::FrameType::kPing, "");
  frame[4] = 9;  // protocol version 9
  ASSERT_EQ(::send(fd->get(), frame.data(), frame.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(frame.size()));
  absl::StatusOr<daemon::Frame> reply = daemon::ReadFrame(fd->get(), 5000);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->type, daemon::FrameType::kError);
  EXPECT_GT(StatusField("pid"), 0);
}

TEST_F(DaemonTest, GarbageFromTheSocketMakesTheClientCompileItself) {
  // Something that is not a zcwrap daemon of our version holds the endpoint and answers junk.
  const std::string socket = Start();
  ASSERT_EQ(Zcwrap({"--daemon-stop"}, root_).exit_code, 0);
  absl::StatusOr<util::ScopedFd> listener = daemon::ListenUnix(socket);
  ASSERT_TRUE(listener.ok());
  std::thread impostor([fd = listener->get()] {
    for (int i = 0; i < 4; ++i) {
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      (void)!::write(c, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
      ::close(c);
    }
  });
  WriteBoth("a.c", kWarningC);
  const std::vector<std::string> args = {"gcc", "-Wall", "-c", "a.c"};
  ASSERT_EQ(Plain(args).exit_code, 0);
  RunResult r = Zcwrap(args, "", {"ZCWRAP_DAEMON=on"});
  ::shutdown(listener->get(), SHUT_RDWR);
  impostor.join();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(SameFile("a.o"));
  // The compiler's output and nothing else (the report): zcwrap says why it compiled
  // without the daemon in its counters, log and audit events.
  ExpectSameResult(Plain(args), r);
  EXPECT_EQ(Stat("daemon_fallback"), 1u);
}

TEST_F(DaemonTest, FallbackIsLoggedAndAuditedNotPrinted) {
  // A cache directory that is a file: neither a daemon nor the in-process engine can use it.
  // The compile's stdout and stderr stay the compiler's; the log and the audit say why.
  WriteBoth("a.c", kWarningC);
  WriteFile(Path("broken-cache"), "not a directory\n");
  const std::vector<std::string> args = {"gcc", "-Wall", "-c", "a.c"};
  const std::vector<std::string> env = {"ZCWRAP_DAEMON=on", "ZCWRAP_DIR=" + Path("broken-cache"),
                                        "ZCWRAP_LOGFILE=" + Path("zcwrap.log"),
                                        "ZCWRAP_AUDIT_FILE=" + Path("audit.jsonl")};
  const RunResult plain = Plain(args);
  const RunResult r = Zcwrap(args, "", env);
  ExpectSameResult(plain, r);
  EXPECT_TRUE(SameFile("a.o"));
  const std::string log = ReadFile(Path("zcwrap.log")).value_or("");
  EXPECT_TRUE(absl::StrContains(log, "daemon unavailable")) << log;
  EXPECT_TRUE(absl::StrContains(log, "cannot open the cache")) << log;
  EXPECT_TRUE(absl::StrContains(ReadFile(Path("audit.jsonl")).value_or(""), "compile.finished"));
}

TEST_F(DaemonTest, HitsNeverWaitBehindMisses) {
  // Every compiler slot taken by slow misses: a hit is still answered while they run (the daemon
  // limits compiler processes, not requests).
  WriteBoth("b.c", kCleanC);
  for (int i = 0; i < 64; ++i) {  // written well before their compiles (no verification compile)
    WriteBoth(absl::StrCat("s", i, ".c"), absl::StrCat("int s", i, "(void) { return ", i, "; }\n"));
  }
  const std::vector<std::string> on = {"ZCWRAP_DAEMON=on"};
  Start();
  const std::vector<std::string> hit = {"gcc", "-c", "b.c", "-o", "b.o"};
  ASSERT_EQ(Zcwrap(hit, "", on).exit_code, 0);
  const int64_t slots = StatusField("max_parallel");
  ASSERT_GE(slots, 1);
  ASSERT_LE(slots, 64);
  const std::string slow = Path("bin/slow-cc");
  // Compiles only once the test says so (zcwrap's own queries, such as its search path, go
  // straight through).
  const std::string release = Path("release");
  WriteFile(slow, "#!/bin/sh\ncase \" $* \" in *\" -c \"*) while [ ! -e " + release +
                      " ]; do sleep 0.01; done ;; esac\nexec gcc \"$@\"\n");
  ASSERT_EQ(::chmod(slow.c_str(), 0755), 0);
  std::vector<std::string> env = Environment(wrap_dir_, on);
  std::vector<pid_t> misses;
  for (int64_t i = 0; i < slots; ++i) {
    const std::string src = absl::StrCat("s", i, ".c");
    std::vector<std::string> argv = {ZcwrapBinary(), slow, "-c", src, "-o", src + ".o"};
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::vector<char*> args, envp;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      for (std::string& e : env) envp.push_back(e.data());
      envp.push_back(nullptr);
      if (::chdir(wrap_dir_.c_str()) != 0) ::_exit(127);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    misses.push_back(pid);
  }
  // Until every miss is being served.
  for (int i = 0; i < 250 && StatusField("in_flight") < slots; ++i) ::usleep(20'000);
  ASSERT_EQ(StatusField("in_flight"), slots);
  ASSERT_EQ(Zcwrap(hit, "", on).exit_code, 0);
  for (pid_t pid : misses) {
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0) << "the hit waited for a miss to finish";
  }
  WriteFile(release, "");
  for (pid_t pid : misses) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(Stat("direct_cache_hit"), 1u);
}

TEST_F(DaemonTest, DaemonFollowsARecreatedCacheDirectory) {
  // A CI cleanup removes the cache directory while the daemon runs (the report): the
  // next build's counters must land in the new directory's stats, and nothing is served from
  // what the daemon remembered of the old one.
  WriteBoth("a.c", kCleanC);
  const std::vector<std::string> args = {"gcc", "-c", "a.c", "-o", "a.o"};
  const std::vector<std::string> on = {"ZCWRAP_DAEMON=on"};
  Start();
  ASSERT_EQ(Zcwrap(args, "", on).exit_code, 0);
  ASSERT_EQ(Zcwrap(args, "", on).exit_code, 0);
  EXPECT_TRUE(HasCounters({{"cache_miss", 1}, {"direct_cache_hit", 1}}));
  const int64_t pid = StatusField("pid");

  std::filesystem::remove_all(cache_dir_);
  ASSERT_EQ(Zcwrap(args, "", on).exit_code, 0);  // a miss: the old entries are gone
  ASSERT_EQ(Zcwrap(args, "", on).exit_code, 0);  // a hit from the new directory
  EXPECT_TRUE(HasCounters({{"cache_miss", 1}, {"direct_cache_hit", 1}, {"daemon_fallback", 0}}));
  EXPECT_TRUE(SameFile("a.o") || !Exists(PlainPath("a.o")));
  EXPECT_EQ(StatusField("pid"), pid) << "the same daemon, following its directory";
  EXPECT_EQ(ResultEntryCount(), 1);
}

TEST_F(DaemonTest, ConnectionFromAnotherUidIsRefusedAndLogged) {
  if (::getuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0 ||
      ::access("/usr/bin/python3", X_OK) != 0) {
    GTEST_SKIP() << "needs root, setpriv and python3 to act as another user";
  }
  const std::string socket = Start();
  const std::string dir = socket.substr(0, socket.rfind('/'));
  // Open the way for the other user (the private directory normally keeps them out entirely),
  // so that the daemon's own SO_PEERCRED check is what refuses them.
  ASSERT_EQ(::chmod(dir.c_str(), 0711), 0);
  ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
  const std::string ping = daemon::EncodeFrame(daemon::FrameType::kPing, "");
  std::string hex;
  for (unsigned char c : ping) hex += absl::StrCat(absl::Hex(c, absl::kZeroPad2));
  const std::string script = absl::StrCat(
      "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect('", socket, "')\n",
      "try:\n  s.sendall(bytes.fromhex('", hex, "'))\n  s.settimeout(5)\n  d=s.recv(64)\n",
      "except (BrokenPipeError, ConnectionResetError):\n  d=b''\n",
      "sys.exit(0 if d == b'' else 3)\n");
  RunResult r = Run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                     "/usr/bin/python3", "-c", script},
                    root_);
  ::chmod(dir.c_str(), 0700);
  EXPECT_EQ(r.exit_code, 0) << "the other user must get no answer: " << ::testing::PrintToString(r);
  EXPECT_TRUE(absl::StrContains(LogFor(socket), "refused a connection from uid 65534"));
  EXPECT_GT(StatusField("pid"), 0);
}

// A daemon started by a compile outlives it by minutes: it must not keep anything the compile
// inherited, or a pipe its starter's parent waits on (make's jobserver, a CI runner reading the
// build's output) would never see end of file.
TEST_F(DaemonTest, TheDaemonKeepsNoDescriptorItsStarterInherited) {
  WriteBoth("a.c", kCleanC);
  int watched[2];
  ASSERT_EQ(::pipe(watched), 0);  // not close-on-exec: zcwrap inherits the write end
  std::vector<std::string> env = Environment(wrap_dir_, {"ZCWRAP_DAEMON=on"});
  std::vector<std::string> argv = {ZcwrapBinary(), "gcc", "-c", "a.c", "-o", "a.o"};
  std::vector<char*> args, envp;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, wrap_dir_.c_str());
  posix_spawn_file_actions_addclose(&actions, watched[0]);
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data()), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(watched[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GT(StatusField("pid"), 0) << "the compile started a daemon";
  pollfd p = {watched[0], POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1) << "the daemon still holds the starter's pipe";
  char byte;
  EXPECT_EQ(::read(watched[0], &byte, 1), 0);
  ::close(watched[0]);
}

TEST_F(DaemonTest, ADaemonThatCannotStartIsNotWaitedForAgain) {
  // A cache "directory" that is a file: the daemon cannot open it and exits at once (and the
  // in-process engine cannot either, so the compiler simply runs).
  WriteFile(Path("not-a-dir"), "x");
  WriteBoth("a.c", kCleanC);
  const std::vector<std::string> env = {"ZCWRAP_DAEMON=auto", "ZCWRAP_DIR=" + Path("not-a-dir")};
  const std::vector<std::string> args = {"gcc", "-c", "a.c"};
  ASSERT_EQ(Plain(args).exit_code, 0);
  auto timed = [&] {
    const auto start = std::chrono::steady_clock::now();
    RunResult r = Zcwrap(args, "", env);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
    EXPECT_TRUE(SameFile("a.o"));
    return std::chrono::steady_clock::now() - start;
  };
  timed();  // may wait for the failed start (bounded)
  EXPECT_LT(timed(), std::chrono::milliseconds(1500)) << "the failure must be remembered";
  absl::StatusOr<daemon::Endpoint> endpoint = daemon::EndpointFor(
      Path("not-a-dir"), [](absl::string_view) -> std::optional<std::string> { return {}; });
  ASSERT_TRUE(endpoint.ok());
  EXPECT_TRUE(Exists(endpoint->failed_path));
  ::unlink(endpoint->failed_path.c_str());
  ::unlink(endpoint->lock_path.c_str());
}

TEST_F(DaemonTest, IdleDaemonShutsItselfDown) {
  // The timeout's arithmetic is tested on a fake clock (tests/daemon/server_test.cc); this checks
  // the setting reaches a real daemon. Every request is activity, so after the first status the
  // test only watches the socket, which the daemon removes as it stops (about 1 s later).
  const std::string socket = Start({"ZCWRAP_DAEMON_IDLE_TIMEOUT=1"});
  ASSERT_GT(StatusField("pid"), 0);
  for (int i = 0; i < 500 && Exists(socket); ++i) ::usleep(10'000);
  EXPECT_FALSE(Exists(socket)) << "still listening 5 s after a 1 s idle timeout";
  EXPECT_EQ(StatusField("pid"), -1);
}

// After an upgrade (or any other build of zcwrap on the same cache), no compile is served by the
// old daemon: the first client of the new build makes it retire, starts its own, and is served
// by it; the old one exits. Nothing falls back to in-process, and the outputs stay identical.
TEST_F(DaemonTest, ADaemonOfAnotherBuildIsReplaced) {
  const std::string other = AnotherBuildOfZcwrap(root_ + "/other");
  ASSERT_FALSE(other.empty()) << "could not make another build of zcwrap";
  const std::string socket = Start();
  const int64_t old_pid = StatusField("pid");
  ASSERT_GT(old_pid, 0);
  const std::string ours = StatusText("build_id");
  ASSERT_FALSE(ours.empty());
  ASSERT_NE(ours, other);

  WriteBoth("a.c", kWarningC);
  WriteBoth("b.c", kCleanC);
  const std::vector<std::string> a = {"gcc", "-Wall", "-c", "a.c"};
  const std::vector<std::string> b = {"gcc", "-c", "b.c"};
  std::vector<std::string> via_other = {root_ + "/other/zcwrap"};
  via_other.insert(via_other.end(), a.begin(), a.end());
  ExpectSameResult(Plain(a), Run(via_other, wrap_dir_, {"ZCWRAP_DAEMON=on"}));
  EXPECT_TRUE(SameFile("a.o"));

  // The old daemon went (in-flight work done), and the one listening now is the other build's.
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = ::kill(static_cast<pid_t>(old_pid), 0) != 0;
    if (!gone) ::usleep(10'000);
  }
  EXPECT_TRUE(gone) << "the old daemon still runs 5 s after it retired";
  EXPECT_EQ(StatusText("build_id"), other);
  EXPECT_NE(StatusField("pid"), old_pid);
  EXPECT_TRUE(absl::StrContains(LogFor(socket), "retiring: a client of build " + other));

  // And back: this build's next compile replaces the other's daemon in turn.
  ExpectSameResult(Plain(b), Zcwrap(b, "", {"ZCWRAP_DAEMON=on"}));
  EXPECT_TRUE(SameFile("b.o"));
  EXPECT_EQ(StatusText("build_id"), ours);
  EXPECT_TRUE(HasCounters({{"cache_miss", 2}, {"daemon_fallback", 0}}));
}

// A setting changed while the daemon runs (zcwrap -M rewrites zcwrap.conf) applies from its next
// compile: here the smaller limit makes the next stores clean up.
TEST_F(DaemonTest, MaxSizeSetWhileTheDaemonRunsTakesEffect) {
  Start();
  // Objects of ~96 KiB of random bytes (zstd cannot shrink them): 12 are over 1 MiB.
  uint32_t seed = 12345;
  auto source = [&seed] {
    std::string text = "const unsigned char data[98304] = {";
    for (int i = 0; i < 98304; ++i) {
      seed = seed * 1664525u + 1013904223u;
      absl::StrAppend(&text, seed >> 24, ",");
    }
    return text + "};\n";
  };
  auto compile = [&](int i) {
    const std::string name = absl::StrCat("big", i, ".c");
    WriteBoth(name, source());
    const std::vector<std::string> argv = {"gcc", "-c", name};
    ExpectSameResult(Plain(argv), Zcwrap(argv, "", {"ZCWRAP_DAEMON=on"}));
  };
  for (int i = 0; i < 12; ++i) compile(i);
  const uint64_t full_kib = Stat("cache_size_kibibyte");
  EXPECT_GT(full_kib, 1024u);
  EXPECT_EQ(Stat("cleanups_performed"), 0u);

  ASSERT_EQ(Zcwrap({"-M", "1M"}, root_).exit_code, 0);
  for (int i = 12; i < 24; ++i) compile(i);
  EXPECT_GT(Stat("cleanups_performed"), 0u) << "the daemon kept the old limit";
  EXPECT_LT(Stat("cache_size_kibibyte"), full_kib);
  EXPECT_TRUE(HasCounters({{"cache_miss", 24}, {"daemon_fallback", 0}}));
}

// So does the idle timeout: set to 1 s in zcwrap.conf after the start, it applies from the next
// compile, and the daemon goes about a second later.
TEST_F(DaemonTest, IdleTimeoutSetWhileTheDaemonRunsTakesEffect) {
  const std::string socket = Start();
  ASSERT_EQ(Zcwrap({"-o", "daemon_idle_timeout=1"}, root_).exit_code, 0);
  WriteBoth("a.c", kCleanC);
  const std::vector<std::string> a = {"gcc", "-c", "a.c"};
  ExpectSameResult(Plain(a), Zcwrap(a, "", {"ZCWRAP_DAEMON=on"}));
  for (int i = 0; i < 500 && Exists(socket); ++i) ::usleep(10'000);
  EXPECT_FALSE(Exists(socket)) << "still listening 5 s after the timeout became 1 s";
}

}  // namespace
}  // namespace zc::e2e
