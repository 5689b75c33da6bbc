#include "cachecore/compile/input_digest.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_dir.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {
namespace {

absl::StatusOr<util::Digest> Digest(const std::string& path, const FileDigester& hash_file,
                                    size_t* budget) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return AbsentDigest();
    return util::ErrnoToStatus(errno, path);
  }
  if (S_ISREG(st.st_mode)) return hash_file(path);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a file or directory"));
  }
  std::vector<std::string> names;
  util::ScopedDir dir(::opendir(path.c_str()));
  if (!dir.valid()) return util::ErrnoToStatus(errno, path);
  while (struct dirent* e = ::readdir(dir.get())) {
    const absl::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (*budget == 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path, ": more than ", kMaxDirectoryEntries, " entries to hash"));
    }
    --*budget;
    names.emplace_back(name);
  }
  dir.Reset();  // closed before recursing: a deep tree does not hold a stream per level
  std::sort(names.begin(), names.end());
  util::Sha256 h;
  h.UpdateDelimited("zcwrap-dir-1");
  for (const std::string& name : names) {
    ZC_ASSIGN_OR_RETURN(const util::Digest child,
                        Digest(util::JoinPath(path, name), hash_file, budget));
    h.UpdateDelimited(name);
    h.UpdateDelimited(child.AsStringView());
  }
  return h.Finish();
}

}  // namespace

util::Digest AbsentDigest() {
  static const util::Digest absent = util::Sha256::Of("zcwrap-absent-1");
  return absent;
}

absl::StatusOr<util::Digest> PathDigest(const std::string& resolved,
                                        const FileDigester& hash_file) {
  size_t budget = kMaxDirectoryEntries;
  return Digest(resolved, hash_file, &budget);
}

}  // namespace zc::compile
