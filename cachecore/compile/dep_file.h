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

// How a compiler breaks the first rule's long lines: gcc's mkdeps (a name that would pass
// column 72 starts a new line, " \\\n "), or clang's DependencyFileGenerator (75 columns,
// room kept for the " \\", new lines indented by one space, targets by two). Where the breaks
// fall depends on the length of every path: when paths change (another checkout, another
// target), a .d is written again with the compiler's rule to stay what the compiler would write.
enum class DepWrap { kNone, kGcc, kClang };
absl::string_view DepWrapName(DepWrap wrap);   // "gcc", "clang", "none"
DepWrap ParseDepWrap(absl::string_view name);  // kNone for anything else
// The rule that reproduces `content` byte for byte when it is written again, or kNone (also for
// names with escapes, whose width the two rules count differently).
DepWrap DetectDepWrap(absl::string_view content);
// `content` with its first rule's names re-flowed by `wrap`'s rule; the rest (-MP's phony
// rules) as it is. kNone: `content` unchanged.
std::string RewrapDependencies(absl::string_view content, DepWrap wrap);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_DEP_FILE_H_
