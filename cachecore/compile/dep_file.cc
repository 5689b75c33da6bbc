#include "cachecore/compile/dep_file.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace zc::compile {

std::string EscapeMakeTarget(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == ' ' || c == '#') {
      out.push_back('\\');
    } else if (c == '$') {
      out.push_back('$');
    }
    out.push_back(c);
  }
  return out;
}

std::optional<std::string> RewriteDepTarget(absl::string_view content, absl::string_view old_target,
                                            absl::string_view new_target) {
  const std::string old_escaped = EscapeMakeTarget(old_target) + ":";
  if (!absl::StartsWith(content, old_escaped)) return std::nullopt;
  if (old_target == new_target) return std::string(content);
  return absl::StrCat(EscapeMakeTarget(new_target), ":", content.substr(old_escaped.size()));
}

}  // namespace zc::compile
