#include "cachecore/util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::util {
namespace {

absl::StatusOr<ScopedFd> OpenLockFile(const std::string& path) {
  // A lock file is zcwrap's own: a symbolic link or a FIFO planted there is never followed or
  // waited on (O_NONBLOCK affects only the open; flock blocks as asked). It is removed (unlink
  // removes the link, not its target) and a fresh lock file made once; no process can hold a
  // lock on such a thing, so no one's lock is broken.
  for (int attempt = 0;; ++attempt) {
    ScopedFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0666));
    struct stat st;
    if (fd.valid() && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) return fd;
    if (!fd.valid() && errno != ELOOP) return ErrnoToStatus(errno, path);
    if (attempt > 0 || (::unlink(path.c_str()) != 0 && errno != ENOENT)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": not a regular file (a link or FIFO?), refused"));
    }
  }
}

}  // namespace

absl::StatusOr<FileLock> FileLock::Acquire(const std::string& path) {
  ZC_ASSIGN_OR_RETURN(ScopedFd fd, OpenLockFile(path));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoToStatus(errno, path);
  }
  return FileLock(std::move(fd));
}

absl::StatusOr<std::optional<FileLock>> FileLock::TryAcquire(const std::string& path) {
  ZC_ASSIGN_OR_RETURN(ScopedFd fd, OpenLockFile(path));
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::optional<FileLock>();
    if (errno != EINTR) return ErrnoToStatus(errno, path);
  }
  return std::optional<FileLock>(FileLock(std::move(fd)));
}

}  // namespace zc::util
