// The include search directories of a compile, as the compiler itself reports them
// (`cc <preprocessor args> -E -v -x <lang> /dev/null`), including those it ignores because they do
// not exist yet: creating one of them later could shadow a header.
//
//   absl::StatusOr<std::vector<std::string>> dirs =
//       zc::compile::SearchDirs(inputs, runner, memo_dir);
//
// Directories are returned as the compiler prints them (relative ones stay relative to the cwd).
// The answer depends only on the compiler (its content and where it is installed), the
// preprocessor arguments and the variables that add directories (CPATH, ...), so it is memoised
// in `memo_dir` (one small file per distinct set of those), and the extra process runs once per
// configuration, not once per compile.
#ifndef ZCWRAP_CACHECORE_COMPILE_SEARCH_DIRS_H_
#define ZCWRAP_CACHECORE_COMPILE_SEARCH_DIRS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/compile/arguments.h"
#include "cachecore/compile/request.h"
#include "cachecore/util/process.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

struct SearchDirsInputs {
  std::string compiler;  // path of the compiler
  util::Digest compiler_id;
  std::string language;               // -x value
  std::vector<std::string> cpp_args;  // preprocessor arguments without the source file
  std::string cwd;
  std::optional<std::vector<std::string>> env;
};

// The inputs for the compile `request` classified as `plan`.
SearchDirsInputs SearchDirsInputsFor(const CompileRequest& request, const CompilePlan& plan,
                                     const util::Digest& compiler_id);

absl::StatusOr<std::vector<std::string>> SearchDirs(const SearchDirsInputs& in,
                                                    util::ProcessRunner& runner,
                                                    const std::string& memo_dir);

// Parses the `-v` report (stderr) into directories. Exposed for tests.
std::vector<std::string> ParseSearchDirReport(absl::string_view report);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_SEARCH_DIRS_H_
