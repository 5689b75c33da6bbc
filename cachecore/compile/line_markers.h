// The files named by the line markers of preprocessed output (`# 12 "path/x.h" 1 3`): every file
// the preprocessor read, in first-seen order, without "<built-in>"-style pseudo files.
#ifndef ZCWRAP_CACHECORE_COMPILE_LINE_MARKERS_H_
#define ZCWRAP_CACHECORE_COMPILE_LINE_MARKERS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zc::compile {

std::vector<std::string> FilesFromLineMarkers(absl::string_view preprocessed);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_LINE_MARKERS_H_
