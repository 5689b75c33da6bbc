// Finding a compiler named without a '/' in a PATH, the way a shell would, for every front door
// (zcwrap resolves `zcwrap gcc ...`, the shim resolves its requests' compilers).
//
//   absl::StatusOr<std::string> gcc = zc::compile::FindCompilerInPath("gcc", path_env, cwd);
#ifndef ZCWRAP_CACHECORE_COMPILE_COMPILER_PATH_H_
#define ZCWRAP_CACHECORE_COMPILE_COMPILER_PATH_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::compile {

// The first executable regular file named `name` in the colon-separated `path_env` (an empty
// entry means `cwd`) for which `skip` (if given) is false. NotFound with the one-line message
// `cannot find compiler "NAME" in PATH` otherwise. `name` must not contain a '/'.
absl::StatusOr<std::string> FindCompilerInPath(
    const std::string& name, absl::string_view path_env, const std::string& cwd,
    const std::function<bool(const std::string& candidate)>& skip = nullptr);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_COMPILER_PATH_H_
