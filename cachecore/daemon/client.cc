#include "cachecore/daemon/client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cachecore/daemon/frame_io.h"
#include "cachecore/util/file_lock.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::daemon {
namespace {

// Short control requests get a deadline; a compile may legitimately take minutes, so it waits
// until the daemon answers or the connection closes.
constexpr int kControlTimeoutMs = 5000;
constexpr auto kStartWait = std::chrono::seconds(3);
constexpr auto kStopWait = std::chrono::seconds(30);
constexpr time_t kRetryStartAfterSeconds = 60;

absl::StatusOr<Frame> RoundTrip(const std::string& socket_path, FrameType type,
                                absl::string_view payload, int timeout_ms) {
  absl::StatusOr<util::ScopedFd> fd = ConnectUnix(socket_path);
  if (!fd.ok()) return fd.status();
  absl::Status st = WriteFrame(fd->get(), type, payload);
  if (!st.ok()) return st;
  absl::StatusOr<Frame> reply = ReadFrame(fd->get(), timeout_ms);
  if (reply.ok() && reply->type == FrameType::kError) {
    return absl::FailedPreconditionError(absl::StrCat("daemon refused: ", reply->payload));
  }
  return reply;
}

}  // namespace

absl::StatusOr<CompileResponseMessage> Client::Compile(const CompileRequestMessage& request) const {
  absl::StatusOr<Frame> reply = RoundTrip(endpoint_.socket_path, FrameType::kCompileRequest,
                                          EncodeCompileRequest(request), -1);
  if (!reply.ok()) return reply.status();
  if (reply->type != FrameType::kCompileResponse) {
    return absl::InternalError("unexpected reply to a compile request");
  }
  return DecodeCompileResponse(reply->payload);
}

absl::Status Client::Ping() const {
  absl::StatusOr<Frame> reply =
      RoundTrip(endpoint_.socket_path, FrameType::kPing, "", kControlTimeoutMs);
  if (!reply.ok()) return reply.status();
  return reply->type == FrameType::kPong ? absl::OkStatus()
                                         : absl::InternalError("unexpected reply to a ping");
}

absl::StatusOr<std::string> Client::Status() const {
  absl::StatusOr<Frame> reply =
      RoundTrip(endpoint_.socket_path, FrameType::kStatusRequest, "", kControlTimeoutMs);
  if (!reply.ok()) return reply.status();
  if (reply->type != FrameType::kStatusResponse) {
    return absl::InternalError("unexpected reply to a status request");
  }
  return reply->payload;
}

absl::Status Client::Shutdown() const {
  absl::StatusOr<Frame> reply =
      RoundTrip(endpoint_.socket_path, FrameType::kShutdownRequest, "", kControlTimeoutMs);
  if (!reply.ok()) return reply.status();
  const auto deadline = std::chrono::steady_clock::now() + kStopWait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!ConnectUnix(endpoint_.socket_path).ok()) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError("daemon did not stop in time");
}

absl::Status Client::EnsureRunning(const std::string& zcwrap_path,
                                   const std::vector<std::string>& env) const {
  if (Ping().ok()) return absl::OkStatus();
  // A start that failed recently is not retried by every compile: they would all wait for it.
  struct stat failed;
  if (::stat(endpoint_.failed_path.c_str(), &failed) == 0 &&
      ::time(nullptr) - failed.st_mtime < kRetryStartAfterSeconds) {
    return absl::UnavailableError("the daemon failed to start recently");
  }
  absl::StatusOr<util::FileLock> lock = util::FileLock::Acquire(endpoint_.lock_path);
  if (!lock.ok()) return lock.status();
  if (Ping().ok()) return absl::OkStatus();  // another client started it while we waited

  std::vector<std::string> args = {zcwrap_path, "--daemon-run"};
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  for (std::string& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);

  // The exec's outcome comes back through a close-on-exec pipe: end of file means it ran.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  // Double fork, so the daemon is nobody's child and survives the client.
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(report[0]);
    ::close(report[1]);
    return absl::InternalError("fork failed");
  }
  if (child == 0) {
    ::close(report[0]);
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    if (::chdir("/") != 0) ::_exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    int err = errno;
    (void)!::write(report[1], &err, sizeof(err));
    ::_exit(127);
  }
  ::close(report[1]);
  ::waitpid(child, nullptr, 0);
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);

  if (n != static_cast<ssize_t>(sizeof(exec_errno))) {
    const auto deadline = std::chrono::steady_clock::now() + kStartWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Ping().ok()) {
        ::unlink(endpoint_.failed_path.c_str());
        return absl::OkStatus();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // Remember the failure for a while (and say why in the daemon log's place).
  util::ScopedFd marker(::open(endpoint_.failed_path.c_str(),
                               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  return absl::DeadlineExceededError(n == static_cast<ssize_t>(sizeof(exec_errno))
                                         ? absl::StrCat("cannot run ", zcwrap_path, ": ",
                                                        std::strerror(exec_errno))
                                         : std::string("daemon did not start in time"));
}

}  // namespace zc::daemon
