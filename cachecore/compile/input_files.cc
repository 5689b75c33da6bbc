#include "cachecore/compile/input_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <new>

#include "cachecore/compile/input_digest.h"
#include "cachecore/compile/source_scan.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {

absl::StatusOr<FileFacts> InputFiles::Facts(const std::string& cwd, const std::string& path) {
  const std::string resolved = util::JoinPath(cwd, path);
  struct stat st;
  if (::stat(resolved.c_str(), &st) != 0) return util::ErrnoToStatus(errno, resolved);
  StatCache& known_files = cache();
  if (std::optional<FileFacts> known = known_files.Lookup(st)) return *known;
  ZC_ASSIGN_OR_RETURN(const std::string text, util::ReadFileToString(resolved));
  FileFacts facts;
  facts.digest = util::Sha256::Of(text);
  facts.flags = ScanSource(text).flags;
  // Only remember what was read if the file did not change while it was read.
  struct stat after;
  if (::stat(resolved.c_str(), &after) == 0 && after.st_size == st.st_size &&
      util::TimespecNs(after.st_mtim) == util::TimespecNs(st.st_mtim) &&
      util::TimespecNs(after.st_ctim) == util::TimespecNs(st.st_ctim)) {
    known_files.Insert(st, facts, clock_.RealNs());
  }
  return facts;
}

absl::StatusOr<util::Digest> InputFiles::State(const std::string& cwd, const std::string& path) {
  return PathDigest(util::JoinPath(cwd, path),
                    [this](const std::string& resolved) -> absl::StatusOr<util::Digest> {
                      ZC_ASSIGN_OR_RETURN(const FileFacts facts, Facts("", resolved));
                      return facts.digest;
                    });
}

StatCache& InputFiles::cache() {
  std::call_once(once_, [this] {
    absl::StatusOr<std::unique_ptr<StatCache>> opened = StatCache::Open(path_);
    cache_ = opened.ok() ? std::move(*opened) : StatCache::InMemory();
    if (cache_ == nullptr) throw std::bad_alloc();
  });
  return *cache_;
}

}  // namespace zc::compile
