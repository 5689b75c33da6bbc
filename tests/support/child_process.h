// Test helpers for multi-process tests: run a function in a forked child and check how it ended.
//
//   zc::test::StartBarrier barrier;
//   std::vector<pid_t> pids;
//   for (int i = 0; i < 8; ++i) {
//     pids.push_back(zc::test::ForkChild([&] {
//       barrier.Wait();          // all children start together
//       return DoWork() ? 0 : 1; // the exit status the parent checks
//     }));
//   }
//   barrier.Release();
//   for (pid_t pid : pids) EXPECT_TRUE(zc::test::WaitForSuccess(pid));
//
// A child never returns into GoogleTest: it leaves with _exit(status), 111 if the body threw.
// Child bodies must not use gtest assertions (their failures would be lost with the child); they
// report through their exit status (and, if needed, shared memory).
#ifndef ZCWRAP_TESTS_SUPPORT_CHILD_PROCESS_H_
#define ZCWRAP_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <functional>

#include "gtest/gtest.h"

namespace zc::test {

// Exit status of a child whose body threw an exception.
inline constexpr int kChildThrew = 111;

// Forks; the child runs `body` and _exits with its result. Returns the child's pid (-1 and a test
// failure if fork failed).
pid_t ForkChild(const std::function<int()>& body);

// Waits for `pid`; success if it exited normally with status 0.
::testing::AssertionResult WaitForSuccess(pid_t pid);

// Waits for `pid` and returns its raw wait status (-1 if waitpid failed).
int WaitForStatus(pid_t pid);

// A one-shot gate for children forked after it was made: Wait() blocks until the parent calls
// Release() (or dies). Use it to start many children at the same instant.
class StartBarrier {
 public:
  StartBarrier();
  ~StartBarrier();
  StartBarrier(const StartBarrier&) = delete;
  StartBarrier& operator=(const StartBarrier&) = delete;

  // In a child: blocks until Release().
  void Wait();
  // In the parent: lets every waiting child go.
  void Release();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// A block of memory shared between the parent and children forked after it was made, for flags
// and counters (use std::atomic_ref on it).
class SharedMemory {
 public:
  explicit SharedMemory(size_t size);
  ~SharedMemory();
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;

  template <typename T>
  T* As() const {
    return static_cast<T*>(data_);
  }

 private:
  void* data_;
  size_t size_;
};

}  // namespace zc::test

#endif  // ZCWRAP_TESTS_SUPPORT_CHILD_PROCESS_H_
