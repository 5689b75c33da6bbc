// Remote tiers end to end: the real zcwrap against real servers (redis-server, nginx WebDAV,
// s3rver; tests/support/remote_servers.h) and the real gcc, with two cache directories standing
// for two machines. Objects are compared with the plain compiler's, byte for byte.
#include <chrono>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_harness.h"
#include "tests/support/remote_servers.h"

namespace zc::e2e {
namespace {

enum class Server { kRedis, kHttp, kS3 };

constexpr absl::string_view kHeader = "#define ANSWER 42\n";
constexpr absl::string_view kSource =
    "#include \"answer.h\"\nint answer(void) { return ANSWER; }\n";

class RemoteTest : public E2eTest, public ::testing::WithParamInterface<std::tuple<Server, Mode>> {
 protected:
  RemoteTest() { mode_ = std::get<1>(GetParam()); }

  void SetUp() override {
    StartServer();
    WriteBoth("answer.h", kHeader);
    WriteBoth("a.c", kSource);
    ASSERT_EQ(Plain({"gcc", "-c", "a.c", "-o", "a.o"}).exit_code, 0);
  }

  void StartServer(const std::string& password = "") {
    switch (std::get<0>(GetParam())) {
      case Server::kRedis: {
        auto r = test::RedisServer::Start({.password = password, .unix_socket = false});
        ASSERT_TRUE(r.ok()) << r.status();
        redis_ = *std::move(r);
        url_ = password.empty()
                   ? redis_->url()
                   : absl::StrCat("redis://:", password, "@127.0.0.1:", redis_->port());
        break;
      }
      case Server::kHttp: {
        auto d = test::DavServer::Start();
        ASSERT_TRUE(d.ok()) << d.status();
        dav_ = *std::move(d);
        url_ = dav_->url();
        break;
      }
      case Server::kS3: {
        auto s = test::S3Server::Start("team-cache");
        ASSERT_TRUE(s.ok()) << s.status();
        s3_ = *std::move(s);
        url_ = absl::StrCat("s3://team-cache/zc|endpoint=", s3_->endpoint());
        break;
      }
    }
  }

  // The environment of a compile on "machine" `cache` with `remote` (default: the server).
  std::vector<std::string> On(const std::string& cache, const std::string& remote = "",
                              std::vector<std::string> extra = {}) const {
    extra.push_back("ZCWRAP_DIR=" + cache);
    extra.push_back("ZCWRAP_REMOTE_STORAGE=" + (remote.empty() ? url_ : remote));
    extra.push_back("AWS_ACCESS_KEY_ID=S3RVER");
    extra.push_back("AWS_SECRET_ACCESS_KEY=S3RVER");
    return extra;
  }
  std::string MachineA() const { return cache_dir_; }
  std::string MachineB() const { return Path("cache-b"); }

  RunResult Compile(const std::string& cache, const std::string& remote = "",
                    std::vector<std::string> extra = {}) {
    RunResult r = Zcwrap({"gcc", "-c", "a.c", "-o", "a.o"}, "", On(cache, remote, extra));
    // Through the daemon, writes are queued: stopping it publishes them (as a CI job would).
    if (!DaemonMode().empty()) (void)Zcwrap({"--daemon-stop"}, root_, On(cache, remote, extra));
    return r;
  }

  // Replaces every value the server holds with `mangle(value)`.
  void MangleStoredValues(const std::function<std::string(const std::string&)>& mangle) {
    if (redis_) {
      absl::StatusOr<std::vector<std::string>> keys = redis_->Keys("zcwrap:*");
      ASSERT_TRUE(keys.ok()) << keys.status();
      ASSERT_FALSE(keys->empty());
      for (const std::string& k : *keys) {
        std::optional<std::string> v = *redis_->Get(k);
        ASSERT_TRUE(redis_->Set(k, mangle(v.value_or(""))).ok());
      }
      return;
    }
    const std::string dir = dav_ ? dav_->root_dir() : s3_->data_dir();
    int changed = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      const std::string p = e.path().string();
      // nginx keeps values as they are; s3rver beside its metadata, as <key>._S3rver_object.
      if (!e.is_regular_file() || (s3_ && !absl::EndsWith(p, "._S3rver_object"))) continue;
      WriteFile(p, mangle(*ReadFile(p)));
      ++changed;
    }
    ASSERT_GT(changed, 0);
  }

  std::unique_ptr<test::RedisServer> redis_;
  std::unique_ptr<test::DavServer> dav_;
  std::unique_ptr<test::S3Server> s3_;
  std::string url_;
};

TEST_P(RemoteTest, SecondMachineHitsWhatTheFirstBuilt) {
  ASSERT_EQ(Compile(MachineA()).exit_code, 0);
  std::map<std::string, uint64_t> a = Stats(MachineA());
  EXPECT_EQ(a["cache_miss"], 1u);
  EXPECT_EQ(a["remote_storage_miss"], 1u);
  // The result, and in direct mode its manifest.
  EXPECT_EQ(a["remote_storage_write"], mode_ == Mode::kDirect ? 2u : 1u);

  std::filesystem::remove(WrapPath("a.o"));
  ASSERT_EQ(Compile(MachineB()).exit_code, 0);
  EXPECT_TRUE(SameFile("a.o"));
  std::map<std::string, uint64_t> b = Stats(MachineB());
  EXPECT_EQ(b["cache_miss"], 0u);
  EXPECT_EQ(b[HitCounter()], 1u);
  EXPECT_EQ(b["remote_storage_hit"], 1u);
  EXPECT_EQ(b["remote_storage_read_hit"], mode_ == Mode::kDirect ? 2u : 1u);
  EXPECT_EQ(b["remote_storage_write"], 0u);
  EXPECT_EQ(b["remote_storage_error"] + b["remote_storage_timeout"], 0u);

  // Back-filled: B's next build is local, and asks the server nothing.
  std::filesystem::remove(WrapPath("a.o"));
  ASSERT_EQ(Compile(MachineB()).exit_code, 0);
  EXPECT_TRUE(SameFile("a.o"));
  b = Stats(MachineB());
  EXPECT_EQ(b[HitCounter()], 2u);
  EXPECT_EQ(b["remote_storage_hit"], 1u);
  EXPECT_EQ(b["remote_storage_read_hit"] + b["remote_storage_read_miss"],
            mode_ == Mode::kDirect ? 2u : 1u);
}

TEST_P(RemoteTest, AChangedHeaderOnTheSecondMachineIsAMiss) {
  ASSERT_EQ(Compile(MachineA()).exit_code, 0);
  WriteBoth("answer.h", "#define ANSWER 43\n");
  ASSERT_EQ(Plain({"gcc", "-c", "a.c", "-o", "a.o"}).exit_code, 0);
  ASSERT_EQ(Compile(MachineB()).exit_code, 0);
  EXPECT_TRUE(SameFile("a.o"));
  std::map<std::string, uint64_t> b = Stats(MachineB());
  EXPECT_EQ(b["cache_miss"], 1u);
  EXPECT_EQ(b["remote_storage_hit"], 0u);
  EXPECT_EQ(b["remote_storage_miss"], 1u);
}

TEST_P(RemoteTest, BadValuesAreCountedMissesNeverHits) {
  ASSERT_EQ(Compile(MachineA()).exit_code, 0);
  int round = 0;
  for (auto mangle : std::vector<std::function<std::string(const std::string&)>>{
           [](const std::string&) { return std::string("garbage"); },
           [](const std::string& v) { return v.substr(0, v.size() / 2); },
           [](const std::string& v) {
             std::string flipped = v;
             flipped[flipped.size() - 20] ^= 1;
             return flipped;
           }}) {
    SCOPED_TRACE(round);
    ASSERT_EQ(Compile(MachineA()).exit_code, 0);  // A rewrites good values (a local hit does not)
    MangleStoredValues(mangle);
    const std::string b = Path(absl::StrCat("cache-b", round++));
    std::filesystem::remove(WrapPath("a.o"));
    RunResult r = Compile(b);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
    EXPECT_TRUE(SameFile("a.o"));
    std::map<std::string, uint64_t> s = Stats(b);
    EXPECT_EQ(s["cache_miss"], 1u);
    EXPECT_EQ(s["remote_storage_hit"], 0u);
    EXPECT_GE(s["remote_storage_bad_entry"], 1u);
  }
}

TEST_P(RemoteTest, ServerKilledMidBuildKeepsTheBuildGreen) {
  ASSERT_EQ(Compile(MachineA()).exit_code, 0);
  if (redis_) redis_->Kill();
  if (dav_) dav_->Kill();
  if (s3_) s3_->Kill();
  for (int i = 0; i < 3; ++i) {
    WriteBoth(absl::StrCat("b", i, ".c"), absl::StrCat("int b", i, "(void) { return ", i, "; }\n"));
    ASSERT_EQ(Plain({"gcc", "-c", absl::StrCat("b", i, ".c")}).exit_code, 0);
    RunResult r = Zcwrap({"gcc", "-c", absl::StrCat("b", i, ".c")}, "", On(MachineA()));
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
    EXPECT_EQ(r.stderr_data, "");
    EXPECT_TRUE(SameFile(absl::StrCat("b", i, ".o")));
  }
  (void)Zcwrap({"--daemon-stop"}, root_, On(MachineA()));
  std::map<std::string, uint64_t> a = Stats(MachineA());
  EXPECT_EQ(a["cache_miss"], 4u);
  EXPECT_GE(a["remote_storage_error"] + a["remote_storage_timeout"], 1u);
  // The breaker: one failure, then the tier is skipped for its cool-down.
  EXPECT_LE(a["remote_storage_error"] + a["remote_storage_timeout"], 2u);
  EXPECT_GE(a["remote_storage_skipped"], 3u);
}

std::string RemoteName(const ::testing::TestParamInfo<std::tuple<Server, Mode>>& info) {
  const char* server[] = {"Redis", "Http", "S3"};
  return absl::StrCat(server[static_cast<int>(std::get<0>(info.param))],
                      ModeName(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(Servers, RemoteTest,
                         ::testing::Combine(::testing::Values(Server::kRedis, Server::kHttp,
                                                              Server::kS3),
                                            ::testing::Values(Mode::kDirect, Mode::kPreprocessor)),
                         RemoteName);

// Faults that do not depend on the kind of server.
class RemoteFaultTest : public E2eTest {
 protected:
  void SetUp() override {
    WriteBoth("a.c", kCleanC);
    ASSERT_EQ(Plain({"gcc", "-c", "a.c"}).exit_code, 0);
  }
};

TEST_F(RemoteFaultTest, ABlackHoleCostsOneTimeoutForTheWholeBuild) {
  auto hole = test::BlackHoleServer::Start();
  ASSERT_TRUE(hole.ok()) << hole.status();
  const std::string remote =
      absl::StrCat("http://127.0.0.1:", (*hole)->port(), "/c|operation-timeout=700");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    const std::string src = absl::StrCat("f", i, ".c");
    WriteBoth(src, absl::StrCat("int f", i, "(void) { return ", i, "; }\n"));
    ASSERT_EQ(Plain({"gcc", "-c", src}).exit_code, 0);
    RunResult r = Zcwrap({"gcc", "-c", src}, "", {"ZCWRAP_REMOTE_STORAGE=" + remote});
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
    EXPECT_EQ(r.stderr_data, "");
    EXPECT_TRUE(SameFile(absl::StrCat("f", i, ".o")));
  }
  const auto took = std::chrono::steady_clock::now() - start;
  (void)Zcwrap({"--daemon-stop"}, root_, {"ZCWRAP_REMOTE_STORAGE=" + remote});
  std::map<std::string, uint64_t> s = Stats(cache_dir_);
  EXPECT_EQ(s["cache_miss"], 6u);
  EXPECT_EQ(s["remote_storage_timeout"], 1u);
  EXPECT_GE(s["remote_storage_skipped"], 11u);  // every later read and write
  // Six compiles of a one-line file and one 0.7 s timeout, far under six timeouts.
  EXPECT_LT(took, std::chrono::milliseconds(3500));
}

TEST_F(RemoteFaultTest, WrongPasswordIsCountedAndTheBuildIsGreen) {
  auto redis = test::RedisServer::Start({.password = "the-right-one", .unix_socket = false});
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string remote = absl::StrCat("redis://:not-the-password@127.0.0.1:", (*redis)->port());
  RunResult r = Zcwrap({"gcc", "-c", "a.c"}, "", {"ZCWRAP_REMOTE_STORAGE=" + remote});
  EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
  EXPECT_EQ(r.stderr_data, "");
  EXPECT_TRUE(SameFile("a.o"));
  (void)Zcwrap({"--daemon-stop"}, root_);
  std::map<std::string, uint64_t> s = Stats(cache_dir_);
  EXPECT_EQ(s["remote_storage_error"], 1u);
  EXPECT_EQ(s["cache_miss"], 1u);
  EXPECT_TRUE((*redis)->Keys("*")->empty());
  // -p shows the setting without the password.
  RunResult shown = Zcwrap({"-p"}, root_, {"ZCWRAP_REMOTE_STORAGE=" + remote});
  EXPECT_NE(shown.stdout_data.find("redis://:***@127.0.0.1"), std::string::npos)
      << ::testing::PrintToString(shown);
  EXPECT_EQ(shown.stdout_data.find("not-the-password"), std::string::npos)
      << ::testing::PrintToString(shown);
}

TEST_F(RemoteFaultTest, AReadOnlyTierIsNeverWritten) {
  auto redis = test::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string remote = (*redis)->url() + "|read-only";
  ASSERT_EQ(Zcwrap({"gcc", "-c", "a.c"}, "", {"ZCWRAP_REMOTE_STORAGE=" + remote}).exit_code, 0);
  (void)Zcwrap({"--daemon-stop"}, root_);
  EXPECT_TRUE((*redis)->Keys("*")->empty());
  std::map<std::string, uint64_t> s = Stats(cache_dir_);
  EXPECT_EQ(s["remote_storage_write"], 0u);
  EXPECT_EQ(s["remote_storage_read_miss"], 1u);  // the manifest; depend mode reads no result
}

TEST_F(RemoteFaultTest, AnEntryForgedByAWriterWithoutTheKeyIsRejected) {
  auto redis = test::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string key_file = Path("team.key");
  WriteFile(key_file, "a-team-secret-of-32-bytes-length\n");
  const std::vector<std::string> ci = {"ZCWRAP_REMOTE_STORAGE=" + (*redis)->url(),
                                       "ZCWRAP_REMOTE_KEY_FILE=" + key_file};
  // The writer without the key overwrites every value with its own (valid, unsigned) entries.
  const std::string forger = Path("cache-forger");
  WriteBoth("b.c", "int answer(void) { return 666; }\n");
  ASSERT_EQ(Zcwrap({"gcc", "-c", "a.c"}, "", ci).exit_code, 0);
  (void)Zcwrap({"--daemon-stop"}, root_, ci);
  absl::StatusOr<std::vector<std::string>> signed_keys = (*redis)->Keys("zcwrap:*");
  ASSERT_TRUE(signed_keys.ok() && !signed_keys->empty());
  std::vector<std::string> forger_env = {"ZCWRAP_REMOTE_STORAGE=" + (*redis)->url(),
                                         "ZCWRAP_DIR=" + forger, "ZCWRAP_RECACHE=1"};
  ASSERT_EQ(Zcwrap({"gcc", "-c", "a.c"}, "", forger_env).exit_code, 0);
  (void)Zcwrap({"--daemon-stop"}, root_, forger_env);
  for (const std::string& k : *signed_keys) {
    ASSERT_NE((*redis)->Get(k)->value_or("").substr(0, 4), "ZCWG") << "not overwritten: " << k;
  }
  // A reader with the key rejects them all and compiles.
  const std::string reader = Path("cache-reader");
  std::vector<std::string> reader_env = ci;
  reader_env.push_back("ZCWRAP_DIR=" + reader);
  std::filesystem::remove(WrapPath("a.o"));
  RunResult r = Zcwrap({"gcc", "-c", "a.c"}, "", reader_env);
  EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
  EXPECT_TRUE(SameFile("a.o"));
  (void)Zcwrap({"--daemon-stop"}, root_, reader_env);
  std::map<std::string, uint64_t> s = Stats(reader);
  EXPECT_EQ(s["remote_storage_hit"], 0u);
  EXPECT_GE(s["remote_storage_bad_signature"], 1u);
  EXPECT_EQ(s["cache_miss"], 1u);
}

TEST_F(RemoteFaultTest, AnUnreadableKeyFileMeansLocalOnlyAndIsCounted) {
  auto redis = test::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::vector<std::string> env = {"ZCWRAP_REMOTE_STORAGE=" + (*redis)->url(),
                                        "ZCWRAP_REMOTE_KEY_FILE=" + Path("missing.key")};
  RunResult r = Zcwrap({"gcc", "-c", "a.c"}, "", env);
  EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
  EXPECT_EQ(r.stderr_data, "");
  EXPECT_TRUE(SameFile("a.o"));
  (void)Zcwrap({"--daemon-stop"}, root_);
  EXPECT_TRUE((*redis)->Keys("*")->empty());  // nothing unsigned was written
  EXPECT_EQ(Stats(cache_dir_)["remote_storage_error"], 1u);
}

TEST_F(RemoteFaultTest, BadRemoteSettingRunsUncachedWithAOneLineReasonAndNoSecret) {
  RunResult r =
      Zcwrap({"gcc", "-c", "a.c"}, "", {"ZCWRAP_REMOTE_STORAGE=redis://:hunter2@h:99999"});
  EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(r);
  EXPECT_TRUE(SameFile("a.o"));
  RunResult shown = Zcwrap({"-p"}, root_, {"ZCWRAP_REMOTE_STORAGE=redis://:hunter2@h:99999"});
  const std::string all = shown.stdout_data + shown.stderr_data;
  EXPECT_NE(all.find("bad port"), std::string::npos) << ::testing::PrintToString(shown);
  EXPECT_EQ(all.find("hunter2"), std::string::npos) << ::testing::PrintToString(shown);
}

}  // namespace
}  // namespace zc::e2e
