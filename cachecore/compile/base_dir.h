// The base directory: paths under it are keyed relative to it, so one project checked out in two
// places (two CI machines, two worktrees) shares results wherever its outputs do not depend on
// where it is. portability.h decides that; this file only finds the base and rewrites paths.
//
//   std::string base = zc::compile::FindBaseDir(settings.base_dir, cwd);  // "" = none
//   std::string k = zc::compile::KeyPath("/ci/a/include/x.h", "/ci/a");     // "\0/include/x.h"
//   std::optional<std::string> p = zc::compile::ExpandKeyPath(k, "/ci/b");  // "/ci/b/include/x.h"
//
// A key path marks the base with one NUL byte, which no argument, path or dependency file holds,
// so a keyed path never collides with a literal one. Every path is rewritten as a string (never
// canonicalised): compilers name files by joining the names they were given, so the compile of
// the other checkout names the same files with its own base in front.
#ifndef ZCWRAP_CACHECORE_COMPILE_BASE_DIR_H_
#define ZCWRAP_CACHECORE_COMPILE_BASE_DIR_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zc::compile {

inline constexpr char kBaseMarker = '\0';

// The base for a compile in `cwd`: for "auto" (the default) the top of the enclosing checkout
// (the nearest of `cwd` and its ancestors holding a .git, .hg or .svn entry); for "none" or ""
// none; otherwise the setting itself (an absolute path, trailing slashes dropped). "/" is none.
std::string FindBaseDir(absl::string_view setting, absl::string_view cwd);

// The directory the compiler believes it runs in: $PWD when it is absolute and names the same
// directory as `cwd` (gcc's getpwd and LLVM's current_path both prefer it), else `cwd`.
std::string ApparentCwd(const std::string& cwd, const std::optional<std::string>& pwd);

// `path` is `base` or below it (at a '/' boundary). False for an empty base.
bool UnderBase(absl::string_view path, absl::string_view base);
// `path` with a leading `base` replaced by the marker; unchanged when not under it.
std::string KeyPath(absl::string_view path, absl::string_view base);
// A key path made real under `base`; nullopt if it is marked and there is no base.
std::optional<std::string> ExpandKeyPath(absl::string_view path, absl::string_view base);
// For people: the marker shown as "$BASE".
std::string ShowKeyPath(absl::string_view path);

// Every occurrence of `base` in `text` that starts a path (after a line start, white space, '='
// or ':') and ends at a path boundary ('/', white space, ':', '\\' or the end), replaced by the
// marker. For dependency files.
std::string ReplaceBase(absl::string_view text, absl::string_view base);
// The inverse: every marker replaced by `base`.
std::string ExpandBase(absl::string_view text, absl::string_view base);

// `args` (hashed or dependency arguments) as the key holds them: the source and the paths of
// options marked kPathArg keyed relative to `base`, and the old prefix of prefix maps.
std::vector<std::string> KeyArgs(const std::vector<std::string>& args, absl::string_view base);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_BASE_DIR_H_
