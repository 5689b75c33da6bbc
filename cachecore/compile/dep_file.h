// Make-style dependency (.d) files: the target a hit must rewrite when the object goes elsewhere.
//
//   std::optional<std::string> d = zc::compile::RewriteDepTarget(stored, "old/a.o", "new/a.o");
//   if (!d) { treat as a miss: the .d does not start the way we expect }
#ifndef ZCWRAP_CACHECORE_COMPILE_DEP_FILE_H_
#define ZCWRAP_CACHECORE_COMPILE_DEP_FILE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zc::compile {

// `path` escaped the way gcc writes a make target (space → "\ ", '#' → "\#", '$' → "$$").
std::string EscapeMakeTarget(absl::string_view path);

// Replaces the leading target `old_target` (unescaped) with `new_target` in `content`. nullopt if
// the content does not start with the escaped old target followed by ':'.
std::optional<std::string> RewriteDepTarget(absl::string_view content, absl::string_view old_target,
                                            absl::string_view new_target);

// The prerequisites of the first rule of a make dependency file (gcc/clang -MD output): every
// file the compile read, source first, unescaped. -MP's phony rules after it are ignored.
std::vector<std::string> ParseDependencies(absl::string_view content);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_DEP_FILE_H_
