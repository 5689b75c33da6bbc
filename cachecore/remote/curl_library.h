// libcurl, loaded with dlopen the first time an HTTP or S3 tier is used. Linking it would load
// libcurl and its ~30 dependencies into every zcwrap process: 3.3 ms per compile measured here
// (docs/dependencies.md), more than a whole hit through the daemon. Only a process that asks a
// remote tier pays it, once.
//
//   absl::StatusOr<const zc::remote::CurlApi*> curl = zc::remote::LoadCurl();
//   CURL* h = (*curl)->easy_init();
#ifndef ZCWRAP_CACHECORE_REMOTE_CURL_LIBRARY_H_
#define ZCWRAP_CACHECORE_REMOTE_CURL_LIBRARY_H_

#include <curl/curl.h>

#include "absl/status/statusor.h"

namespace zc::remote {

// The libcurl functions the HTTP backend uses, with libcurl's own signatures.
struct CurlApi {
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_reset)(CURL*);
  void (*easy_cleanup)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

// libcurl.so.4, loaded and initialised once per process. FailedPrecondition if it is missing
// or lacks a function (the message says which).
absl::StatusOr<const CurlApi*> LoadCurl();

}  // namespace zc::remote

#endif  // ZCWRAP_CACHECORE_REMOTE_CURL_LIBRARY_H_
