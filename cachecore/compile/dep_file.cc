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

std::vector<std::string> ParseDependencies(absl::string_view content) {
  std::vector<std::string> deps;
  // Skip the target(s): up to the first ':' that is followed by white space or the end.
  size_t i = 0;
  for (; i < content.size(); ++i) {
    if (content[i] == '\\' && i + 1 < content.size()) {
      ++i;
      continue;
    }
    if (content[i] == ':' &&
        (i + 1 == content.size() || content[i + 1] == ' ' || content[i + 1] == '\t' ||
         content[i + 1] == '\n' || content[i + 1] == '\r')) {
      ++i;
      break;
    }
  }
  std::string current;
  auto flush = [&] {
    if (!current.empty()) deps.push_back(std::move(current));
    current.clear();
  };
  for (; i < content.size(); ++i) {
    const char c = content[i];
    if (c == '\\' && i + 1 < content.size()) {
      const char next = content[i + 1];
      if (next == '\n') {  // line continuation
        flush();
        ++i;
      } else if (next == '\r' && i + 2 < content.size() && content[i + 2] == '\n') {
        flush();
        i += 2;
      } else if (next == ' ' || next == '#' || next == '\\') {
        current.push_back(next);
        ++i;
      } else {
        current.push_back(c);
      }
    } else if (c == '$' && i + 1 < content.size() && content[i + 1] == '$') {
      current.push_back('$');
      ++i;
    } else if (c == '\n') {
      break;  // end of the first rule
    } else if (c == ' ' || c == '\t' || c == '\r') {
      flush();
    } else {
      current.push_back(c);
    }
  }
  flush();
  return deps;
}

}  // namespace zc::compile
