#include "cachecore/compile/source_scan.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace zc::compile {
namespace {

constexpr absl::string_view kTimeMacros[] = {"__DATE__", "__TIME__", "__TIMESTAMP__"};
constexpr absl::string_view kFileMacros[] = {"__BASE_FILE__", "__FILE__", "__builtin_FILE",
                                             "__builtin_source_location"};

bool IsIdentChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// ".incbin" or ".include" standing as a directive: not inside a longer name ("cfg.include_dirs")
// unless after an escape ("\t.incbin"), and not followed by more of a name. A mention in a
// comment counts too: a needless miss, never a false hit.
bool UsesAssemblerInclude(absl::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    const void* hit = std::memchr(text.data() + pos, '.', text.size() - pos);
    if (hit == nullptr) return false;
    const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    pos = at + 1;
    // "\t.incbin" in a string literal: the letter before the dot belongs to an escape.
    if (at > 0 && IsIdentChar(text[at - 1]) && !(at > 1 && text[at - 2] == '\\')) continue;
    for (absl::string_view directive :
         {absl::string_view(".incbin"), absl::string_view(".include")}) {
      const size_t end = at + directive.size();
      if (end < text.size() && text.substr(at, directive.size()) == directive &&
          !IsIdentChar(text[end])) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

SourceScan ScanSource(absl::string_view text) {
  SourceScan scan;
  // Every token of interest starts with "__"; memchr-driven search keeps this near memory speed.
  size_t pos = 0;
  while (pos + 1 < text.size()) {
    const void* hit = std::memchr(text.data() + pos, '_', text.size() - pos - 1);
    if (hit == nullptr) break;
    size_t at = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    pos = at + 1;
    if (text[at + 1] != '_' || (at > 0 && IsIdentChar(text[at - 1]))) continue;
    absl::string_view rest = text.substr(at);
    size_t ident_end = 0;
    while (ident_end < rest.size() && IsIdentChar(rest[ident_end])) ++ident_end;
    absl::string_view ident = rest.substr(0, ident_end);
    pos = at + ident_end;
    for (absl::string_view m : kTimeMacros) {
      if (ident == m) scan.flags |= kUsesTimeMacros;
    }
    for (absl::string_view m : kFileMacros) {
      if (ident == m) scan.flags |= kUsesFileMacros;
    }
    if (ident != "__has_include" && ident != "__has_include_next") continue;
    // Expect ( <name> ) or ( "name" ), with optional white space.
    size_t i = ident_end;
    while (i < rest.size() && absl::ascii_isspace(static_cast<unsigned char>(rest[i]))) ++i;
    if (i >= rest.size() || rest[i] != '(') {
      // "#if defined(__has_include)" and the like: not a probe.
      continue;
    }
    ++i;
    while (i < rest.size() && absl::ascii_isspace(static_cast<unsigned char>(rest[i]))) ++i;
    if (i < rest.size() && (rest[i] == '<' || rest[i] == '"')) {
      const char close = rest[i] == '<' ? '>' : '"';
      size_t end = rest.find(close, i + 1);
      if (end != absl::string_view::npos &&
          rest.substr(i + 1, end - i - 1).find('\n') == absl::string_view::npos) {
        scan.flags |= kUsesHasInclude;
        scan.probed_names.emplace_back(rest.substr(i + 1, end - i - 1));
        continue;
      }
    }
    scan.flags |= kUsesOpaqueHasInclude;
  }
  if (UsesAssemblerInclude(text)) scan.flags |= kUsesAssemblerInclude;
  return scan;
}

}  // namespace zc::compile
