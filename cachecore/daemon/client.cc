#include "cachecore/daemon/client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
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
#include "cachecore/util/status_macros.h"

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
  ZC_ASSIGN_OR_RETURN(const util::ScopedFd fd, ConnectUnix(socket_path));
  ZC_RETURN_IF_ERROR(WriteFrame(fd.get(), type, payload));
  absl::StatusOr<Frame> reply = ReadFrame(fd.get(), timeout_ms);
  if (reply.ok() && reply->type == FrameType::kError) {
    return absl::FailedPreconditionError(absl::StrCat("daemon refused: ", reply->payload));
  }
  return reply;
}

// The daemon belongs to another build and is leaving (daemon/protocol.h): like no daemon at all,
// so the caller starts one of its own build.
absl::Status Retired(const Frame& reply) {
  return absl::UnavailableError(absl::StrCat(
      "the daemon was another build (", reply.payload.substr(0, kMaxBuildIdSize), ") and retired"));
}

}  // namespace

absl::StatusOr<CompileResponseMessage> Client::Compile(const CompileRequestMessage& request) const {
  CompileRequestMessage copy;
  const CompileRequestMessage* sent = &request;
  if (request.client_build.empty() && !build_id_.empty()) {
    copy = request;
    copy.client_build = build_id_;
    sent = &copy;
  }
  ZC_ASSIGN_OR_RETURN(const Frame reply,
                      RoundTrip(endpoint_.socket_path, FrameType::kCompileRequest,
                                EncodeCompileRequest(*sent), -1));
  if (reply.type == FrameType::kRetired) return Retired(reply);
  if (reply.type != FrameType::kCompileResponse) {
    return absl::InternalError("unexpected reply to a compile request");
  }
  return DecodeCompileResponse(reply.payload);
}

absl::Status Client::Ping() const {
  ZC_ASSIGN_OR_RETURN(const Frame reply, RoundTrip(endpoint_.socket_path, FrameType::kPing,
                                                   build_id_, kControlTimeoutMs));
  if (reply.type == FrameType::kRetired) return Retired(reply);
  return reply.type == FrameType::kPong ? absl::OkStatus()
                                        : absl::InternalError("unexpected reply to a ping");
}

absl::StatusOr<std::string> Client::Status() const {
  ZC_ASSIGN_OR_RETURN(const Frame reply, RoundTrip(endpoint_.socket_path, FrameType::kStatusRequest,
                                                   "", kControlTimeoutMs));
  if (reply.type != FrameType::kStatusResponse) {
    return absl::InternalError("unexpected reply to a status request");
  }
  return reply.payload;
}

absl::Status Client::Shutdown() const {
  ZC_RETURN_IF_ERROR(
      RoundTrip(endpoint_.socket_path, FrameType::kShutdownRequest, "", kControlTimeoutMs)
          .status());
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
  if (::lstat(endpoint_.failed_path.c_str(), &failed) == 0 &&
      ::time(nullptr) - failed.st_mtime < kRetryStartAfterSeconds) {
    return absl::UnavailableError("the daemon failed to start recently");
  }
  ZC_ASSIGN_OR_RETURN(const util::FileLock lock, util::FileLock::Acquire(endpoint_.lock_path));
  if (Ping().ok()) return absl::OkStatus();  // another client started it while we waited

  std::vector<std::string> args = {zcwrap_path, "--daemon-run"};
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  env_copy.push_back(absl::StrCat(kReadyFdVariable, "=", kReadyFd));
  for (std::string& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);

  // The exec's outcome comes back through a close-on-exec pipe: end of file means it ran. The
  // daemon then says it listens through a second one (kReadyFd), or ends it by dying, so a
  // daemon that cannot start is known at once, not after the whole wait.
  int report[2], ready[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    ::close(report[0]);
    ::close(report[1]);
    return absl::InternalError("pipe failed");
  }
  // Double fork, so the daemon is nobody's child and survives the client.
  const pid_t child = ::fork();
  if (child < 0) {
    for (int fd : {report[0], report[1], ready[0], ready[1]}) ::close(fd);
    return absl::InternalError("fork failed");
  }
  if (child == 0) {
    ::close(report[0]);
    ::close(ready[0]);
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    // Raw on purpose: between fork and exec no destructor may run (exec or _exit ends this).
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);  // its dup2 copies stay open
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    if (report[1] == kReadyFd) report[1] = ::fcntl(report[1], F_DUPFD_CLOEXEC, kReadyFd + 1);
    if (ready[1] == kReadyFd) {
      ::fcntl(kReadyFd, F_SETFD, 0);  // keep it across the exec
    } else {
      ::dup2(ready[1], kReadyFd);  // the copy is not close-on-exec
    }
    // Nothing else the starter had open reaches the daemon: it outlives its starter by minutes,
    // and a pipe it kept (make's jobserver, a CI runner's output) would never see end of file.
    if (::close_range(kReadyFd + 1, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      struct rlimit limit;
      const rlim_t top = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536
                             ? limit.rlim_cur
                             : 65536;
      for (int fd = kReadyFd + 1; fd < static_cast<int>(top); ++fd) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
    if (::chdir("/") != 0) ::_exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    int err = errno;
    (void)!::write(report[1], &err, sizeof(err));
    ::_exit(127);
  }
  ::close(report[1]);
  ::close(ready[1]);
  ::waitpid(child, nullptr, 0);
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  util::ScopedFd ready_fd(ready[0]);

  std::string why = "daemon did not start in time";
  if (n != static_cast<ssize_t>(sizeof(exec_errno))) {
    const auto deadline = std::chrono::steady_clock::now() + kStartWait;
    bool said_ready = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!said_ready) {
        pollfd p = {ready_fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 5) > 0) {
          char c = 0;
          const ssize_t got = ::read(ready_fd.get(), &c, 1);
          if (got == 0) {
            why = "the daemon exited at start (see its log)";
            break;
          }
          said_ready = got == 1;
        }
      }
      if (Ping().ok()) {
        ::unlink(endpoint_.failed_path.c_str());
        return absl::OkStatus();
      }
      if (said_ready) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } else {
    why = absl::StrCat("cannot run ", zcwrap_path, ": ", std::strerror(exec_errno));
  }
  // Remember the failure for a while.
  util::ScopedFd marker(::open(endpoint_.failed_path.c_str(),
                               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                               0600));
  return absl::UnavailableError(why);
}

}  // namespace zc::daemon
