#include "cachecore/compile/base_dir.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/compiler_option.h"

namespace zc::compile {
namespace {

constexpr absl::string_view kMarkers[] = {".git", ".hg", ".svn"};

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string WithoutTrailingSlashes(absl::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

bool StartsPath(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '=' || c == ':'; }
bool EndsPath(char c) {
  return c == '/' || c == ' ' || c == '\t' || c == '\n' || c == ':' || c == '\\';
}

}  // namespace

std::string FindBaseDir(absl::string_view setting, absl::string_view cwd) {
  std::string base;
  if (setting == "auto") {
    std::string dir = WithoutTrailingSlashes(cwd);
    while (!dir.empty() && dir.front() == '/' && base.empty()) {
      for (absl::string_view marker : kMarkers) {
        if (Exists(absl::StrCat(dir, dir == "/" ? "" : "/", marker))) {
          base = dir;
          break;
        }
      }
      if (dir == "/") break;
      const size_t slash = dir.find_last_of('/');
      dir.resize(slash == 0 ? 1 : slash);
    }
  } else if (setting != "none" && !setting.empty() && setting.front() == '/') {
    base = WithoutTrailingSlashes(setting);
  }
  return base == "/" ? std::string() : base;
}

std::string ApparentCwd(const std::string& cwd, const std::optional<std::string>& pwd) {
  if (!pwd || pwd->empty() || pwd->front() != '/' || *pwd == cwd) return cwd;
  struct stat a, b;
  if (::stat(pwd->c_str(), &a) != 0 || ::stat(cwd.c_str(), &b) != 0) return cwd;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino ? *pwd : cwd;
}

bool UnderBase(absl::string_view path, absl::string_view base) {
  return !base.empty() && absl::StartsWith(path, base) &&
         (path.size() == base.size() || path[base.size()] == '/');
}

std::string KeyPath(absl::string_view path, absl::string_view base) {
  if (!UnderBase(path, base)) return std::string(path);
  return absl::StrCat(absl::string_view(&kBaseMarker, 1), path.substr(base.size()));
}

std::optional<std::string> ExpandKeyPath(absl::string_view path, absl::string_view base) {
  if (path.empty() || path.front() != kBaseMarker) return std::string(path);
  if (base.empty()) return std::nullopt;
  return absl::StrCat(base, path.substr(1));
}

std::string ShowKeyPath(absl::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == kBaseMarker) {
      out += "$BASE";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ReplaceBase(absl::string_view text, absl::string_view base) {
  if (base.empty()) return std::string(text);
  std::string out;
  size_t from = 0;
  for (size_t at = text.find(base); at != absl::string_view::npos; at = text.find(base, at + 1)) {
    const size_t end = at + base.size();
    if ((at > 0 && !StartsPath(text[at - 1])) || (end < text.size() && !EndsPath(text[end]))) {
      continue;
    }
    absl::StrAppend(&out, text.substr(from, at - from), absl::string_view(&kBaseMarker, 1));
    from = end;
    at = end - 1;
  }
  absl::StrAppend(&out, text.substr(from));
  return out;
}

std::string ExpandBase(absl::string_view text, absl::string_view base) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == kBaseMarker) {
      out.append(base.data(), base.size());
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> KeyArgs(const std::vector<std::string>& args, absl::string_view base) {
  std::vector<std::string> out;
  out.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg.front() != '-') {  // the source, or another operand
      out.push_back(KeyPath(arg, base));
      continue;
    }
    const CompilerOption* opt = FindOption(arg);
    if (opt != nullptr) {
      out.push_back(arg);
      if ((opt->flags & kTakesArg) && i + 1 < args.size()) {
        ++i;  // the option's value, a path or not
        out.push_back((opt->flags & kPathArg) ? KeyPath(args[i], base) : args[i]);
      }
      continue;
    }
    opt = FindPrefixOption(arg);
    const absl::string_view value =
        opt != nullptr ? absl::string_view(arg).substr(opt->name.size()) : absl::string_view();
    if (opt != nullptr && (opt->flags & kPathArg)) {
      out.push_back(absl::StrCat(opt->name, KeyPath(value, base)));
    } else if (opt != nullptr && (opt->flags & kPrefixMap)) {
      // OLD=NEW: OLD is where the files are; NEW is what the outputs say, kept as written.
      const size_t eq = value.find('=');
      out.push_back(
          eq == absl::string_view::npos
              ? arg
              : absl::StrCat(opt->name, KeyPath(value.substr(0, eq), base), value.substr(eq)));
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

}  // namespace zc::compile
