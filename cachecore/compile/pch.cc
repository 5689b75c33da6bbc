#include "cachecore/compile/pch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::compile {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

absl::string_view SkipSpace(absl::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  return s.substr(i);
}

// Splits `text` into logical lines: backslash-newlines joined, comments replaced by one space
// (a block comment may span lines without ending the logical line), string and character
// literals kept as they are.
class LogicalLines {
 public:
  explicit LogicalLines(absl::string_view text) : text_(text) {
    if (absl::StartsWith(text_, "\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte order mark
  }

  bool Next(std::string* line) {
    if (pos_ >= text_.size()) return false;
    line->clear();
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
      if (c == '\\' && next == '\n') {
        pos_ += 2;
      } else if (c == '\\' && next == '\r' && pos_ + 2 < text_.size() && text_[pos_ + 2] == '\n') {
        pos_ += 3;
      } else if (c == '\n') {
        ++pos_;
        return true;
      } else if (c == '/' && next == '*') {
        size_t end = text_.find("*/", pos_ + 2);
        pos_ = end == absl::string_view::npos ? text_.size() : end + 2;
        line->push_back(' ');
      } else if (c == '/' && next == '/') {
        // To the end of the line; a backslash-newline continues the comment.
        pos_ += 2;
        while (pos_ < text_.size() && text_[pos_] != '\n') {
          pos_ += text_[pos_] == '\\' && pos_ + 1 < text_.size() ? 2 : 1;
        }
        line->push_back(' ');
      } else if (c == '"' || c == '\'') {
        line->push_back(c);
        ++pos_;
        while (pos_ < text_.size() && text_[pos_] != c && text_[pos_] != '\n') {
          if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) line->push_back(text_[pos_++]);
          line->push_back(text_[pos_++]);
        }
        if (pos_ < text_.size() && text_[pos_] == c) line->push_back(text_[pos_++]);
      } else {
        line->push_back(c);
        ++pos_;
      }
    }
    return true;
  }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

// The directive name of a line that starts with '#' ("include", "if", ...), and what follows it.
absl::string_view DirectiveName(absl::string_view line, absl::string_view* rest) {
  line = SkipSpace(line.substr(1));
  size_t n = 0;
  while (n < line.size() &&
         (absl::ascii_isalnum(static_cast<unsigned char>(line[n])) || line[n] == '_')) {
    ++n;
  }
  *rest = SkipSpace(line.substr(n));
  return line.substr(0, n);
}

// Every spelling `path` could have had in an #include: itself and each tail after a '/'.
void AddSpellings(absl::string_view path, std::vector<std::string>* out) {
  out->emplace_back(path);
  for (size_t slash = path.find('/'); slash != absl::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (slash + 1 < path.size()) out->emplace_back(path.substr(slash + 1));
  }
}

}  // namespace

std::vector<std::string> LeadingIncludes(absl::string_view text, bool* computed) {
  *computed = false;
  std::vector<std::string> names;
  int depth = 0;  // conditional nesting: lines inside may be skipped by the preprocessor
  LogicalLines lines(text);
  std::string line;
  while (lines.Next(&line)) {
    absl::string_view l = SkipSpace(line);
    if (l.empty()) continue;
    if (l[0] != '#') {
      if (depth == 0) break;  // C tokens the compiler surely sees: no PCH after them
      continue;
    }
    absl::string_view rest;
    absl::string_view directive = DirectiveName(l, &rest);
    if (directive == "if" || directive == "ifdef" || directive == "ifndef") {
      ++depth;
    } else if (directive == "endif") {
      if (depth > 0) --depth;
    } else if (directive == "include" || directive == "include_next" || directive == "import") {
      const char open = rest.empty() ? '\0' : rest[0];
      const char close = open == '"' ? '"' : open == '<' ? '>' : '\0';
      size_t end = close == '\0' ? absl::string_view::npos : rest.find(close, 1);
      if (end == absl::string_view::npos || end == 1) {
        *computed = true;
      } else {
        names.emplace_back(rest.substr(1, end - 1));
      }
      // One outside every conditional is surely processed: whatever comes later is not first.
      if (depth == 0) break;
    }
  }
  return names;
}

std::string LexicallyAbsolute(const std::string& cwd, const std::string& path) {
  std::vector<absl::string_view> parts;
  const std::string joined = util::JoinPath(cwd, path);
  for (absl::string_view part : absl::StrSplit(joined, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

PchCandidates PchCandidatesFor(const CompilePlan& plan, const std::string& cwd,
                               absl::string_view source_text) {
  PchCandidates c;
  absl::flat_hash_set<std::string> seen_names, seen_paths;
  auto add_name = [&](std::string n) {
    if (seen_names.insert(n).second) c.searched_names.push_back(std::move(n));
  };
  const std::string own_output = LexicallyAbsolute(cwd, plan.output);
  auto add_path = [&](std::string p) {
    // A PCH compile's own output is not its input (CMake's gcc PCH compile has -include X and
    // writes X.gch).
    if (LexicallyAbsolute(cwd, p) == own_output) return;
    if (seen_paths.insert(p).second) c.paths.push_back(std::move(p));
  };
  for (const std::string& x : plan.include_files) {
    add_path(x + ".gch");
    add_path(x + ".pch");
    if (!absl::StartsWith(x, "/")) add_name(x + ".gch");
  }
  if (!plan.preprocessed_input) {
    bool computed = false;
    for (const std::string& n : LeadingIncludes(source_text, &computed)) {
      if (absl::StartsWith(n, "/")) {
        add_path(n + ".gch");
      } else {
        add_name(n + ".gch");
      }
    }
    c.unknown = computed;
  }
  return c;
}

std::vector<std::string> PchNamesFromLineMarkers(absl::string_view preprocessed, size_t limit) {
  std::vector<std::string> files;
  int depth = 0;
  size_t pos = 0;
  while (pos < preprocessed.size() && files.size() < limit) {
    size_t eol = preprocessed.find('\n', pos);
    if (eol == absl::string_view::npos) eol = preprocessed.size();
    absl::string_view line = preprocessed.substr(pos, eol - pos);
    pos = eol + 1;
    // # <line> "<file>" [flags]
    if (!absl::StartsWith(line, "# ") || line.size() < 3 ||
        !absl::ascii_isdigit(static_cast<unsigned char>(line[2]))) {
      continue;
    }
    size_t open = line.find('"');
    if (open == absl::string_view::npos) continue;
    std::string file;
    size_t i = open + 1;
    for (; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      file.push_back(line[i]);
    }
    absl::string_view flags = i < line.size() ? line.substr(i + 1) : absl::string_view();
    const bool enter = absl::StrContains(absl::StrCat(flags, " "), " 1 ");
    const bool leave = absl::StrContains(absl::StrCat(flags, " "), " 2 ");
    if (enter) {
      if (depth == 0 && !absl::StartsWith(file, "<")) files.push_back(std::move(file));
      ++depth;
    } else if (leave && depth > 0) {
      --depth;
    }
  }
  std::vector<std::string> spellings;
  for (const std::string& f : files) AddSpellings(f, &spellings);
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> names;
  for (std::string& s : spellings) {
    std::string n = s + ".gch";
    if (seen.insert(n).second) names.push_back(std::move(n));
  }
  return names;
}

std::vector<std::string> FindPchFiles(const std::vector<std::string>& names,
                                      const std::vector<std::string>& dirs,
                                      const std::string& cwd) {
  std::vector<std::string> found;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& dir : dirs) {
    for (const std::string& name : names) {
      std::string candidate = dir.empty() ? name : util::JoinPath(dir, name);
      if (seen.contains(candidate)) continue;
      struct stat st;
      if (::stat(util::JoinPath(cwd, candidate).c_str(), &st) == 0) {
        seen.insert(candidate);
        found.push_back(std::move(candidate));
      }
    }
  }
  return found;
}

bool IsClangPch(absl::string_view head) { return absl::StartsWith(head, "CPCH"); }

bool IsClangPchFile(const std::string& path) {
  util::ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  char head[4];
  return ::read(fd.get(), head, sizeof(head)) == static_cast<ssize_t>(sizeof(head)) &&
         IsClangPch(absl::string_view(head, sizeof(head)));
}

}  // namespace zc::compile
