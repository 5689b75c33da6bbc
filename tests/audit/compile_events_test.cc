#include "cachecore/audit/compile_events.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class CompileEventsTest : public ::testing::Test {
 protected:
  CompileEventsTest() {
    absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(dir_.Join("sub/audit.jsonl"));
    EXPECT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }
  std::vector<std::string> Lines() const {
    return absl::StrSplit(test::ReadTestFile(dir_.Join("sub/audit.jsonl")), '\n',
                          absl::SkipEmpty());
  }
  // Runs one compile's worth of events in `mode`.
  void EmitAll(Mode mode, const Context& context = {}, const Host* host = nullptr) {
    CompileEvents e(log_.get(), mode, context, host, "zcwrap");
    e.Started({"/usr/bin/gcc", "-c", "a.c"}, "/src",
              std::vector<std::string>{"HOME=/h", "NPM_TOKEN=abc"});
    e.Miss("direct", "no_manifest");
    e.Stored("abcd", 42);
    e.Finished("miss", "cache_miss", 0, 1234, 17);
  }

  test::TempDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(CompileEventsTest, NormalModeWritesEveryEventWithTheSchemaAndContext) {
  Context c;
  c.run_id = "r\"1";  // escaped, not breaking the line
  c.session_id = "s";
  EmitAll(Mode::kNormal, c);
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[0], HasSubstr("\"event\":\"compile.started\""));
  EXPECT_THAT(lines[1], HasSubstr("\"event\":\"cache.miss\""));
  EXPECT_THAT(lines[1], HasSubstr("\"reason\":\"no_manifest\""));
  EXPECT_THAT(lines[2], HasSubstr("\"bytes\":42"));
  EXPECT_THAT(lines[3], HasSubstr("\"exit_code\":0,\"duration_us\":1234,\"queued_us\":17}"));
  for (const std::string& l : lines) {
    EXPECT_THAT(l, testing::StartsWith("{\"schema\":1,"));
    EXPECT_THAT(l, HasSubstr("\"run_id\":\"r\\\"1\""));
    EXPECT_THAT(l, HasSubstr("\"session_id\":\"s\""));
    EXPECT_THAT(l, Not(HasSubstr("trace_id")));  // empty ids are left out
    EXPECT_THAT(l, Not(HasSubstr("\"argv\"")));  // only verbose records the command
  }
}

TEST_F(CompileEventsTest, SummaryKeepsOnlyFinishedAndOffNothing) {
  EmitAll(Mode::kSummary);
  EmitAll(Mode::kOff);
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("\"event\":\"compile.finished\""));
}

TEST_F(CompileEventsTest, VerboseRecordsTheCommandWithSecretsRedacted) {
  EmitAll(Mode::kVerbose);
  const std::string started = Lines().at(0);
  EXPECT_THAT(started, HasSubstr("\"argv\":[\"/usr/bin/gcc\",\"-c\",\"a.c\"]"));
  EXPECT_THAT(started, HasSubstr("\"cwd\":\"/src\""));
  EXPECT_THAT(started, HasSubstr("\"NPM_TOKEN=<redacted>\""));
  EXPECT_THAT(started, HasSubstr("\"HOME=/h\""));
  EXPECT_THAT(started, Not(HasSubstr("abc\"")));
}

TEST_F(CompileEventsTest, HostIdentityIsOnEveryEvent) {
  Host host{"soldr", "i", "w"};
  EmitAll(Mode::kNormal, {}, &host);
  for (const std::string& l : Lines()) {
    EXPECT_THAT(
        l,
        HasSubstr("\"host\":{\"product\":\"soldr\",\"instance_id\":\"i\",\"workspace_id\":\"w\"}"));
  }
}

TEST_F(CompileEventsTest, NullExitCodeWhenTheFrontDoorRunsTheCompilerItself) {
  CompileEvents e(log_.get(), Mode::kSummary, {}, nullptr, "zcwrap");
  e.Finished("uncacheable", "called_for_link", std::nullopt, 5, 0);
  EXPECT_THAT(Lines().at(0), HasSubstr("\"exit_code\":null"));
}

TEST_F(CompileEventsTest, WithoutALogNothingIsWrittenAndNothingBreaks) {
  CompileEvents e(nullptr, Mode::kVerbose, {}, nullptr, "zcwrap");
  e.Started({"gcc"}, "/", {});
  e.Finished("hit", "direct_cache_hit", 0, 1, 0);
  EXPECT_FALSE(e.compile_id().empty());
}

TEST(RedactEnvironmentTest, RedactsNamesWithSecretWordsInAnyCase) {
  EXPECT_THAT(RedactEnvironment({"AWS_SECRET_ACCESS_KEY=x", "db_password=y", "ApiKey=z",
                                 "GH_TOKEN=t", "PATH=/bin", "MONKEY=banana", "NOEQUALS"}),
              ElementsAre("AWS_SECRET_ACCESS_KEY=<redacted>", "db_password=<redacted>",
                          "ApiKey=<redacted>", "GH_TOKEN=<redacted>", "PATH=/bin",
                          // MONKEY contains KEY: redacting too much is the safe side.
                          "MONKEY=<redacted>", "NOEQUALS"));
}

TEST(RedactEnvironmentTest, RedactsCredentialsInUrlsAndRemoteStorage) {
  EXPECT_THAT(
      RedactEnvironment({"ZCWRAP_REMOTE_STORAGE=redis://:pw1@h:6379 http://h/c|bearer-token=tok9",
                         "ZCWRAP_REMOTE_STORAGE=not a valid setting :pw2@",
                         "CACHE_URL=https://ci:pw3@cache.example/x?y",
                         "MIRRORS=http://a:b@one/ ftp://two/ redis://:pw4@three",
                         "PLAIN=http://example/no-user", "USER_ONLY=http://me@host/"}),
      ElementsAre("ZCWRAP_REMOTE_STORAGE=redis://:***@h:6379 http://h/c|bearer-token=***",
                  "ZCWRAP_REMOTE_STORAGE=<redacted>", "CACHE_URL=https://ci:***@cache.example/x?y",
                  "MIRRORS=http://a:***@one/ ftp://two/ redis://:***@three",
                  "PLAIN=http://example/no-user", "USER_ONLY=http://me@host/"));
}

TEST(NewCompileIdTest, IdsAreUniqueAcrossThreads) {
  std::vector<std::vector<std::string>> ids(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < 1000; ++i) ids[t].push_back(NewCompileId());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 4000u);
}

TEST(ContextFromEnvTest, ReadsTheFiveVariables) {
  Context c = ContextFromEnv([](absl::string_view name) -> std::optional<std::string> {
    if (name == "ZCWRAP_RUN_ID") return "r";
    if (name == "ZCWRAP_TRACE_ID") return "t";
    if (name == "ZCWRAP_PARENT_SPAN_ID") return "p";
    if (name == "ZCWRAP_COMMAND_ID") return "c";
    if (name == "ZCWRAP_SESSION_ID") return "s";
    return std::nullopt;
  });
  EXPECT_EQ(c.run_id, "r");
  EXPECT_EQ(c.trace_id, "t");
  EXPECT_EQ(c.parent_span_id, "p");
  EXPECT_EQ(c.command_id, "c");
  EXPECT_EQ(c.session_id, "s");
}

TEST(ModeTest, ParsesEveryNameAndRejectsOthers) {
  for (Mode m : {Mode::kOff, Mode::kSummary, Mode::kNormal, Mode::kVerbose}) {
    EXPECT_EQ(ParseMode(ModeName(m)), m);
  }
  EXPECT_EQ(ParseMode("loud"), std::nullopt);
}

}  // namespace
}  // namespace zc::audit
