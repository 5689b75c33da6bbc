// The management command line (zcwrap -s/-z/-C/-M/-p/-V/-h) and how a bad setting is reported.
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_harness.h"
#include "tests/support/temp_dir.h"

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

TEST_F(ManagementTest, EvictOlderThanRemovesOnlyEntriesUnusedThatLong) {
  const std::vector<std::string> compile_b = {"gcc", "-c", "b.c", "-o", "b.o"};
  WriteBoth("a.c", kCleanC);
  WriteBoth("b.c", "int other(void) { return 7; }\n");
  ASSERT_EQ(Zcwrap(kCompile).exit_code, 0);
  // a.c's entries were last used ten days ago; b.c's now.
  std::vector<std::string> old_files;
  for (const std::string& f : EntryFiles()) old_files.push_back(cache_dir_ + "/" + f);
  ASSERT_FALSE(old_files.empty());
  for (const std::string& f : old_files) test::SetFileTimes(f, std::time(nullptr) - 10 * 86400);
  ASSERT_EQ(Zcwrap(compile_b).exit_code, 0);
  ASSERT_TRUE(CacheHolds(2));

  const RunResult e = Manage({"--evict-older-than", "7d"});
  EXPECT_EQ(e.exit_code, 0) << ::testing::PrintToString(e);
  EXPECT_THAT(e.stdout_data, HasSubstr(absl::StrCat("removed ", old_files.size(), " files")));
  EXPECT_TRUE(CacheHolds(1));
  for (const std::string& f : old_files) EXPECT_FALSE(Exists(f)) << f;
  EXPECT_EQ(Stat("files_evicted"), old_files.size());

  // b.c still hits; a.c compiles again, identical to plain gcc.
  std::filesystem::remove(WrapPath("a.o"));
  std::filesystem::remove(WrapPath("b.o"));
  ExpectSameResult(Plain(compile_b), Zcwrap(compile_b));
  ExpectSameResult(Plain(kCompile), Zcwrap(kCompile));
  EXPECT_TRUE(SameFile("a.o"));
  EXPECT_TRUE(SameFile("b.o"));
  EXPECT_TRUE(HasMissesAndHits(3, 1));
}

TEST_F(ManagementTest, EvictOlderThanWithoutAUnitExitsTwoNamingTheValue) {
  for (const char* bad : {"7", "7w", "-1d", "d", "99999999999999d"}) {
    const RunResult e = Manage({"--evict-older-than", bad});
    EXPECT_EQ(e.exit_code, 2) << bad;
    EXPECT_TRUE(IsOneLine(e.stderr_data)) << bad;
    EXPECT_THAT(e.stderr_data, HasSubstr(absl::StrCat("\"", bad, "\""))) << bad;
  }
  EXPECT_EQ(Manage({"--evict-older-than"}).exit_code, 2);
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

// ccache's -F, -o and -k: the file gets the setting, -p and -k show it, a bad one is one line.
TEST_F(ManagementTest, MaxFilesSetConfigAndGetConfig) {
  const RunResult f = Manage({"-F", "1000"});
  EXPECT_EQ(f.exit_code, 0) << ::testing::PrintToString(f);
  EXPECT_EQ(f.stdout_data, "Set cache files limit to 1000\n");
  const RunResult o = Manage({"-o", "compression_level=5"});
  EXPECT_EQ(o.exit_code, 0) << ::testing::PrintToString(o);
  EXPECT_EQ(Manage({"-k", "max_files"}).stdout_data, "1000\n");
  EXPECT_EQ(Manage({"--get-config", "compression_level"}).stdout_data, "5\n");
  const std::string file = ReadFile(cache_dir_ + "/zcwrap.conf").value_or("");
  EXPECT_THAT(file, HasSubstr("max_files = 1000\n"));
  EXPECT_THAT(file, HasSubstr("compression_level = 5\n"));

  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"-o", "no_such_key=1"},
                                             {"-o", "compression_level=99"},
                                             {"-o", "novalue"},
                                             {"-F", "many"},
                                             {"-k", "no_such_key"},
                                             {"-k"}}) {
    const RunResult r = Manage(bad);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(bad);
    EXPECT_TRUE(IsOneLine(r.stderr_data)) << ::testing::PrintToString(bad);
  }
  EXPECT_EQ(Manage({"-k", "compression_level"}).stdout_data, "5\n") << "a bad -o changed nothing";
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

// The man page as plain text: troff's escapes and font changes taken out.
std::string ManPageText() {
  const char* path = std::getenv("ZCWRAP_MANPAGE");
  if (path == nullptr) return "";
  std::string page = ReadFile(path).value_or("");
  return absl::StrReplaceAll(page, {{"\\-", "-"},
                                    {"\\e", "\\"},
                                    {"\\fB", ""},
                                    {"\\fI", ""},
                                    {"\\fR", ""},
                                    {"\\fP", ""},
                                    {"\\&", ""}});
}

// The section of `page` under ".SH NAME", up to the next section.
std::string Section(const std::string& page, const std::string& name) {
  size_t start = page.find(".SH " + name + "\n");
  if (start == std::string::npos) return "";
  size_t end = page.find("\n.SH ", start + 1);
  return page.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Whitespace runs as one space, none at the ends.
std::string Squeeze(absl::string_view text) {
  return absl::StrJoin(absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty()), " ");
}

// --help and the man page come from one table (wrapper/usage.cc): every --help row is an entry
// of the page's OPTIONS (names, arguments, then the same words), and the page has no other.
TEST_F(ManagementTest, HelpAndManPageListTheSameOptions) {
  const std::string page = ManPageText();
  ASSERT_FALSE(page.empty()) << "ZCWRAP_MANPAGE names no readable man page";
  // Each entry: ".TP\n.B NAMES ARGS\nSUMMARY. DETAILS", squeezed to "NAMES ARGS SUMMARY. DETAILS".
  std::vector<std::string> entries;
  for (absl::string_view entry : absl::StrSplit(Section(page, "OPTIONS"), ".TP\n")) {
    if (!absl::ConsumePrefix(&entry, ".B ")) continue;
    entries.push_back(Squeeze(entry));
  }
  const RunResult help = Manage({"--help"});
  ASSERT_EQ(help.exit_code, 0);
  const size_t start = help.stdout_data.find("Options:\n");
  ASSERT_NE(start, std::string::npos);
  size_t rows = 0;
  for (absl::string_view line : absl::StrSplit(help.stdout_data.substr(start), '\n')) {
    if (!absl::StartsWith(line, "  -") && !absl::StartsWith(line, "      --")) continue;
    const std::string row = Squeeze(line) + ".";
    EXPECT_TRUE(std::any_of(entries.begin(), entries.end(),
                            [&](const std::string& e) { return absl::StartsWith(e, row); }))
        << "--help row missing from the man page: " << line;
    ++rows;
  }
  EXPECT_GE(rows, 15u);
  EXPECT_EQ(entries.size(), rows) << "the man page has options --help does not";
}

// Every setting zcwrap -p shows, and every ZCWRAP_ variable the engine and the wrapper read, is in
// the man page with its default.
TEST_F(ManagementTest, ManPageDocumentsEverySettingAndVariable) {
  const std::string page = ManPageText();
  ASSERT_FALSE(page.empty()) << "ZCWRAP_MANPAGE names no readable man page";
  const std::string configuration = Section(page, "CONFIGURATION");
  const std::string environment = Section(page, "ENVIRONMENT");
  const RunResult shown = Manage({"-p"});
  ASSERT_EQ(shown.exit_code, 0);
  int keys = 0;
  for (absl::string_view line : absl::StrSplit(shown.stdout_data, '\n', absl::SkipEmpty())) {
    // "(default) max_size = 5.0 GiB"
    const size_t close = line.find(") ");
    const size_t eq = line.find(" = ");
    ASSERT_NE(close, absl::string_view::npos);
    ASSERT_NE(eq, absl::string_view::npos);
    const std::string key(line.substr(close + 2, eq - close - 2));
    const size_t at = configuration.find(".TP\n.B " + key + "\n");
    ASSERT_NE(at, std::string::npos) << "setting not in CONFIGURATION: " << key;
    const size_t next = configuration.find(".TP\n", at + 1);
    EXPECT_THAT(configuration.substr(at, next - at), HasSubstr("Default: "))
        << "no default for " << key;
    ++keys;
  }
  EXPECT_GE(keys, 20);

  // The variables the code reads, found in its sources (header guards aside).
  const char* root = std::getenv("ZCWRAP_SOURCE_ROOT");
  ASSERT_NE(root, nullptr);
  std::set<std::string> variables;
  for (const char* dir : {"cachecore", "wrapper", "shim"}) {
    for (const auto& file :
         std::filesystem::recursive_directory_iterator(std::filesystem::path(root) / dir)) {
      const std::string ext = file.path().extension().string();
      if (ext != ".cc" && ext != ".h") continue;
      std::ifstream in(file.path());
      std::stringstream text;
      text << in.rdbuf();
      const std::string body = text.str();
      // String literals "ZCWRAP_NAME" (header guards are not quoted).
      for (size_t at = body.find("\"ZCWRAP_"); at != std::string::npos;
           at = body.find("\"ZCWRAP_", at + 1)) {
        size_t end = at + 1;
        while (end < body.size() && (absl::ascii_isupper(body[end]) ||
                                     absl::ascii_isdigit(body[end]) || body[end] == '_')) {
          ++end;
        }
        if (end > at + 8 && end < body.size() && body[end] == '"') {  // not the bare prefix
          variables.insert(body.substr(at + 1, end - at - 1));
        }
      }
    }
  }
  EXPECT_GE(variables.size(), 20u);
  for (const std::string& name : variables) {
    const size_t at = environment.find(".TP\n.B " + name + "\n");
    ASSERT_NE(at, std::string::npos) << "variable not in ENVIRONMENT: " << name;
    const size_t next = environment.find(".TP\n", at + 1);
    EXPECT_THAT(environment.substr(at, next - at), HasSubstr("Default: "))
        << "no default for " << name;
  }
}

}  // namespace
}  // namespace zc::e2e
