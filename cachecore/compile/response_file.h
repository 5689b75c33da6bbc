// Expansion of gcc/clang "@file" arguments, so the key is the same as for the expanded command
// line.
//
//   absl::StatusOr<std::vector<std::string>> args = zc::compile::ExpandResponseFiles(raw, cwd);
//
// Quoting follows gcc's libiberty rules: arguments split on white space; '...' and "..." quote;
// a backslash escapes the next character. Files may name further @files (at most 16 deep).
// NotFound if a named file does not exist (gcc would then take "@x" as a file name: we let the
// compiler deal with that by running it untouched).
#ifndef ZCWRAP_CACHECORE_COMPILE_RESPONSE_FILE_H_
#define ZCWRAP_CACHECORE_COMPILE_RESPONSE_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::compile {

absl::StatusOr<std::vector<std::string>> ExpandResponseFiles(const std::vector<std::string>& args,
                                                             const std::string& cwd);

// Splits response-file text into arguments.
std::vector<std::string> SplitResponseText(absl::string_view text);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_RESPONSE_FILE_H_
