// Parsing and printing of human-readable sizes, as used by max_size and the stats table.
//
//   ParseSize("5G")    == 5 * 1024^3     (binary units: K, M, G, T, with optional "i"/"iB"/"B")
//   ParseSize("500M")  == 500 * 1024^2
//   ParseSize("1.5G")  == 1.5 * 1024^3
//   ParseSize("12345") == 12345 bytes
//   FormatSize(5368709120) == "5.0 GiB"
#ifndef ZCWRAP_CACHECORE_UTIL_SIZE_FORMAT_H_
#define ZCWRAP_CACHECORE_UTIL_SIZE_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::util {

// InvalidArgument for anything that is not a non-negative number with an optional unit,
// or that overflows 64 bits.
absl::StatusOr<uint64_t> ParseSize(absl::string_view text);

std::string FormatSize(uint64_t bytes);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_SIZE_FORMAT_H_
