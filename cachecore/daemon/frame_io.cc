#include "cachecore/daemon/frame_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::daemon {
namespace {

absl::StatusOr<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": socket path too long"));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Reads exactly `n` bytes into `out`.
absl::Status ReadExact(int fd, size_t n, int timeout_ms, std::string* out, bool* eof_at_start) {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    if (timeout_ms >= 0) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, timeout_ms);
      if (r < 0) {
        if (errno == EINTR) continue;
        return util::ErrnoToStatus(errno, "poll");
      }
      if (r == 0) return absl::DeadlineExceededError("daemon did not answer in time");
    }
    ssize_t k = ::recv(fd, out->data() + got, n - got, 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      return util::ErrnoToStatus(errno, "recv");
    }
    if (k == 0) {
      if (eof_at_start != nullptr && got == 0) *eof_at_start = true;
      return absl::OutOfRangeError("connection closed");
    }
    got += static_cast<size_t>(k);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<util::ScopedFd> ConnectUnix(const std::string& path) {
  ZC_ASSIGN_OR_RETURN(const sockaddr_un addr, Address(path));
  // connect(2) follows symbolic links: only a socket itself is used; anything else planted at
  // the path counts as no daemon (a daemon that starts replaces it).
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
    return absl::UnavailableError(absl::StrCat(path, ": not a socket, refused"));
  }
  util::ScopedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return util::ErrnoToStatus(errno, "socket");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ECONNREFUSED || err == EAGAIN) {
      return absl::UnavailableError(absl::StrCat(path, ": no daemon listening"));
    }
    return util::ErrnoToStatus(err, path);
  }
  // Compile requests carry the environment: only a daemon of this very user may see them.
  ZC_ASSIGN_OR_RETURN(const uid_t server, PeerUid(fd.get()));
  if (server != ::getuid()) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": served by uid ", server, ", not this user; refused"));
  }
  return fd;
}

absl::StatusOr<util::ScopedFd> ListenUnix(const std::string& path) {
  ZC_ASSIGN_OR_RETURN(const sockaddr_un addr, Address(path));
  util::ScopedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return util::ErrnoToStatus(errno, "socket");
  const mode_t old_mask = ::umask(0177);  // the socket file is created 0600
  const int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::umask(old_mask);
  if (rc != 0) return util::ErrnoToStatus(err, path);
  if (::listen(fd.get(), 128) != 0) return util::ErrnoToStatus(errno, path);
  return fd;
}

absl::StatusOr<uid_t> PeerUid(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return util::ErrnoToStatus(errno, "SO_PEERCRED");
  }
  return cred.uid;
}

absl::Status WriteFrame(int fd, FrameType type, absl::string_view payload) {
  const std::string frame = EncodeFrame(type, payload);
  absl::string_view rest = frame;
  while (!rest.empty()) {
    ssize_t k = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR) continue;
      return util::ErrnoToStatus(errno, "send");
    }
    rest.remove_prefix(static_cast<size_t>(k));
  }
  return absl::OkStatus();
}

absl::StatusOr<Frame> ReadFrame(int fd, int timeout_ms) {
  std::string header_bytes;
  ZC_RETURN_IF_ERROR(ReadExact(fd, kFrameHeaderSize, timeout_ms, &header_bytes, nullptr));
  FrameHeader header;
  ZC_RETURN_IF_ERROR(DecodeFrameHeader(header_bytes, &header));
  Frame frame;
  frame.type = header.type;
  ZC_RETURN_IF_ERROR(ReadExact(fd, header.length, timeout_ms, &frame.payload, nullptr));
  ZC_RETURN_IF_ERROR(VerifyPayload(header, frame.payload));
  return frame;
}

}  // namespace zc::daemon
