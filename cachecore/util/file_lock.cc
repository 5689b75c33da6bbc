#include "cachecore/util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::util {
namespace {

absl::StatusOr<ScopedFd> OpenLockFile(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666));
  if (!fd.valid()) return ErrnoToStatus(errno, path);
  return fd;
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
