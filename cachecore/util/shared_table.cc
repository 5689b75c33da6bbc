#include "cachecore/util/shared_table.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"
#include "cachecore/util/status_macros.h"

namespace zc::util {
namespace {

// Backs every page with disk blocks: writing through the mapping into a hole of a sparse file on
// a full disk raises SIGBUS, which would kill the compile (or the shim's host). The fallocate(2)
// system call itself, not glibc's posix_fallocate, which on a filesystem without it writes every
// block (and, where compression keeps zeros as holes, would do so at each open). Returns the
// errno: 0 when allocated, or when the filesystem cannot allocate ahead at all (nothing better
// is possible there; the table is used as before).
int AllocateBlocks(int fd, size_t size) {
  if (::fallocate(fd, 0, 0, static_cast<off_t>(size)) == 0) return 0;
  return errno == EOPNOTSUPP || errno == ENOSYS ? 0 : errno;
}

// True if the table's blocks are all allocated, or could be now (see AllocateBlocks).
bool Allocated(int fd, size_t size) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return false;
  if (static_cast<uint64_t>(st.st_blocks) * 512 >= size) return true;
  return AllocateBlocks(fd, size) == 0;
}

bool HeaderValid(int fd, absl::string_view header, size_t size) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) != size) return false;
  std::string have(header.size(), '\0');
  return ::pread(fd, have.data(), have.size(), 0) == static_cast<ssize_t>(have.size()) &&
         have == header;
}

// Publishes a fresh table at `path`. With `replace` it overwrites whatever is there (a corrupt
// file); without, it only creates the file if none exists (link fails on EEXIST, which is fine:
// another process won the race and its file is just as good).
absl::Status PublishFresh(const std::string& path, absl::string_view header, size_t size,
                          bool replace) {
  ZC_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path));
  ZC_RETURN_IF_ERROR(file.Write(header));
  {
    // Allocated, not sparse (AllocateBlocks); the size is set either way.
    ScopedFd fd(::open(file.temp_path().c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return ErrnoToStatus(errno, file.temp_path());
    if (const int err = AllocateBlocks(fd.get(), size); err != 0) {
      return ErrnoToStatus(err, file.temp_path());
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
      return ErrnoToStatus(errno, file.temp_path());
    }
  }
  if (replace) return file.Commit();
  if (::link(file.temp_path().c_str(), path.c_str()) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, path);
  }
  return absl::OkStatus();  // the destructor removes the temporary name
}

}  // namespace

absl::StatusOr<SharedTable> SharedTable::Open(const std::string& path, absl::string_view header,
                                              size_t size) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    // Never through a symbolic link, never blocking on a FIFO: whatever was planted at the path
    // is replaced (the rename replaces the link itself) like a table with a bad header.
    ScopedFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd.valid() && (errno == EROFS || errno == EACCES)) return OpenReadOnly(path, header, size);
    if (!fd.valid() && errno != ELOOP) {
      if (errno != ENOENT) return ErrnoToStatus(errno, path);
      ZC_RETURN_IF_ERROR(PublishFresh(path, header, size, /*replace=*/false));
      continue;
    }
    struct stat st;
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        !HeaderValid(fd.get(), header, size)) {
      ZC_RETURN_IF_ERROR(PublishFresh(path, header, size, /*replace=*/true));
      continue;
    }
    if (!Allocated(fd.get(), size)) {
      return absl::ResourceExhaustedError(absl::StrCat(path, ": cannot allocate its blocks"));
    }
    void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) return ErrnoToStatus(errno, absl::StrCat("mmap ", path));
    return SharedTable(map, size, path);
  }
  return absl::UnavailableError(absl::StrCat(path, ": could not open a valid table"));
}

// A table on a read-only disk (or not ours to write): its current values, with writes going to a
// private copy (MAP_PRIVATE) that no one else sees and that is dropped at the end.
absl::StatusOr<SharedTable> SharedTable::OpenReadOnly(const std::string& path,
                                                      absl::string_view header, size_t size) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) return ErrnoToStatus(errno, path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !HeaderValid(fd.get(), header, size)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": read-only and not a valid table"));
  }
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0);
  if (map == MAP_FAILED) return ErrnoToStatus(errno, absl::StrCat("mmap ", path));
  return SharedTable(map, size, path);
}

absl::StatusOr<SharedTable> SharedTable::InMemory(absl::string_view header, size_t size) {
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return ErrnoToStatus(errno, "mmap");
  std::memcpy(map, header.data(), header.size());
  return SharedTable(map, size, "");
}

SharedTable::SharedTable(SharedTable&& other) noexcept
    : map_(std::exchange(other.map_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      path_(std::move(other.path_)) {}

SharedTable& SharedTable::operator=(SharedTable&& other) noexcept {
  if (this != &other) {
    if (map_ != nullptr) ::munmap(map_, size_);
    map_ = std::exchange(other.map_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

SharedTable::~SharedTable() {
  if (map_ != nullptr) ::munmap(map_, size_);
}

absl::Status SharedTable::Sync() const {
  if (path_.empty()) return absl::OkStatus();
  if (::msync(map_, size_, MS_SYNC) != 0) return ErrnoToStatus(errno, "msync " + path_);
  return absl::OkStatus();
}

}  // namespace zc::util
