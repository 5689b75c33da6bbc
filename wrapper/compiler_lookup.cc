#include "wrapper/compiler_lookup.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/compiler_path.h"
#include "cachecore/util/file_io.h"

namespace zc::wrapper {
namespace {

std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return path;
  return buf;
}

}  // namespace

std::string SelfExecutable() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

bool IsSelf(const std::string& path, const std::string& self) {
  if (self.empty()) return false;
  return Canonical(path) == self;
}

bool CalledAsZcwrap(absl::string_view argv0) {
  absl::string_view base = util::Basename(argv0);
  return base == "zcwrap" || absl::StartsWith(base, "zcwrap-") || absl::StartsWith(base, "zcwrap.");
}

absl::StatusOr<std::string> FindCompiler(const std::string& name, absl::string_view path_env,
                                         const std::string& self) {
  if (name.find('/') != std::string::npos) {
    if (IsSelf(name, self)) {
      return absl::InvalidArgumentError(absl::StrCat("compiler \"", name, "\" is zcwrap itself"));
    }
    return name;
  }
  return compile::FindCompilerInPath(name, path_env, ".", [&self](const std::string& candidate) {
    return IsSelf(candidate, self);
  });
}

}  // namespace zc::wrapper
