// ScopedFd owns a POSIX file descriptor and closes it on destruction.
//
//   ScopedFd fd(open(path, O_RDONLY | O_CLOEXEC));
//   if (!fd.valid()) return ErrnoToStatus(errno, path);
//
// Move-only. Not thread-safe (like the descriptor it holds).
#ifndef ZCWRAP_CACHECORE_UTIL_SCOPED_FD_H_
#define ZCWRAP_CACHECORE_UTIL_SCOPED_FD_H_

#include <unistd.h>

#include <utility>

namespace zc::util {

class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing.
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_SCOPED_FD_H_
