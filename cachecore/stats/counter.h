// The statistics counters: one table of every counter zcwrap keeps, with ccache's names where the
// meaning is the same, so dashboards and scripts written for `ccache --print-stats` keep working.
//
//   stats.Increment(zc::stats::Counter::kDirectCacheHit);
//   absl::string_view name = zc::stats::CounterName(zc::stats::Counter::kDirectCacheHit);
//       // "direct_cache_hit"
//
// A Counter's numeric value is its slot in the stats file: never renumber, only append.
#ifndef ZCWRAP_CACHECORE_STATS_COUNTER_H_
#define ZCWRAP_CACHECORE_STATS_COUNTER_H_

#include <cstdint>
#include <optional>
#include <span>

#include "absl/strings/string_view.h"

namespace zc::stats {

enum class Counter : uint16_t {
  kDirectCacheHit = 0,
  kPreprocessedCacheHit = 1,
  kCacheMiss = 2,
  kDirectCacheMiss = 3,
  kPreprocessedCacheMiss = 4,
  kCalledForLink = 5,
  kCalledForPreprocessing = 6,
  kMultipleSourceFiles = 7,
  kNoInputFile = 8,
  kUnsupportedCompilerOption = 9,
  kUnsupportedSourceLanguage = 10,
  kOutputToStdout = 11,
  kCompileFailed = 12,
  kBadCompilerArguments = 13,
  kPreprocessorError = 14,
  kInternalError = 15,
  kCouldNotFindCompiler = 16,
  kCompilerCheckFailed = 17,
  kCompilerProducedNoOutput = 18,
  kCorruptCacheEntry = 19,
  kCleanupsPerformed = 20,
  kFilesEvicted = 21,
  kRecache = 22,
  kDisabled = 23,
  kModifiedInputFile = 24,
  kUnsupportedCodeDirective = 25,
  kStdinInput = 26,
  kSaveTemps = 27,
  kLocalStorageWrite = 28,
  kStatsZeroedTimestamp = 29,
  kStatsUpdatedTimestamp = 30,
  kBadOutputFile = 31,
  kAutoconfTest = 32,
  kCouldNotUsePrecompiledHeader = 33,
  kCompilerProducedStdout = 34,
  kReadonlyMiss = 35,
  kStoreFailed = 36,
  kOutputNotCacheable = 37,
  kTimeMacrosUnstable = 38,
  kDirectModeFallback = 39,
  kDaemonFallback = 40,
  kRecompiledToVerify = 41,
  kBadInputFile = 42,
  kBadConfig = 43,
  kRemoteStorageHit = 44,
  kRemoteStorageMiss = 45,
  kRemoteStorageReadHit = 46,
  kRemoteStorageReadMiss = 47,
  kRemoteStorageWrite = 48,
  kRemoteStorageError = 49,
  kRemoteStorageTimeout = 50,
  kRemoteStorageBadEntry = 51,
  kRemoteStorageBadSignature = 52,
  kRemoteStorageSkipped = 53,
  kRemoteStorageWriteDropped = 54,
  kPrefixCommandRun = 55,
  kPrefixCommandRetriedLocally = 56,
  kPrefixCommandMessages = 57,
};
inline constexpr uint16_t kCounterSlots = 128;  // room reserved in the stats file

// How --show-stats groups a counter.
enum class CounterGroup : uint8_t {
  kHit,          // a cache hit
  kMiss,         // a cacheable call that missed
  kUncacheable,  // the compiler ran untouched, for this reason
  kError,        // something went wrong (the compiler still ran)
  kInfo,         // housekeeping, timestamps
};

struct CounterInfo {
  Counter counter;
  absl::string_view name;  // ccache's name where one exists
  CounterGroup group;
  absl::string_view description;  // for --show-stats
};

// Every counter, ordered by Counter value (a unit test checks this).
std::span<const CounterInfo> AllCounters();
const CounterInfo& Info(Counter counter);
absl::string_view CounterName(Counter counter);
std::optional<Counter> CounterByName(absl::string_view name);

}  // namespace zc::stats

#endif  // ZCWRAP_CACHECORE_STATS_COUNTER_H_
