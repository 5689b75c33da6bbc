#include "cachecore/remote/tier_spec.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace zc::remote {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// %XX decoding, as ccache's attribute values and URL user info use.
std::optional<std::string> PercentDecode(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

struct Parsed {
  TierSpec spec;
  std::vector<std::string> shown_attrs;
};

absl::Status Bad(const TierSpec& spec, absl::string_view shown_url, absl::string_view what) {
  return absl::InvalidArgumentError(
      Redact(absl::StrCat("remote_storage: ", shown_url, ": ", what), spec.secrets));
}

bool ParseMs(absl::string_view v, int* out) {
  int n = 0;
  if (!absl::SimpleAtoi(v, &n) || n <= 0 || n > 600'000) return false;
  *out = n;
  return true;
}

// user:password@ in front of host; `shown_userinfo` gets the user and *** for a password.
absl::Status SplitUserInfo(absl::string_view* authority, TierSpec* spec,
                           std::string* shown_userinfo) {
  const size_t at = authority->rfind('@');
  if (at == absl::string_view::npos) return absl::OkStatus();
  absl::string_view info = authority->substr(0, at);
  authority->remove_prefix(at + 1);
  std::pair<absl::string_view, absl::string_view> up =
      absl::StrSplit(info, absl::MaxSplits(':', 1));
  std::optional<std::string> user = PercentDecode(up.first);
  std::optional<std::string> password = PercentDecode(up.second);
  if (!user || !password) return absl::InvalidArgumentError("bad %-escape in user info");
  spec->user = *user;
  spec->password = *password;
  if (!spec->password.empty()) spec->secrets.push_back(spec->password);
  *shown_userinfo = absl::StrCat(up.first, spec->password.empty() ? "" : ":***", "@");
  return absl::OkStatus();
}

// host[:port]; IPv6 in brackets.
absl::Status SplitHostPort(absl::string_view authority, std::string* host, int* port) {
  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("bad IPv6 host");
    *host = std::string(authority.substr(1, close - 1));
    absl::string_view rest = authority.substr(close + 1);
    if (absl::ConsumePrefix(&rest, ":")) port_text = rest;
  } else {
    const size_t colon = authority.rfind(':');
    *host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host->empty()) return absl::InvalidArgumentError("no host");
  if (!port_text.empty()) {
    if (!absl::SimpleAtoi(port_text, port) || *port <= 0 || *port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port \"", port_text, "\""));
    }
  }
  return absl::OkStatus();
}

// [profile] sections of an AWS shared credentials file.
absl::Status ReadCredentialsFile(const std::string& path, const std::string& profile,
                                 TierSpec* spec) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read credentials file ", path));
  std::string line, section;
  bool found = false;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l.front() == '[' && l.back() == ']') {
      section = std::string(absl::StripAsciiWhitespace(l.substr(1, l.size() - 2)));
      continue;
    }
    if (section != profile) continue;
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(l, absl::MaxSplits('=', 1));
    const std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv.first));
    const std::string value(absl::StripAsciiWhitespace(kv.second));
    if (key == "aws_access_key_id") spec->access_key = value, found = !value.empty();
    if (key == "aws_secret_access_key") spec->secret_key = value;
    if (key == "aws_session_token") spec->session_token = value;
  }
  if (!found) {
    return absl::InvalidArgumentError(
        absl::StrCat("no aws_access_key_id for profile [", profile, "] in ", path));
  }
  return absl::OkStatus();
}

// `url` as errors show it before its parts are known: a password in the user info as ***, as
// written (a percent-encoded one is not the secret Redact knows).
std::string MaskPassword(absl::string_view url, size_t sep) {
  const size_t start = sep + 3;
  const absl::string_view authority = url.substr(start, url.find('/', start) - start);
  const size_t at = authority.rfind('@');
  const size_t colon = authority.substr(0, at == absl::string_view::npos ? 0 : at).find(':');
  if (colon == absl::string_view::npos) return std::string(url);
  return absl::StrCat(url.substr(0, start + colon + 1), "***", url.substr(start + at));
}

absl::StatusOr<TierSpec> ParseOne(absl::string_view item) {
  std::vector<absl::string_view> parts = absl::StrSplit(item, '|');
  absl::string_view url = parts[0];
  TierSpec spec;
  std::string shown_url;
  const size_t sep = url.find("://");
  if (sep == absl::string_view::npos) {
    // Not echoed: without a scheme nothing says which part is a secret.
    return absl::InvalidArgumentError(
        "remote_storage: an entry is not a URL (want scheme://..., e.g. redis://host)");
  }
  const std::string scheme = absl::AsciiStrToLower(url.substr(0, sep));
  const std::string error_url = MaskPassword(url, sep);
  absl::string_view rest = url.substr(sep + 3);
  std::string s3_bucket_path;
  if (scheme == "file") {
    spec.scheme = Scheme::kFile;
    if (!absl::StartsWith(rest, "/")) return Bad(spec, error_url, "file:// needs an absolute path");
    spec.path = std::string(absl::StripSuffix(rest, "/"));
    if (spec.path.empty()) return Bad(spec, error_url, "file:/// is not a cache directory");
    shown_url = std::string(url);
    spec.identity = absl::StrCat("file://", spec.path);
  } else if (scheme == "http" || scheme == "https") {
    spec.scheme = Scheme::kHttp;
    const size_t slash = rest.find('/');
    absl::string_view authority = rest.substr(0, slash);
    absl::string_view path = slash == absl::string_view::npos ? "" : rest.substr(slash);
    std::string shown_info;
    if (absl::Status s = SplitUserInfo(&authority, &spec, &shown_info); !s.ok()) {
      return Bad(spec, error_url, s.message());
    }
    std::string host;
    int port = 0;
    if (absl::Status s = SplitHostPort(authority, &host, &port); !s.ok()) {
      return Bad(spec, error_url, s.message());
    }
    spec.base_url = absl::StrCat(scheme, "://", authority, absl::StripSuffix(path, "/"));
    shown_url = absl::StrCat(scheme, "://", shown_info, authority, path);
    spec.identity = spec.base_url;
  } else if (scheme == "s3") {
    spec.scheme = Scheme::kS3;
    s3_bucket_path = std::string(absl::StripSuffix(rest, "/"));
    if (s3_bucket_path.empty() || s3_bucket_path[0] == '/') {
      return Bad(spec, error_url, "s3:// needs a bucket (s3://bucket/prefix)");
    }
    // No bucket name holds '@' or ':': this is user info, most likely keys, which an s3:// URL
    // does not take (and which must not be echoed: error_url masks the password part).
    if (s3_bucket_path.substr(0, s3_bucket_path.find('/')).find_first_of("@:") !=
        std::string::npos) {
      return Bad(spec, error_url,
                 "s3:// takes no user:password@ (keys come from AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY, or credentials-file=)");
    }
    shown_url = std::string(url);
  } else if (scheme == "redis" || scheme == "redis+unix") {
    spec.scheme = Scheme::kRedis;
    std::string shown_info;
    if (scheme == "redis") {
      const size_t slash = rest.find('/');
      absl::string_view authority = rest.substr(0, slash);
      if (absl::Status s = SplitUserInfo(&authority, &spec, &shown_info); !s.ok()) {
        return Bad(spec, error_url, s.message());
      }
      if (absl::Status s = SplitHostPort(authority, &spec.host, &spec.port); !s.ok()) {
        return Bad(spec, error_url, s.message());
      }
      absl::string_view db = slash == absl::string_view::npos ? "" : rest.substr(slash + 1);
      if (!db.empty() && (!absl::SimpleAtoi(db, &spec.db) || spec.db < 0)) {
        return Bad(spec, error_url, absl::StrCat("bad database number \"", db, "\""));
      }
      shown_url = absl::StrCat("redis://", shown_info, rest.substr(rest.rfind('@') + 1));
      spec.identity = absl::StrCat("redis://", spec.host, ":", spec.port, "/", spec.db);
    } else {
      // redis+unix://[[user:]password@]/path.sock[?db=N]
      const size_t slash = rest.find('/');
      if (slash == absl::string_view::npos) return Bad(spec, error_url, "no socket path");
      absl::string_view authority = rest.substr(0, slash);
      if (absl::Status s = SplitUserInfo(&authority, &spec, &shown_info); !s.ok()) {
        return Bad(spec, error_url, s.message());
      }
      absl::string_view path = rest.substr(slash);
      const size_t q = path.find('?');
      if (q != absl::string_view::npos) {
        absl::string_view query = path.substr(q + 1);
        path = path.substr(0, q);
        if (!absl::ConsumePrefix(&query, "db=") || !absl::SimpleAtoi(query, &spec.db) ||
            spec.db < 0) {
          return Bad(spec, error_url, "bad query (want ?db=N)");
        }
      }
      spec.path = std::string(path);
      shown_url = absl::StrCat("redis+unix://", shown_info, rest.substr(slash));
      spec.identity = absl::StrCat("redis+unix://", spec.path, "/", spec.db);
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("remote_storage: unknown scheme \"", scheme,
                     "\" (want redis, redis+unix, http, https, s3 or file)"));
  }

  std::vector<std::string> shown_attrs;
  std::string credentials_file, profile, endpoint;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(parts[i], absl::MaxSplits('=', 1));
    const std::string key(kv.first);
    std::optional<std::string> value = PercentDecode(kv.second);
    if (!value) return Bad(spec, shown_url, absl::StrCat("bad %-escape in attribute ", key));
    bool secret = false;
    bool applies = true;
    if (key == "read-only") {
      if (*value == "" || *value == "true") {
        spec.read_only = true;
      } else if (*value != "false") {
        return Bad(spec, shown_url, "read-only takes true or false");
      }
    } else if (key == "connect-timeout") {
      if (!ParseMs(*value, &spec.connect_timeout_ms)) {
        return Bad(spec, shown_url, "connect-timeout takes milliseconds (1..600000)");
      }
    } else if (key == "operation-timeout") {
      if (!ParseMs(*value, &spec.operation_timeout_ms)) {
        return Bad(spec, shown_url, "operation-timeout takes milliseconds (1..600000)");
      }
    } else if (key == "cool-down") {
      if (!absl::SimpleAtoi(*value, &spec.cool_down_s) || spec.cool_down_s < 0 ||
          spec.cool_down_s > 3600) {
        return Bad(spec, shown_url, "cool-down takes seconds (0..3600)");
      }
    } else if (key == "layout") {
      applies = spec.scheme == Scheme::kHttp;
      if (*value == "subdirs") {
        spec.layout = Layout::kSubdirs;
      } else if (*value == "flat") {
        spec.layout = Layout::kFlat;
      } else if (*value == "bazel") {
        spec.layout = Layout::kBazel;
      } else {
        return Bad(spec, shown_url, "layout takes subdirs, flat or bazel");
      }
    } else if (key == "bearer-token") {
      applies = spec.scheme == Scheme::kHttp;
      spec.bearer_token = *value;
      secret = true;
    } else if (key == "header") {
      applies = spec.scheme == Scheme::kHttp || spec.scheme == Scheme::kS3;
      std::pair<std::string, std::string> h = absl::StrSplit(*value, absl::MaxSplits('=', 1));
      if (h.first.empty() || h.first.find_first_of(": \r\n") != std::string::npos ||
          h.second.find_first_of("\r\n") != std::string::npos) {
        return Bad(spec, shown_url, "header takes NAME=VALUE");
      }
      spec.headers.push_back(absl::StrCat(h.first, ": ", h.second));
      if (!h.second.empty()) spec.secrets.push_back(h.second);
      shown_attrs.push_back(absl::StrCat("header=", h.first, "=***"));
      continue;
    } else if (key == "endpoint") {
      applies = spec.scheme == Scheme::kS3;
      endpoint = std::string(absl::StripSuffix(*value, "/"));
      if (!absl::StartsWith(endpoint, "http://") && !absl::StartsWith(endpoint, "https://")) {
        return Bad(spec, shown_url, "endpoint takes an http:// or https:// URL");
      }
    } else if (key == "region") {
      applies = spec.scheme == Scheme::kS3;
      spec.region = *value;
      spec.region_given = true;
    } else if (key == "credentials-file") {
      applies = spec.scheme == Scheme::kS3;
      credentials_file = *value;
    } else if (key == "profile") {
      applies = spec.scheme == Scheme::kS3;
      profile = *value;
    } else {
      return Bad(spec, shown_url, absl::StrCat("unknown attribute \"", key, "\""));
    }
    if (!applies) {
      return Bad(spec, shown_url, absl::StrCat("attribute \"", key, "\" does not apply here"));
    }
    if (secret && !value->empty()) spec.secrets.push_back(*value);
    shown_attrs.push_back(secret ? absl::StrCat(key, "=***") : std::string(parts[i]));
  }

  if (spec.scheme == Scheme::kS3) {
    spec.credentials_file = credentials_file;
    spec.profile = profile;
    spec.endpoint = endpoint;
    spec.bucket_path = s3_bucket_path;
    spec.identity = absl::StrCat("s3://", s3_bucket_path, "@", endpoint);
    spec.base_url = absl::StrCat(endpoint, "/", s3_bucket_path);
  }
  spec.shown = shown_url;
  for (const std::string& a : shown_attrs) absl::StrAppend(&spec.shown, "|", a);
  spec.shown = Redact(spec.shown, spec.secrets);
  return spec;
}

}  // namespace

absl::Status ResolveCredentials(const EnvLookup& env, TierSpec* spec) {
  if (spec->scheme != Scheme::kS3) return absl::OkStatus();
  auto get = [&](absl::string_view name) -> std::string {
    std::optional<std::string> v = env ? env(name) : std::nullopt;
    return v ? *v : std::string();
  };
  std::string profile = spec->profile.empty() ? get("AWS_PROFILE") : spec->profile;
  if (profile.empty()) profile = "default";
  std::string credentials_file = spec->credentials_file;
  if (credentials_file.empty() && !get("AWS_ACCESS_KEY_ID").empty()) {
    spec->access_key = get("AWS_ACCESS_KEY_ID");
    spec->secret_key = get("AWS_SECRET_ACCESS_KEY");
    spec->session_token = get("AWS_SESSION_TOKEN");
  } else {
    if (credentials_file.empty()) credentials_file = get("AWS_SHARED_CREDENTIALS_FILE");
    if (credentials_file.empty() && !get("HOME").empty()) {
      credentials_file = absl::StrCat(get("HOME"), "/.aws/credentials");
    }
    if (absl::Status s = ReadCredentialsFile(credentials_file, profile, spec); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("remote_storage: ", spec->shown, ": ", s.message(),
                       " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or credentials-file=)"));
    }
  }
  for (const std::string* s : {&spec->secret_key, &spec->session_token}) {
    if (!s->empty()) spec->secrets.push_back(*s);
  }
  if (!spec->region_given) {
    if (std::string r = get("AWS_REGION"); !r.empty()) {
      spec->region = r;
    } else if (std::string d = get("AWS_DEFAULT_REGION"); !d.empty()) {
      spec->region = d;
    }
  }
  if (spec->endpoint.empty()) {
    const std::string endpoint = absl::StrCat("https://s3.", spec->region, ".amazonaws.com");
    spec->base_url = absl::StrCat(endpoint, "/", spec->bucket_path);
    spec->identity = absl::StrCat("s3://", spec->bucket_path, "@", endpoint);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TierSpec>> ParseRemoteStorage(absl::string_view value) {
  std::vector<TierSpec> tiers;
  for (absl::string_view item :
       absl::StrSplit(value, absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
    absl::StatusOr<TierSpec> spec = ParseOne(item);
    if (!spec.ok()) return spec.status();
    tiers.push_back(*std::move(spec));
  }
  return tiers;
}

std::string Redact(absl::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& s : secrets) {
    if (!s.empty()) out = absl::StrReplaceAll(out, {{s, "***"}});
  }
  return out;
}

}  // namespace zc::remote
