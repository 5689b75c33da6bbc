#include "bench/replay/replay_cli.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zc::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseCommandLineTest, DefaultsToPlainBothModesOneRound) {
  absl::StatusOr<CliOptions> options = ParseCommandLine({"db.json"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->database, "db.json");
  EXPECT_THAT(options->backends, ElementsAre("plain"));
  EXPECT_EQ(options->mode, ReplayMode::kBoth);
  EXPECT_EQ(options->rounds, 1);
  EXPECT_GE(options->jobs, 1);
  EXPECT_FALSE(options->json);
  EXPECT_EQ(options->label, "db.json");
  EXPECT_FALSE(options->cache_dir.empty());
}

TEST(ParseCommandLineTest, ReadsEveryOptionInBothSpellings) {
  absl::StatusOr<CliOptions> options =
      ParseCommandLine({"--backend", "ccache,zcwrap-off", "--backend=sccache,ccache", "-j3",
                        "--mode=warm", "--cache-dir", "/c", "--zcwrap=/z/zcwrap", "--rounds", "4",
                        "--json", "--label", "gt", "db.json"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(options->backends, ElementsAre("ccache", "zcwrap-off", "sccache"));
  EXPECT_EQ(options->jobs, 3);
  EXPECT_EQ(options->mode, ReplayMode::kWarm);
  EXPECT_EQ(options->cache_dir, "/c");
  EXPECT_EQ(options->zcwrap, "/z/zcwrap");
  EXPECT_EQ(options->rounds, 4);
  EXPECT_TRUE(options->json);
  EXPECT_EQ(options->label, "gt");

  absl::StatusOr<CliOptions> separate = ParseCommandLine({"-j", "2", "--jobs=5", "d.json"});
  ASSERT_TRUE(separate.ok()) << separate.status();
  EXPECT_EQ(separate->jobs, 5);
}

TEST(ParseCommandLineTest, AllMeansEveryBackendInReportOrder) {
  absl::StatusOr<CliOptions> options = ParseCommandLine({"--backend", "all", "db.json"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(options->backends,
              ElementsAre("plain", "zcwrap-off", "zcwrap-daemon", "shim", "ccache", "sccache"));
}

TEST(ParseCommandLineTest, HelpNeedsNoDatabase) {
  absl::StatusOr<CliOptions> options = ParseCommandLine({"--help"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->help);
  EXPECT_THAT(Usage(), HasSubstr("--backend"));
}

TEST(ParseCommandLineTest, RejectsBadUsage) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{}, "no compilation database"},
      {{"a.json", "b.json"}, "more than one"},
      {{"--backend", "distcc", "a.json"}, "unknown backend 'distcc'"},
      {{"--backend", ",", "a.json"}, "empty list"},
      {{"--backend"}, "missing value"},
      {{"-j", "0", "a.json"}, "expected a number"},
      {{"-jx", "a.json"}, "expected a number"},
      {{"--rounds=-1", "a.json"}, "expected a number"},
      {{"--mode", "hot", "a.json"}, "expected cold, warm or both"},
      {{"--json=yes", "a.json"}, "takes no value"},
      {{"--cache-dir=", "a.json"}, "--cache-dir: empty"},
      {{"--frobnicate", "a.json"}, "unknown option '--frobnicate'"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CliOptions> options = ParseCommandLine(c.args);
    ASSERT_FALSE(options.ok()) << c.message;
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(options.status().message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace zc::bench
