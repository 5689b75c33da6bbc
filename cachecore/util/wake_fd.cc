#include "cachecore/util/wake_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#if defined(__linux__)
#include <sys/eventfd.h>
#endif

#include "cachecore/util/file_io.h"
#include "cachecore/util/process.h"

namespace zc::util {

absl::StatusOr<WakeFd> WakeFd::Create() {
#if defined(__linux__)
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return ErrnoToStatus(errno, "eventfd");
  return WakeFd(fd, fd);
#else
  int fds[2];
  if (::pipe(fds) != 0) return ErrnoToStatus(errno, "pipe");
  for (int fd : fds) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  return WakeFd(fds[0], fds[1]);
#endif
}

WakeFd::WakeFd(WakeFd&& other) noexcept
    : read_fd_(std::exchange(other.read_fd_, -1)), write_fd_(std::exchange(other.write_fd_, -1)) {}

WakeFd& WakeFd::operator=(WakeFd&& other) noexcept {
  if (this != &other) {
    Close();
    read_fd_ = std::exchange(other.read_fd_, -1);
    write_fd_ = std::exchange(other.write_fd_, -1);
  }
  return *this;
}

WakeFd::~WakeFd() { Close(); }

void WakeFd::Close() {
  if (write_fd_ >= 0 && write_fd_ != read_fd_) ::close(write_fd_);
  if (read_fd_ >= 0) ::close(read_fd_);
  read_fd_ = write_fd_ = -1;
}

void WakeFd::Signal() const {
  // An eventfd takes an 8-byte count; a pipe one byte (a full pipe is readable already).
  const uint64_t one = 1;
  const size_t len = write_fd_ == read_fd_ ? sizeof(one) : 1;
  (void)!::write(write_fd_, &one, len);
}

bool WakeFd::signalled() const { return AnyReadable({read_fd_}); }

}  // namespace zc::util
