// The state of a path a compile reads, as it goes into a key: a regular file by its content, a
// directory by the names and states of everything below it, and a fixed "absent" digest when
// nothing is there (so a file appearing later changes the key).
//
//   absl::StatusOr<zc::util::Digest> d = zc::compile::PathDigest("/abs/profile.gcda", hash_file);
//
// Used for the files options name (profiles, sanitizer lists, plugins, explicit PCHs: see
// CompilePlan::input_files) and for precompiled headers found beside a header (pch.h). A regular
// file's digest is exactly `hash_file`'s (its content digest), so it compares equal to a recorded
// header's. Directories are read recursively up to kMaxDirectoryEntries entries in all; more, or
// anything unreadable, is an error (the caller compiles uncached).
#ifndef ZCWRAP_CACHECORE_COMPILE_INPUT_DIGEST_H_
#define ZCWRAP_CACHECORE_COMPILE_INPUT_DIGEST_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

inline constexpr size_t kMaxDirectoryEntries = 10'000;

// Hashes the content of one regular file, given by an absolute (resolved) path.
using FileDigester = std::function<absl::StatusOr<util::Digest>(const std::string& resolved)>;

// `resolved` is an absolute path (or one relative to this process's directory).
absl::StatusOr<util::Digest> PathDigest(const std::string& resolved, const FileDigester& hash_file);

// The digest PathDigest gives a path where nothing exists.
util::Digest AbsentDigest();

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_INPUT_DIGEST_H_
