#include "cachecore/remote/tier_spec.h"

#include <fstream>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::remote {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TierSpec One(absl::string_view value) {
  absl::StatusOr<std::vector<TierSpec>> tiers = ParseRemoteStorage(value);
  EXPECT_TRUE(tiers.ok()) << tiers.status();
  if (!tiers.ok() || tiers->size() != 1) return {};
  return tiers->front();
}

std::string Error(absl::string_view value) {
  absl::StatusOr<std::vector<TierSpec>> tiers = ParseRemoteStorage(value);
  EXPECT_FALSE(tiers.ok()) << value;
  return tiers.ok() ? "" : std::string(tiers.status().message());
}

// Found by tests/fuzz/tier_spec (corpus/tier_spec/regress-encoded-password-in-error): a URL that
// fails after its user info was read showed the password as written (percent-encoded, so not
// the secret Redact knows), or all of it when its %-escape was bad.
TEST(TierSpecTest, ErrorsNeverShowAPasswordAsWritten) {
  for (absl::string_view value :
       {"redis://user:p%40ssw0rd@cache:99999", "redis://:p%zzssw0rd@cache",
        "http://u:p%40ssw0rd@:80/x", "redis://:p%40ssw0rd@cache/x"}) {
    absl::StatusOr<std::vector<TierSpec>> tiers = ParseRemoteStorage(value);
    ASSERT_FALSE(tiers.ok()) << value;
    EXPECT_THAT(std::string(tiers.status().message()),
                ::testing::Not(::testing::HasSubstr("ssw0rd")));
    EXPECT_THAT(std::string(tiers.status().message()), ::testing::HasSubstr(":***@")) << value;
  }
}

TEST(TierSpecTest, EmptyMeansNoTiers) {
  EXPECT_TRUE(ParseRemoteStorage("")->empty());
  EXPECT_TRUE(ParseRemoteStorage("  \t ")->empty());
}

TEST(TierSpecTest, SeveralTiersInOrder) {
  absl::StatusOr<std::vector<TierSpec>> tiers =
      ParseRemoteStorage("redis://h1 http://h2/c file:///shared/dir");
  ASSERT_TRUE(tiers.ok()) << tiers.status();
  ASSERT_EQ(tiers->size(), 3u);
  EXPECT_EQ((*tiers)[0].scheme, Scheme::kRedis);
  EXPECT_EQ((*tiers)[1].scheme, Scheme::kHttp);
  EXPECT_EQ((*tiers)[2].scheme, Scheme::kFile);
  EXPECT_EQ((*tiers)[2].path, "/shared/dir");
}

TEST(TierSpecTest, RedisWithPasswordAndDatabase) {
  TierSpec t = One("redis://ci:s3cret@cache.example:6380/2");
  EXPECT_EQ(t.host, "cache.example");
  EXPECT_EQ(t.port, 6380);
  EXPECT_EQ(t.db, 2);
  EXPECT_EQ(t.user, "ci");
  EXPECT_EQ(t.password, "s3cret");
  EXPECT_EQ(t.shown, "redis://ci:***@cache.example:6380/2");
  EXPECT_THAT(t.identity, Not(HasSubstr("s3cret")));
}

TEST(TierSpecTest, RedisPasswordOnlyAndDefaults) {
  TierSpec t = One("redis://:pw%40x@localhost");
  EXPECT_EQ(t.password, "pw@x");
  EXPECT_EQ(t.port, 6379);
  EXPECT_EQ(t.db, 0);
  EXPECT_EQ(t.shown, "redis://:***@localhost");
}

TEST(TierSpecTest, RedisUnixSocket) {
  TierSpec t = One("redis+unix:///run/redis.sock?db=3");
  EXPECT_EQ(t.path, "/run/redis.sock");
  EXPECT_EQ(t.db, 3);
  TierSpec p = One("redis+unix://:pw@/run/redis.sock");
  EXPECT_EQ(p.password, "pw");
  EXPECT_EQ(p.path, "/run/redis.sock");
  EXPECT_THAT(p.shown, Not(HasSubstr("pw@")));
}

TEST(TierSpecTest, HttpLayoutsAndAuth) {
  TierSpec t = One("http://u:p4ss@127.0.0.1:8080/cache/|layout=bazel|read-only|connect-timeout=50");
  EXPECT_EQ(t.base_url, "http://127.0.0.1:8080/cache");
  EXPECT_EQ(t.layout, Layout::kBazel);
  EXPECT_TRUE(t.read_only);
  EXPECT_EQ(t.connect_timeout_ms, 50);
  EXPECT_EQ(t.operation_timeout_ms, kDefaultOperationTimeoutMs);
  EXPECT_EQ(t.user, "u");
  EXPECT_EQ(t.password, "p4ss");
  EXPECT_THAT(t.shown, Not(HasSubstr("p4ss")));
  EXPECT_THAT(t.base_url, Not(HasSubstr("p4ss")));
  EXPECT_EQ(One("https://h/x").layout, Layout::kSubdirs);
  EXPECT_EQ(One("https://h/x|layout=flat").layout, Layout::kFlat);
}

TEST(TierSpecTest, BearerTokenAndHeadersAreSecrets) {
  TierSpec t = One("http://h/c|bearer-token=tok123|header=X-Api-Key=k%3Dv|operation-timeout=900");
  EXPECT_EQ(t.bearer_token, "tok123");
  ASSERT_EQ(t.headers.size(), 1u);
  EXPECT_EQ(t.headers[0], "X-Api-Key: k=v");
  EXPECT_EQ(t.operation_timeout_ms, 900);
  EXPECT_THAT(t.shown, Not(HasSubstr("tok123")));
  EXPECT_THAT(t.shown, Not(HasSubstr("k=v")));
  EXPECT_THAT(t.shown, HasSubstr("bearer-token=***"));
  EXPECT_THAT(t.shown, HasSubstr("header=X-Api-Key=***"));
}

TEST(TierSpecTest, S3CredentialsFromEnvironment) {
  TierSpec t = One("s3://bucket/pre/fix|endpoint=http://127.0.0.1:9000|region=eu-west-1");
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "AKIA1"},
                                            {"AWS_SECRET_ACCESS_KEY", "topsecret"},
                                            {"AWS_SESSION_TOKEN", "sess"}};
  ASSERT_TRUE(ResolveCredentials(
                  [&](absl::string_view n) -> std::optional<std::string> {
                    auto it = env.find(std::string(n));
                    return it == env.end() ? std::nullopt : std::optional(it->second);
                  },
                  &t)
                  .ok());
  EXPECT_EQ(t.base_url, "http://127.0.0.1:9000/bucket/pre/fix");
  EXPECT_EQ(t.region, "eu-west-1");
  EXPECT_EQ(t.access_key, "AKIA1");
  EXPECT_EQ(t.secret_key, "topsecret");
  EXPECT_EQ(t.session_token, "sess");
  EXPECT_EQ(Redact("a topsecret b sess", t.secrets), "a *** b ***");
}

TEST(TierSpecTest, S3CredentialsFromFileAndDefaultEndpoint) {
  test::TempDir dir;
  const std::string file = dir.path() + "/credentials";
  std::ofstream(file) << "[default]\naws_access_key_id = A\naws_secret_access_key = B\n"
                      << "[ci]\naws_access_key_id=CIKEY\naws_secret_access_key=CISECRET\n";
  TierSpec t = One("s3://b|credentials-file=" + file + "|profile=ci");
  ASSERT_TRUE(ResolveCredentials([](absl::string_view) { return std::nullopt; }, &t).ok());
  EXPECT_EQ(t.access_key, "CIKEY");
  EXPECT_EQ(t.secret_key, "CISECRET");
  EXPECT_EQ(t.base_url, "https://s3.us-east-1.amazonaws.com/b");

  TierSpec none = One("s3://b|credentials-file=" + dir.path() + "/missing");
  absl::Status st = ResolveCredentials([](absl::string_view) { return std::nullopt; }, &none);
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("AWS_ACCESS_KEY_ID"));
}

// Found by tests/fuzz/tier_spec (corpus/tier_spec/regress-empty-access-key): a profile whose
// access key line has no value is no credentials, not an empty key every request fails with.
TEST(TierSpecTest, AnEmptyAccessKeyIsNoCredentials) {
  test::TempDir dir;
  const std::string file = dir.path() + "/credentials";
  std::ofstream(file) << "[default]\naws_access_key_id\naws_secret_access_key = B\n";
  TierSpec t = One("s3://b|credentials-file=" + file);
  absl::Status st = ResolveCredentials([](absl::string_view) { return std::nullopt; }, &t);
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("no aws_access_key_id"));
}

TEST(TierSpecTest, BadInputIsOneLineWithoutSecrets) {
  EXPECT_THAT(Error("ftp://h/x"), HasSubstr("unknown scheme \"ftp\""));
  EXPECT_THAT(Error("host:6379"), HasSubstr("not a URL"));
  EXPECT_THAT(Error("redis://:hunter2@h:99999"), HasSubstr("bad port"));
  EXPECT_THAT(Error("redis://:hunter2@h:99999"), Not(HasSubstr("hunter2")));
  EXPECT_THAT(Error("http://u:hunter2@h/c|layout=tree"), Not(HasSubstr("hunter2")));
  EXPECT_THAT(Error("http://h/c|layout=tree"), HasSubstr("layout takes subdirs, flat or bazel"));
  EXPECT_THAT(Error("http://h/c|frobnicate=1"), HasSubstr("unknown attribute \"frobnicate\""));
  EXPECT_THAT(Error("redis://h|layout=flat"), HasSubstr("does not apply"));
  EXPECT_THAT(Error("redis://h|connect-timeout=0"), HasSubstr("connect-timeout"));
  EXPECT_THAT(Error("file://relative"), HasSubstr("absolute path"));
  EXPECT_THAT(Error("s3:///nobucket"), HasSubstr("needs a bucket"));
  // Keys written into an s3:// URL are refused, not taken for a bucket name and shown.
  EXPECT_THAT(Error("s3://AKIDEXAMPLE:wJalrXUtnFEMI@bucket/prefix"), HasSubstr("takes no user"));
  EXPECT_THAT(Error("s3://AKIDEXAMPLE:wJalrXUtnFEMI@bucket/prefix"), Not(HasSubstr("wJalr")));
  EXPECT_THAT(Error("s3://AKIDEXAMPLE@bucket"), HasSubstr("takes no user"));
  EXPECT_EQ(One("s3://bucket/a:b@c|endpoint=http://127.0.0.1:9").bucket_path, "bucket/a:b@c");
  EXPECT_THAT(Error("http://h/c|header=Bad%20Name=v"), HasSubstr("header takes NAME=VALUE"));
  for (absl::string_view bad : {"ftp://h/x", "redis://:hunter2@h:99999", "http://h|x=%zz"}) {
    EXPECT_FALSE(absl::StrContains(Error(bad), "\n")) << bad;
  }
}

TEST(TierSpecTest, IdentityIgnoresTimeoutsAndSecrets) {
  EXPECT_EQ(One("redis://:a@h:1").identity, One("redis://:b@h:1|operation-timeout=5").identity);
  EXPECT_NE(One("redis://h:1").identity, One("redis://h:2").identity);
  EXPECT_NE(One("http://h/a").identity, One("http://h/b").identity);
}

}  // namespace
}  // namespace zc::remote
