#include "cachecore/util/atomic_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::util {
namespace {

uint64_t RandomSuffix() {
  uint64_t value = 0;
  if (::getrandom(&value, sizeof(value), GRND_NONBLOCK) != sizeof(value)) {
    // Uniqueness still comes from O_EXCL and the retry loop below.
    value = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(&value)) ^
            static_cast<uint64_t>(::getpid());
  }
  return value;
}

}  // namespace

absl::StatusOr<AtomicFile> AtomicFile::Create(std::string path, unsigned mode, bool durable) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string temp = absl::StrFormat("%s%s%d.%016x", path, kTempMarker, ::getpid(),
                                       RandomSuffix() + static_cast<uint64_t>(attempt));
    ScopedFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd.valid()) return AtomicFile(std::move(path), std::move(temp), std::move(fd), durable);
    if (errno != EEXIST) return ErrnoToStatus(errno, temp);
  }
  return absl::AlreadyExistsError(absl::StrCat(path, ": could not create a unique temporary file"));
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, ScopedFd fd, bool durable)
    : path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      fd_(std::move(fd)),
      durable_(durable) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::exchange(other.temp_path_, {})),
      fd_(std::move(other.fd_)),
      durable_(other.durable_) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::move(other.path_);
    temp_path_ = std::exchange(other.temp_path_, {});
    fd_ = std::move(other.fd_);
    durable_ = other.durable_;
  }
  return *this;
}

AtomicFile::~AtomicFile() { Discard(); }

void AtomicFile::Discard() {
  fd_.Reset();
  if (!temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
}

absl::Status AtomicFile::Write(absl::string_view data) {
  if (!fd_.valid()) return absl::FailedPreconditionError("AtomicFile already committed");
  return Annotate(WriteAll(fd_.get(), data), temp_path_);
}

absl::Status AtomicFile::SetMode(unsigned mode) {
  if (!fd_.valid()) return absl::FailedPreconditionError("AtomicFile already committed");
  if (::fchmod(fd_.get(), static_cast<mode_t>(mode)) != 0) return ErrnoToStatus(errno, temp_path_);
  return absl::OkStatus();
}

absl::Status AtomicFile::Commit() {
  if (!fd_.valid()) return absl::FailedPreconditionError("AtomicFile already committed");
  if (durable_ && ::fdatasync(fd_.get()) != 0) return ErrnoToStatus(errno, temp_path_);
  if (::close(fd_.Release()) != 0) return ErrnoToStatus(errno, temp_path_);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) return ErrnoToStatus(errno, path_);
  temp_path_.clear();
  return absl::OkStatus();
}

absl::StatusOr<bool> AtomicFile::CommitIfAbsent() {
  if (!fd_.valid()) return absl::FailedPreconditionError("AtomicFile already committed");
  if (durable_ && ::fdatasync(fd_.get()) != 0) return ErrnoToStatus(errno, temp_path_);
  if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) == 0) {
    fd_.Reset();
    temp_path_.clear();
    return true;
  }
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS) return ErrnoToStatus(errno, path_);
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0) return false;
  ZC_RETURN_IF_ERROR(Commit());
  return true;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view data, unsigned mode) {
  ZC_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path, mode));
  ZC_RETURN_IF_ERROR(file.Write(data));
  return file.Commit();
}

}  // namespace zc::util
