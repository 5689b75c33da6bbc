#include "tests/support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/status_macros.h"

extern char** environ;

namespace zc::test {
namespace {

using util::ScopedFd;
using Clock = std::chrono::steady_clock;

constexpr auto kStopGrace = std::chrono::seconds(2);
constexpr auto kPollInterval = std::chrono::milliseconds(5);
// Attempts at a fresh port when the chosen one was taken between FreePort() and the bind.
constexpr int kPortAttempts = 5;
constexpr size_t kLogTailBytes = 4000;

absl::Status ErrnoError(absl::string_view what) { return absl::ErrnoToStatus(errno, what); }

// `name` in PATH, else in the sbin directories.
absl::StatusOr<std::string> FindProgram(const std::string& name) {
  const char* path_env = std::getenv("PATH");
  std::string dirs =
      absl::StrCat(path_env != nullptr ? path_env : "", ":/usr/local/sbin:/usr/sbin:/sbin");
  for (absl::string_view dir : absl::StrSplit(dirs, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat(name, " is not installed (not found in PATH or the sbin directories)"));
}

void SetTimeouts(int fd, int timeout_ms) {
  timeval tv{.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// The test's environment with `extra` ("NAME=value") added, replacing variables of those names.
std::vector<std::string> EnvironmentWith(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const absl::string_view name = absl::string_view(*entry).substr(0, std::strcspn(*entry, "="));
    bool replaced = false;
    for (const std::string& added : extra) {
      replaced = replaced || absl::StartsWith(added, absl::StrCat(name, "="));
    }
    if (!replaced) env.emplace_back(*entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

// --- ServerProcess ---

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Create(std::string program_name) {
  return Create(std::move(program_name), ServerProcessOptions());
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Create(std::string program_name,
                                                                     ServerProcessOptions options) {
  ZC_ASSIGN_OR_RETURN(std::string program, FindProgram(program_name));
  auto process = std::unique_ptr<ServerProcess>(
      new ServerProcess(program_name, std::move(program), std::move(options)));
  if (process->dir_.path().empty()) {
    return absl::InternalError(absl::StrCat("cannot make a directory for ", program_name));
  }
  return process;
}

ServerProcess::ServerProcess(std::string name, std::string program, ServerProcessOptions options)
    : name_(std::move(name)), program_(std::move(program)), options_(std::move(options)) {}

ServerProcess::~ServerProcess() { Stop(); }

absl::Status ServerProcess::Spawn(const std::vector<std::string>& argv) {
  Stop();
  ScopedFd log(::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log.valid()) return ErrnoError(absl::StrCat("open ", log_path()));
  ScopedFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null_fd.valid()) return ErrnoError("open /dev/null");
  struct stat st;
  log_offset_ = ::fstat(log.get(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;

  // Everything the child needs is prepared here: after fork it may only make system calls.
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv = CStrings(args);
  std::vector<std::string> env = EnvironmentWith(env_);
  std::vector<char*> c_env = CStrings(env);
  const char* program = program_.c_str();
  const char* dir = dir_.path().c_str();
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) {
    // Own process group, so that stopping kills all the server's processes and nothing else.
    ::setpgid(0, 0);
    // Dies with the test (even with a SIGKILLed one), so no server outlives it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &dfl, nullptr);
    ::dup2(null_fd.get(), 0);
    ::dup2(log.get(), 1);
    ::dup2(log.get(), 2);
    if (::chdir(dir) != 0) ::_exit(126);
    ::close_range(3, ~0U, 0);
    ::execve(program, c_argv.data(), c_env.data());
    static constexpr char kMessage[] = "exec of the server failed\n";
    (void)!::write(2, kMessage, sizeof(kMessage) - 1);
    ::_exit(127);
  }
  // Also here, so that a stop right after the fork reaches the whole group.
  ::setpgid(pid, pid);
  pid_ = pid;
  if (options_.watchdog) {
    absl::Status status = SpawnWatchdog();
    if (!status.ok()) {
      Kill();
      return status;
    }
  }
  return absl::OkStatus();
}

// The watchdog waits for SIGTERM, which the kernel sends it when the test's thread dies
// (PR_SET_PDEATHSIG) and StopWatchdog() sends it otherwise, then SIGKILLs the server's group. It
// keeps the test's user (root can signal a daemon that dropped privileges) and sits in a process
// group of its own: a test runner that kills the test's group does not reach it, nor does
// Signal(SIGSTOP), which would leave it unable to act.
absl::Status ServerProcess::SpawnWatchdog() {
  ScopedFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd.valid()) return ErrnoError("open /dev/null");
  sigset_t wake;
  ::sigemptyset(&wake);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) ::sigaddset(&wake, sig);
  const pid_t server = pid_;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoError("fork (watchdog)");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_NAME, "zc-watchdog");         // in ps; the command line stays the test's
    ::sigprocmask(SIG_SETMASK, &wake, nullptr);  // taken by sigwait() below
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() == parent) {
      ::dup2(null_fd.get(), 0);
      ::dup2(null_fd.get(), 1);
      ::dup2(null_fd.get(), 2);
      ::close_range(3, ~0U, 0);
      int sig = 0;
      while (::sigwait(&wake, &sig) != 0) {
      }
    }
    // The server is not reaped before the watchdog is (see Terminate()), so its process group id
    // cannot have been reused.
    ::kill(-server, SIGKILL);
    ::_exit(0);
  }
  ::setpgid(pid, pid);
  watchdog_pid_ = pid;
  return absl::OkStatus();
}

void ServerProcess::StopWatchdog() {
  if (watchdog_pid_ < 0) return;
  ::kill(watchdog_pid_, SIGTERM);
  int status;
  while (::waitpid(watchdog_pid_, &status, 0) < 0 && errno == EINTR) {
  }
  watchdog_pid_ = -1;
}

absl::Status ServerProcess::WaitReady(const std::function<bool()>& ready) {
  const Clock::time_point start = Clock::now();
  for (;;) {
    std::string exit_text;
    if (Exited(&exit_text)) {
      Stop();
      return absl::UnavailableError(
          absl::StrCat(name_, " ", exit_text, " before it answered", LogTail()));
    }
    if (ready()) return absl::OkStatus();
    if (Clock::now() - start > options_.start_timeout) {
      Stop();
      return absl::DeadlineExceededError(absl::StrCat(
          name_, " did not answer within ", options_.start_timeout.count(), " s", LogTail()));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string ServerProcess::Log() const {
  absl::StatusOr<std::string> log = ReadWholeFile(log_path());
  return log.ok() ? *std::move(log) : "";
}

std::string ServerProcess::LogSinceSpawn() const {
  std::string log = Log();
  return log.size() < log_offset_ ? "" : log.substr(log_offset_);
}

bool ServerProcess::PortWasTaken() const {
  std::string log = LogSinceSpawn();
  return absl::StrContains(log, "already in use") || absl::StrContains(log, "EADDRINUSE");
}

void ServerProcess::Signal(int signal) {
  if (pid_ >= 0) ::killpg(pid_, signal);
}

void ServerProcess::Stop() { Terminate(SIGTERM); }
void ServerProcess::Kill() { Terminate(SIGKILL); }

// Whether the server has exited. It stays a zombie (WNOWAIT) until Terminate() reaps it, so its
// pid, which is also its process group id, cannot be reused meanwhile.
bool ServerProcess::Exited(std::string* how) {
  if (pid_ < 0) {
    *how = "is not running";
    return true;
  }
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    *how = absl::StrCat("cannot be waited for (", std::strerror(errno), ")");
    return true;
  }
  if (info.si_pid != pid_) return false;
  *how = info.si_code == CLD_EXITED ? absl::StrCat("exited with status ", info.si_status)
                                    : absl::StrCat("was killed by signal ", info.si_status);
  return true;
}

void ServerProcess::Terminate(int signal) {
  if (pid_ < 0) {
    StopWatchdog();
    return;
  }
  ::killpg(pid_, signal);
  if (signal != SIGKILL) ::killpg(pid_, SIGCONT);  // a stopped server takes SIGTERM only then
  const Clock::time_point deadline = Clock::now() + kStopGrace;
  std::string how;
  while (!Exited(&how) && Clock::now() < deadline) std::this_thread::sleep_for(kPollInterval);
  // Also sweeps helpers left in the group once the leader is gone.
  ::killpg(pid_, SIGKILL);
  StopWatchdog();
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string ServerProcess::LogTail() const {
  // The text, not the path: the directory goes away with the failed server.
  const std::string log = Log();
  if (log.empty()) return "; it printed nothing";
  absl::string_view tail = log;
  if (tail.size() > kLogTailBytes) {
    tail = tail.substr(tail.size() - kLogTailBytes);
    size_t line_start = tail.find('\n');
    if (line_start != absl::string_view::npos) tail.remove_prefix(line_start + 1);
  }
  return absl::StrCat("; the end of its output:\n", tail);
}

// --- Helpers ---

absl::Status LaunchOnPort(
    ServerProcess& process, int& port, bool pick_port,
    const std::function<absl::StatusOr<std::vector<std::string>>(int)>& prepare,
    const std::function<bool()>& ready) {
  for (int attempt = 1;; ++attempt) {
    if (pick_port) {
      ZC_ASSIGN_OR_RETURN(port, FreePort());
    }
    ZC_ASSIGN_OR_RETURN(std::vector<std::string> argv, prepare(port));
    ZC_RETURN_IF_ERROR(process.Spawn(argv));
    absl::Status status = process.WaitReady(ready);
    if (status.ok() || !pick_port || attempt == kPortAttempts || !process.PortWasTaken()) {
      return status;
    }
  }
}

absl::StatusOr<int> FreePort() {
  ScopedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoError("bind 127.0.0.1:0");
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoError("getsockname");
  }
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::StatusOr<ScopedFd> ConnectTcp(int port, int timeout_ms) {
  ScopedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError("socket");
  SetTimeouts(fd.get(), timeout_ms);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoError(absl::StrCat("connect 127.0.0.1:", port));
  }
  return fd;
}

absl::StatusOr<ScopedFd> ConnectUnix(const std::string& path, int timeout_ms) {
  ScopedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError("socket");
  SetTimeouts(fd.get(), timeout_ms);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoError(absl::StrCat("connect ", path));
  }
  return fd;
}

absl::Status SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("send");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> TcpExchange(int port, absl::string_view request, int timeout_ms) {
  ZC_ASSIGN_OR_RETURN(ScopedFd fd, ConnectTcp(port, timeout_ms));
  ZC_RETURN_IF_ERROR(SendAll(fd.get(), request));
  std::string answer;
  char chunk[4096];
  for (;;) {
    ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return absl::DeadlineExceededError(
          absl::StrCat("127.0.0.1:", port, " did not finish its answer in time"));
    }
    if (n < 0) return ErrnoError("recv");
    if (n == 0) return answer;
    answer.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream content;
  content << in.rdbuf();
  return std::move(content).str();
}

absl::Status WriteWholeFile(const std::string& path, absl::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return ErrnoError(absl::StrCat("mkdir ", path));
  }
  return absl::OkStatus();
}

}  // namespace zc::test
