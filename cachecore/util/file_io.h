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

namespace zc::util {

// Maps an errno value to a Status: ENOENT → NotFound, EACCES/EPERM → PermissionDenied,
// EEXIST/EADDRINUSE → AlreadyExists, ENOSPC/EDQUOT → ResourceExhausted, anything else → Internal.
// The message is "<what>: <strerror>".
absl::Status ErrnoToStatus(int err, absl::string_view what);

// Returns `status` with "<context>: " put in front of its message (OK stays OK).
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// Reads the whole file. NotFound if it does not exist.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Reads from `fd` until end of file.
absl::StatusOr<std::string> ReadAll(int fd);

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
absl::Status WriteAll(int fd, absl::string_view data);

// Creates `path` and any missing parents with `mode`. OK if it already exists as a directory.
absl::Status CreateDirectories(const std::string& path, unsigned mode = 0777);

// Removes a file. OK if it does not exist.
absl::Status RemoveFile(const std::string& path);

// The directory part of `path` ("." when there is none), and the last component.
absl::string_view Dirname(absl::string_view path);
absl::string_view Basename(absl::string_view path);

// Joins two path parts with exactly one '/'. An absolute `b` is returned as it is.
std::string JoinPath(absl::string_view a, absl::string_view b);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_FILE_IO_H_
