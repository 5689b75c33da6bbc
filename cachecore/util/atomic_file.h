// AtomicFile writes a file so that readers see either the old content or the complete new content,
// never a torn mixture, even with many processes writing the same path at once.
//
//   ZC_ASSIGN_OR_RETURN(zc::util::AtomicFile file, zc::util::AtomicFile::Create(path));
//   ZC_RETURN_IF_ERROR(file.Write(header));
//   ZC_RETURN_IF_ERROR(file.Write(body));
//   ZC_RETURN_IF_ERROR(file.Commit());  // rename(2) over `path`
//
// The data goes to a uniquely named temporary file in the destination directory (so the final
// rename stays within one filesystem) named "<path>.tmp.<pid>.<random>"; the destructor removes it
// unless Commit() succeeded. Last committer wins. No fsync is done unless `durable` is set: a
// process crash cannot tear the file (rename is atomic), and readers of cache files verify a
// checksum, which covers what a power loss might leave behind.
#ifndef ZCWRAP_CACHECORE_UTIL_ATOMIC_FILE_H_
#define ZCWRAP_CACHECORE_UTIL_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::util {

class AtomicFile {
 public:
  // The marker in temporary file names; cleanup uses it to find stale ones.
  static constexpr absl::string_view kTempMarker = ".tmp.";

  // Opens a new temporary file next to `path` with permissions `mode` (before umask).
  static absl::StatusOr<AtomicFile> Create(std::string path, unsigned mode = 0666,
                                           bool durable = false);

  AtomicFile(AtomicFile&&) noexcept;
  AtomicFile& operator=(AtomicFile&&) noexcept;
  ~AtomicFile();

  absl::Status Write(absl::string_view data);
  // Sets the permissions exactly (no umask), e.g. to another process's umask.
  absl::Status SetMode(unsigned mode);
  // Publishes the content at the final path. After a successful Commit the object is inert.
  absl::Status Commit();
  // Publishes only if nothing exists at the final path (renameat2 RENAME_NOREPLACE): true if it
  // did (the object is then inert), false if a file was already there (call Commit to replace
  // it). On filesystems without RENAME_NOREPLACE it falls back to a stat-then-rename check.
  absl::StatusOr<bool> CommitIfAbsent();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  AtomicFile(std::string path, std::string temp_path, ScopedFd fd, bool durable);
  void Discard();

  std::string path_;
  std::string temp_path_;
  ScopedFd fd_;
  bool durable_ = false;
};

// Writes `data` to `path` atomically (see AtomicFile).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view data,
                                 unsigned mode = 0666);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_ATOMIC_FILE_H_
