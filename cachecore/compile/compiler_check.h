// The compiler's part of the key, as the compiler_check setting says (ccache's name and values):
//
//   content        the SHA-256 of the compiler program (compiler_identity.h; the default)
//   mtime          its size and modification time: cheaper, trusts that nobody rewrites a
//                  compiler keeping both (a package upgrade changes them)
//   none           nothing: only the compiler's name is in the key (the user's responsibility)
//   string:VALUE   VALUE, e.g. a version the build system already knows
//   anything else  a command whose output identifies the compiler, e.g. "%compiler% -v"; several
//                  separated by ';'. "%compiler%" is replaced by the compiler's path. Each runs
//                  in the compile's directory and environment, on every compile (as in ccache),
//                  and must exit 0.
//
//   absl::StatusOr<zc::util::Digest> id =
//       zc::compile::CompilerCheckDigest(settings.compiler_check, "/usr/bin/gcc-12", memo_dir,
//                                        [&](std::vector<std::string> argv) { ... run ... });
//
// InvalidArgument: an empty command. NotFound/other errors: the compiler cannot be read or a
// command failed (the caller runs the compile uncached and counts compiler_check_failed).
#ifndef ZCWRAP_CACHECORE_COMPILE_COMPILER_CHECK_H_
#define ZCWRAP_CACHECORE_COMPILE_COMPILER_CHECK_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/util/process.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

// Runs one compiler_check command (argv already split and substituted).
using CheckCommandRunner =
    std::function<absl::StatusOr<util::ProcessResult>(std::vector<std::string> argv)>;

[[nodiscard]] absl::StatusOr<util::Digest> CompilerCheckDigest(absl::string_view check,
                                                               const std::string& compiler_path,
                                                               const std::string& memo_dir,
                                                               const CheckCommandRunner& run);

// The commands of a compiler_check value that is a command: split at ';' into commands and at
// whitespace into words, with %compiler% replaced. Empty for the other forms.
std::vector<std::vector<std::string>> CompilerCheckCommands(absl::string_view check,
                                                            absl::string_view compiler_path);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_COMPILER_CHECK_H_
