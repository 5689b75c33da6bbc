// PathWatcher: lets a long-lived engine (the daemon, an embedding host) know that none of the files
// and directory entries a manifest record depends on changed since it last checked them, without
// stat()ing each one again: ~250 stats for a file including a dozen STL headers cost ~300 µs,
// a drained inotify queue costs one read().
//
//   std::unique_ptr<PathWatcher> w = PathWatcher::Create();        // null: no inotify here
//   std::optional<PathWatcher::Set> set = w->Watch(files, dirs);   // 1. watch first,
//   ... check every file by stat/hash ...                          // 2. then check;
//   later: w->Sync(); if (w->Unchanged(*set)) → nothing changed since step 1: skip the checks.
//
// What it watches (inotify): every file itself (content, attributes, deletion, rename; by inode,
// so a change through a hard link elsewhere counts too), and every directory on each path from
// the root, for the one name on the path (or the names the include guard cares about) appearing,
// disappearing or being replaced. Unrelated churn (objects written next to sources) is ignored.
// Events are queued by the kernel inside the modifying system call, so a change that finished
// before Sync() is always seen by that Sync(). A watch that goes away (its directory or file
// deleted or replaced, or a queue overflow) leaves its slots changed for good: a set holding
// them is never trusted again, and a new Watch watches what is there now.
//
// When it refuses (Watch returns nullopt), the caller checks by stat as before: file paths that
// are not canonical (symlinks, `..`: a changed link would not be seen; directories may have `..`
// after a canonical prefix, as compilers name their search directories), file systems where inotify
// misses changes made elsewhere (only ext2/3/4, xfs, btrfs, tmpfs, f2fs and overlayfs are
// trusted; never network file systems), and the watch limit. A queue overflow makes every set
// changed. Not seen by inotify at all: writes through a shared mmap of a header, which build
// tools do not do.
//
// Thread-safe.
#ifndef ZCWRAP_CACHECORE_UTIL_PATH_WATCH_H_
#define ZCWRAP_CACHECORE_UTIL_PATH_WATCH_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace zc::util {

class PathWatcher {
 public:
  // One change counter per watched thing; a Set lists the ones a record depends on.
  struct Slot {
    uint64_t seq = 0;  // number of the last event that touched it; kGone once unwatched
  };
  static constexpr uint64_t kGone = ~uint64_t{0};
  // Slots are shared: one that is no longer watched lives as long as a set holds it.
  struct Set {
    std::vector<std::shared_ptr<const Slot>> slots;
    uint64_t since = 0;  // the last event number seen before the watches were in place
  };

  // Null if inotify cannot be used.
  static std::unique_ptr<PathWatcher> Create();
  ~PathWatcher();
  PathWatcher(const PathWatcher&) = delete;
  PathWatcher& operator=(const PathWatcher&) = delete;

  // Reads every queued event.
  void Sync();

  // Watches `files` (absolute paths) and, for each (directory, names) pair, whether those names
  // exist in that directory (absolute; the directory itself too). Nullopt: cannot watch them all
  // reliably (see above): check by stat.
  std::optional<Set> Watch(
      const std::vector<std::string>& files,
      const std::vector<std::pair<std::string, std::vector<std::string>>>& dirs);

  // True if nothing in `set` changed since it was made, as of the last Sync().
  bool Unchanged(const Set& set) const;

 private:
  // A watched directory: its own changes, and those of the names in it that someone depends on.
  struct Dir {
    std::string path;
    int wd = -1;
    std::shared_ptr<Slot> self = std::make_shared<Slot>();
    absl::flat_hash_map<std::string, std::shared_ptr<Slot>> names;
  };
  explicit PathWatcher(int fd) : fd_(fd) {}
  void DrainLocked();
  // Stops watching `dir` (and every watched directory below it): its slots become kGone.
  void RetireDirLocked(const std::string& path);
  // True if `path` is absolute, without "." / ".." / empty components, and no component is a
  // symbolic link (directories are remembered once checked).
  bool CanonicalLocked(const std::string& path, bool directory);
  // The watch on directory `path` (canonical), created if needed; null if it cannot be watched.
  Dir* DirLocked(const std::string& path);
  // The slot for `name` in the directory `dir`, and the slots of every ancestor's entry.
  bool WatchEntryLocked(const std::string& dir, const std::string& name, Set* set);

  const int fd_;
  mutable std::mutex mu_;
  uint64_t seq_ = 0;
  absl::flat_hash_map<std::string, std::unique_ptr<Dir>> dirs_;  // by canonical path
  absl::flat_hash_map<int, Dir*> dir_by_wd_;
  absl::flat_hash_map<int, std::shared_ptr<Slot>> file_by_wd_;  // a file's own watch
  absl::flat_hash_set<std::string> canonical_dirs_;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_PATH_WATCH_H_
