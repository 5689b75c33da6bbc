// Finding the real compiler for `zcwrap COMPILER ...` and for masquerade symlinks, without ever
// finding zcwrap itself (no recursion, even through `zcwrap zcwrap gcc` or a symlink named gcc
// early in PATH).
//
//   absl::StatusOr<std::string> gcc = zc::wrapper::FindCompiler("gcc", path_env, self_exe);
#ifndef ZCWRAP_WRAPPER_COMPILER_LOOKUP_H_
#define ZCWRAP_WRAPPER_COMPILER_LOOKUP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::wrapper {

// The canonical path of the running zcwrap executable (/proc/self/exe).
std::string SelfExecutable();

// True if `path` resolves to the same file as `self` (canonical path comparison).
bool IsSelf(const std::string& path, const std::string& self);

// `name` as a path if it contains a '/', else the first executable of that name in `path_env`
// (colon-separated) that is not zcwrap itself. NotFound with a one-line message otherwise.
absl::StatusOr<std::string> FindCompiler(const std::string& name, absl::string_view path_env,
                                         const std::string& self);

// True if `argv0` names zcwrap itself (so argv[1] is the compiler), false for masquerade.
bool CalledAsZcwrap(absl::string_view argv0);

}  // namespace zc::wrapper

#endif  // ZCWRAP_WRAPPER_COMPILER_LOOKUP_H_
