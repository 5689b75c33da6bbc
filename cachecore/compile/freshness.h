// Whether the inputs a compile read were written before it started — the condition for storing
// its result under a key made of their contents.
//
//   zc::compile::StartTime start = zc::compile::StartTime::Now(zc::util::SystemClock());
//   ... run the compile ...
//   switch (zc::compile::CheckFreshness(files, cwd, start)) { ... }
//
// File timestamps come from the kernel's coarse clock and, with multigrain timestamps (Linux
// 6.13+), may be anywhere between that tick and the real time of the write. So for an input with
// timestamp t and a compile that started at coarse time c and real time r: t < c is before the
// start; t >= r is after it; c <= t < r cannot be told (a generated header written just before
// its compile is exactly this case; the engine settles it by compiling again).
#ifndef ZCWRAP_CACHECORE_COMPILE_FRESHNESS_H_
#define ZCWRAP_CACHECORE_COMPILE_FRESHNESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "cachecore/util/clock.h"

namespace zc::compile {

// When a compile started, by both clocks.
struct StartTime {
  int64_t coarse_ns = 0;  // CLOCK_REALTIME_COARSE
  int64_t fine_ns = 0;    // CLOCK_REALTIME, read after coarse_ns
  static StartTime Now(const util::Clock& clock);
};

enum class Freshness {
  kOld,        // every input was last written before the compile started
  kAmbiguous,  // one was written about when the compile started: before or after it?
  kModified,   // one was written after the compile started
  kMissing,    // one is gone
};

// The worst of `files` (relative to `cwd`, or absolute), by their mtime and ctime.
[[nodiscard]] Freshness CheckFreshness(const std::vector<std::string>& files,
                                       const std::string& cwd, const StartTime& start);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_FRESHNESS_H_
