// Scanning source and header text for what direct mode must know before it trusts a manifest:
// time macros (their value changes without any file changing) and __has_include probes (their
// answer changes when a file appears, although nothing included changed); and for what may put
// a path into the output (__FILE__ and its kin), which base directories must know; and for
// assembler directives that read files no dependency list names (.incbin, .include).
//
//   zc::compile::SourceScan scan = zc::compile::ScanSource(text);
//   if (scan.flags & zc::compile::kUsesTimeMacros) { use preprocessor mode }
#ifndef ZCWRAP_CACHECORE_COMPILE_SOURCE_SCAN_H_
#define ZCWRAP_CACHECORE_COMPILE_SOURCE_SCAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zc::compile {

enum SourceScanFlags : uint32_t {
  kUsesTimeMacros = 1u << 0,        // __DATE__, __TIME__ or __TIMESTAMP__
  kUsesHasInclude = 1u << 1,        // __has_include / __has_include_next with literal names
  kUsesOpaqueHasInclude = 1u << 2,  // __has_include(MACRO): the probed name is unknown
  // __FILE__, __BASE_FILE__, __builtin_FILE or __builtin_source_location: the output may hold
  // a file's path (portability.h).
  kUsesFileMacros = 1u << 3,
  // An assembler directive that reads a file (.incbin or .include, e.g. in inline asm): the
  // assembler reads it, so no dependency list names it and no key could hold it.
  kUsesAssemblerInclude = 1u << 4,
};

struct SourceScan {
  uint32_t flags = 0;
  std::vector<std::string> probed_names;  // "sys/single_threaded.h" from __has_include(<...>)
};

SourceScan ScanSource(absl::string_view text);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_SOURCE_SCAN_H_
