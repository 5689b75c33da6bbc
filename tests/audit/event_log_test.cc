#include "cachecore/audit/event_log.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace zc::audit {
namespace {

TEST(EventLogTest, AppendsLinesAndSyncCountsWhatWasAppendedSince) {
  test::TempDir dir;
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(dir.Join("a/b/audit.jsonl"));
  ASSERT_TRUE(log.ok()) << log.status();
  (*log)->Append("{\"n\":1}");
  (*log)->Append("{\"n\":2}");
  EXPECT_EQ((*log)->Sync().value(), 2u);
  EXPECT_EQ((*log)->Sync().value(), 0u);
  EXPECT_EQ(test::ReadTestFile(dir.Join("a/b/audit.jsonl")), "{\"n\":1}\n{\"n\":2}\n");
}

TEST(EventLogTest, OpenFailsWithAMessageNamingTheFile) {
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open("/proc/nope/audit.jsonl");
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(std::string(log.status().message()), ::testing::HasSubstr("/proc/nope/audit.jsonl"));
  EXPECT_FALSE(EventLog::Open("").ok());
}

TEST(EventLogTest, ManyProcessesAppendingNeverInterleaveLines) {
  test::TempDir dir;
  const std::string path = dir.Join("audit.jsonl");
  test::StartBarrier barrier;
  std::vector<pid_t> pids;
  constexpr int kChildren = 6, kLines = 300;
  for (int c = 0; c < kChildren; ++c) {
    pids.push_back(test::ForkChild([&, c] {
      absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(path);
      if (!log.ok()) return 1;
      barrier.Wait();
      // Long lines, so a torn write would show.
      const std::string pad(3000, static_cast<char>('a' + c));
      for (int i = 0; i < kLines; ++i)
        (*log)->Append(absl::StrCat("{\"c\":", c, ",\"p\":\"", pad, "\"}"));
      return 0;
    }));
  }
  barrier.Release();
  for (pid_t pid : pids) EXPECT_TRUE(test::WaitForSuccess(pid));
  std::vector<std::string> lines =
      absl::StrSplit(test::ReadTestFile(path), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kChildren * kLines));
  for (const std::string& l : lines) {
    const char c = l[5];
    EXPECT_EQ(l, absl::StrCat("{\"c\":", c - '0', ",\"p\":\"",
                              std::string(3000, static_cast<char>('a' + (c - '0'))), "\"}"));
  }
}

}  // namespace
}  // namespace zc::audit
