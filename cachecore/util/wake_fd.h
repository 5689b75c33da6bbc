// WakeFd: a descriptor that one thread makes readable to wake another out of poll(2) (or any
// wait on descriptors): cancel tokens, a forced shutdown, a granted compiler slot. Once
// signalled it stays readable. Linux: one eventfd; elsewhere: a pipe (docs/portability.md).
//
//   absl::StatusOr<zc::util::WakeFd> wake = zc::util::WakeFd::Create();
//   wake->Signal();                           // async-signal-safe, from any thread
//   zc::util::AnyReadable({wake->fd()});      // true from now on
#ifndef ZCWRAP_CACHECORE_UTIL_WAKE_FD_H_
#define ZCWRAP_CACHECORE_UTIL_WAKE_FD_H_

#include "absl/status/statusor.h"

namespace zc::util {

class WakeFd {
 public:
  static absl::StatusOr<WakeFd> Create();
  WakeFd(WakeFd&& other) noexcept;
  WakeFd& operator=(WakeFd&& other) noexcept;
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;
  ~WakeFd();

  // Makes fd() readable for good. Async-signal-safe; any number of calls.
  void Signal() const;
  bool signalled() const;
  // The descriptor to wait on (close-on-exec, non-blocking).
  int fd() const { return read_fd_; }

 private:
  WakeFd(int read_fd, int write_fd) : read_fd_(read_fd), write_fd_(write_fd) {}
  void Close();
  int read_fd_ = -1;
  int write_fd_ = -1;  // == read_fd_ for an eventfd
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_WAKE_FD_H_
