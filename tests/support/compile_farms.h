// Real compile farms on loopback for distributed-compile tests: distccd, and icecream's scheduler
// with two iceccd daemons.
//
//   absl::StatusOr<std::unique_ptr<zc::test::DistccFarm>> farm = zc::test::DistccFarm::Start();
//   ASSERT_TRUE(farm.ok()) << farm.status();   // a farm that cannot start fails the test
//   env = (*farm)->Env();                      // DISTCC_HOSTS, DISTCC_DIR for `distcc gcc ...`
//   ... compile with "distcc" as the prefix ...
//   absl::StatusOr<DistccStats> stats = (*farm)->WaitForStats(
//       [](const DistccStats& s) { return s.compile_ok == 1; });
//   (*farm)->Kill();                           // the farm crashes ...
//   ASSERT_TRUE((*farm)->Restart().ok());      // ... and comes back on the same ports
//
//   absl::StatusOr<std::unique_ptr<zc::test::IcecreamFarm>> ice = zc::test::IcecreamFarm::Start();
//   env = (*ice)->Env();                       // ICECC_TEST_SOCKET, ICECC_TEST_REMOTEBUILD
//   ... compile with "icecc" as the prefix ...
//   EXPECT_EQ((*ice)->Jobs().remote, 1);       // the compile daemon ran it, not icecc's fallback
//
// Every daemon is a child process (tests/support/server_process.h) in its own process group and
// its own temporary directory (with its log, server.log, at the highest verbosity), on free
// ephemeral ports on 127.0.0.1 (but see iceccd below). Start() returns once the farm takes jobs;
// it returns an error, never skips, if a binary is missing, the test is not root (IcecreamFarm
// only), or a daemon exits or is not ready in time (10 s distccd, 40 s icecream); the message
// holds the tail of the daemon's log. The destructor stops everything and removes the
// directories. The daemons drop root privileges, so a watchdog process per daemon SIGKILLs its
// process group when the test dies: a test killed by a timeout leaves nothing behind. Start farms
// from the test's own thread.
//
// Running as root (icecream needs it), the daemons run as the `distccd` / `icecc` users: every
// directory above the farm's (TEST_TMPDIR, default /tmp) must be searchable by other users;
// Start() checks that and says so.
//
// Not thread-safe: use each object from one thread (clients may use the farm from any number of
// threads or processes).
//
// ---- Facts found with distcc 3.4 and icecc 1.4.0 (Debian 12), timed on 2 busy cores ----
//
// distcc
// - Client variables: DISTCC_HOSTS ("127.0.0.1:PORT/JOBS") and DISTCC_DIR (locks, state and
//   backoff marks; it must exist). DISTCC_FALLBACK=0 turns a failure to distribute into an error
//   instead of a silent local compile. DISTCC_IO_TIMEOUT=N (seconds, default 300) bounds the wait
//   for a hung (Pause()d) farm, whose kernel still accepts the connection: N=2 fails in 2.0 s.
// - Exit codes with DISTCC_FALLBACK=0: 116 (EXIT_NO_HOSTS) for a killed farm (connection
//   refused), a hung one, and a compiler the farm refuses, since a failed host is marked and
//   then no host is left; the compiler's own status for a compile error. distcc's codes are
//   100-120 (its exitcode.h).
// - Backoff: a failed host is marked in DISTCC_DIR/lock/backoff_* and skipped for 60 s
//   (DISTCC_BACKOFF_PERIOD). Hence a private DISTCC_DIR per farm, and Restart() and Resume()
//   clear the marks (ClearBackoff()) so that the farm is used again at once. Do NOT use
//   DISTCC_BACKOFF_PERIOD=0 against a farm that may be down: distcc then never marks the host
//   and retries it forever (~1000 connection attempts in 5 s, no exit).
// - With DISTCC_FALLBACK=0, a plain compile error also marks the host (distcc wants to retry
//   locally and may not), so the NEXT compile fails with 116 for 60 s. DISTCC_SKIP_LOCAL_RETRY=1
//   avoids that: the farm's diagnostics and status (1) come back and nothing is marked. With
//   fallback on (the default), a compile error is compiled twice (farm, then locally) and the
//   host is not marked when both fail alike.
// - Compiler allow-list: distccd 3.4 runs only compilers linked in /usr/lib/distcc. It takes
//   "/usr/bin/NAME" and "/bin/NAME" as NAME and refuses any other absolute path
//   (/usr/lib/llvm-14/bin/clang, what /usr/bin/clang resolves to) unless DISTCC_CMDLIST is set
//   or --enable-tcp-insecure is given. The package's postinst makes the links
//   (update-distcc-symlinks) for the compilers in /usr/bin at that moment, and a dpkg trigger on
//   /usr/lib/gcc redoes it; clang's packages ship nothing there, so a clang installed in a later
//   apt run gets no link (here all links exist: distcc came after gcc and clang; a fresh root was
//   not tried). The fixture does not depend on them: it gives distccd its own allow-list through
//   the documented DISTCC_CMDLIST, with exact names (DISTCC_CMDLIST_NUMWORDS=1000), by default
//   every gcc, g++, cc, c++, clang and clang++ in /usr/bin as NAME, /usr/bin/NAME and /bin/NAME:
//   what a complete /usr/lib/distcc allows. --enable-tcp-insecure is not used. A refused compiler
//   counts as dcc_other. The client rewrites "gcc" to "x86_64-linux-gnu-gcc" and adds a -target
//   to clang; objects from /usr/bin/{gcc,g++,cc,clang,clang++-14} equal local ones byte for byte.
// - distccd's workers report a job to the parent through a pipe after answering the client, so
//   the counters lag a compile by a moment: use WaitForStats(). Start() takes ~0.1 s.
//
// icecream
// - The icecc client looks for its daemon at /var/run/icecc/iceccd.socket,
//   /var/run/iceccd.socket, $HOME/.iceccd.socket, then TCP 127.0.0.1:10245, and silently
//   compiles locally if none answers. ICECC_TEST_SOCKET=PATH (iceccd listens there too) replaces
//   all of them, and then a missing daemon is an error: after Kill(), icecc exits 119
//   (EXIT_TEST_SOCKET_ERROR, "test socket error") at once and writes no object. So each daemon
//   has a private socket and the default locations are neither used nor touched (icecream's own
//   test suite does the same). The daemons and the scheduler also get private ports, a private
//   netname and ICECC_TESTS=1 (broadcasts on loopback only; reconnects after 3 s, not 20-51 s).
//   Like the packaged daemons, they create /var/run/icecc and write pid files there.
// - iceccd 1.4 cannot listen on loopback only (-i lo binds 127.0.0.1 twice and gives up after
//   10 s of retries), so the compile daemon's port listens on all interfaces while the farm runs.
//   The scheduler (-i lo) and the client's daemon (no TCP) are local only.
// - One machine: when the scheduler picks the submitting node, or any node at 127.0.0.1, icecc
//   compiles the job itself ("building myself, but telling localhost"), though the scheduler
//   counts it. Hence two daemons, as in icecream's tests: the client's (--no-remote -m 0, never
//   picked) and a compile daemon; and ICECC_TEST_REMOTEBUILD=1 in the client, which then sends a
//   job for 127.0.0.1 over TCP. Env() holds both client variables.
// - Proof: the compile daemon logs "Remote compilation completed with exit code 0" (or "exited
//   with exit code N") per job it ran: Jobs().remote. icecc's silent fallback (no compile daemon,
//   a failed remote attempt) compiles in the client after asking its daemon, which logs "pushed
//   local job" or "scheduler_no_cs": Jobs().local. The status stays 0; icecc 1.4 has no switch
//   that forbids the fallback.
// - A compile error runs twice: it fails on the compile daemon, then icecc compiles again
//   locally to show gcc's own diagnostics (Jobs(): remote_failed 1, local 1), unless
//   ICECC_CARET_WORKAROUND=0 (the farm's diagnostics, from -fdirectives-only output, come back).
// - First use: the client's daemon builds a compiler environment (icecc-create-env) per compiler
//   path, once per farm, and again after Restart() (iceccd empties its environment directory when
//   it starts): ~5 s and a 31 MB tarball for gcc 12, ~11 s and 78 MB for clang 14; the compile
//   daemon unpacks it (82 MB, 237 MB). Later compiles take ~20-60 ms. Objects equal local ones.
// - Start() and Restart() take 6-9 s: the daemons find the scheduler on their third 3 s poll.
#ifndef ZCWRAP_TESTS_SUPPORT_COMPILE_FARMS_H_
#define ZCWRAP_TESTS_SUPPORT_COMPILE_FARMS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace zc::test {

class ServerProcess;

// distccd's counters (its --stats HTTP page), the ones named dcc_<field>.
struct DistccStats {
  int tcp_accept = 0;
  int rej_bad_req = 0;
  int rej_overload = 0;
  int compile_ok = 0;
  int compile_error = 0;  // the compiler failed (a compile error)
  int compile_timeout = 0;
  int cli_disconnect = 0;
  int other = 0;  // e.g. a compiler not on the allow-list
};

// One distccd: --daemon --no-detach --listen 127.0.0.1 --allow 127.0.0.1 --jobs N --stats, logging
// to stderr (server.log). Its compiler allow-list is private (see the facts above).
class DistccFarm {
 public:
  struct Options {
    int jobs = 4;
    // The compilers distccd runs, exactly as a client names them (argv[0] after the prefix);
    // empty: every gcc, g++, cc, c++, clang and clang++ (versioned or target-prefixed) in
    // /usr/bin, each as NAME, /usr/bin/NAME and /bin/NAME.
    std::vector<std::string> compilers;
  };

  static absl::StatusOr<std::unique_ptr<DistccFarm>> Start();
  static absl::StatusOr<std::unique_ptr<DistccFarm>> Start(Options options);
  ~DistccFarm();
  DistccFarm(const DistccFarm&) = delete;
  DistccFarm& operator=(const DistccFarm&) = delete;

  int port() const { return port_; }
  int stats_port() const { return stats_port_; }
  pid_t pid() const;          // -1 while not running
  std::string hosts() const;  // a DISTCC_HOSTS value: "127.0.0.1:PORT/JOBS"
  // The client's DISTCC_DIR, private to this farm (locks, backoff marks).
  const std::string& client_dir() const { return client_dir_; }
  // What a client needs, as "NAME=value": DISTCC_HOSTS and DISTCC_DIR.
  std::vector<std::string> Env() const;
  // The allow-list distccd was given.
  const std::vector<std::string>& compilers() const { return options_.compilers; }
  // distccd's log (all runs).
  std::string Log() const;

  // The counters now (they lag a compile: prefer WaitForStats()). An error if the farm does not
  // answer within 5 s (e.g. while paused).
  absl::StatusOr<DistccStats> Stats() const;
  // Polls Stats() until `done` holds, for up to ~5 s; DeadlineExceeded (naming the last
  // counters) if it never does.
  absl::StatusOr<DistccStats> WaitForStats(
      const std::function<bool(const DistccStats&)>& done) const;

  // SIGKILL to the daemon and its workers: a crash. Safe to call twice.
  void Kill();
  // SIGSTOP / SIGCONT to them: a hung host. Connections are still accepted (by the kernel) but
  // never answered. Resume() also clears the client's backoff marks.
  void Pause();
  void Resume();
  // Starts the daemon again on the same ports (stopping it first if it still runs) and clears the
  // client's backoff marks, so that the next compile uses it.
  absl::Status Restart();
  // Removes distcc's backoff marks from client_dir(): the host is no longer skipped.
  void ClearBackoff();

 private:
  explicit DistccFarm(Options options);
  absl::Status Launch(bool pick_ports);

  Options options_;
  std::unique_ptr<ServerProcess> process_;
  std::string client_dir_;
  int port_ = 0;
  int stats_port_ = 0;
};

// Jobs seen by an IcecreamFarm since Start(), from its daemons' logs.
struct IcecreamJobs {
  int remote = 0;         // compiled by the compile daemon (any exit status)
  int remote_failed = 0;  // ... of which the compiler failed
  int local = 0;          // compiled by the icecc client itself, with its daemon's permission
};

// icecc-scheduler plus two iceccd: the client's daemon (--no-remote -m 0: it only takes the
// client's requests, on a private socket) and the compile daemon (-m jobs, a private TCP port),
// which runs the jobs in a chroot of the environment the client sends. All on a private netname.
// Needs root (iceccd chroots).
class IcecreamFarm {
 public:
  struct Options {
    int jobs = 4;  // the compile daemon's -m
  };

  static absl::StatusOr<std::unique_ptr<IcecreamFarm>> Start();
  static absl::StatusOr<std::unique_ptr<IcecreamFarm>> Start(Options options);
  ~IcecreamFarm();
  IcecreamFarm(const IcecreamFarm&) = delete;
  IcecreamFarm& operator=(const IcecreamFarm&) = delete;

  int scheduler_port() const { return scheduler_port_; }  // also UDP; telnet on port + 1
  int daemon_port() const { return daemon_port_; }        // the compile daemon's TCP port
  const std::string& netname() const { return netname_; }
  // The client's daemon's socket: ICECC_TEST_SOCKET.
  const std::string& socket_path() const { return socket_path_; }
  // The scheduler's, the client daemon's and the compile daemon's process (group) ids; -1 for one
  // that is not running.
  std::vector<pid_t> pids() const;
  // What a client needs, as "NAME=value": ICECC_TEST_SOCKET and ICECC_TEST_REMOTEBUILD=1.
  std::vector<std::string> Env() const;
  // The logs (all runs) of the scheduler, the client's daemon and the compile daemon.
  std::string SchedulerLog() const;
  std::string ClientDaemonLog() const;
  std::string CompileDaemonLog() const;

  // Counted from the daemons' logs; a job is in them once icecc has returned.
  IcecreamJobs Jobs() const;

  // SIGKILL to the scheduler and both daemons. Safe to call twice.
  void Kill();
  // SIGKILL to the compile daemon only: the client's daemon and the scheduler stay, so icecc
  // falls back to compiling locally.
  void KillCompileDaemon();
  // Stops what still runs and starts all three again on the same ports, socket and netname. The
  // daemons start with empty environment directories: the next compile builds its environment
  // again.
  absl::Status Restart();

 private:
  explicit IcecreamFarm(Options options);
  absl::Status Launch(bool pick_ports);

  Options options_;
  std::string netname_;
  std::string user_;  // the daemons' user: icecc, or nobody
  std::unique_ptr<ServerProcess> scheduler_;
  std::unique_ptr<ServerProcess> client_daemon_;
  std::unique_ptr<ServerProcess> compile_daemon_;
  std::string socket_path_;
  int scheduler_port_ = 0;
  int daemon_port_ = 0;
};

}  // namespace zc::test

#endif  // ZCWRAP_TESTS_SUPPORT_COMPILE_FARMS_H_
