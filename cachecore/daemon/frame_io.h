// Unix-domain sockets and whole frames over them.
//
//   ZC_ASSIGN_OR_RETURN(zc::util::ScopedFd fd, zc::daemon::ConnectUnix(path));
//   ZC_RETURN_IF_ERROR(zc::daemon::WriteFrame(fd.get(), FrameType::kPing, ""));
//   ZC_ASSIGN_OR_RETURN(zc::daemon::Frame reply, zc::daemon::ReadFrame(fd.get(), deadline_ms));
//
// Every read has a deadline, so a stuck peer is a DeadlineExceeded error, never a hang; writes
// never raise SIGPIPE (MSG_NOSIGNAL).
#ifndef ZCWRAP_CACHECORE_DAEMON_FRAME_IO_H_
#define ZCWRAP_CACHECORE_DAEMON_FRAME_IO_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/daemon/protocol.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::daemon {

struct Frame {
  FrameType type = FrameType::kError;
  std::string payload;
};

// Connects to the socket at `path`. Unavailable if nobody listens (no file, refused) or if what is
// at `path` is not a socket itself (a symbolic link or FIFO is never followed); PermissionDenied if
// the listening process runs as another user (a compile request carries the environment).
absl::StatusOr<util::ScopedFd> ConnectUnix(const std::string& path);

// Binds and listens at `path` with mode 0600 (a stale socket file there must have been removed).
absl::StatusOr<util::ScopedFd> ListenUnix(const std::string& path);

// The uid of the process at the other end of a connected Unix socket.
absl::StatusOr<uid_t> PeerUid(int fd);

absl::Status WriteFrame(int fd, FrameType type, absl::string_view payload);

// Reads one frame, waiting at most `timeout_ms` for each part (-1: no limit). Header errors keep
// their codes (FailedPrecondition for another protocol version); end of file before a header is
// OutOfRange.
absl::StatusOr<Frame> ReadFrame(int fd, int timeout_ms);

}  // namespace zc::daemon

#endif  // ZCWRAP_CACHECORE_DAEMON_FRAME_IO_H_
