#include "cachecore/stats/counter.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "cachecore/stats/stats_file.h"
#include "gtest/gtest.h"

namespace zc::stats {
namespace {

TEST(CounterTableTest, IsOrderedByCounterValue) {
  const auto all = AllCounters();
  ASSERT_FALSE(all.empty());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(all[i].counter), i) << "row " << i << " is " << all[i].name;
  }
}

TEST(CounterTableTest, FitsTheReservedSlotsOfTheStatsFile) {
  EXPECT_LE(AllCounters().size(), kCounterSlots);
  // The shard tallies (bytes and files per shard) follow the counters in the file.
  EXPECT_GE(StatsFile::kSlotCount, kCounterSlots + 2u * kShardCount);
}

TEST(CounterTableTest, NamesAreUniqueSnakeCaseAndDescribed) {
  std::set<std::string> names;
  for (const CounterInfo& info : AllCounters()) {
    EXPECT_TRUE(names.insert(std::string(info.name)).second) << "duplicate " << info.name;
    ASSERT_FALSE(info.name.empty());
    for (char c : info.name) {
      EXPECT_TRUE(absl::ascii_islower(static_cast<unsigned char>(c)) || c == '_' ||
                  absl::ascii_isdigit(static_cast<unsigned char>(c)))
          << info.name;
    }
    EXPECT_FALSE(info.description.empty()) << info.name;
  }
}

TEST(CounterTableTest, NamesMatchCcacheWhereTheMeaningIsTheSame) {
  // Names from ccache's statistics table (src/ccache/core/statistics.cpp).
  const std::pair<Counter, const char*> ccache_names[] = {
      {Counter::kDirectCacheHit, "direct_cache_hit"},
      {Counter::kPreprocessedCacheHit, "preprocessed_cache_hit"},
      {Counter::kCacheMiss, "cache_miss"},
      {Counter::kDirectCacheMiss, "direct_cache_miss"},
      {Counter::kPreprocessedCacheMiss, "preprocessed_cache_miss"},
      {Counter::kCalledForLink, "called_for_link"},
      {Counter::kCalledForPreprocessing, "called_for_preprocessing"},
      {Counter::kMultipleSourceFiles, "multiple_source_files"},
      {Counter::kNoInputFile, "no_input_file"},
      {Counter::kUnsupportedCompilerOption, "unsupported_compiler_option"},
      {Counter::kUnsupportedSourceLanguage, "unsupported_source_language"},
      {Counter::kOutputToStdout, "output_to_stdout"},
      {Counter::kCompileFailed, "compile_failed"},
      {Counter::kBadCompilerArguments, "bad_compiler_arguments"},
      {Counter::kPreprocessorError, "preprocessor_error"},
      {Counter::kInternalError, "internal_error"},
      {Counter::kCouldNotFindCompiler, "could_not_find_compiler"},
      {Counter::kCompilerCheckFailed, "compiler_check_failed"},
      {Counter::kCompilerProducedNoOutput, "compiler_produced_no_output"},
      {Counter::kCompilerProducedStdout, "compiler_produced_stdout"},
      {Counter::kCleanupsPerformed, "cleanups_performed"},
      {Counter::kRecache, "recache"},
      {Counter::kDisabled, "disabled"},
      {Counter::kModifiedInputFile, "modified_input_file"},
      {Counter::kUnsupportedCodeDirective, "unsupported_code_directive"},
      {Counter::kLocalStorageWrite, "local_storage_write"},
      {Counter::kStatsZeroedTimestamp, "stats_zeroed_timestamp"},
      {Counter::kBadOutputFile, "bad_output_file"},
      {Counter::kAutoconfTest, "autoconf_test"},
      {Counter::kCouldNotUsePrecompiledHeader, "could_not_use_precompiled_header"},
  };
  for (const auto& [counter, name] : ccache_names) {
    EXPECT_EQ(CounterName(counter), name);
  }
}

TEST(CounterTableTest, CounterByNameRoundTripsEveryCounter) {
  for (const CounterInfo& info : AllCounters()) {
    std::optional<Counter> back = CounterByName(info.name);
    ASSERT_TRUE(back.has_value()) << info.name;
    EXPECT_EQ(*back, info.counter);
    EXPECT_EQ(CounterName(info.counter), info.name);
    EXPECT_EQ(Info(info.counter).counter, info.counter);
  }
}

TEST(CounterTableTest, CounterByNameOfUnknownNameIsNullopt) {
  EXPECT_FALSE(CounterByName("").has_value());
  EXPECT_FALSE(CounterByName("no_such_counter").has_value());
  EXPECT_FALSE(CounterByName("Direct_Cache_Hit").has_value());
  EXPECT_FALSE(CounterByName("direct_cache_hit ").has_value());
}

TEST(CounterTableTest, HitsAndMissesAreGroupedForShowStats) {
  EXPECT_EQ(Info(Counter::kDirectCacheHit).group, CounterGroup::kHit);
  EXPECT_EQ(Info(Counter::kPreprocessedCacheHit).group, CounterGroup::kHit);
  EXPECT_EQ(Info(Counter::kCacheMiss).group, CounterGroup::kMiss);
  EXPECT_EQ(Info(Counter::kCalledForLink).group, CounterGroup::kUncacheable);
  EXPECT_EQ(Info(Counter::kCorruptCacheEntry).group, CounterGroup::kError);
  EXPECT_EQ(Info(Counter::kStatsZeroedTimestamp).group, CounterGroup::kInfo);
}

}  // namespace
}  // namespace zc::stats
