// ScopedDir owns a directory stream (DIR*) and closes it on destruction.
//
//   ScopedDir dir(opendir(path.c_str()));
//   if (!dir.valid()) return ErrnoToStatus(errno, path);
//   while (struct dirent* e = readdir(dir.get())) { ... }
//
// Move-only. Not thread-safe (like the stream it holds).
#ifndef ZCWRAP_CACHECORE_UTIL_SCOPED_DIR_H_
#define ZCWRAP_CACHECORE_UTIL_SCOPED_DIR_H_

#include <dirent.h>

#include <utility>

namespace zc::util {

class ScopedDir {
 public:
  ScopedDir() = default;
  // Takes ownership of `dir`, which may be nullptr (a failed opendir).
  explicit ScopedDir(DIR* dir) : dir_(dir) {}
  ScopedDir(ScopedDir&& other) noexcept : dir_(std::exchange(other.dir_, nullptr)) {}
  ScopedDir& operator=(ScopedDir&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.dir_, nullptr));
    return *this;
  }
  ScopedDir(const ScopedDir&) = delete;
  ScopedDir& operator=(const ScopedDir&) = delete;
  ~ScopedDir() { Reset(); }

  DIR* get() const { return dir_; }
  bool valid() const { return dir_ != nullptr; }
  // Closes the stream held, if any, and takes `dir` instead.
  void Reset(DIR* dir = nullptr) {
    if (DIR* old = std::exchange(dir_, dir); old != nullptr) ::closedir(old);
  }

 private:
  DIR* dir_ = nullptr;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_SCOPED_DIR_H_
