// Hashing whole files with SHA-256.
//
//   absl::StatusOr<zc::util::Digest> d = zc::util::HashFile("/usr/include/stdio.h");
//
// Files are read in 128 KiB chunks (not mapped: a mapping of a file truncated under us would raise
// SIGBUS in the embedding host).
#ifndef ZCWRAP_CACHECORE_UTIL_FILE_HASH_H_
#define ZCWRAP_CACHECORE_UTIL_FILE_HASH_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cachecore/util/sha256.h"

namespace zc::util {

// Feeds the whole content of `path` into `hasher`. NotFound if the file does not exist.
absl::Status HashFileInto(const std::string& path, Sha256& hasher);

// The SHA-256 of the content of `path`.
absl::StatusOr<Digest> HashFile(const std::string& path);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_FILE_HASH_H_
