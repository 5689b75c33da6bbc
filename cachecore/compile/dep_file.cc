#include "cachecore/compile/dep_file.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

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

namespace {

// The first rule of `content` split into its targets and prerequisites as written (escaped),
// and where the rule ends (after its newline). False if it is not one simple rule.
bool SplitFirstRule(absl::string_view content, std::vector<absl::string_view>* targets,
                    std::vector<absl::string_view>* deps, size_t* end) {
  size_t i = 0;
  while (i < content.size() && !(content[i] == '\n' && (i == 0 || content[i - 1] != '\\'))) ++i;
  if (i == content.size()) return false;
  *end = i + 1;
  // Words end at white space, except an escaped space ("\\ "), which is part of a name.
  std::vector<absl::string_view> words;
  const absl::string_view rule = content.substr(0, i);
  size_t start = 0;
  for (size_t j = 0; j <= rule.size(); ++j) {
    const bool separator = j == rule.size() || rule[j] == '\t' || rule[j] == '\n' ||
                           (rule[j] == ' ' && (j == 0 || rule[j - 1] != '\\'));
    if (!separator) continue;
    if (j > start) words.push_back(rule.substr(start, j - start));
    start = j + 1;
  }
  bool in_deps = false;
  for (absl::string_view word : words) {
    if (word == "\\") continue;  // a line continuation
    if (!in_deps) {
      if (absl::EndsWith(word, ":")) {
        word.remove_suffix(1);
        in_deps = true;
        if (word.empty()) continue;
      }
      targets->push_back(word);
    } else {
      deps->push_back(word);
    }
  }
  return in_deps && !targets->empty();
}

std::string WriteFirstRule(const std::vector<absl::string_view>& targets,
                           const std::vector<absl::string_view>& deps, DepWrap wrap) {
  std::string out;
  if (wrap == DepWrap::kGcc) {
    constexpr size_t kColumns = 72;  // gcc's deps_write(..., 72)
    size_t column = 0;
    auto name = [&](absl::string_view n) {
      if (column != 0) {
        if (column + n.size() > kColumns) {
          out += " \\\n";
          column = 0;
        }
        ++column;
        out += ' ';
      }
      column += n.size();
      out.append(n.data(), n.size());
    };
    for (absl::string_view t : targets) name(t);
    out += ':';
    ++column;
    for (absl::string_view d : deps) name(d);
  } else {
    constexpr size_t kColumns = 75;  // clang's DependencyFileGenerator
    size_t column = 0;
    for (absl::string_view t : targets) {
      if (column == 0) {
        column = t.size();
      } else if (column + t.size() + 2 > kColumns) {
        column = t.size() + 2;
        out += " \\\n  ";
      } else {
        column += t.size() + 1;
        out += ' ';
      }
      out.append(t.data(), t.size());
    }
    out += ':';
    ++column;
    for (absl::string_view d : deps) {
      if (column + d.size() + 1 + 2 > kColumns) {
        out += " \\\n ";
        column = 2;
      }
      out += ' ';
      out.append(d.data(), d.size());
      column += d.size() + 1;
    }
  }
  out += '\n';
  return out;
}

}  // namespace

absl::string_view DepWrapName(DepWrap wrap) {
  return wrap == DepWrap::kGcc ? "gcc" : wrap == DepWrap::kClang ? "clang" : "none";
}

DepWrap ParseDepWrap(absl::string_view name) {
  return name == "gcc" ? DepWrap::kGcc : name == "clang" ? DepWrap::kClang : DepWrap::kNone;
}

DepWrap DetectDepWrap(absl::string_view content) {
  std::vector<absl::string_view> targets, deps;
  size_t end = 0;
  if (!SplitFirstRule(content, &targets, &deps, &end)) return DepWrap::kNone;
  for (const auto* list : {&targets, &deps}) {
    for (absl::string_view w : *list) {
      if (absl::StrContains(w, '\\') || absl::StrContains(w, '$')) return DepWrap::kNone;
    }
  }
  const absl::string_view rule = content.substr(0, end);
  for (DepWrap wrap : {DepWrap::kGcc, DepWrap::kClang}) {
    if (WriteFirstRule(targets, deps, wrap) == rule) return wrap;
  }
  return DepWrap::kNone;
}

std::string RewrapDependencies(absl::string_view content, DepWrap wrap) {
  std::vector<absl::string_view> targets, deps;
  size_t end = 0;
  if (wrap == DepWrap::kNone || !SplitFirstRule(content, &targets, &deps, &end)) {
    return std::string(content);
  }
  return absl::StrCat(WriteFirstRule(targets, deps, wrap), content.substr(end));
}

}  // namespace zc::compile
