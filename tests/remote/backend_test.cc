// Every backend against its real server (tests/support/remote_servers.h): Redis, nginx WebDAV,
// s3rver and a shared directory, plus the failures a tier must survive.
#include "cachecore/remote/backend.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/remote_servers.h"
#include "tests/support/temp_dir.h"

namespace zc::remote {
namespace {

const std::string kName = std::string(64, 'a');

TierSpec Spec(const std::string& value) {
  absl::StatusOr<std::vector<TierSpec>> tiers = ParseRemoteStorage(value);
  EXPECT_TRUE(tiers.ok()) << tiers.status();
  TierSpec t = tiers.ok() && !tiers->empty() ? tiers->front() : TierSpec{};
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "S3RVER"},
                                            {"AWS_SECRET_ACCESS_KEY", "S3RVER"}};
  EXPECT_TRUE(ResolveCredentials(
                  [&](absl::string_view n) -> std::optional<std::string> {
                    auto it = env.find(std::string(n));
                    return it == env.end() ? std::nullopt : std::optional(it->second);
                  },
                  &t)
                  .ok());
  return t;
}

// A server of each kind, started once per test.
enum class Kind { kRedis, kRedisUnix, kDav, kDavFlat, kDavBazel, kS3, kFile };

class BackendTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case Kind::kRedis:
      case Kind::kRedisUnix: {
        auto r = test::RedisServer::Start({.password = "", .unix_socket = true});
        ASSERT_TRUE(r.ok()) << r.status();
        redis_ = *std::move(r);
        url_ = GetParam() == Kind::kRedis ? redis_->url() : "redis+unix://" + redis_->socket_path();
        break;
      }
      case Kind::kDav:
      case Kind::kDavFlat:
      case Kind::kDavBazel: {
        auto d = test::DavServer::Start();
        ASSERT_TRUE(d.ok()) << d.status();
        dav_ = *std::move(d);
        url_ = dav_->url();
        if (GetParam() == Kind::kDavFlat) url_ += "|layout=flat";
        if (GetParam() == Kind::kDavBazel) url_ += "|layout=bazel";
        break;
      }
      case Kind::kS3: {
        auto s = test::S3Server::Start("zcwrap");
        ASSERT_TRUE(s.ok()) << s.status();
        s3_ = *std::move(s);
        url_ = absl::StrCat("s3://zcwrap/team|endpoint=", s3_->endpoint());
        break;
      }
      case Kind::kFile: url_ = "file://" + dir_.path(); break;
    }
    backend_ = MakeBackend(Spec(url_));
  }

  void KillServer() {
    if (redis_) redis_->Kill();
    if (dav_) dav_->Kill();
    if (s3_) s3_->Kill();
  }

  test::TempDir dir_;
  std::unique_ptr<test::RedisServer> redis_;
  std::unique_ptr<test::DavServer> dav_;
  std::unique_ptr<test::S3Server> s3_;
  std::string url_;
  std::unique_ptr<Backend> backend_;
};

TEST_P(BackendTest, PutThenGetIsByteExact) {
  std::string value = "ZCWE";
  for (int i = 0; i < 70'000; ++i) value += static_cast<char>(i * 7);  // binary, with NULs
  ASSERT_TRUE(backend_->Put(kName, value).ok());
  absl::StatusOr<std::optional<std::string>> got = backend_->Get(kName, 1 << 20);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, value);
  // Replaced, and read again on the same (kept) connection.
  ASSERT_TRUE(backend_->Put(kName, "second").ok());
  EXPECT_EQ(**backend_->Get(kName, 1 << 20), "second");
}

TEST_P(BackendTest, MissingIsNotAnError) {
  absl::StatusOr<std::optional<std::string>> got = backend_->Get(std::string(64, 'b'), 1 << 20);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
}

TEST_P(BackendTest, OversizedValueIsRefusedUnread) {
  ASSERT_TRUE(backend_->Put(kName, std::string(200'000, 'x')).ok());
  absl::StatusOr<std::optional<std::string>> got = backend_->Get(kName, 100'000);
  EXPECT_TRUE(absl::IsResourceExhausted(got.status())) << got.status();
  // The connection is still usable afterwards.
  ASSERT_TRUE(backend_->Put(kName, "small").ok());
  EXPECT_EQ(**backend_->Get(kName, 100'000), "small");
}

TEST_P(BackendTest, DeadServerIsAFastError) {
  if (GetParam() == Kind::kFile) GTEST_SUCCEED() << "a directory cannot die";
  if (GetParam() == Kind::kFile) return;
  ASSERT_TRUE(backend_->Put(kName, "v").ok());  // a kept connection, then the server dies
  KillServer();
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::optional<std::string>> got = backend_->Get(kName, 1 << 20);
  EXPECT_TRUE(absl::IsUnavailable(got.status()) || absl::IsDeadlineExceeded(got.status()))
      << got.status();
  EXPECT_FALSE(backend_->Put(kName, "v").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

INSTANTIATE_TEST_SUITE_P(Servers, BackendTest,
                         ::testing::Values(Kind::kRedis, Kind::kRedisUnix, Kind::kDav,
                                           Kind::kDavFlat, Kind::kDavBazel, Kind::kS3, Kind::kFile),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           switch (info.param) {
                             case Kind::kRedis: return "Redis";
                             case Kind::kRedisUnix: return "RedisUnix";
                             case Kind::kDav: return "WebDav";
                             case Kind::kDavFlat: return "WebDavFlat";
                             case Kind::kDavBazel: return "WebDavBazel";
                             case Kind::kS3: return "S3";
                             case Kind::kFile: return "File";
                           }
                           return "?";
                         });

TEST(BackendLayoutTest, HttpLayoutsPutWhereCcachePutsThem) {
  auto dav = test::DavServer::Start();
  ASSERT_TRUE(dav.ok()) << dav.status();
  const std::string url = (*dav)->url();
  ASSERT_TRUE(MakeBackend(Spec(url))->Put(kName, "s").ok());
  ASSERT_TRUE(MakeBackend(Spec(url + "|layout=flat"))->Put(kName, "f").ok());
  ASSERT_TRUE(MakeBackend(Spec(url + "|layout=bazel"))->Put(kName, "b").ok());
  auto read = [&](const std::string& rel) {
    std::FILE* f = std::fopen(((*dav)->root_dir() + "/" + rel).c_str(), "rb");
    if (f == nullptr) return std::string("<missing>");
    char buf[16] = {};
    const size_t n = std::fread(buf, 1, sizeof buf, f);
    std::fclose(f);
    return std::string(buf, n);
  };
  EXPECT_EQ(read("aa/" + kName.substr(2)), "s");
  EXPECT_EQ(read(kName), "f");
  EXPECT_EQ(read("ac/" + kName), "b");
}

TEST(BackendAuthTest, RedisPasswordRightAndWrong) {
  auto redis = test::RedisServer::Start({.password = "right-password", .unix_socket = false});
  ASSERT_TRUE(redis.ok()) << redis.status();
  const int port = (*redis)->port();
  auto good = MakeBackend(Spec(absl::StrCat("redis://:right-password@127.0.0.1:", port)));
  ASSERT_TRUE(good->Put(kName, "v").ok());
  auto bad = MakeBackend(Spec(absl::StrCat("redis://:wrong-password@127.0.0.1:", port)));
  absl::StatusOr<std::optional<std::string>> got = bad->Get(kName, 100);
  EXPECT_TRUE(absl::IsPermissionDenied(got.status())) << got.status();
  EXPECT_EQ(std::string(got.status().message()).find("wrong-password"), std::string::npos);
  auto none = MakeBackend(Spec(absl::StrCat("redis://127.0.0.1:", port)));
  EXPECT_TRUE(absl::IsPermissionDenied(none->Get(kName, 100).status()));
}

TEST(BackendAuthTest, HttpBasicAuthRightAndWrong) {
  auto dav = test::DavServer::Start({.user = "ci", .password = "pa55"});
  ASSERT_TRUE(dav.ok()) << dav.status();
  const std::string hostpath = (*dav)->url().substr(std::string("http://").size());
  auto good = MakeBackend(Spec("http://ci:pa55@" + hostpath));
  ASSERT_TRUE(good->Put(kName, "v").ok());
  EXPECT_EQ(**good->Get(kName, 100), "v");
  auto bad = MakeBackend(Spec("http://ci:nope-nope@" + hostpath));
  absl::Status st = bad->Get(kName, 100).status();
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
  EXPECT_EQ(std::string(st.message()).find("nope-nope"), std::string::npos) << st;
}

TEST(BackendAuthTest, S3UnknownAccessKeyIsRefused) {
  auto s3 = test::S3Server::Start("zcwrap");
  ASSERT_TRUE(s3.ok()) << s3.status();
  TierSpec t = Spec(absl::StrCat("s3://zcwrap|endpoint=", (*s3)->endpoint()));
  t.access_key = "NOT-A-KEY";
  EXPECT_TRUE(absl::IsPermissionDenied(MakeBackend(t)->Put(kName, "v")));
}

TEST(BackendBlackHoleTest, EveryKindTimesOutWithinItsOperationTimeout) {
  auto hole = test::BlackHoleServer::Start();
  ASSERT_TRUE(hole.ok()) << hole.status();
  const std::string host = absl::StrCat("127.0.0.1:", (*hole)->port());
  for (const std::string& url :
       {"redis://" + host, "http://" + host + "/c", "s3://b|endpoint=http://" + host}) {
    auto b = MakeBackend(Spec(url + "|operation-timeout=300"));
    const auto start = std::chrono::steady_clock::now();
    absl::Status st = b->Get(kName, 100).status();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(absl::IsDeadlineExceeded(st)) << url << ": " << st;
    EXPECT_GE(took, std::chrono::milliseconds(250)) << url;
    EXPECT_LT(took, std::chrono::milliseconds(1500)) << url;
  }
}

}  // namespace
}  // namespace zc::remote
