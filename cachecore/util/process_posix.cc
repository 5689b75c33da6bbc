#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/process.h"
#include "cachecore/util/scoped_fd.h"

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

}  // namespace

absl::StatusOr<ProcessResult> PosixProcessRunner::Run(const Command& cmd) {
  if (cmd.argv.empty()) return absl::InvalidArgumentError("empty command");
  ScopedFd out_r, out_w, err_r, err_w, in_r, in_w;
  absl::Status st = MakePipe(&out_r, &out_w);
  if (st.ok()) st = MakePipe(&err_r, &err_w);
  if (st.ok() && !cmd.stdin_data.empty()) {
    // A socket pair rather than a pipe: send(MSG_NOSIGNAL) cannot raise SIGPIPE in our process
    // (which may be an embedding host) when the child exits without reading its input.
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoToStatus(errno, "socketpair");
    }
    in_r.Reset(sv[0]);
    in_w.Reset(sv[1]);
  }
  if (!st.ok()) return st;

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
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv = CStrings(cmd.argv);
  std::vector<char*> envp;
  if (cmd.env) envp = CStrings(*cmd.env);
  pid_t pid = 0;
  const bool search = cmd.argv[0].find('/') == std::string::npos;
  int rc = search ? ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(),
                                   cmd.env ? envp.data() : environ)
                  : ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(),
                                  cmd.env ? envp.data() : environ);
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
  while (out_r.valid() || err_r.valid() || in_w.valid()) {
    pollfd fds[3];
    int n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out_r.valid()) { out_i = n; fds[n++] = {out_r.get(), POLLIN, 0}; }
    if (err_r.valid()) { err_i = n; fds[n++] = {err_r.get(), POLLIN, 0}; }
    if (in_w.valid()) { in_i = n; fds[n++] = {in_w.get(), POLLOUT, 0}; }
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto drain = [&](int index, ScopedFd& fd, std::string& sink) {
      if (index < 0 || fds[index].revents == 0) return;
      ssize_t got = ::read(fd.get(), buf, sizeof(buf));
      if (got > 0) {
        sink.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        fd.Reset();
      }
    };
    drain(out_i, out_r, result.stdout_data);
    drain(err_i, err_r, result.stderr_data);
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
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                     : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                           : 1;
  return result;
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
