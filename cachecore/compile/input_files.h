// The content of the files a compile reads, as cheaply as it can be known: a file's digest and
// source-scan flags come from the shared stat cache while its (device, inode, size, mtime, ctime)
// are unchanged, so an unchanged header costs a stat(), not a read and a hash.
//
//   zc::compile::InputFiles files(cache_dir + "/statcache", zc::util::SystemClock());
//   absl::StatusOr<zc::compile::FileFacts> f = files.Facts(cwd, "inc/h.h");
//   absl::StatusOr<zc::util::Digest> d = files.State(cwd, "profiles/");   // file, dir or absent
//
// Thread-safe. The stat cache is opened on first use (in memory if the file cannot be used).
#ifndef ZCWRAP_CACHECORE_COMPILE_INPUT_FILES_H_
#define ZCWRAP_CACHECORE_COMPILE_INPUT_FILES_H_

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "cachecore/compile/stat_cache.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

class InputFiles {
 public:
  // `clock` (which must outlive this object) tells whether a file is old enough to remember.
  InputFiles(std::string stat_cache_path, const util::Clock& clock)
      : path_(std::move(stat_cache_path)), clock_(clock) {}

  // The digest and scan flags of the regular file `path` (relative to `cwd`, or absolute). A file
  // that changes while it is read is hashed but not remembered.
  [[nodiscard]] absl::StatusOr<FileFacts> Facts(const std::string& cwd, const std::string& path);
  // input_digest.h's PathDigest of `path`: a file's digest, a directory's, or the absent digest.
  [[nodiscard]] absl::StatusOr<util::Digest> State(const std::string& cwd, const std::string& path);

 private:
  StatCache& cache();

  std::string path_;
  const util::Clock& clock_;
  std::once_flag once_;
  std::unique_ptr<StatCache> cache_;
};

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_INPUT_FILES_H_
