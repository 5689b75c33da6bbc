// The http(s):// and s3:// tiers, on libcurl (curl_library.h). One easy handle per backend, so
// a long-lived engine keeps its connection to the server open between requests.
//
// Object URLs: http layout subdirs <base>/<2 hex>/<62 hex>, flat <base>/<64 hex>, bazel
// <base>/ac/<64 hex>; s3 <endpoint>/<bucket>[/<prefix>]/<64 hex>, path-style, signed with AWS
// SigV4 by libcurl (CURLOPT_AWS_SIGV4; no AWS SDK).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cachecore/remote/backend.h"
#include "cachecore/remote/curl_library.h"

namespace zc::remote {
namespace {

struct Sink {
  const CurlApi* api = nullptr;
  CURL* handle = nullptr;
  std::string data;
  size_t max_size = 0;
  bool too_big = false;
};

size_t WriteBody(char* ptr, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  long code = 0;
  sink->api->easy_getinfo(sink->handle, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) return len;  // an error page: its status says it all
  if (sink->data.size() + len > sink->max_size) {
    sink->too_big = true;
    return 0;  // aborts the transfer: an oversized value is never read whole
  }
  sink->data.append(ptr, len);
  return len;
}

size_t DiscardBody(char*, size_t size, size_t n, void*) { return size * n; }

class HttpBackend final : public Backend {
 public:
  explicit HttpBackend(const TierSpec& spec) : spec_(spec) {}
  ~HttpBackend() override {
    if (handle_ != nullptr) api_->easy_cleanup(handle_);
    if (headers_ != nullptr) api_->slist_free_all(headers_);
  }

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view name, size_t max_size) override {
    if (absl::Status s = Prepare(name); !s.ok()) return s;
    Sink sink;
    sink.api = api_;
    sink.handle = handle_;
    sink.max_size = max_size;
    api_->easy_setopt(handle_, CURLOPT_HTTPGET, 1L);
    api_->easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &WriteBody);
    api_->easy_setopt(handle_, CURLOPT_WRITEDATA, &sink);
    const CURLcode rc = api_->easy_perform(handle_);
    long code = 0;
    api_->easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &code);
    if (sink.too_big) {
      return absl::ResourceExhaustedError(absl::StrCat("value over ", max_size, " bytes"));
    }
    if (rc != CURLE_OK) return CurlError(rc, "GET");
    if (code == 404) return std::nullopt;
    if (code != 200) return HttpError(code, "GET");
    return std::move(sink.data);
  }

  absl::Status Put(absl::string_view name, absl::string_view value) override {
    if (absl::Status s = Prepare(name); !s.ok()) return s;
    api_->easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, "PUT");
    api_->easy_setopt(handle_, CURLOPT_POSTFIELDS, value.data());
    api_->easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(value.size()));
    api_->easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &DiscardBody);
    const CURLcode rc = api_->easy_perform(handle_);
    long code = 0;
    api_->easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK) return CurlError(rc, "PUT");
    if (code < 200 || code > 299) return HttpError(code, "PUT");
    return absl::OkStatus();
  }

 private:
  std::string UrlFor(absl::string_view name) const {
    if (spec_.scheme == Scheme::kS3) return absl::StrCat(spec_.base_url, "/", name);
    switch (spec_.layout) {
      case Layout::kSubdirs:
        return absl::StrCat(spec_.base_url, "/", name.substr(0, 2), "/", name.substr(2));
      case Layout::kFlat: return absl::StrCat(spec_.base_url, "/", name);
      case Layout::kBazel: return absl::StrCat(spec_.base_url, "/ac/", name);
    }
    return {};
  }

  // A fresh request on the kept handle (its connection cache survives easy_reset).
  absl::Status Prepare(absl::string_view name) {
    if (api_ == nullptr) {
      absl::StatusOr<const CurlApi*> api = LoadCurl();
      if (!api.ok()) return api.status();
      api_ = *api;
    }
    if (handle_ == nullptr) {
      handle_ = api_->easy_init();
      if (handle_ == nullptr) return absl::UnavailableError("curl_easy_init failed");
      // "Expect: 100-continue" would stall every PUT for a round trip (or a second).
      headers_ = api_->slist_append(headers_, "Expect:");
      headers_ = api_->slist_append(headers_, "Content-Type: application/octet-stream");
      for (const std::string& h : spec_.headers) headers_ = api_->slist_append(headers_, h.c_str());
      if (!spec_.bearer_token.empty()) {
        const std::string auth = absl::StrCat("Authorization: Bearer ", spec_.bearer_token);
        headers_ = api_->slist_append(headers_, auth.c_str());
      }
      if (spec_.scheme == Scheme::kS3) {
        // S3 requires it; libcurl's SigV4 signs it but does not add it. The entry's own
        // checksum, verified by every reader, covers the body.
        headers_ = api_->slist_append(headers_, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
      }
      if (!spec_.session_token.empty()) {
        const std::string token = absl::StrCat("x-amz-security-token: ", spec_.session_token);
        headers_ = api_->slist_append(headers_, token.c_str());
      }
    } else {
      api_->easy_reset(handle_);
    }
    const std::string url = UrlFor(name);
    api_->easy_setopt(handle_, CURLOPT_URL, url.c_str());
    api_->easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    api_->easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT_MS, long{spec_.connect_timeout_ms});
    api_->easy_setopt(handle_, CURLOPT_TIMEOUT_MS, long{spec_.operation_timeout_ms});
    api_->easy_setopt(handle_, CURLOPT_HTTPHEADER, headers_);
    api_->easy_setopt(handle_, CURLOPT_FOLLOWLOCATION, 0L);
    if (spec_.scheme == Scheme::kS3) {
      const std::string sigv4 = absl::StrCat("aws:amz:", spec_.region, ":s3");
      const std::string userpwd = absl::StrCat(spec_.access_key, ":", spec_.secret_key);
      api_->easy_setopt(handle_, CURLOPT_AWS_SIGV4, sigv4.c_str());  // copied by libcurl
      api_->easy_setopt(handle_, CURLOPT_USERPWD, userpwd.c_str());
    } else if (!spec_.user.empty() || !spec_.password.empty()) {
      const std::string userpwd = absl::StrCat(spec_.user, ":", spec_.password);
      api_->easy_setopt(handle_, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
      api_->easy_setopt(handle_, CURLOPT_USERPWD, userpwd.c_str());
    }
    return absl::OkStatus();
  }

  absl::Status CurlError(CURLcode rc, absl::string_view op) const {
    const std::string msg =
        Redact(absl::StrCat(op, " ", spec_.shown, ": ", api_->easy_strerror(rc)), spec_.secrets);
    if (rc == CURLE_OPERATION_TIMEDOUT) return absl::DeadlineExceededError(msg);
    if (rc == CURLE_LOGIN_DENIED) return absl::PermissionDeniedError(msg);
    return absl::UnavailableError(msg);
  }

  absl::Status HttpError(long code, absl::string_view op) const {
    const std::string msg = absl::StrCat(op, " ", spec_.shown, ": HTTP ", code);
    if (code == 401 || code == 403) return absl::PermissionDeniedError(msg);
    return absl::UnavailableError(msg);
  }

  const TierSpec spec_;
  const CurlApi* api_ = nullptr;
  CURL* handle_ = nullptr;
  curl_slist* headers_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> MakeHttpBackend(const TierSpec& spec) {
  return std::make_unique<HttpBackend>(spec);
}

}  // namespace zc::remote
