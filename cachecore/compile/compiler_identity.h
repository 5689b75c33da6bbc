// The compiler's identity for the key: the SHA-256 of the compiler program's content, so an
// in-place upgrade or a swap of the binary at the same path changes every key.
//
//   absl::StatusOr<zc::util::Digest> id = zc::compile::CompilerIdentity("/usr/bin/g++-12",
//   memo_dir);
//
// Hashing a 1 MB driver costs ~0.6 ms, so the digest is memoised in `memo_dir` (one small file per
// compiler path, written atomically) and reused while the file's device, inode, size, mtime and
// ctime are unchanged. ctime cannot be set back by a user, so a same-size rewrite with a restored
// mtime still changes it.
#ifndef ZCWRAP_CACHECORE_COMPILE_COMPILER_IDENTITY_H_
#define ZCWRAP_CACHECORE_COMPILE_COMPILER_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

absl::StatusOr<util::Digest> CompilerIdentity(const std::string& compiler_path,
                                              const std::string& memo_dir);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_COMPILER_IDENTITY_H_
