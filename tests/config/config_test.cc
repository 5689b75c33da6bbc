#include "cachecore/config/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::config {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kMiB = uint64_t{1} << 20;

// A fake environment: a map the test fills in, looked up by LoadConfig.
class FakeEnv {
 public:
  void Set(const std::string& name, const std::string& value) { vars_[name] = value; }
  void Unset(const std::string& name) { vars_.erase(name); }
  EnvLookup Lookup() const {
    return [this](absl::string_view name) -> std::optional<std::string> {
      auto it = vars_.find(std::string(name));
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() { env_.Set("ZCWRAP_DIR", cache_dir_); }

  void WriteConfigFile(const std::string& content) { test::WriteTestFile(config_path_, content); }
  absl::StatusOr<Config> Load() const { return LoadConfig(env_.Lookup()); }
  Config LoadOrDie() const {
    absl::StatusOr<Config> config = Load();
    EXPECT_TRUE(config.ok()) << config.status();
    return config.ok() ? *config : Config();
  }
  // The error of a load that must fail (an OK status, and a test failure, if it succeeded).
  absl::Status LoadError() const {
    absl::StatusOr<Config> config = Load();
    EXPECT_FALSE(config.ok()) << "loaded although it should have failed";
    return config.status();
  }

  static const Config::Shown* FindShown(const Config& config, absl::string_view key) {
    for (const Config::Shown& row : config.shown) {
      if (row.key == key) return &row;
    }
    ADD_FAILURE() << "no shown row for " << key;
    return nullptr;
  }

  test::TempDir dir_;
  const std::string cache_dir_ = dir_.path();
  const std::string config_path_ = dir_.Join("zcwrap.conf");
  FakeEnv env_;
};

// ---- defaults and cache_dir ------------------------------------------------------------------

TEST_F(ConfigTest, DefaultsApplyWhenNothingIsConfigured) {
  const Config config = LoadOrDie();
  EXPECT_EQ(config.cache_dir, cache_dir_);
  EXPECT_EQ(config.max_size, 5 * kGiB);
  EXPECT_EQ(config.max_files, 0u);
  EXPECT_EQ(config.compression_level, 1);
  EXPECT_FALSE(config.disable);
  EXPECT_FALSE(config.readonly);
  EXPECT_FALSE(config.recache);
  EXPECT_EQ(config.log_file, "");
  EXPECT_EQ(config.ConfigFilePath(), config_path_);
}

TEST_F(ConfigTest, ShownListsEveryKeyInOrderWithItsOrigin) {
  const Config config = LoadOrDie();
  const std::vector<absl::string_view> keys = ConfigKeys();
  ASSERT_EQ(config.shown.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(config.shown[i].key, keys[i]);
    if (keys[i] == "cache_dir") {
      EXPECT_EQ(config.shown[i].origin, Origin::kEnvironment);
      EXPECT_EQ(config.shown[i].where, "ZCWRAP_DIR");
      EXPECT_EQ(config.shown[i].value, cache_dir_);
    } else {
      EXPECT_EQ(config.shown[i].origin, Origin::kDefault) << keys[i];
      EXPECT_EQ(config.shown[i].where, "") << keys[i];
    }
  }
  const Config::Shown* max_size = FindShown(config, "max_size");
  ASSERT_NE(max_size, nullptr);
  EXPECT_EQ(max_size->value, "5.0 GiB");
  const Config::Shown* disable = FindShown(config, "disable");
  ASSERT_NE(disable, nullptr);
  EXPECT_EQ(disable->value, "false");
}

TEST_F(ConfigTest, CacheDirComesFromXdgCacheHomeBeforeHome) {
  FakeEnv env;
  env.Set("XDG_CACHE_HOME", dir_.Join("xdg"));
  env.Set("HOME", dir_.Join("home"));
  absl::StatusOr<Config> config = LoadConfig(env.Lookup());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cache_dir, dir_.Join("xdg/zcwrap"));
  const Config::Shown* cache_dir = FindShown(*config, "cache_dir");
  ASSERT_NE(cache_dir, nullptr);
  EXPECT_EQ(cache_dir->origin, Origin::kDefault);
}

TEST_F(ConfigTest, CacheDirFallsBackToHome) {
  FakeEnv env;
  env.Set("HOME", dir_.Join("home"));
  absl::StatusOr<Config> config = LoadConfig(env.Lookup());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cache_dir, dir_.Join("home/.cache/zcwrap"));
  // An empty XDG_CACHE_HOME counts as unset.
  env.Set("XDG_CACHE_HOME", "");
  config = LoadConfig(env.Lookup());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cache_dir, dir_.Join("home/.cache/zcwrap"));
}

TEST_F(ConfigTest, ZcwrapDirWinsOverXdgCacheHomeAndHome) {
  env_.Set("XDG_CACHE_HOME", dir_.Join("xdg"));
  env_.Set("HOME", dir_.Join("home"));
  const Config config = LoadOrDie();
  EXPECT_EQ(config.cache_dir, cache_dir_);
}

TEST_F(ConfigTest, NoWayToFindACacheDirectoryIsAnError) {
  FakeEnv empty;
  absl::StatusOr<Config> config = LoadConfig(empty.Lookup());
  ASSERT_FALSE(config.ok());
  EXPECT_FALSE(absl::StrContains(config.status().message(), "\n"));
  EXPECT_TRUE(absl::StrContains(config.status().message(), "ZCWRAP_DIR"));
}

TEST_F(ConfigTest, EmptyZcwrapDirIsIgnoredAndNotShownAsComingFromTheEnvironment) {
  FakeEnv env;
  env.Set("ZCWRAP_DIR", "");
  env.Set("HOME", dir_.Join("home"));
  absl::StatusOr<Config> config = LoadConfig(env.Lookup());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cache_dir, dir_.Join("home/.cache/zcwrap"));
  // The value came from HOME, so --show-config must not claim ZCWRAP_DIR set it.
  EXPECT_EQ(config->shown[0].origin, Origin::kDefault);
  EXPECT_NE(config->shown[0].where, "ZCWRAP_DIR");
}

TEST_F(ConfigTest, ConfigFileIsReadFromTheCacheDir) {
  FakeEnv env;
  env.Set("HOME", dir_.Join("home"));
  ASSERT_TRUE(SetConfigValue(dir_.Join("home/.cache/zcwrap/zcwrap.conf"), "max_files", "77").ok());
  absl::StatusOr<Config> config = LoadConfig(env.Lookup());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_files, 77u);
}

// ---- file and environment --------------------------------------------------------------------

TEST_F(ConfigTest, FileValuesApplyAndShowWhereTheyCameFrom) {
  WriteConfigFile(
      "max_size = 500M\n"
      "compression_level = 3\n"
      "readonly = true\n"
      "log_file = /tmp/zc.log\n");
  const Config config = LoadOrDie();
  EXPECT_EQ(config.max_size, 500 * kMiB);
  EXPECT_EQ(config.compression_level, 3);
  EXPECT_TRUE(config.readonly);
  EXPECT_EQ(config.log_file, "/tmp/zc.log");
  const Config::Shown* row = FindShown(config, "compression_level");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->origin, Origin::kFile);
  EXPECT_EQ(row->where, config_path_ + ":2");
  EXPECT_EQ(row->value, "3");
  row = FindShown(config, "max_size");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->where, config_path_ + ":1");
  EXPECT_EQ(row->value, "500.0 MiB");
  row = FindShown(config, "recache");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->origin, Origin::kDefault);
}

TEST_F(ConfigTest, DaemonIsUsedByDefault) { EXPECT_EQ(LoadOrDie().daemon, "auto"); }

TEST_F(ConfigTest, DaemonModeIsOneOfOffAutoOn) {
  env_.Set("ZCWRAP_DAEMON", "sometimes");
  absl::StatusOr<Config> bad = LoadConfig(env_.Lookup());
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "daemon"));
  env_.Set("ZCWRAP_DAEMON", "ON");
  EXPECT_EQ(LoadOrDie().daemon, "on");
  env_.Set("ZCWRAP_DAEMON", "");
  EXPECT_FALSE(Load().ok());
}

TEST_F(ConfigTest, RemoteStorageIsCheckedAndShownWithoutSecrets) {
  WriteConfigFile(
      "remote_storage = redis://:file-secret@cache:6379 http://h/c|read-only\n"
      "remote_key_file = /etc/zcwrap/team.key\n");
  Config config = LoadOrDie();
  EXPECT_EQ(config.remote_storage, "redis://:file-secret@cache:6379 http://h/c|read-only");
  EXPECT_EQ(config.remote_key_file, "/etc/zcwrap/team.key");
  const Config::Shown* shown = FindShown(config, "remote_storage");
  ASSERT_NE(shown, nullptr);
  EXPECT_EQ(shown->value, "redis://:***@cache:6379 http://h/c|read-only");

  env_.Set("ZCWRAP_REMOTE_STORAGE", "redis://:env-secret@cache:notaport");
  absl::Status bad = LoadError();
  EXPECT_TRUE(absl::StrContains(bad.message(), "bad port")) << bad;
  EXPECT_FALSE(absl::StrContains(bad.message(), "env-secret")) << bad;
  EXPECT_TRUE(absl::StrContains(bad.message(), "ZCWRAP_REMOTE_STORAGE")) << bad;
  env_.Set("ZCWRAP_REMOTE_STORAGE", "");
  EXPECT_EQ(LoadOrDie().remote_storage, "");
  env_.Set("ZCWRAP_REMOTE_KEY_FILE", "relative.key");
  EXPECT_TRUE(absl::StrContains(LoadError().message(), "absolute path"));
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  WriteConfigFile("max_size = 1G\nmax_files = 10\n");
  env_.Set("ZCWRAP_MAX_SIZE", "2G");
  const Config config = LoadOrDie();
  EXPECT_EQ(config.max_size, 2 * kGiB);
  EXPECT_EQ(config.max_files, 10u);
  const Config::Shown* size = FindShown(config, "max_size");
  ASSERT_NE(size, nullptr);
  EXPECT_EQ(size->origin, Origin::kEnvironment);
  EXPECT_EQ(size->where, "ZCWRAP_MAX_SIZE");
  EXPECT_EQ(size->value, "2.0 GiB");
  const Config::Shown* files = FindShown(config, "max_files");
  ASSERT_NE(files, nullptr);
  EXPECT_EQ(files->origin, Origin::kFile);
}

TEST_F(ConfigTest, EveryKeyHasAWorkingEnvironmentVariable) {
  // A valid, non-default value for each key (cache_dir is already set through ZCWRAP_DIR).
  const std::map<std::string, std::string> values = {
      {"audit_file", "/tmp/a.jsonl"},
      {"audit_mode", "verbose"},
      {"base_dir", "/src/checkout"},
      {"compiler_check", "string:gcc-12.2"},
      {"compression_level", "0"},
      {"daemon", "off"},
      {"daemon_idle_timeout", "7"},
      {"direct_mode", "false"},
      {"disable", "1"},
      {"extra_files_to_hash", "a.txt: /etc/b.conf"},
      {"ignore_options", "-fmessage-length=*  -Wno-foo"},
      {"log_file", "/var/log/zc"},
      {"max_files", "99"},
      {"max_size", "12345"},
      {"namespace", "team-a"},
      {"prefix_command", " icecc\t--x "},
      {"readonly", "yes"},
      {"recache", "on"},
      {"remote_jobs", "48"},
      {"remote_key_file", "/etc/zcwrap/team.key"},
      {"remote_storage", "redis://cache:6380|read-only"},
  };
  for (absl::string_view key : ConfigKeys()) {
    if (key == "cache_dir") continue;
    auto it = values.find(std::string(key));
    ASSERT_NE(it, values.end()) << "no test value for the new key " << key;
    env_.Set(std::string(EnvNameFor(key)), it->second);
  }
  const Config config = LoadOrDie();
  EXPECT_EQ(config.audit_file, "/tmp/a.jsonl");
  EXPECT_EQ(config.base_dir, "/src/checkout");
  EXPECT_EQ(config.audit_mode, "verbose");
  EXPECT_EQ(config.daemon, "off");
  EXPECT_EQ(config.daemon_idle_timeout, 7);
  EXPECT_EQ(config.max_size, 12345u);
  EXPECT_EQ(config.max_files, 99u);
  EXPECT_EQ(config.compression_level, 0);
  EXPECT_EQ(config.remote_key_file, "/etc/zcwrap/team.key");
  EXPECT_EQ(config.remote_storage, "redis://cache:6380|read-only");
  EXPECT_TRUE(config.disable);
  EXPECT_TRUE(config.readonly);
  EXPECT_TRUE(config.recache);
  EXPECT_EQ(config.log_file, "/var/log/zc");
  EXPECT_EQ(config.compiler_check, "string:gcc-12.2");
  EXPECT_EQ(config.extra_files_to_hash, (std::vector<std::string>{"a.txt", "/etc/b.conf"}));
  EXPECT_EQ(config.ignore_options, (std::vector<std::string>{"-fmessage-length=*", "-Wno-foo"}));
  EXPECT_EQ(config.key_namespace, "team-a");
  EXPECT_EQ(config.prefix_command, "icecc --x");
  EXPECT_EQ(config.remote_jobs, 48);
  for (const Config::Shown& row : config.shown) {
    EXPECT_EQ(row.origin, Origin::kEnvironment) << row.key;
    EXPECT_EQ(row.where, EnvNameFor(row.key)) << row.key;
  }
}

TEST_F(ConfigTest, KeepingGoingAppliesEveryGoodSettingAndReportsTheFirstBadOne) {
  WriteConfigFile("max_files = 7\nno_such_key = 1\nreadonly = true\n");
  env_.Set("ZCWRAP_MAX_FILES", "lots");
  env_.Set("ZCWRAP_IGNOREOPTIONS", "-g *");
  env_.Set("ZCWRAP_NAMESPACE", "n");
  EXPECT_FALSE(Load().ok());
  absl::Status bad;
  absl::StatusOr<Config> config = LoadConfigKeepingGoing(env_.Lookup(), &bad);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(absl::StrContains(bad.message(), "no_such_key")) << bad;
  EXPECT_EQ(config->max_files, 7u) << "a rejected value leaves the file's";
  EXPECT_TRUE(config->readonly);
  EXPECT_TRUE(config->ignore_options.empty()) << "a rejected value changes nothing";
  EXPECT_EQ(config->key_namespace, "n");
  env_.Set("ZCWRAP_MAX_FILES", "8");
  env_.Set("ZCWRAP_IGNOREOPTIONS", "");
  WriteConfigFile("readonly = true\n");
  ASSERT_TRUE(LoadConfigKeepingGoing(env_.Lookup(), &bad).ok());
  EXPECT_TRUE(bad.ok()) << bad;
}

TEST_F(ConfigTest, KeySettingsRejectWhatCannotWork) {
  env_.Set("ZCWRAP_COMPILERCHECK", "  ");
  EXPECT_FALSE(Load().ok()) << "an empty compiler_check";
  env_.Set("ZCWRAP_COMPILERCHECK", "content");
  env_.Set("ZCWRAP_IGNOREOPTIONS", "-g *");
  absl::StatusOr<Config> all = Load();
  ASSERT_FALSE(all.ok()) << "ignoring every option";
  EXPECT_TRUE(absl::StrContains(all.status().message(), "ignore_options")) << all.status();
  env_.Set("ZCWRAP_IGNOREOPTIONS", "");
  env_.Set("ZCWRAP_BASE_DIR", "relative/dir");
  absl::StatusOr<Config> relative = Load();
  ASSERT_FALSE(relative.ok()) << "a relative base_dir";
  EXPECT_TRUE(absl::StrContains(relative.status().message(), "base_dir")) << relative.status();
  env_.Set("ZCWRAP_BASE_DIR", "");
  EXPECT_EQ(LoadOrDie().base_dir, "none") << "an empty base_dir is none, as in ccache";
  env_.Unset("ZCWRAP_BASE_DIR");
  EXPECT_EQ(LoadOrDie().base_dir, "auto");
}

TEST_F(ConfigTest, CommentsBlankLinesAndSurroundingSpacesAreIgnored) {
  WriteConfigFile(
      "# zcwrap configuration\n"
      "\n"
      "   \n"
      "  # indented comment = with an equals sign\n"
      "\tmax_files\t=\t42  \n"
      "max_size=1G\r\n"
      "#max_size = 9G\n");
  const Config config = LoadOrDie();
  EXPECT_EQ(config.max_files, 42u);
  EXPECT_EQ(config.max_size, kGiB);
  const Config::Shown* row = FindShown(config, "max_files");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->where, config_path_ + ":5");
}

TEST_F(ConfigTest, LaterLineForTheSameKeyWins) {
  WriteConfigFile("max_files = 1\nmax_files = 2\n");
  const Config config = LoadOrDie();
  EXPECT_EQ(config.max_files, 2u);
  EXPECT_EQ(FindShown(config, "max_files")->where, config_path_ + ":2");
}

TEST_F(ConfigTest, MaxSizeAcceptsCommonForms) {
  const std::pair<const char*, uint64_t> cases[] = {
      {"500M", 500 * kMiB}, {"5G", 5 * kGiB}, {"1.5G", 3 * kGiB / 2}, {"12345", 12345}, {"0", 0},
  };
  for (const auto& [text, bytes] : cases) {
    WriteConfigFile(absl::StrCat("max_size = ", text, "\n"));
    env_.Unset("ZCWRAP_MAX_SIZE");
    EXPECT_EQ(LoadOrDie().max_size, bytes) << "file: " << text;
    test::WriteTestFile(config_path_, "");
    env_.Set("ZCWRAP_MAX_SIZE", text);
    EXPECT_EQ(LoadOrDie().max_size, bytes) << "environment: " << text;
  }
}

TEST_F(ConfigTest, BooleansAcceptTheUsualSpellings) {
  for (const char* yes : {"1", "true", "TRUE", "yes", "on", " True "}) {
    env_.Set("ZCWRAP_DISABLE", yes);
    EXPECT_TRUE(LoadOrDie().disable) << yes;
  }
  for (const char* no : {"0", "false", "no", "off", "OFF", ""}) {
    env_.Set("ZCWRAP_DISABLE", no);
    EXPECT_FALSE(LoadOrDie().disable) << "\"" << no << "\"";
  }
  env_.Set("ZCWRAP_DISABLE", "maybe");
  EXPECT_TRUE(absl::IsInvalidArgument(LoadError()));
}

TEST_F(ConfigTest, CompressionLevelMustBeInRange) {
  for (const char* good : {"-5", "0", "1", "19"}) {
    env_.Set("ZCWRAP_COMPRESSION_LEVEL", good);
    EXPECT_TRUE(Load().ok()) << good;
  }
  for (const char* bad : {"-6", "20", "x", "1.5", ""}) {
    env_.Set("ZCWRAP_COMPRESSION_LEVEL", bad);
    EXPECT_TRUE(absl::IsInvalidArgument(LoadError())) << "\"" << bad << "\"";
  }
}

TEST_F(ConfigTest, MaxFilesMustBeAWholeNumber) {
  for (const char* bad : {"-1", "ten", "1.5", "5K"}) {
    env_.Set("ZCWRAP_MAX_FILES", bad);
    EXPECT_TRUE(absl::IsInvalidArgument(LoadError())) << bad;
  }
}

// ---- errors ----------------------------------------------------------------------------------

TEST_F(ConfigTest, BadValueInFileNamesKeyValueAndFileLine) {
  WriteConfigFile("# comment\nmax_files = 3\nmax_size = lots\n");
  const absl::Status status = LoadError();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "max_size")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "lots")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), config_path_ + ":3")) << status;
  EXPECT_FALSE(absl::StrContains(status.message(), "\n")) << status;
}

TEST_F(ConfigTest, BadValueInEnvironmentNamesTheVariable) {
  env_.Set("ZCWRAP_MAX_SIZE", "huge");
  const absl::Status status = LoadError();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "ZCWRAP_MAX_SIZE")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "huge")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "max_size")) << status;
  EXPECT_FALSE(absl::StrContains(status.message(), "\n")) << status;
}

TEST_F(ConfigTest, RemoteJobsMustBeAWholeNumber) {
  for (const char* bad : {"-1", "many", "2.5"}) {
    env_.Set("ZCWRAP_REMOTE_JOBS", bad);
    const absl::Status status = LoadError();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << bad;
    EXPECT_TRUE(absl::StrContains(status.message(), "remote_jobs")) << status;
  }
  env_.Set("ZCWRAP_REMOTE_JOBS", "0");
  EXPECT_EQ(LoadOrDie().remote_jobs, 0);
}

TEST_F(ConfigTest, UnknownAuditModeIsRejectedWithTheAcceptedValues) {
  env_.Set("ZCWRAP_AUDIT_MODE", "loud");
  const absl::Status status = LoadError();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "audit_mode")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "off, summary, normal or verbose")) << status;
}

TEST_F(ConfigTest, BadEnvironmentValueWinsOverAGoodFileValue) {
  WriteConfigFile("compression_level = 3\n");
  env_.Set("ZCWRAP_COMPRESSION_LEVEL", "99");
  const absl::Status status = LoadError();
  EXPECT_TRUE(absl::StrContains(status.message(), "ZCWRAP_COMPRESSION_LEVEL")) << status;
}

TEST_F(ConfigTest, UnknownKeyInFileIsAnErrorNamingTheKey) {
  WriteConfigFile("max_size = 1G\nmax_sise = 2G\n");
  const absl::Status status = LoadError();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "max_sise")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), config_path_ + ":2")) << status;
}

TEST_F(ConfigTest, CacheDirCannotComeFromTheFileInsideIt) {
  WriteConfigFile("cache_dir = /elsewhere\n");
  const absl::Status status = LoadError();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "cache_dir")) << status;
}

TEST_F(ConfigTest, LineWithoutEqualsSignIsAnError) {
  WriteConfigFile("max_size = 1G\n\nmax_files 10\n");
  const absl::Status status = LoadError();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), config_path_ + ":3")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "max_files 10")) << status;
}

TEST_F(ConfigTest, LineWithEmptyKeyIsAnError) {
  WriteConfigFile("= 5\n");
  EXPECT_TRUE(absl::IsInvalidArgument(LoadError()));
}

TEST_F(ConfigTest, UnreadableConfigPathIsAnError) {
  ASSERT_EQ(::mkdir(config_path_.c_str(), 0755), 0);  // a directory where the file should be
  const absl::Status status = LoadError();
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(absl::StrContains(status.message(), "\n")) << status;
}

TEST_F(ConfigTest, ErrorMessagesAreOneLine) {
  const char* bad_files[] = {
      "max_size = lots\n",          "unknown = 1\n",
      "no equals sign\n",           "disable = perhaps\n",
      "compression_level = 100\n",  "cache_dir = /x\n",
      "max_size = 1G\r\nbogus\r\n",
  };
  for (const char* content : bad_files) {
    WriteConfigFile(content);
    const absl::Status status = LoadError();
    EXPECT_FALSE(absl::StrContains(status.message(), "\n")) << status;
  }
  EXPECT_FALSE(absl::StrContains(SetConfigValue(config_path_, "max_size", "lots").message(), "\n"));
  EXPECT_FALSE(absl::StrContains(SetConfigValue(config_path_, "nope", "1").message(), "\n"));
}

TEST_F(ConfigTest, BadEnvironmentValueContainingANewlineStillGivesAOneLineMessage) {
  env_.Set("ZCWRAP_MAX_SIZE", "5G\nrm -rf /");
  const absl::Status status = LoadError();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_FALSE(absl::StrContains(status.message(), "\n"))
      << "the message spans lines: " << status.message();
}

// ---- SetConfigValue --------------------------------------------------------------------------

TEST_F(ConfigTest, SetConfigValueCreatesTheFileAndItsDirectory) {
  const std::string path = dir_.Join("new/dir/zcwrap.conf");
  ASSERT_TRUE(SetConfigValue(path, "max_size", "10G").ok());
  EXPECT_EQ(test::ReadTestFile(path), "max_size = 10G\n");
  env_.Set("ZCWRAP_DIR", dir_.Join("new/dir"));
  const Config config = LoadOrDie();
  EXPECT_EQ(config.max_size, 10 * kGiB);
  EXPECT_EQ(FindShown(config, "max_size")->origin, Origin::kFile);
}

TEST_F(ConfigTest, SetConfigValueReplacesTheKeysLineAndKeepsEverythingElse) {
  WriteConfigFile(
      "# my settings\n"
      "max_size = 1G\n"
      "\n"
      "# max_size = 3G (old)\n"
      "compression_level = 3\n");
  ASSERT_TRUE(SetConfigValue(config_path_, "max_size", "2G").ok());
  EXPECT_EQ(test::ReadTestFile(config_path_),
            "# my settings\n"
            "max_size = 2G\n"
            "\n"
            "# max_size = 3G (old)\n"
            "compression_level = 3\n");
  const Config config = LoadOrDie();
  EXPECT_EQ(config.max_size, 2 * kGiB);
  EXPECT_EQ(config.compression_level, 3);
}

TEST_F(ConfigTest, SetConfigValueAppendsANewKey) {
  WriteConfigFile("# settings\nmax_size = 1G");  // no final newline
  ASSERT_TRUE(SetConfigValue(config_path_, "readonly", "true").ok());
  EXPECT_EQ(test::ReadTestFile(config_path_), "# settings\nmax_size = 1G\nreadonly = true\n");
  const Config config = LoadOrDie();
  EXPECT_TRUE(config.readonly);
  EXPECT_EQ(config.max_size, kGiB);
}

TEST_F(ConfigTest, SetConfigValueCollapsesDuplicateLinesOfTheKey) {
  WriteConfigFile("max_files = 1\nmax_size = 1G\nmax_files = 2\n");
  ASSERT_TRUE(SetConfigValue(config_path_, "max_files", "3").ok());
  EXPECT_EQ(test::ReadTestFile(config_path_), "max_files = 3\nmax_size = 1G\n");
}

TEST_F(ConfigTest, SetConfigValueRejectsABadValueAndLeavesTheFileAlone) {
  WriteConfigFile("max_size = 1G\n");
  const absl::Status status = SetConfigValue(config_path_, "max_size", "lots");
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "max_size")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "lots")) << status;
  EXPECT_EQ(test::ReadTestFile(config_path_), "max_size = 1G\n");
  EXPECT_TRUE(absl::IsInvalidArgument(SetConfigValue(config_path_, "compression_level", "42")));
  EXPECT_TRUE(absl::IsInvalidArgument(SetConfigValue(config_path_, "disable", "perhaps")));
  EXPECT_EQ(test::ReadTestFile(config_path_), "max_size = 1G\n");
}

TEST_F(ConfigTest, SetConfigValueRejectsUnknownKeys) {
  for (const char* key : {"max_sise", "", "cache_dir", "MAX_SIZE"}) {
    const absl::Status status = SetConfigValue(config_path_, key, "1");
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << key;
    EXPECT_TRUE(absl::StrContains(status.message(), key)) << status;
  }
  EXPECT_FALSE(test::FileExists(config_path_));
}

TEST_F(ConfigTest, SetConfigValueWithANewlineCannotInjectAnotherSetting) {
  // Whatever SetConfigValue does with such a value, it must not write a second setting.
  const absl::Status status =
      SetConfigValue(config_path_, "log_file", "/tmp/zc.log\nmax_size = 1K");
  if (status.ok()) {
    const Config config = LoadOrDie();
    EXPECT_EQ(config.max_size, 5 * kGiB) << "the value injected a max_size line into the file:\n"
                                         << test::ReadTestFile(config_path_);
    EXPECT_EQ(config.log_file, "/tmp/zc.log\nmax_size = 1K");
  } else {
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  }
}

TEST_F(ConfigTest, SetConfigValueLeavesNoTemporaryFiles) {
  ASSERT_TRUE(SetConfigValue(config_path_, "max_files", "5").ok());
  ASSERT_TRUE(SetConfigValue(config_path_, "max_files", "6").ok());
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    names.insert(e.path().filename().string());
  }
  EXPECT_EQ(names, std::set<std::string>{"zcwrap.conf"});
}

// ---- the key table ---------------------------------------------------------------------------

TEST(ListEnvTest, FindsTheFirstExactNameOnly) {
  const std::vector<std::string> env = {"PATHX=no", "PATH=/bin", "PATH=/second", "EMPTY=", "BARE"};
  const EnvLookup lookup = ListEnv(env);
  EXPECT_EQ(lookup("PATH"), "/bin");
  EXPECT_EQ(lookup("EMPTY"), "");
  EXPECT_EQ(lookup("BARE"), std::nullopt);
  EXPECT_EQ(lookup("PAT"), std::nullopt);
}

TEST(ConfigKeysTest, AreSortedAndUnique) {
  const std::vector<absl::string_view> keys = ConfigKeys();
  ASSERT_FALSE(keys.empty());
  for (size_t i = 1; i < keys.size(); ++i) {
    EXPECT_LT(keys[i - 1], keys[i]) << "the key table must stay sorted";
  }
}

TEST(ConfigKeysTest, EveryKeyHasAnEnvironmentVariable) {
  std::set<absl::string_view> env_names;
  for (absl::string_view key : ConfigKeys()) {
    const absl::string_view env = EnvNameFor(key);
    EXPECT_TRUE(absl::StartsWith(env, "ZCWRAP_")) << key << " -> " << env;
    EXPECT_TRUE(env_names.insert(env).second) << "duplicate variable " << env;
  }
  EXPECT_EQ(EnvNameFor("max_size"), "ZCWRAP_MAX_SIZE");
  EXPECT_EQ(EnvNameFor("cache_dir"), "ZCWRAP_DIR");
  EXPECT_EQ(EnvNameFor("no_such_key"), "");
  EXPECT_EQ(EnvNameFor(""), "");
}

TEST(ConfigKeysTest, IncludeTheDocumentedKeys) {
  const std::vector<absl::string_view> keys = ConfigKeys();
  for (absl::string_view key : {"cache_dir", "compression_level", "disable", "log_file",
                                "max_files", "max_size", "readonly", "recache"}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
  }
}

TEST(OriginNameTest, NamesEveryOrigin) {
  EXPECT_EQ(OriginName(Origin::kDefault), "default");
  EXPECT_EQ(OriginName(Origin::kFile), "file");
  EXPECT_EQ(OriginName(Origin::kEnvironment), "environment");
}

TEST(ProcessEnvTest, ReadsTheProcessEnvironment) {
  ASSERT_EQ(::setenv("ZCWRAP_TEST_VARIABLE", "value", 1), 0);
  const EnvLookup env = ProcessEnv();
  EXPECT_EQ(env("ZCWRAP_TEST_VARIABLE"), "value");
  ::unsetenv("ZCWRAP_TEST_VARIABLE");
  EXPECT_EQ(env("ZCWRAP_TEST_VARIABLE"), std::nullopt);
}

}  // namespace
}  // namespace zc::config
