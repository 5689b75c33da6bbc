#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/process.h"
#include "cachecore/util/scoped_fd.h"
#include "cachecore/util/status_macros.h"

extern char** environ;

namespace zc::util {
namespace {

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

absl::Status MakePipe(ScopedFd* read_end, ScopedFd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe");
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
  return absl::OkStatus();
}

// fork + exec, for what posix_spawn cannot do: PR_SET_PDEATHSIG and a umask of the child's own.
// Only async-signal-safe calls happen in the child before exec. Returns 0 or an errno value.
int SpawnDyingWithParent(const Command& cmd, bool kill_with_parent, std::vector<char*>& argv,
                         char** envp, int in_fd, int out_fd, int err_fd, pid_t* pid_out) {
  const pid_t parent = ::getpid();
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return errno;
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    return err;
  }
  if (pid == 0) {
    if (cmd.die_with_parent || kill_with_parent) {
#if defined(__linux__)
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
      // Elsewhere the child is not killed with its parent (docs/portability.md: kqueue's
      // NOTE_EXIT on macOS, a job object on Windows); it still never starts for a dead one.
      if (::getppid() != parent) ::_exit(127);
    }
    if (cmd.umask >= 0) ::umask(static_cast<mode_t>(cmd.umask));
    if (!cmd.cancel_fds.empty()) ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    // Raw on purpose: between fork and exec no destructor may run (exec or _exit ends this).
    // O_CLOEXEC: the copy dup2 makes at 0 stays open; this one must not reach the compiler.
    int devnull = in_fd >= 0 ? in_fd : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(devnull, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (!cmd.cwd.empty() && ::chdir(cmd.cwd.c_str()) != 0) {
      int e = errno;
      (void)!::write(err_pipe[1], &e, sizeof(e));
      ::_exit(127);
    }
    if (cmd.argv[0].find('/') == std::string::npos) {
      ::execvpe(argv[0], argv.data(), envp);
    } else {
      ::execve(argv[0], argv.data(), envp);
    }
    int e = errno;
    (void)!::write(err_pipe[1], &e, sizeof(e));
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  ::close(err_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    ::waitpid(pid, nullptr, 0);
    return child_errno;
  }
  *pid_out = pid;
  return 0;
}

}  // namespace

absl::StatusOr<ProcessResult> PosixProcessRunner::Run(const Command& cmd) {
  if (cmd.argv.empty()) return absl::InvalidArgumentError("empty command");
  ScopedFd out_r, out_w, err_r, err_w, in_r, in_w;
  ZC_RETURN_IF_ERROR(MakePipe(&out_r, &out_w));
  ZC_RETURN_IF_ERROR(MakePipe(&err_r, &err_w));
  if (!cmd.stdin_data.empty()) {
    // A socket pair rather than a pipe: send(MSG_NOSIGNAL) cannot raise SIGPIPE in our process
    // (which may be an embedding host) when the child exits without reading its input.
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoToStatus(errno, "socketpair");
    }
    in_r.Reset(sv[0]);
    in_w.Reset(sv[1]);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_r.valid()) {
    posix_spawn_file_actions_adddup2(&actions, in_r.get(), 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  if (!cmd.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cmd.cwd.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  short spawn_flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (!cmd.cancel_fds.empty()) {
    // A cancellable run gets its own process group, so cancelling kills the compiler driver and
    // the cc1/as processes it started, not just the driver.
    posix_spawnattr_setpgroup(&attr, 0);
    spawn_flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attr, spawn_flags);

  std::vector<char*> argv = CStrings(cmd.argv);
  std::vector<char*> envp;
  if (cmd.env) envp = CStrings(*cmd.env);
  pid_t pid = 0;
  const bool search = cmd.argv[0].find('/') == std::string::npos;
  int rc = 0;
  if (cmd.die_with_parent || children_die_with_parent_ || cmd.umask >= 0) {
    rc = SpawnDyingWithParent(cmd, children_die_with_parent_, argv, cmd.env ? envp.data() : environ,
                              in_r.get(), out_w.get(), err_w.get(), &pid);
  } else {
    rc = search ? ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(),
                                 cmd.env ? envp.data() : environ)
                : ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(),
                                cmd.env ? envp.data() : environ);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return ErrnoToStatus(rc, absl::StrCat("cannot run ", cmd.argv[0]));
  out_w.Reset();
  err_w.Reset();
  in_r.Reset();

  ProcessResult result;
  absl::string_view to_write = cmd.stdin_data;
  if (in_w.valid()) ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  char buf[65536];
  bool cancelled = false;
  std::vector<pollfd> fds;
  while (out_r.valid() || err_r.valid() || in_w.valid()) {
    fds.clear();
    int out_i = -1, err_i = -1, in_i = -1;
    if (out_r.valid()) {
      out_i = static_cast<int>(fds.size());
      fds.push_back({out_r.get(), POLLIN, 0});
    }
    if (err_r.valid()) {
      err_i = static_cast<int>(fds.size());
      fds.push_back({err_r.get(), POLLIN, 0});
    }
    if (in_w.valid()) {
      in_i = static_cast<int>(fds.size());
      fds.push_back({in_w.get(), POLLOUT, 0});
    }
    const size_t cancel_begin = fds.size();
    for (int fd : cmd.cancel_fds) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), static_cast<nfds_t>(fds.size()), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t i = cancel_begin; i < fds.size(); ++i) cancelled |= fds[i].revents != 0;
    if (cancelled) {
      ::kill(-pid, SIGKILL);
      break;
    }
    auto drain = [&](int index, ScopedFd& fd, int stream, std::string& sink) {
      if (index < 0 || fds[index].revents == 0) return;
      ssize_t got = ::read(fd.get(), buf, sizeof(buf));
      if (got > 0) {
        if (cmd.on_output) cmd.on_output(stream, absl::string_view(buf, static_cast<size_t>(got)));
        sink.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        fd.Reset();
      }
    };
    drain(out_i, out_r, 1, result.stdout_data);
    drain(err_i, err_r, 2, result.stderr_data);
    if (in_i >= 0 && fds[in_i].revents != 0) {
      ssize_t put = ::send(in_w.get(), to_write.data(), to_write.size(), MSG_NOSIGNAL);
      if (put > 0) to_write.remove_prefix(static_cast<size_t>(put));
      if ((put < 0 && errno != EAGAIN && errno != EINTR) || to_write.empty()) in_w.Reset();
    }
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoToStatus(errno, "waitpid");
  }
  if (cancelled) return absl::CancelledError(absl::StrCat(cmd.argv[0], " cancelled"));
  result.exit_code = WIFEXITED(status)     ? WEXITSTATUS(status)
                     : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                           : 1;
  return result;
}

bool AnyReadable(const std::vector<int>& fds) {
  if (fds.empty()) return false;
  std::vector<pollfd> p;
  p.reserve(fds.size());
  for (int fd : fds) p.push_back({fd, POLLIN, 0});
  if (::poll(p.data(), static_cast<nfds_t>(p.size()), 0) <= 0) return false;
  for (const pollfd& x : p) {
    if (x.revents != 0) return true;
  }
  return false;
}

absl::Status ExecReplacingProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command");
  std::vector<char*> c = CStrings(argv);
  if (argv[0].find('/') == std::string::npos) {
    ::execvp(c[0], c.data());
  } else {
    ::execv(c[0], c.data());
  }
  return ErrnoToStatus(errno, absl::StrCat("cannot run ", argv[0]));
}

}  // namespace zc::util
