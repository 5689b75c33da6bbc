#include "bench/replay/child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/status_macros.h"

extern char** environ;

namespace zc::bench {
namespace {

absl::Status ErrnoError(int err, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == ENOEXEC) return absl::InvalidArgumentError(message);
  return absl::InternalError(message);
}

bool HasName(const std::string& entry, absl::string_view name) {
  return entry.size() > name.size() && absl::StartsWith(entry, name) && entry[name.size()] == '=';
}

// Owns posix_spawn_file_actions_t.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// Points `target` (1 or 2) at `fd`, or at /dev/null when fd < 0.
int RedirectStream(FileActions& actions, int target, int fd) {
  if (fd < 0) {
    return posix_spawn_file_actions_addopen(actions.get(), target, "/dev/null", O_WRONLY, 0);
  }
  return posix_spawn_file_actions_adddup2(actions.get(), fd, target);
}

// An anonymous temporary file (already unlinked), or an error.
absl::StatusOr<int> AnonymousFile() {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp", "/zc_replay-XXXXXX");
  int fd = mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, pattern);
  unlink(pattern.c_str());
  return fd;
}

std::string ReadBack(int fd) {
  std::string text;
  char buffer[8192];
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  return text;
}

}  // namespace

Environment::Environment(std::vector<std::string> entries) : entries_(std::move(entries)) {
  Index();
}

Environment& Environment::operator=(const Environment& other) {
  entries_ = other.entries_;
  Index();
  return *this;
}

void Environment::Index() {
  pointers_.clear();
  pointers_.reserve(entries_.size() + 1);
  for (std::string& entry : entries_) pointers_.push_back(entry.data());
  pointers_.push_back(nullptr);
}

Environment Environment::Current() {
  std::vector<std::string> entries;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) entries.emplace_back(*e);
  return Environment(std::move(entries));
}

Environment Environment::With(absl::string_view name, absl::string_view value) const {
  std::vector<std::string> entries;
  entries.reserve(entries_.size() + 1);
  for (const std::string& entry : entries_) {
    if (!HasName(entry, name)) entries.push_back(entry);
  }
  entries.push_back(absl::StrCat(name, "=", value));
  return Environment(std::move(entries));
}

Environment Environment::Without(absl::string_view name) const {
  std::vector<std::string> entries;
  for (const std::string& entry : entries_) {
    if (!HasName(entry, name)) entries.push_back(entry);
  }
  return Environment(std::move(entries));
}

absl::StatusOr<int> SpawnAndWait(const SpawnRequest& request) {
  if (request.argv.empty()) return absl::InvalidArgumentError("empty command");
  FileActions actions;
  int rc = RedirectStream(actions, STDOUT_FILENO, request.stdout_fd);
  if (rc == 0) rc = RedirectStream(actions, STDERR_FILENO, request.stderr_fd);
  if (rc == 0) {
    rc = posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (rc == 0 && !request.cwd.empty()) {
    rc = posix_spawn_file_actions_addchdir_np(actions.get(), request.cwd.c_str());
  }
  if (rc != 0) return ErrnoError(rc, "posix_spawn_file_actions");

  std::vector<char*> argv;
  argv.reserve(request.argv.size() + 1);
  for (const std::string& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  char* const* envp = request.env != nullptr ? request.env->envp() : environ;

  pid_t pid = -1;
  const std::string& program = request.argv[0];
  rc = program.find('/') == std::string::npos
           ? posix_spawnp(&pid, program.c_str(), actions.get(), nullptr, argv.data(), envp)
           : posix_spawn(&pid, program.c_str(), actions.get(), nullptr, argv.data(), envp);
  if (rc != 0) {
    std::string what = program;
    if (!request.cwd.empty()) absl::StrAppend(&what, " (in ", request.cwd, ")");
    return ErrnoError(rc, what);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoError(errno, absl::StrCat("waitpid ", program));
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

absl::StatusOr<CapturedRun> RunCapturing(const std::vector<std::string>& argv,
                                         const Environment& env) {
  ZC_ASSIGN_OR_RETURN(int out_fd, AnonymousFile());
  absl::StatusOr<int> err_fd = AnonymousFile();
  if (!err_fd.ok()) {
    close(out_fd);
    return err_fd.status();
  }
  absl::StatusOr<int> code =
      SpawnAndWait({.argv = argv, .env = &env, .stdout_fd = out_fd, .stderr_fd = *err_fd});
  CapturedRun run;
  if (code.ok()) {
    run.exit_code = *code;
    run.stdout_data = ReadBack(out_fd);
    run.stderr_data = ReadBack(*err_fd);
  }
  close(out_fd);
  close(*err_fd);
  if (!code.ok()) return code.status();
  return run;
}

absl::StatusOr<std::string> FindProgram(absl::string_view program,
                                        absl::string_view path_variable) {
  if (program.empty()) return absl::InvalidArgumentError("empty program name");
  auto executable = [](const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
  };
  if (absl::StrContains(program, '/')) {
    std::string path(program);
    if (!executable(path)) return absl::NotFoundError(absl::StrCat(path, ": not an executable"));
    return path;
  }
  for (absl::string_view dir : absl::StrSplit(path_variable, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", program);
    if (!executable(candidate)) continue;
    if (candidate.front() != '/') {  // a relative PATH entry: made absolute, as cwds change
      char cwd[4096];
      if (getcwd(cwd, sizeof cwd) == nullptr) return ErrnoError(errno, "getcwd");
      candidate = absl::StrCat(cwd, "/", candidate);
    }
    return candidate;
  }
  return absl::NotFoundError(absl::StrCat(program, ": not found on PATH"));
}

}  // namespace zc::bench
