// The remote tiers a cache uses, parsed from the `remote_storage` setting: space-separated URLs,
// each followed by attributes as ccache writes them (URL|attribute=value|...).
//
//   absl::StatusOr<std::vector<zc::remote::TierSpec>> tiers =
//       zc::remote::ParseRemoteStorage("redis://:pw@ci-cache:6379|read-only");
//   for (TierSpec& t : *tiers) ZC_RETURN_IF_ERROR(zc::remote::ResolveCredentials(env, &t));
//   tiers->front().shown   // "redis://:***@ci-cache:6379|read-only"
//
// Schemes: redis://[[user:]password@]host[:port][/db], redis+unix:///path.sock[?db=N],
// http(s)://[user:password@]host[:port]/prefix, s3://bucket[/prefix], file:///dir.
// Attributes (values may be percent-encoded): read-only, connect-timeout=MS,
// operation-timeout=MS, cool-down=S; http: layout=subdirs|flat|bazel, bearer-token=T,
// header=NAME=VALUE (repeatable); s3: endpoint=URL, region=R, credentials-file=PATH, profile=P
// (credentials otherwise from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
//
// Every secret (passwords, tokens, header values, S3 keys) is listed in `secrets`; `shown` and
// every error message have them replaced by "***". Errors are one line naming the URL (shown).
#ifndef ZCWRAP_CACHECORE_REMOTE_TIER_SPEC_H_
#define ZCWRAP_CACHECORE_REMOTE_TIER_SPEC_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::remote {

enum class Scheme { kFile, kHttp, kS3, kRedis };

// ccache's HTTP layouts: subdirs (<prefix>/<2 hex>/<62 hex>), flat (<prefix>/<64 hex>), bazel
// (<prefix>/ac/<64 hex>, bazel-remote's action cache).
enum class Layout { kSubdirs, kFlat, kBazel };

inline constexpr int kDefaultConnectTimeoutMs = 100;
inline constexpr int kDefaultOperationTimeoutMs = 1000;
inline constexpr int kDefaultCoolDownSeconds = 30;

struct TierSpec {
  Scheme scheme = Scheme::kFile;
  std::string shown;  // the URL and attributes with every secret as ***
  bool read_only = false;
  int connect_timeout_ms = kDefaultConnectTimeoutMs;
  int operation_timeout_ms = kDefaultOperationTimeoutMs;
  int cool_down_s = kDefaultCoolDownSeconds;  // first pause after a failure (doubles up to 10x)

  std::string path;  // file: the directory; redis+unix: the socket

  // http and s3: the URL objects live under, without credentials or a trailing slash.
  std::string base_url;
  Layout layout = Layout::kSubdirs;
  std::string user, password;  // http basic auth; redis ACL user and password
  std::string bearer_token;
  std::vector<std::string> headers;  // "Name: value"

  // s3 (base_url is <endpoint>/<bucket>[/<prefix>], path-style)
  std::string region = "us-east-1";
  std::string access_key, secret_key, session_token;  // ResolveCredentials fills them
  std::string bucket_path, endpoint, credentials_file, profile;
  bool region_given = false;

  // redis
  std::string host;
  int port = 6379;
  int db = 0;

  std::vector<std::string> secrets;
  // A stable name for this tier's shared state: the URL without secrets or timeouts.
  std::string identity;
};

using EnvLookup = std::function<std::optional<std::string>(absl::string_view name)>;

// The tiers of `value` in order; empty for an empty value. InvalidArgument, one line, for a bad
// URL or attribute. S3 credentials are not read yet (the config is checked without them).
absl::StatusOr<std::vector<TierSpec>> ParseRemoteStorage(absl::string_view value);
// Fills an s3 tier's credentials and region from `env` (AWS_*) or the credentials file; OK and
// nothing for other schemes. InvalidArgument, one line, if there are none.
absl::Status ResolveCredentials(const EnvLookup& env, TierSpec* spec);

// `text` with every non-empty string of `secrets` replaced by "***".
std::string Redact(absl::string_view text, const std::vector<std::string>& secrets);

}  // namespace zc::remote

#endif  // ZCWRAP_CACHECORE_REMOTE_TIER_SPEC_H_
