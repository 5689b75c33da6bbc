#include "cachecore/compile/front_door.h"

#include <sys/stat.h>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::compile {
namespace {

TEST(StoreOptionsForTest, TakeTheConfigsRootAndLimits) {
  config::Config c;
  c.cache_dir = "/c";
  c.max_size = 123;
  c.max_files = 4;
  c.compression_level = 7;
  store::StoreOptions o = StoreOptionsFor(c);
  EXPECT_EQ(o.root, "/c");
  EXPECT_EQ(o.max_size, 123u);
  EXPECT_EQ(o.max_files, 4u);
  EXPECT_EQ(o.compression_level, 7);
}

TEST(OpenEngineTest, CreatesTheCacheDirectory) {
  test::TempDir dir;
  config::Config c;
  c.cache_dir = dir.Join("new/cache");
  util::PosixProcessRunner runner;
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(c, &runner, 0);
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_TRUE(test::FileExists(dir.Join("new/cache/stats")));
  test::WriteTestFile(dir.Join("file"), "x");
  c.cache_dir = dir.Join("file/cache");
  EXPECT_FALSE(OpenEngine(c, &runner, 0).ok());
}

TEST(CompilerNotFoundTest, AnswersAsAShellWould) {
  CompileResult r = CompilerNotFound(absl::NotFoundError("cannot find compiler \"gcc\" in PATH"));
  EXPECT_EQ(r.outcome, Outcome::kRanPlainly);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.reason, stats::Counter::kCouldNotFindCompiler);
  EXPECT_EQ(r.stderr_data, "zcwrap: cannot find compiler \"gcc\" in PATH\n");
}

class RequestSettingsTest : public ::testing::Test {
 protected:
  std::vector<std::string> Env(std::vector<std::string> extra = {}) {
    std::vector<std::string> env = {"PATH=/usr/bin", "ZCWRAP_DIR=" + dir_.path()};
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
  }
  test::TempDir dir_;
};

TEST_F(RequestSettingsTest, OneLoadPerDistinctSetOfSettingsVariables) {
  RequestSettings settings;
  auto a = settings.For(Env({"ZCWRAP_RECACHE=1"}));
  auto b = settings.For(Env({"ZCWRAP_RECACHE=1", "OTHER=changes nothing"}));
  auto c = settings.For(Env());
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->get(), b->get()) << "loaded once";
  EXPECT_TRUE((*a)->recache);
  EXPECT_FALSE((*c)->recache);
}

TEST_F(RequestSettingsTest, AChangedConfigFileIsReadAgain) {
  RequestSettings settings;
  test::WriteTestFile(dir_.Join("zcwrap.conf"), "max_size = 1G\n");
  auto before = settings.For(Env());
  ASSERT_TRUE(before.ok());
  EXPECT_EQ((*before)->max_size, uint64_t{1} << 30);
  test::WriteTestFile(dir_.Join("zcwrap.conf"), "max_size = 2G\n");
  auto after = settings.For(Env());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)->max_size, uint64_t{2} << 30);
}

TEST_F(RequestSettingsTest, BadValuesAreErrorsEveryTime) {
  RequestSettings settings;
  EXPECT_FALSE(settings.For(Env({"ZCWRAP_MAX_SIZE=lots"})).ok());
  EXPECT_FALSE(settings.For(Env({"ZCWRAP_MAX_SIZE=lots"})).ok());
}

TEST_F(RequestSettingsTest, AForcedCacheDirectoryWinsOverTheRequests) {
  RequestSettings settings(dir_.Join("root"));
  auto c = settings.For({"ZCWRAP_DIR=/somewhere/else", "ZCWRAP_READONLY=1"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->cache_dir, dir_.Join("root"));
  EXPECT_TRUE((*c)->readonly);
}

}  // namespace
}  // namespace zc::compile
