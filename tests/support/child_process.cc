#include "tests/support/child_process.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zc::test {

pid_t ForkChild(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return -1;
  }
  if (pid == 0) {
    int status = kChildThrew;
    try {
      status = body();
    } catch (...) {
      status = kChildThrew;
    }
    ::_exit(status);
  }
  return pid;
}

int WaitForStatus(pid_t pid) {
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, 0) == pid) return status;
    if (errno != EINTR) return -1;
  }
}

::testing::AssertionResult WaitForSuccess(pid_t pid) {
  if (pid < 0) return ::testing::AssertionFailure() << "no child (fork failed)";
  const int status = WaitForStatus(pid);
  if (status == -1) {
    return ::testing::AssertionFailure() << "waitpid(" << pid << "): " << std::strerror(errno);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ::testing::AssertionSuccess();
  if (WIFEXITED(status)) {
    return ::testing::AssertionFailure()
           << "child " << pid << " exited with status " << WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return ::testing::AssertionFailure()
           << "child " << pid << " was killed by signal " << WTERMSIG(status);
  }
  return ::testing::AssertionFailure() << "child " << pid << " ended with wait status " << status;
}

StartBarrier::StartBarrier() {
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

StartBarrier::~StartBarrier() {
  if (read_fd_ >= 0) ::close(read_fd_);
  if (write_fd_ >= 0) ::close(write_fd_);
}

void StartBarrier::Wait() {
  // The pipe reads end-of-file once every copy of the write end is closed: ours here, the
  // parent's in Release().
  if (write_fd_ >= 0) {
    ::close(write_fd_);
    write_fd_ = -1;
  }
  char c;
  while (::read(read_fd_, &c, 1) < 0 && errno == EINTR) {
  }
}

void StartBarrier::Release() {
  if (write_fd_ >= 0) {
    ::close(write_fd_);
    write_fd_ = -1;
  }
}

SharedMemory::SharedMemory(size_t size) : size_(size) {
  data_ = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (data_ == MAP_FAILED) {
    ADD_FAILURE() << "mmap: " << std::strerror(errno);
    data_ = nullptr;
  }
}

SharedMemory::~SharedMemory() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

}  // namespace zc::test
