// The parsers of the tools' statistics, on output captured from zcwrap 0.1, ccache 4.7 and
// sccache 0.4.
#include "bench/replay/launcher_backend.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace zc::bench {
namespace {

TEST(ParseZcwrapStatsTest, HitsAreDirectPlusPreprocessedHits) {
  absl::StatusOr<ToolCounters> counters = ParseZcwrapStats(
      R"({"cache_miss": 7, "direct_cache_hit": 5, "direct_cache_miss": 8,
          "preprocessed_cache_hit": 2, "preprocessed_cache_miss": 1})");
  ASSERT_TRUE(counters.ok()) << counters.status();
  EXPECT_EQ(counters->hits, 7u);
  EXPECT_FALSE(counters->tool_spawns.has_value());  // one compiler per non-hit
  EXPECT_FALSE(counters->round_trips.has_value());
}

TEST(ParseZcwrapStatsTest, RejectsMalformedOrForeignOutput) {
  EXPECT_EQ(ParseZcwrapStats("{\"direct_cache_hit\": ").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseZcwrapStats("{\"hits\": 3}").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseZcwrapStats("[]").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseCcacheStatsTest, CountsHitsAndPreprocessorAndCompilerRuns) {
  absl::StatusOr<ToolCounters> counters = ParseCcacheStats(
      "autoconf_test\t0\n"
      "cache_miss\t3\n"
      "direct_cache_hit\t10\n"
      "direct_cache_miss\t4\n"
      "preprocessed_cache_hit\t1\n"
      "preprocessed_cache_miss\t3\n"
      "stats_zeroed_timestamp\t1700000000\n");
  ASSERT_TRUE(counters.ok()) << counters.status();
  EXPECT_EQ(counters->hits, 11u);
  ASSERT_TRUE(counters->tool_spawns.has_value());
  EXPECT_EQ(*counters->tool_spawns, 4u + 3u);
}

TEST(ParseCcacheStatsTest, RejectsOutputWithoutCounters) {
  EXPECT_EQ(ParseCcacheStats("ccache: error: something\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseSccacheStatsTest, SumsLanguagesAndCountsRequests) {
  absl::StatusOr<ToolCounters> counters = ParseSccacheStats(
      R"({"stats":{"compile_requests":10,"requests_unsupported_compiler":0,
          "requests_not_compile":2,"requests_not_cacheable":1,"requests_executed":8,
          "cache_errors":{"counts":{}},"cache_hits":{"counts":{"C/C++":4,"Rust":1}},
          "cache_misses":{"counts":{"C/C++":2}},"non_cacheable_compilations":0},
          "cache_location":"Local disk","cache_size":1,"max_cache_size":2})");
  ASSERT_TRUE(counters.ok()) << counters.status();
  EXPECT_EQ(counters->hits, 5u);
  ASSERT_TRUE(counters->tool_spawns.has_value());
  EXPECT_EQ(*counters->tool_spawns, (5u + 2u) + 2u + 1u);
  ASSERT_TRUE(counters->round_trips.has_value());
  EXPECT_EQ(*counters->round_trips, 10u);
}

TEST(ParseSccacheStatsTest, RejectsOutputWithoutStats) {
  EXPECT_EQ(ParseSccacheStats(R"({"cache_size": 1})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSccacheStats("not json").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zc::bench
