#include "cachecore/compile/input_digest.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"

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
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return util::ErrnoToStatus(errno, path);
  while (struct dirent* e = ::readdir(dir)) {
    const absl::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (*budget == 0) {
      ::closedir(dir);
      return absl::ResourceExhaustedError(
          absl::StrCat(path, ": more than ", kMaxDirectoryEntries, " entries to hash"));
    }
    --*budget;
    names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  util::Sha256 h;
  h.UpdateDelimited("zcwrap-dir-1");
  for (const std::string& name : names) {
    absl::StatusOr<util::Digest> child = Digest(util::JoinPath(path, name), hash_file, budget);
    if (!child.ok()) return child.status();
    h.UpdateDelimited(name);
    h.UpdateDelimited(child->AsStringView());
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
