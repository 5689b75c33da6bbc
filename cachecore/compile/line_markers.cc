#include "cachecore/compile/line_markers.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"

namespace zc::compile {

std::vector<std::string> FilesFromLineMarkers(absl::string_view text) {
  std::vector<std::string> files;
  absl::flat_hash_set<std::string> seen;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == absl::string_view::npos) eol = text.size();
    absl::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    // "# 1 \"file\"" (gcc) or "#line 1 \"file\"" (some modes).
    if (line.size() < 5 || line[0] != '#') continue;
    size_t i = 1;
    if (line.substr(1, 4) == "line") i = 5;
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size() || !absl::ascii_isdigit(static_cast<unsigned char>(line[i]))) continue;
    while (i < line.size() && absl::ascii_isdigit(static_cast<unsigned char>(line[i]))) ++i;
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size() || line[i] != '"') continue;
    std::string name;
    bool closed = false;
    for (++i; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        name.push_back(line[++i]);
      } else if (line[i] == '"') {
        closed = true;
        break;
      } else {
        name.push_back(line[i]);
      }
    }
    if (!closed || name.empty() || name.front() == '<') continue;
    if (seen.insert(name).second) files.push_back(std::move(name));
  }
  return files;
}

}  // namespace zc::compile
