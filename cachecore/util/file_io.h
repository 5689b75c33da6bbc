// Small POSIX file helpers that report errors as absl::Status.
//
// Every function here is a thin, retrying wrapper over one or two system calls; none of them
// throws. Error messages name the path and the errno text, so callers can pass them straight to a
// user.
#ifndef ZCWRAP_CACHECORE_UTIL_FILE_IO_H_
#define ZCWRAP_CACHECORE_UTIL_FILE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::util {

// Maps an errno value to a Status: ENOENT → NotFound, EACCES/EPERM → PermissionDenied,
// EEXIST/EADDRINUSE → AlreadyExists, ENOSPC/EDQUOT → ResourceExhausted, anything else → Internal.
// The message is "<what>: <strerror>".
absl::Status ErrnoToStatus(int err, absl::string_view what);

// Returns `status` with "<context>: " put in front of its message (OK stays OK).
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// What OpenRegularFile and ReadFileToString do with a symbolic link at the path itself: follow it
// (a user's input or config file), or refuse it (a file zcwrap wrote itself, e.g. in the cache,
// where a link can only be planted).
enum class Links { kFollow, kRefuse };

// Opens `path` read-only, only if it is a regular file. Never blocks: a FIFO, socket or device is
// refused (FailedPrecondition, "...: not a regular file") instead of waiting for a writer, and
// with Links::kRefuse so is a symbolic link (FailedPrecondition, "...: a symbolic link"). NotFound
// if nothing is there.
absl::StatusOr<ScopedFd> OpenRegularFile(const std::string& path, Links links = Links::kFollow);

// Opens a log-like file for appending (O_APPEND, created with `mode` less the umask). Never blocks
// at open: a FIFO with no reader fails (ENXIO) instead of waiting; writes then block as usual. With
// Links::kRefuse a symbolic link is refused (FailedPrecondition) and so is anything but a regular
// file.
absl::StatusOr<ScopedFd> OpenForAppend(const std::string& path, unsigned mode,
                                       Links links = Links::kFollow);

// Reads the whole file, opened with OpenRegularFile (same errors).
absl::StatusOr<std::string> ReadFileToString(const std::string& path, Links links = Links::kFollow);

// Reads from `fd` until end of file.
absl::StatusOr<std::string> ReadAll(int fd);

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
absl::Status WriteAll(int fd, absl::string_view data);

// Creates `path` and any missing parents with `mode`. OK if it already exists as a directory.
absl::Status CreateDirectories(const std::string& path, unsigned mode = 0777);

// Makes sure every directory of `relative` (e.g. "2/9") exists below `root`, creating missing ones
// with `mode`. `root` itself may be a symbolic link (a cache moved to another disk); below it a
// symbolic link or anything but a directory is refused (FailedPrecondition), so nothing zcwrap
// writes into its own tree is ever redirected elsewhere.
absl::Status CreateDirectoriesBelow(const std::string& root, absl::string_view relative,
                                    unsigned mode = 0777);

// Removes a file. OK if it does not exist.
absl::Status RemoveFile(const std::string& path);

// The directory part of `path` ("." when there is none), and the last component.
absl::string_view Dirname(absl::string_view path);
absl::string_view Basename(absl::string_view path);

// Joins two path parts with exactly one '/'. An absolute `b` is returned as it is.
std::string JoinPath(absl::string_view a, absl::string_view b);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_FILE_IO_H_
