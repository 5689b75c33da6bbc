#include "cachecore/compile/compiler_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

absl::StatusOr<std::string> FindCompilerInPath(
    const std::string& name, absl::string_view path_env, const std::string& cwd,
    const std::function<bool(const std::string& candidate)>& skip) {
  for (absl::string_view dir : absl::StrSplit(path_env, ':')) {
    std::string candidate = util::JoinPath(dir.empty() ? absl::string_view(cwd) : dir, name);
    if (!IsExecutableFile(candidate) || (skip && skip(candidate))) continue;
    return candidate;
  }
  return absl::NotFoundError(absl::StrCat("cannot find compiler \"", name, "\" in PATH"));
}

}  // namespace zc::compile
