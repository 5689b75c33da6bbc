// The management command line (zcwrap -s/-z/-C/-M/-p/-V/-h) and how a bad setting is reported.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"

namespace zc::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::vector<std::string> kCompile = {"gcc", "-c", "a.c", "-o", "a.o"};

// Exactly one line, ending in a newline.
::testing::AssertionResult IsOneLine(const std::string& text) {
  if (text.empty() || text.back() != '\n' || std::count(text.begin(), text.end(), '\n') != 1) {
    return ::testing::AssertionFailure() << "not exactly one line: \"" << text << "\"";
  }
  return ::testing::AssertionSuccess();
}

class ManagementTest : public E2eTest {
 protected:
  RunResult Manage(const std::vector<std::string>& args) { return Zcwrap(args, root_); }
};

TEST_F(ManagementTest, UnknownOptionExitsTwoWithOneLineError) {
  const RunResult r = Manage({"--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.stdout_data, "");
  EXPECT_TRUE(IsOneLine(r.stderr_data));
  EXPECT_THAT(r.stderr_data, HasSubstr("--frobnicate"));
}

TEST_F(ManagementTest, ZeroStatsResetsCountersButNotCacheSize) {
  WriteBoth("a.c", kCleanC);
  ASSERT_EQ(Zcwrap(kCompile).exit_code, 0);
  ASSERT_EQ(Zcwrap(kCompile).exit_code, 0);
  ASSERT_TRUE(HasMissesAndHits(1, 1));

  const RunResult z = Manage({"-z"});
  EXPECT_EQ(z.exit_code, 0) << ::testing::PrintToString(z);
  EXPECT_TRUE(HasMissesAndHits(0, 0));
  EXPECT_TRUE(HasCounters({{"direct_cache_miss", 0}, {"local_storage_write", 0}}));
  EXPECT_TRUE(CacheHolds(1)) << "zeroing the statistics must not lose track of the cache size";
  EXPECT_GT(Stat("stats_zeroed_timestamp"), 0u);
}

TEST_F(ManagementTest, ClearRemovesEntriesSoNextCompileMisses) {
  WriteBoth("a.c", kCleanC);
  ASSERT_EQ(Zcwrap(kCompile).exit_code, 0);
  ASSERT_TRUE(CacheHolds(1));

  const RunResult c = Manage({"-C"});
  EXPECT_EQ(c.exit_code, 0) << ::testing::PrintToString(c);
  EXPECT_TRUE(CacheHolds(0));
  EXPECT_TRUE(EntryFiles().empty());

  std::filesystem::remove(WrapPath("a.o"));
  const RunResult again = Zcwrap(kCompile);
  ExpectSameResult(Plain(kCompile), again);
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(HasMissesAndHits(2, 0));
}

TEST_F(ManagementTest, MaxSizeIsPersistedInConfigFile) {
  const RunResult m = Manage({"-M", "100M"});
  EXPECT_EQ(m.exit_code, 0) << ::testing::PrintToString(m);
  EXPECT_TRUE(Exists(cache_dir_ + "/zcwrap.conf"));

  const RunResult p = Manage({"-p"});
  EXPECT_EQ(p.exit_code, 0);
  std::string max_size_line;
  for (absl::string_view line : absl::StrSplit(p.stdout_data, '\n')) {
    if (absl::StrContains(line, "max_size")) max_size_line = std::string(line);
  }
  EXPECT_THAT(max_size_line, StartsWith("(file"));
  EXPECT_THAT(max_size_line, HasSubstr("max_size = 100.0 MiB"));
}

TEST_F(ManagementTest, MaxSizeWithBadValueExitsTwoNamingTheValue) {
  const RunResult m = Manage({"-M", "banana"});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_TRUE(IsOneLine(m.stderr_data));
  EXPECT_THAT(m.stderr_data, HasSubstr("banana"));
  EXPECT_FALSE(Exists(cache_dir_ + "/zcwrap.conf")) << "a rejected value must not be written";
}

TEST_F(ManagementTest, VersionAndHelpExitZero) {
  const RunResult v = Manage({"-V"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_THAT(v.stdout_data, HasSubstr("zcwrap"));
  const RunResult h = Manage({"-h"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_THAT(h.stdout_data, HasSubstr("Usage"));
}

TEST_F(ManagementTest, ShowStatsExitsZero) {
  const RunResult s = Manage({"-s"});
  EXPECT_EQ(s.exit_code, 0) << ::testing::PrintToString(s);
  EXPECT_FALSE(s.stdout_data.empty());
  const RunResult json = Manage({"--print-stats", "--json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_THAT(json.stdout_data, HasSubstr("\"cache_miss\":0"));
}

TEST_F(ManagementTest, BadConfigValueDuringCompileIsCountedAndLoggedNeverPrinted) {
  // The compile's output is the compiler's alone (a warning in it would break builds that
  // check stderr, and differ from the plain compile); zcwrap -p and -s say what is wrong.
  WriteBoth("a.c", kWarningC);
  const std::vector<std::string> compile = {"gcc", "-Wall", "-c", "a.c", "-o", "a.o"};
  const RunResult plain = Plain(compile);
  ASSERT_EQ(plain.exit_code, 0);
  const std::string log = Path("zcwrap.log");
  const std::vector<std::string> bad = {"ZCWRAP_MAX_SIZE=banana", "ZCWRAP_LOGFILE=" + log};
  for (int i = 0; i < 2; ++i) {
    ExpectSameResult(plain, Zcwrap(compile, "", bad));
    EXPECT_TRUE(SameFile("a.o"));
  }
  EXPECT_EQ(Stat("bad_config"), 2u);
  EXPECT_EQ(Stat("cache_miss") + Stat("direct_cache_hit") + Stat("preprocessed_cache_hit"), 0u)
      << "uncached: a bad setting may be one that should have changed what is cached";
  EXPECT_THAT(ReadFile(log).value_or(""), HasSubstr("bad_config: "));
  EXPECT_THAT(ReadFile(log).value_or(""), HasSubstr("max_size"));
  const RunResult shown = Zcwrap({"-p"}, "", bad);
  EXPECT_NE(shown.exit_code, 0);
  EXPECT_TRUE(IsOneLine(shown.stderr_data)) << shown.stderr_data;
  EXPECT_THAT(shown.stderr_data, HasSubstr("max_size"));
  EXPECT_THAT(Manage({"--print-stats"}).stdout_data, HasSubstr("bad_config\t2"));
}

}  // namespace
}  // namespace zc::e2e

namespace zc::e2e {
namespace {

TEST_F(ManagementTest, ShowConfigSaysWhichBaseDirectoryACompileHereGets) {
  auto base_line = [this](const std::string& cwd, const std::vector<std::string>& env) {
    const RunResult p = Zcwrap({"-p"}, cwd, env);
    EXPECT_EQ(p.exit_code, 0) << ::testing::PrintToString(p);
    for (absl::string_view line : absl::StrSplit(p.stdout_data, '\n')) {
      if (absl::StrContains(line, "base_dir")) return std::string(line);
    }
    return std::string();
  };
  WriteFile(Path("checkout/.git/HEAD"), "ref: refs/heads/main\n");
  WriteFile(Path("checkout/build/x"), "");
  EXPECT_THAT(base_line(Path("checkout/build"), {}),
              HasSubstr("base_dir = auto (here: " + Path("checkout") + ")"));
  EXPECT_THAT(base_line(Path("checkout/build"), {"ZCWRAP_BASE_DIR=none"}),
              HasSubstr("base_dir = none (here: none)"));
  EXPECT_THAT(base_line(WrapPath(""), {}), HasSubstr("(here: none)"));
}

}  // namespace
}  // namespace zc::e2e
