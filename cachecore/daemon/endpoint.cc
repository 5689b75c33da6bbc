#include "cachecore/daemon/endpoint.h"

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cachecore/daemon/protocol.h"
#include "cachecore/util/file_io.h"

namespace zc::daemon {

absl::StatusOr<Endpoint> EndpointFor(const std::string& cache_dir, const config::EnvLookup& env) {
  std::string base;
  if (auto runtime = env("XDG_RUNTIME_DIR"); runtime && !runtime->empty() && (*runtime)[0] == '/') {
    base = util::JoinPath(*runtime, "zcwrap");
  } else {
    base = absl::StrCat("/tmp/zcwrap-", ::getuid());
  }
  if (::mkdir(base.c_str(), 0700) != 0 && errno != EEXIST) return util::ErrnoToStatus(errno, base);
  struct stat st;
  if (::lstat(base.c_str(), &st) != 0) return util::ErrnoToStatus(errno, base);
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 0077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(base, ": not a private directory of this user (want owner uid ", ::getuid(),
                     ", mode 0700)"));
  }
  // Not a secret, just a stable short name: XXH3 keeps the client free of OpenSSL start-up.
  const uint64_t h = XXH3_64bits(cache_dir.data(), cache_dir.size());
  const std::string stem = absl::StrFormat("%s/d%d-%016x", base, kProtocolVersion, h);
  return Endpoint{base, stem + ".sock", stem + ".lock", stem + ".log", stem + ".failed"};
}

}  // namespace zc::daemon
