#include "cachecore/util/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/scoped_fd.h"
#include "cachecore/util/status_macros.h"

namespace zc::util {

absl::Status ErrnoToStatus(int err, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR: return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS: return absl::PermissionDeniedError(message);
    case EEXIST:
    case EADDRINUSE: return absl::AlreadyExistsError(message);
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE: return absl::ResourceExhaustedError(message);
    default: return absl::InternalError(message);
  }
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

absl::StatusOr<std::string> ReadAll(int fd) {
  std::string out;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    out.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

namespace {

// open(2) with O_NONBLOCK (opening a FIFO must not wait for its other end; no effect on regular
// files), O_NOFOLLOW for Links::kRefuse, and with `regular_only` nothing but a regular file.
absl::StatusOr<ScopedFd> OpenChecked(const std::string& path, int flags, unsigned mode, Links links,
                                     bool regular_only) {
  flags |= O_CLOEXEC | O_NONBLOCK | (links == Links::kRefuse ? O_NOFOLLOW : 0);
  ScopedFd fd(::open(path.c_str(), flags, mode));
  if (!fd.valid()) {
    if (errno == ELOOP && links == Links::kRefuse) {
      return absl::FailedPreconditionError(absl::StrCat(path, ": a symbolic link, refused"));
    }
    return ErrnoToStatus(errno, path);
  }
  if (regular_only) {
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, path);
    if (!S_ISREG(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file, refused"));
    }
  }
  return fd;
}

}  // namespace

absl::StatusOr<ScopedFd> OpenRegularFile(const std::string& path, Links links) {
  return OpenChecked(path, O_RDONLY, 0, links, /*regular_only=*/true);
}

absl::StatusOr<ScopedFd> OpenForAppend(const std::string& path, unsigned mode, Links links) {
  ZC_ASSIGN_OR_RETURN(ScopedFd fd, OpenChecked(path, O_WRONLY | O_CREAT | O_APPEND, mode, links,
                                               /*regular_only=*/links == Links::kRefuse));
  // Blocking writes from here on (a terminal or a pipe with a slow reader must not lose lines).
  const int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl >= 0) ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path, Links links) {
  absl::StatusOr<ScopedFd> fd = OpenRegularFile(path, links);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<std::string> data = ReadAll(fd->get());
  if (!data.ok()) return Annotate(data.status(), path);
  return data;
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status CreateDirectories(const std::string& path, unsigned mode) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  if (::mkdir(path.c_str(), mode) == 0) return absl::OkStatus();
  int err = errno;
  if (err == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(path, ": exists and is not a directory"));
  }
  if (err != ENOENT) return ErrnoToStatus(err, path);
  absl::string_view parent = Dirname(path);
  if (parent == path || parent == "." || parent == "/") return ErrnoToStatus(err, path);
  ZC_RETURN_IF_ERROR(CreateDirectories(std::string(parent), mode));
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return absl::OkStatus();
  return ErrnoToStatus(errno, path);
}

absl::Status CreateDirectoriesBelow(const std::string& root, absl::string_view relative,
                                    unsigned mode) {
  std::string path = root;
  for (absl::string_view part : absl::StrSplit(relative, '/', absl::SkipEmpty())) {
    absl::StrAppend(&path, "/", part);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno != ENOENT) return ErrnoToStatus(errno, path);
      if (::mkdir(path.c_str(), mode) == 0) continue;
      if (errno != EEXIST || ::lstat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, path);
    }
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, S_ISLNK(st.st_mode) ? ": a symbolic link, refused" : ": not a directory"));
    }
  }
  return absl::OkStatus();
}

absl::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
  return ErrnoToStatus(errno, path);
}

absl::string_view Dirname(absl::string_view path) {
  size_t slash = path.find_last_of('/');
  if (slash == absl::string_view::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::string_view Basename(absl::string_view path) {
  size_t slash = path.find_last_of('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (a.empty() || (!b.empty() && b.front() == '/')) return std::string(b);
  if (b.empty()) return std::string(a);
  if (a.back() == '/') return absl::StrCat(a, b);
  return absl::StrCat(a, "/", b);
}

}  // namespace zc::util
