// The file:// tier: a directory shared by several machines (NFS, a mounted volume), laid out as
// <dir>/<2 hex>/<62 hex>. Writes go to a temporary file in the final directory and are renamed
// into place, so a reader on any machine sees a whole value or none.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cachecore/remote/backend.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::remote {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int err = errno;
  const std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == EACCES || err == EPERM || err == EROFS) return absl::PermissionDeniedError(msg);
  return absl::UnavailableError(msg);
}

class FileBackend final : public Backend {
 public:
  explicit FileBackend(const TierSpec& spec) : dir_(spec.path) {}

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view name, size_t max_size) override {
    const std::string path = PathFor(name);
    util::ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd.valid()) {
      if (errno == ENOENT) return std::nullopt;
      return Errno("cannot open", path);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Errno("cannot stat", path);
    if (!S_ISREG(st.st_mode)) return absl::UnavailableError(absl::StrCat(path, " is not a file"));
    if (static_cast<uint64_t>(st.st_size) > max_size) {
      return absl::ResourceExhaustedError(absl::StrCat(path, ": ", st.st_size, " bytes"));
    }
    std::string data(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    while (got < data.size()) {
      const ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("cannot read", path);
      if (n == 0) break;  // shrank while read: what we have is checked like anything else
      got += static_cast<size_t>(n);
    }
    data.resize(got);
    return data;
  }

  absl::Status Put(absl::string_view name, absl::string_view value) override {
    const std::string sub = absl::StrCat(dir_, "/", name.substr(0, 2));
    if (::mkdir(sub.c_str(), 0777) != 0 && errno != EEXIST) {
      // The shared directory itself may not exist yet: made as ccache makes it, on first write.
      if (errno != ENOENT) return Errno("cannot create", sub);
      if (absl::Status made = util::CreateDirectories(sub); !made.ok()) return made;
    }
    return util::WriteFileAtomically(PathFor(name), value);
  }

 private:
  std::string PathFor(absl::string_view name) const {
    return absl::StrCat(dir_, "/", name.substr(0, 2), "/", name.substr(2));
  }

  std::string dir_;
};

}  // namespace

std::unique_ptr<Backend> MakeFileBackend(const TierSpec& spec) {
  return std::make_unique<FileBackend>(spec);
}

std::unique_ptr<Backend> MakeBackend(const TierSpec& spec) {
  switch (spec.scheme) {
    case Scheme::kFile: return MakeFileBackend(spec);
    case Scheme::kHttp:
    case Scheme::kS3: return MakeHttpBackend(spec);
    case Scheme::kRedis: return MakeRedisBackend(spec);
  }
  return nullptr;
}

}  // namespace zc::remote
