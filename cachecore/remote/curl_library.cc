#include "cachecore/remote/curl_library.h"

#include <dlfcn.h>

#include <mutex>

#include "absl/strings/str_cat.h"

namespace zc::remote {
namespace {

absl::StatusOr<CurlApi> Load() {
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load libcurl.so.4 (install libcurl4): ", ::dlerror()));
  }
  CurlApi api{};
  bool ok = true;
  auto get = [&](auto& fn, const char* name) {
    void* sym = ::dlsym(lib, name);
    if (sym == nullptr) ok = false;
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(sym);
  };
  get(api.easy_init, "curl_easy_init");
  get(api.easy_setopt, "curl_easy_setopt");
  get(api.easy_perform, "curl_easy_perform");
  get(api.easy_getinfo, "curl_easy_getinfo");
  get(api.easy_reset, "curl_easy_reset");
  get(api.easy_cleanup, "curl_easy_cleanup");
  get(api.easy_strerror, "curl_easy_strerror");
  get(api.slist_append, "curl_slist_append");
  get(api.slist_free_all, "curl_slist_free_all");
  CURLcode (*global_init)(long) = nullptr;
  get(global_init, "curl_global_init");
  if (!ok) return absl::FailedPreconditionError("libcurl.so.4 lacks a function zcwrap needs");
  // Never unloaded: handles may outlive any owner we could name.
  if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return absl::FailedPreconditionError("curl_global_init failed");
  }
  return api;
}

}  // namespace

absl::StatusOr<const CurlApi*> LoadCurl() {
  static std::once_flag once;
  static absl::StatusOr<CurlApi>* loaded = nullptr;
  std::call_once(once, [] { loaded = new absl::StatusOr<CurlApi>(Load()); });
  if (!loaded->ok()) return loaded->status();
  return &**loaded;
}

}  // namespace zc::remote
