#include "app/text.h"

#include <cctype>

#include "app/probe.h"

namespace app {
std::map<std::string, int> WordCounts(const std::string& text) {
  std::map<std::string, int> counts;
  std::string word;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      ++counts[word];
      word.clear();
    }
  }
  counts["#features"] = OptionalFeatures();
  return counts;
}
}  // namespace app
