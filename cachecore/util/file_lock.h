// FileLock: an advisory, process-shared lock on a lock file (flock(2)), released on destruction
// or when the process dies, so a killed process can never leave a cache locked.
//
//   ZC_ASSIGN_OR_RETURN(zc::util::FileLock lock, zc::util::FileLock::Acquire(dir + "/lock"));
//   ... exclusive section ...
//
// TryAcquire returns std::nullopt (not an error) when another process holds the lock.
// Locks are per open file description: two FileLocks on one path in one process exclude each
// other too, so the class also serialises threads.
#ifndef ZCWRAP_CACHECORE_UTIL_FILE_LOCK_H_
#define ZCWRAP_CACHECORE_UTIL_FILE_LOCK_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::util {

class FileLock {
 public:
  // Blocks until the exclusive lock on `path` (created if missing) is held.
  static absl::StatusOr<FileLock> Acquire(const std::string& path);
  // Takes the lock only if it is free right now.
  static absl::StatusOr<std::optional<FileLock>> TryAcquire(const std::string& path);

  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;
  ~FileLock() = default;  // Closing the descriptor releases the lock.

 private:
  explicit FileLock(ScopedFd fd) : fd_(std::move(fd)) {}
  ScopedFd fd_;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_FILE_LOCK_H_
