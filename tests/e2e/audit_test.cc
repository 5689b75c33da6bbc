// Audit events from the wrapped path: ZCWRAP_AUDIT_FILE, ZCWRAP_AUDIT_MODE and the caller's ids
// (ZCWRAP_RUN_ID ...), with and without the daemon (the suite runs in both).
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kCompile = {"gcc", "-Wall", "-c", "a.c", "-o", "a.o"};

// The string value of "key" in one event line, or "" (the events are flat but for "host").
std::string Field(const std::string& line, absl::string_view key) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  const size_t at = line.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = at + needle.size();
  return line.substr(begin, line.find('"', begin) - begin);
}

class AuditTest : public E2eTest {
 protected:
  AuditTest() { WriteBoth("a.c", kWarningC); }

  std::vector<std::string> Events() const {
    std::optional<std::string> text = ReadFile(Path("audit.jsonl"));
    if (!text) return {};
    return absl::StrSplit(*text, '\n', absl::SkipEmpty());
  }
  std::vector<std::string> EventNames() const {
    std::vector<std::string> names;
    for (const std::string& e : Events()) names.push_back(Field(e, "event"));
    return names;
  }
  std::vector<std::string> AuditEnv(absl::string_view mode = "normal") const {
    return {absl::StrCat("ZCWRAP_AUDIT_FILE=", Path("audit.jsonl")),
            absl::StrCat("ZCWRAP_AUDIT_MODE=", mode),
            "ZCWRAP_RUN_ID=run-7",
            "ZCWRAP_TRACE_ID=trace-1",
            "ZCWRAP_PARENT_SPAN_ID=span-2",
            "ZCWRAP_COMMAND_ID=cmd-3",
            "ZCWRAP_SESSION_ID=sess-4"};
  }
  std::string Origin() const { return DaemonMode().empty() ? "zcwrap" : "zcwrap-daemon"; }
};

TEST_F(AuditTest, MissThenHitEventsCarryTheCallersIdsOnEveryEvent) {
  ASSERT_EQ(Zcwrap(kCompile, "", AuditEnv()).exit_code, 0);
  ASSERT_EQ(Zcwrap(kCompile, "", AuditEnv()).exit_code, 0);
  EXPECT_THAT(EventNames(),
              ElementsAre("compile.started", "cache.miss", "cache.store", "compile.finished",
                          "compile.started", "cache.hit", "compile.finished"));
  const std::vector<std::string> events = Events();
  for (const std::string& e : events) {
    EXPECT_THAT(e, HasSubstr("\"schema\":1,")) << e;
    EXPECT_EQ(Field(e, "run_id"), "run-7") << e;
    EXPECT_EQ(Field(e, "trace_id"), "trace-1") << e;
    EXPECT_EQ(Field(e, "parent_span_id"), "span-2") << e;
    EXPECT_EQ(Field(e, "command_id"), "cmd-3") << e;
    EXPECT_EQ(Field(e, "session_id"), "sess-4") << e;
    EXPECT_EQ(Field(e, "origin"), Origin()) << e;
    EXPECT_FALSE(Field(e, "ts").empty()) << e;
  }
  ASSERT_EQ(events.size(), 7u);
  // One id per compile, shared by its events.
  EXPECT_FALSE(Field(events[0], "compile_id").empty());
  for (int i : {1, 2, 3}) EXPECT_EQ(Field(events[i], "compile_id"), Field(events[0], "compile_id"));
  for (int i : {5, 6}) EXPECT_EQ(Field(events[i], "compile_id"), Field(events[4], "compile_id"));
  EXPECT_NE(Field(events[0], "compile_id"), Field(events[4], "compile_id"));

  EXPECT_EQ(Field(events[1], "reason"), "no_manifest");
  EXPECT_EQ(Field(events[2], "key"), Field(events[5], "key"));
  EXPECT_EQ(Field(events[3], "outcome"), "miss");
  EXPECT_THAT(events[3], HasSubstr("\"exit_code\":0"));
  EXPECT_EQ(Field(events[5], "mode"), "direct");
  EXPECT_EQ(Field(events[6], "outcome"), "hit");
  EXPECT_EQ(Field(events[6], "reason"), "direct_cache_hit");
}

TEST_F(AuditTest, ASecondMissSaysWhatChangedSinceTheFirst) {
  WriteBoth("a.c", "#include \"h.h\"\nint f(void) { return H; }\n");
  WriteBoth("h.h", "#define H 1\n");
  ASSERT_EQ(Zcwrap(kCompile, "", AuditEnv()).exit_code, 0);
  EXPECT_THAT(EventNames(), Not(testing::Contains("cache.miss_explained"))) << "a first miss";
  WriteBoth("h.h", "#define H 2\n");
  ASSERT_EQ(Zcwrap(kCompile, "", AuditEnv()).exit_code, 0);
  std::string explained;
  for (const std::string& e : Events()) {
    if (Field(e, "event") == "cache.miss_explained") explained = e;
  }
  EXPECT_THAT(explained, HasSubstr("\"changes\":[\"file_changed: file changed: h.h ("));
}

TEST_F(AuditTest, FailedCompileIsFinishedWithItsExitCodeAndNothingStored) {
  WriteBoth("bad.c", kSyntaxErrorC);
  RunResult r = Zcwrap({"gcc", "-c", "bad.c", "-o", "bad.o"}, "", AuditEnv());
  ASSERT_NE(r.exit_code, 0);
  EXPECT_THAT(EventNames(), ElementsAre("compile.started", "cache.miss", "compile.finished"));
  const std::string finished = Events().back();
  EXPECT_EQ(Field(finished, "outcome"), "miss");
  EXPECT_EQ(Field(finished, "reason"), "compile_failed");
  EXPECT_THAT(finished, HasSubstr(absl::StrCat("\"exit_code\":", r.exit_code)));
}

TEST_F(AuditTest, UncacheableCallIsFinishedWithoutAnExitCodeBecauseZcwrapExecsTheCompiler) {
  ASSERT_EQ(Zcwrap({"gcc", "-E", "a.c"}, "", AuditEnv()).exit_code, 0);
  EXPECT_THAT(EventNames(), ElementsAre("compile.started", "compile.finished"));
  const std::string finished = Events().back();
  EXPECT_EQ(Field(finished, "outcome"), "uncacheable");
  EXPECT_EQ(Field(finished, "reason"), "called_for_preprocessing");
  EXPECT_THAT(finished, HasSubstr("\"exit_code\":null"));
}

TEST_F(AuditTest, CallsThatNeverReachTheCacheAreFinishedToo) {
  std::vector<std::string> disabled = AuditEnv();
  disabled.push_back("ZCWRAP_DISABLE=1");
  ASSERT_EQ(Zcwrap(kCompile, "", disabled).exit_code, 0);
  std::vector<std::string> bad = AuditEnv();
  bad.push_back("ZCWRAP_MAX_SIZE=huge");
  ASSERT_EQ(Zcwrap(kCompile, "", bad).exit_code, 0);
  RunResult missing = Zcwrap({"no-such-compiler-zc", "-c", "a.c"}, "", AuditEnv());
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_EQ(missing.stderr_data, "zcwrap: cannot find compiler \"no-such-compiler-zc\" in PATH\n");

  const std::vector<std::string> events = Events();
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(Field(events[1], "outcome"), "uncacheable");
  EXPECT_EQ(Field(events[1], "reason"), "disabled");
  EXPECT_EQ(Field(events[3], "outcome"), "error");
  EXPECT_EQ(Field(events[3], "reason"), "bad_config");
  EXPECT_EQ(Field(events[5], "outcome"), "error");
  EXPECT_EQ(Field(events[5], "reason"), "could_not_find_compiler");
  EXPECT_THAT(events[5], HasSubstr("\"exit_code\":127"));
  for (const std::string& e : events) EXPECT_EQ(Field(e, "run_id"), "run-7") << e;
}

TEST_F(AuditTest, SummaryModeWritesOnlyFinishedAndOffWritesNothing) {
  ASSERT_EQ(Zcwrap(kCompile, "", AuditEnv("summary")).exit_code, 0);
  EXPECT_THAT(EventNames(), ElementsAre("compile.finished"));
  ASSERT_EQ(Zcwrap(kCompile, "", AuditEnv("off")).exit_code, 0);
  EXPECT_THAT(EventNames(), ElementsAre("compile.finished"));
}

TEST_F(AuditTest, VerboseModeRecordsTheCommandAndRedactsSecretLookingVariables) {
  std::vector<std::string> env = AuditEnv("verbose");
  env.push_back("MY_API_TOKEN=hunter2");
  env.push_back("DB_PASSWORD=swordfish");
  env.push_back("ORDINARY=visible");
  env.push_back("HTTPS_PROXY=http://me:s3cret@proxy.example:3128");
  ASSERT_EQ(Zcwrap(kCompile, "", env).exit_code, 0);
  const std::vector<std::string> events = Events();
  ASSERT_FALSE(events.empty());
  const std::string& started = events.front();
  EXPECT_EQ(Field(started, "event"), "compile.started");
  EXPECT_THAT(started, HasSubstr("\"-Wall\",\"-c\",\"a.c\""));
  EXPECT_EQ(Field(started, "cwd"), wrap_dir_);
  EXPECT_THAT(started, HasSubstr("\"MY_API_TOKEN=<redacted>\""));
  EXPECT_THAT(started, HasSubstr("\"DB_PASSWORD=<redacted>\""));
  EXPECT_THAT(started, HasSubstr("\"ORDINARY=visible\""));
  EXPECT_THAT(started, HasSubstr("\"HTTPS_PROXY=http://me:***@proxy.example:3128\""));
  for (const std::string& e : events) {
    EXPECT_THAT(e, Not(HasSubstr("hunter2")));
    EXPECT_THAT(e, Not(HasSubstr("swordfish")));
    EXPECT_THAT(e, Not(HasSubstr("s3cret")));
  }
}

TEST_F(AuditTest, ARelativeAuditFileIsTakenFromTheCompilesDirectory) {
  ASSERT_EQ(Zcwrap(kCompile, "", {"ZCWRAP_AUDIT_FILE=logs/audit.jsonl"}).exit_code, 0);
  std::optional<std::string> text = ReadFile(WrapPath("logs/audit.jsonl"));
  ASSERT_TRUE(text.has_value());
  EXPECT_THAT(*text, HasSubstr("\"event\":\"compile.finished\""));
}

TEST_F(AuditTest, AnUnwritableAuditFileNeverFailsTheCompile) {
  ASSERT_EQ(Plain(kCompile).exit_code, 0);
  RunResult r = Zcwrap(kCompile, "", {"ZCWRAP_AUDIT_FILE=/proc/no/such/audit.jsonl"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(SameFile("a.o"));
}

}  // namespace
}  // namespace zc::e2e
