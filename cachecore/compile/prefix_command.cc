#include "cachecore/compile/prefix_command.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {
namespace {

// How each known launcher starts a line of its own: NAME[pid] (sorted by program name).
struct Launcher {
  absl::string_view program;
  absl::string_view line_tag;
};
constexpr Launcher kLaunchers[] = {
    {"distcc", "distcc"},  // distcc[123] (dcc_build_somewhere) Warning: ...
    {"icecc", "ICECC"},    // ICECC[123] 2026-12-02 13:44:07: ...
    {"icerun", "ICECC"},
};

// "TAG[digits] ..." at the start of `line`.
bool IsLauncherLine(absl::string_view line, absl::string_view tag) {
  if (!absl::ConsumePrefix(&line, tag) || !absl::ConsumePrefix(&line, "[")) return false;
  size_t digits = 0;
  while (digits < line.size() && absl::ascii_isdigit(static_cast<unsigned char>(line[digits]))) {
    ++digits;
  }
  return digits > 0 && digits < line.size() && line[digits] == ']';
}

}  // namespace

std::vector<std::string> PrefixWords(absl::string_view setting) {
  return absl::StrSplit(setting, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
}

std::string LauncherKey(absl::string_view setting) {
  std::vector<std::string> words = PrefixWords(setting);
  if (words.empty()) return "";
  words[0] = std::string(util::Basename(words[0]));
  return absl::StrJoin(words, " ");
}

LauncherOutput SplitLauncherOutput(absl::string_view launcher, absl::string_view stderr_data) {
  LauncherOutput out;
  absl::string_view tag;
  const absl::string_view program = util::Basename(launcher);
  for (const Launcher& l : kLaunchers) {
    if (l.program == program) tag = l.line_tag;
  }
  if (tag.empty()) {
    out.compiler_stderr = std::string(stderr_data);
    return out;
  }
  out.compiler_stderr.reserve(stderr_data.size());
  while (!stderr_data.empty()) {
    const size_t end = stderr_data.find('\n');
    const size_t len = end == absl::string_view::npos ? stderr_data.size() : end + 1;
    const absl::string_view line = stderr_data.substr(0, len);
    stderr_data.remove_prefix(len);
    if (IsLauncherLine(line, tag)) {
      out.launcher_lines.emplace_back(absl::StripSuffix(line, "\n"));
    } else {
      out.compiler_stderr.append(line.data(), line.size());
    }
  }
  return out;
}

bool IsCompilerVerdict(int exit_code, absl::string_view compiler_stderr) {
  if (exit_code == 0) return true;
  return exit_code == 1 && !absl::StripAsciiWhitespace(compiler_stderr).empty();
}

}  // namespace zc::compile
