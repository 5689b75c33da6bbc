#include "cachecore/util/size_format.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zc::util {

absl::StatusOr<uint64_t> ParseSize(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  size_t num_end = 0;
  while (num_end < s.size() && (absl::ascii_isdigit(s[num_end]) || s[num_end] == '.')) ++num_end;
  absl::string_view number = s.substr(0, num_end);
  std::string unit = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(s.substr(num_end)));
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid size \"", text, "\" (expected e.g. 500M, 5G, 1.5T)"));
  };
  if (number.empty()) return bad();

  // Accepted units: B, K, KB, KI, KIB (and likewise M, G, T).
  if (unit.size() > 1 && unit.back() == 'B' && unit[0] != 'B') unit.pop_back();  // "GB", "GiB"
  if (unit.size() == 2 && unit.back() == 'I') unit.pop_back();                   // "Gi"
  int shift = 0;
  if (unit.empty() || unit == "B") {
    shift = 0;
  } else if (unit == "K") {
    shift = 10;
  } else if (unit == "M") {
    shift = 20;
  } else if (unit == "G") {
    shift = 30;
  } else if (unit == "T") {
    shift = 40;
  } else {
    return bad();
  }

  if (number.find('.') == absl::string_view::npos) {
    uint64_t value = 0;
    if (!absl::SimpleAtoi(number, &value)) return bad();
    if (shift > 0 && value > (UINT64_MAX >> shift)) return bad();
    return value << shift;
  }
  double value = 0;
  if (!absl::SimpleAtod(number, &value) || !std::isfinite(value) || value < 0) return bad();
  double scaled = std::ldexp(value, shift);
  if (scaled >= 1.8e19) return bad();
  return static_cast<uint64_t>(scaled);
}

std::string FormatSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  // 1023.96 would print as "1024.0": move to the next unit instead.
  while (value >= 1023.95 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

}  // namespace zc::util
