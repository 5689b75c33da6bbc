#include "tests/support/compile_farms.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cachecore/util/status_macros.h"
#include "tests/support/server_process.h"

namespace zc::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kProbeTimeoutMs = 1000;
constexpr int kRequestTimeoutMs = 5000;
constexpr auto kStatsWait = std::chrono::seconds(5);
constexpr auto kStatsPollInterval = std::chrono::milliseconds(10);
// iceccd finds the scheduler in ~6 s (its third 3 s poll); a busy machine needs more.
constexpr std::chrono::seconds kIcecreamStartTimeout{40};
// The icecream node names, as the scheduler lists them.
constexpr char kClientNode[] = "zcwrap-client";
constexpr char kCompileNode[] = "zcwrap-compile";

// The daemons drop root privileges: `dir` is made searchable, and every directory above it must
// be, or they cannot reach their files.
absl::Status OpenToDaemons(const std::string& dir) {
  if (::chmod(dir.c_str(), 0755) != 0) return absl::ErrnoToStatus(errno, "chmod " + dir);
  if (::geteuid() != 0) return absl::OkStatus();  // the daemons keep the test's user
  for (std::filesystem::path p = std::filesystem::path(dir).parent_path();
       !p.empty() && p != p.root_path(); p = p.parent_path()) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return absl::ErrnoToStatus(errno, "stat " + p.string());
    if ((st.st_mode & S_IXOTH) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          p.string(), " is not searchable by other users, but the farm's daemons drop root ",
          "privileges and must reach ", dir, ": set TEST_TMPDIR to a directory they can reach"));
    }
  }
  return absl::OkStatus();
}

// A directory `path` with `mode` (exactly, whatever the umask), owned by `uid`:`gid` unless -1.
absl::Status MakeDaemonDir(const std::string& path, mode_t mode, uid_t uid = static_cast<uid_t>(-1),
                           gid_t gid = static_cast<gid_t>(-1)) {
  ZC_RETURN_IF_ERROR(MakeDir(path, mode));
  if (::chmod(path.c_str(), mode) != 0) return absl::ErrnoToStatus(errno, "chmod " + path);
  if (::chown(path.c_str(), uid, gid) != 0) return absl::ErrnoToStatus(errno, "chown " + path);
  return absl::OkStatus();
}

// NAME, TARGET-NAME, or either with -VERSION, where NAME is a C or C++ compiler driver and TARGET
// three words joined by '-' (x86_64-linux-gnu). (Not std::regex: gcc 12 warns inside <regex>
// under the sanitizers, and warnings are errors.)
bool IsCompilerName(absl::string_view name) {
  static constexpr absl::string_view kDrivers[] = {"c89-gcc", "c99-gcc", "gcc",   "g++",
                                                   "cc",      "c++",     "clang", "clang++"};
  auto word = [](absl::string_view w) {
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
      return absl::ascii_islower(static_cast<unsigned char>(c)) ||
             absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_';
    });
  };
  auto version = [](absl::string_view v) {
    return v.size() > 1 && v[0] == '-' && std::all_of(v.begin() + 1, v.end(), [](char c) {
             return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.';
           });
  };
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '-');
  for (const bool with_target : {false, true}) {
    absl::string_view rest = name;
    if (with_target) {
      if (parts.size() < 4 || !word(parts[0]) || !word(parts[1]) || !word(parts[2])) continue;
      rest.remove_prefix(parts[0].size() + parts[1].size() + parts[2].size() + 3);
    }
    for (absl::string_view driver : kDrivers) {
      if (!absl::StartsWith(rest, driver)) continue;
      const absl::string_view tail = rest.substr(driver.size());
      if (tail.empty() || version(tail)) return true;
    }
  }
  return false;
}

// Every gcc, g++, cc, c++, clang and clang++ in /usr/bin (plain, versioned, target-prefixed), as
// NAME, /usr/bin/NAME and /bin/NAME: what a complete /usr/lib/distcc allows.
std::vector<std::string> DefaultDistccCompilers() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/bin", ec)) {
    const std::string name = entry.path().filename().string();
    if (IsCompilerName(name) && ::access(entry.path().c_str(), X_OK) == 0) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> compilers;
  for (const std::string& name : names) {
    compilers.push_back(name);
    compilers.push_back("/usr/bin/" + name);
    compilers.push_back("/bin/" + name);
  }
  return compilers;
}

absl::StatusOr<DistccStats> ParseDistccStats(absl::string_view page) {
  const size_t begin = page.find("<distccstats>\n");
  const size_t end = page.find("</distccstats>");
  if (begin == absl::string_view::npos || end == absl::string_view::npos || end < begin) {
    return absl::DataLossError(absl::StrCat("not distccd's stats page: ", page.substr(0, 200)));
  }
  DistccStats stats;
  const std::pair<const char*, int*> fields[] = {
      {"dcc_tcp_accept", &stats.tcp_accept},
      {"dcc_rej_bad_req", &stats.rej_bad_req},
      {"dcc_rej_overload", &stats.rej_overload},
      {"dcc_compile_ok", &stats.compile_ok},
      {"dcc_compile_error", &stats.compile_error},
      {"dcc_compile_timeout", &stats.compile_timeout},
      {"dcc_cli_disconnect", &stats.cli_disconnect},
      {"dcc_other", &stats.other},
  };
  int found = 0;
  for (absl::string_view line : absl::StrSplit(page.substr(begin, end - begin), '\n')) {
    std::pair<absl::string_view, absl::string_view> name_value = absl::StrSplit(line, ' ');
    for (const auto& [name, field] : fields) {
      if (name_value.first == name && absl::SimpleAtoi(name_value.second, field)) ++found;
    }
  }
  if (found != static_cast<int>(std::size(fields))) {
    return absl::DataLossError(absl::StrCat("distccd's stats page lacks counters: ", page));
  }
  return stats;
}

std::string Describe(const DistccStats& s) {
  return absl::StrCat("tcp_accept ", s.tcp_accept, ", compile_ok ", s.compile_ok,
                      ", compile_error ", s.compile_error, ", compile_timeout ", s.compile_timeout,
                      ", cli_disconnect ", s.cli_disconnect, ", rej_bad_req ", s.rej_bad_req,
                      ", rej_overload ", s.rej_overload, ", other ", s.other);
}

// The scheduler's telnet interface (scheduler port + 1) answering `command`.
absl::StatusOr<std::string> SchedulerCommand(int scheduler_port, absl::string_view command) {
  return TcpExchange(scheduler_port + 1, absl::StrCat(command, "\r\nquit\r\n"), kProbeTimeoutMs);
}

// The scheduler lists `node` (" NAME (IP:PORT)" in listcs).
bool SchedulerLists(int scheduler_port, absl::string_view node) {
  absl::StatusOr<std::string> answer = SchedulerCommand(scheduler_port, "listcs");
  return answer.ok() && absl::StrContains(*answer, node);
}

int CountLines(absl::string_view log, absl::string_view marker) {
  int count = 0;
  for (size_t at = log.find(marker); at != absl::string_view::npos;
       at = log.find(marker, at + marker.size())) {
    ++count;
  }
  return count;
}

// Numbers the icecream netnames of this process.
std::atomic<int> next_farm_id{0};

}  // namespace

// --- DistccFarm ---

DistccFarm::DistccFarm(Options options) : options_(std::move(options)) {}
DistccFarm::~DistccFarm() = default;

absl::StatusOr<std::unique_ptr<DistccFarm>> DistccFarm::Start() { return Start(Options()); }

absl::StatusOr<std::unique_ptr<DistccFarm>> DistccFarm::Start(Options options) {
  if (options.jobs < 1) return absl::InvalidArgumentError("DistccFarm: jobs must be at least 1");
  auto farm = std::unique_ptr<DistccFarm>(new DistccFarm(std::move(options)));
  if (farm->options_.compilers.empty()) farm->options_.compilers = DefaultDistccCompilers();
  if (farm->options_.compilers.empty()) {
    return absl::FailedPreconditionError("DistccFarm: no compiler in /usr/bin to allow");
  }
  ZC_ASSIGN_OR_RETURN(farm->process_,
                      ServerProcess::Create("distccd", ServerProcessOptions{.watchdog = true}));
  const std::string& dir = farm->process_->dir();
  ZC_RETURN_IF_ERROR(OpenToDaemons(dir));
  // distccd's own temporary files (TMPDIR), written as its unprivileged user.
  ZC_RETURN_IF_ERROR(MakeDaemonDir(dir + "/tmp", 01777));
  farm->client_dir_ = dir + "/client";
  ZC_RETURN_IF_ERROR(MakeDaemonDir(farm->client_dir_, 0755));
  // The allow-list (see compile_farms.h): with NUMWORDS above any path's depth, a client's
  // compiler name must equal a line, and distccd runs that line.
  const std::string cmdlist = dir + "/cmdlist";
  ZC_RETURN_IF_ERROR(
      WriteWholeFile(cmdlist, absl::StrCat(absl::StrJoin(farm->options_.compilers, "\n"), "\n")));
  if (::chmod(cmdlist.c_str(), 0644) != 0) return absl::ErrnoToStatus(errno, "chmod " + cmdlist);
  farm->process_->set_env(
      {"DISTCC_CMDLIST=" + cmdlist, "DISTCC_CMDLIST_NUMWORDS=1000", "TMPDIR=" + dir + "/tmp"});
  ZC_RETURN_IF_ERROR(farm->Launch(/*pick_ports=*/true));
  return farm;
}

absl::Status DistccFarm::Launch(bool pick_ports) {
  auto prepare = [this, pick_ports](int port) -> absl::StatusOr<std::vector<std::string>> {
    if (pick_ports) {
      do {
        ZC_ASSIGN_OR_RETURN(stats_port_, FreePort());
      } while (stats_port_ == port);
    }
    const std::string port_arg = absl::StrCat(port), stats_arg = absl::StrCat(stats_port_);
    const std::string jobs_arg = absl::StrCat(options_.jobs);
    return std::vector<std::string>{
        "distccd",      "--daemon", "--no-detach",  "--listen",    "127.0.0.1", "--port",
        port_arg,       "--allow",  "127.0.0.1",    "--jobs",      jobs_arg,    "--stats",
        "--stats-port", stats_arg,  "--log-stderr", "--log-level", "info"};
  };
  auto ready = [this] {
    // Our distccd, alive, has bound both ports: nothing else can answer on them.
    const std::string log = process_->LogSinceSpawn();
    return absl::StrContains(log, absl::StrCat("listening on 127.0.0.1:", port_, "\n")) &&
           absl::StrContains(log, absl::StrCat("HTTP server started on port ", stats_port_)) &&
           Stats().ok();
  };
  return LaunchOnPort(*process_, port_, pick_ports, prepare, ready);
}

pid_t DistccFarm::pid() const { return process_->pid(); }
std::string DistccFarm::hosts() const {
  return absl::StrCat("127.0.0.1:", port_, "/", options_.jobs);
}
std::vector<std::string> DistccFarm::Env() const {
  return {"DISTCC_HOSTS=" + hosts(), "DISTCC_DIR=" + client_dir_};
}
std::string DistccFarm::Log() const { return process_->Log(); }

absl::StatusOr<DistccStats> DistccFarm::Stats() const {
  ZC_ASSIGN_OR_RETURN(std::string page,
                      TcpExchange(stats_port_, "GET / HTTP/1.0\r\n\r\n", kRequestTimeoutMs));
  return ParseDistccStats(page);
}

absl::StatusOr<DistccStats> DistccFarm::WaitForStats(
    const std::function<bool(const DistccStats&)>& done) const {
  const Clock::time_point deadline = Clock::now() + kStatsWait;
  for (;;) {
    ZC_ASSIGN_OR_RETURN(DistccStats stats, Stats());
    if (done(stats)) return stats;
    if (Clock::now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("distccd's counters did not get there in 5 s: ", Describe(stats)));
    }
    std::this_thread::sleep_for(kStatsPollInterval);
  }
}

void DistccFarm::Kill() { process_->Kill(); }
void DistccFarm::Pause() { process_->Signal(SIGSTOP); }

void DistccFarm::Resume() {
  process_->Signal(SIGCONT);
  ClearBackoff();
}

absl::Status DistccFarm::Restart() {
  process_->Stop();
  ClearBackoff();
  return Launch(/*pick_ports=*/false);
}

void DistccFarm::ClearBackoff() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(client_dir_ + "/lock", ec)) {
    if (absl::StartsWith(entry.path().filename().string(), "backoff_")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

// --- IcecreamFarm ---

IcecreamFarm::IcecreamFarm(Options options) : options_(std::move(options)) {}
IcecreamFarm::~IcecreamFarm() = default;

absl::StatusOr<std::unique_ptr<IcecreamFarm>> IcecreamFarm::Start() { return Start(Options()); }

absl::StatusOr<std::unique_ptr<IcecreamFarm>> IcecreamFarm::Start(Options options) {
  if (options.jobs < 1) return absl::InvalidArgumentError("IcecreamFarm: jobs must be at least 1");
  if (::geteuid() != 0) {
    return absl::FailedPreconditionError(
        "IcecreamFarm needs root: iceccd chroots into the compiler environments it receives");
  }
  auto farm = std::unique_ptr<IcecreamFarm>(new IcecreamFarm(std::move(options)));
  farm->netname_ = absl::StrCat("zcwrap-", ::getpid(), "-", next_farm_id.fetch_add(1));
  // The user the daemons switch to (their own default: icecc, else nobody), given explicitly so
  // that their directories can be made theirs.
  const passwd* pw = ::getpwnam("icecc");
  if (pw == nullptr) pw = ::getpwnam("nobody");
  if (pw == nullptr) return absl::FailedPreconditionError("IcecreamFarm: no user icecc or nobody");
  farm->user_ = pw->pw_name;
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;

  const ServerProcessOptions daemon_options{.watchdog = true,
                                            .start_timeout = kIcecreamStartTimeout};
  ZC_ASSIGN_OR_RETURN(farm->scheduler_, ServerProcess::Create("icecc-scheduler", daemon_options));
  ZC_ASSIGN_OR_RETURN(farm->client_daemon_, ServerProcess::Create("iceccd", daemon_options));
  ZC_ASSIGN_OR_RETURN(farm->compile_daemon_, ServerProcess::Create("iceccd", daemon_options));
  farm->scheduler_->set_env({"ICECC_TESTS=1"});
  for (ServerProcess* daemon : {farm->client_daemon_.get(), farm->compile_daemon_.get()}) {
    const std::string& dir = daemon->dir();
    ZC_RETURN_IF_ERROR(OpenToDaemons(dir));
    // The socket is made, and the environments unpacked, after the switch to the user.
    ZC_RETURN_IF_ERROR(MakeDaemonDir(dir + "/run", 0755, uid, gid));
    ZC_RETURN_IF_ERROR(MakeDaemonDir(dir + "/envs", 0755, uid, gid));
    const std::string socket = dir + "/run/iceccd.sock";
    if (socket.size() >= sizeof(sockaddr_un::sun_path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("socket path too long (set TEST_TMPDIR shorter): ", socket));
    }
    daemon->set_env({"ICECC_TESTS=1", "ICECC_TEST_SOCKET=" + socket});
  }
  farm->socket_path_ = farm->client_daemon_->dir() + "/run/iceccd.sock";
  ZC_RETURN_IF_ERROR(farm->Launch(/*pick_ports=*/true));
  return farm;
}

absl::Status IcecreamFarm::Launch(bool pick_ports) {
  auto scheduler_argv = [this](int port) -> absl::StatusOr<std::vector<std::string>> {
    const std::string port_arg = absl::StrCat(port);
    return std::vector<std::string>{"icecc-scheduler", "-p", port_arg, "-i",  "lo", "-n",
                                    netname_,          "-u", user_,    "-vvv"};
  };
  auto scheduler_ready = [this] {
    const std::string log = scheduler_->LogSinceSpawn();
    return absl::StrContains(log, absl::StrCat("starting up, port ", scheduler_port_, "\n")) &&
           absl::StrContains(log, "scheduler ready") &&
           SchedulerCommand(scheduler_port_, "listcs").ok();
  };
  ZC_RETURN_IF_ERROR(
      LaunchOnPort(*scheduler_, scheduler_port_, pick_ports, scheduler_argv, scheduler_ready));

  const std::string scheduler = absl::StrCat("127.0.0.1:", scheduler_port_);
  // Both daemons look for the scheduler at once (~6 s).
  ZC_RETURN_IF_ERROR(client_daemon_->Spawn({"iceccd", "--no-remote", "-m", "0", "-n", netname_,
                                            "-N", kClientNode, "-s", scheduler, "-b",
                                            client_daemon_->dir() + "/envs", "-u", user_, "-vvv"}));
  auto compile_argv = [this, scheduler](int port) -> absl::StatusOr<std::vector<std::string>> {
    const std::string port_arg = absl::StrCat(port), jobs_arg = absl::StrCat(options_.jobs);
    const std::string envs = compile_daemon_->dir() + "/envs";
    return std::vector<std::string>{"iceccd", "-p", port_arg,     "-m",  jobs_arg,  "-n",
                                    netname_, "-N", kCompileNode, "-s",  scheduler, "-b",
                                    envs,     "-u", user_,        "-vvv"};
  };
  auto compile_ready = [this] {
    return SchedulerLists(scheduler_port_,
                          absl::StrCat(" ", kCompileNode, " (127.0.0.1:", daemon_port_, ")"));
  };
  ZC_RETURN_IF_ERROR(
      LaunchOnPort(*compile_daemon_, daemon_port_, pick_ports, compile_argv, compile_ready));
  return client_daemon_->WaitReady([this] {
    return SchedulerLists(scheduler_port_, absl::StrCat(" ", kClientNode, " (")) &&
           ConnectUnix(socket_path_, kProbeTimeoutMs).ok();
  });
}

std::vector<std::string> IcecreamFarm::Env() const {
  return {"ICECC_TEST_SOCKET=" + socket_path_, "ICECC_TEST_REMOTEBUILD=1"};
}

std::vector<pid_t> IcecreamFarm::pids() const {
  return {scheduler_->pid(), client_daemon_->pid(), compile_daemon_->pid()};
}

std::string IcecreamFarm::SchedulerLog() const { return scheduler_->Log(); }
std::string IcecreamFarm::ClientDaemonLog() const { return client_daemon_->Log(); }
std::string IcecreamFarm::CompileDaemonLog() const { return compile_daemon_->Log(); }

IcecreamJobs IcecreamFarm::Jobs() const {
  // The compile daemon ends each job it ran with "Remote compilation completed with exit code 0",
  // or "... exited with exit code N", "... aborted with exit code N", "... failed, presumably
  // because of running out of ...".
  const std::string compile_log = CompileDaemonLog();
  IcecreamJobs jobs;
  jobs.remote = CountLines(compile_log, "Remote compilation ");
  jobs.remote_failed =
      jobs.remote - CountLines(compile_log, "Remote compilation completed with exit code 0");
  const std::string client_log = ClientDaemonLog();
  jobs.local =
      CountLines(client_log, "pushed local job") + CountLines(client_log, "scheduler_no_cs");
  return jobs;
}

void IcecreamFarm::Kill() {
  compile_daemon_->Kill();
  client_daemon_->Kill();
  scheduler_->Kill();
}

void IcecreamFarm::KillCompileDaemon() { compile_daemon_->Kill(); }

absl::Status IcecreamFarm::Restart() {
  compile_daemon_->Stop();
  client_daemon_->Stop();
  scheduler_->Stop();
  return Launch(/*pick_ports=*/false);
}

}  // namespace zc::test
