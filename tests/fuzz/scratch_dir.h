// A per-process scratch directory for fuzz targets whose parser reads a file (config, response
// files, tier state): created on first use under $TMPDIR (or /tmp), removed with everything in it
// when the process exits normally. Targets rewrite their files in it for every input.
//
//   const std::string& dir = zc::fuzz::ScratchDir();
//   zc::fuzz::WriteScratchFile(dir + "/zcwrap.conf", input);
//
// Not thread-safe (libFuzzer and the replay test call targets from one thread).
#ifndef ZCWRAP_TESTS_FUZZ_SCRATCH_DIR_H_
#define ZCWRAP_TESTS_FUZZ_SCRATCH_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace zc::fuzz {

// The directory (absolute, no trailing slash). Aborts if it cannot be made: a fuzz run without
// it would report every input as a crash.
const std::string& ScratchDir();

// Replaces `path` with `data`; aborts on failure (a full /tmp, not an input's fault).
void WriteScratchFile(const std::string& path, absl::string_view data);

}  // namespace zc::fuzz

#endif  // ZCWRAP_TESTS_FUZZ_SCRATCH_DIR_H_
