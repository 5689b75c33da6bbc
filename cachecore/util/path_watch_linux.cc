#include "cachecore/util/path_watch.h"

#include <limits.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/file_io.h"

namespace zc::util {
namespace {

constexpr uint32_t kDirMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY |
                              IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF |
                              IN_ONLYDIR | IN_DONT_FOLLOW;
constexpr uint32_t kFileMask =
    IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW;
// Beyond this many watched directories, stop adding (stat checks still work).
constexpr size_t kMaxDirs = 50'000;
constexpr size_t kMaxFiles = 200'000;

// Local file systems where every change, by any process on this machine, raises an event.
bool TrustedFileSystem(const std::string& path) {
  struct statfs fs;
  if (::statfs(path.c_str(), &fs) != 0) return false;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53:      // ext2/3/4
    case 0x58465342:  // xfs
    case 0x9123683E:  // btrfs
    case 0x01021994:  // tmpfs
    case 0xF2F52010:  // f2fs
    case 0x794C7630:  // overlayfs
      return true;
    default: return false;
  }
}

}  // namespace

std::unique_ptr<PathWatcher> PathWatcher::Create() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return nullptr;
  return std::unique_ptr<PathWatcher>(new PathWatcher(fd));
}

PathWatcher::~PathWatcher() { ::close(fd_); }

void PathWatcher::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  DrainLocked();
}

void PathWatcher::RetireDirLocked(const std::string& path) {
  std::vector<std::string> doomed;
  const std::string prefix = path + "/";
  for (const auto& [p, dir] : dirs_) {
    if (p == path || absl::StartsWith(p, prefix)) doomed.push_back(p);
  }
  for (const std::string& p : doomed) {
    auto it = dirs_.find(p);
    Dir* dir = it->second.get();
    dir->self->seq = kGone;
    for (auto& [name, slot] : dir->names) slot->seq = kGone;
    ::inotify_rm_watch(fd_, dir->wd);
    dir_by_wd_.erase(dir->wd);
    dirs_.erase(it);  // its slots live on in the sets that hold them, as kGone
  }
  for (auto it = canonical_dirs_.begin(); it != canonical_dirs_.end();) {
    auto here = it++;
    if (*here == path || absl::StartsWith(*here, prefix)) canonical_dirs_.erase(here);
  }
}

void PathWatcher::DrainLocked() {
  alignas(struct inotify_event) char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;  // EAGAIN: drained
    }
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {
        // Events were lost: nothing watched so far can be trusted.
        RetireDirLocked("");
        for (auto& [wd, slot] : file_by_wd_) {
          slot->seq = kGone;
          ::inotify_rm_watch(fd_, wd);
        }
        file_by_wd_.clear();
        continue;
      }
      if (auto f = file_by_wd_.find(ev->wd); f != file_by_wd_.end()) {
        if (ev->mask & IN_IGNORED) {  // the watch is gone (file deleted)
          f->second->seq = kGone;
          file_by_wd_.erase(f);
        } else {
          f->second->seq = ++seq_;
        }
        continue;
      }
      auto d = dir_by_wd_.find(ev->wd);
      if (d == dir_by_wd_.end()) continue;
      Dir* dir = d->second;
      if (ev->len > 0) {
        if (auto s = dir->names.find(ev->name); s != dir->names.end()) s->second->seq = ++seq_;
        // A watched directory under this name was replaced or removed: watch anew next time.
        const std::string child =
            dir->path == "/" ? "/" + std::string(ev->name) : dir->path + "/" + ev->name;
        if (dirs_.contains(child) || canonical_dirs_.contains(child)) RetireDirLocked(child);
        continue;
      }
      if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
        RetireDirLocked(dir->path);
      } else {
        dir->self->seq = ++seq_;
      }
    }
  }
}

bool PathWatcher::CanonicalLocked(const std::string& path, bool directory) {
  if (path.empty() || path[0] != '/') return false;
  if (path == "/") return true;
  for (absl::string_view part : absl::StrSplit(absl::string_view(path).substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  const std::string parent(Dirname(path));
  if (directory && canonical_dirs_.contains(path)) return true;
  if (!CanonicalLocked(parent, /*directory=*/true)) return false;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return false;
  if (directory) {
    if (!S_ISDIR(st.st_mode)) return false;
    canonical_dirs_.insert(path);
    return true;
  }
  return S_ISREG(st.st_mode);
}

PathWatcher::Dir* PathWatcher::DirLocked(const std::string& path) {
  if (auto it = dirs_.find(path); it != dirs_.end()) return it->second.get();
  if (dirs_.size() >= kMaxDirs || !TrustedFileSystem(path)) return nullptr;
  const int wd = ::inotify_add_watch(fd_, path.c_str(), kDirMask);
  if (wd < 0) return nullptr;
  if (dir_by_wd_.contains(wd) || file_by_wd_.contains(wd)) return nullptr;  // another name for it
  auto dir = std::make_unique<Dir>();
  dir->path = path;
  dir->wd = wd;
  Dir* raw = dir.get();
  dirs_.emplace(path, std::move(dir));
  dir_by_wd_.emplace(wd, raw);
  return raw;
}

bool PathWatcher::WatchEntryLocked(const std::string& dir, const std::string& name, Set* set) {
  Dir* d = DirLocked(dir);
  if (d == nullptr) return false;
  std::shared_ptr<Slot>& slot = d->names[name];
  if (slot == nullptr) slot = std::make_shared<Slot>();
  set->slots.push_back(d->self);
  set->slots.push_back(slot);
  return true;
}

std::optional<PathWatcher::Set> PathWatcher::Watch(
    const std::vector<std::string>& files,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& dirs) {
  std::lock_guard<std::mutex> lock(mu_);
  // Drain first, so no stale watch (on a directory replaced since) is reused; events from here on
  // are numbered after `since`.
  DrainLocked();
  Set set;
  set.since = seq_;
  absl::flat_hash_set<std::string> chained;  // directories whose path from the root is watched
  // The entry `name` in `dir`, and every directory entry on the way from the root to `dir`.
  auto watch_path = [&](const std::string& dir, const std::string& name) {
    if (!WatchEntryLocked(dir, name, &set)) return false;
    std::string child = dir;
    while (child != "/" && chained.insert(child).second) {
      const std::string parent(Dirname(child));
      if (!WatchEntryLocked(parent, std::string(Basename(child)), &set)) return false;
      child = parent;
    }
    return true;
  };

  for (const std::string& file : files) {
    if (!CanonicalLocked(file, /*directory=*/false) || file_by_wd_.size() >= kMaxFiles) {
      return std::nullopt;
    }
    const int wd = ::inotify_add_watch(fd_, file.c_str(), kFileMask);
    if (wd < 0 || dir_by_wd_.contains(wd)) return std::nullopt;
    std::shared_ptr<Slot>& slot = file_by_wd_[wd];
    if (slot == nullptr) slot = std::make_shared<Slot>();
    set.slots.push_back(slot);
    if (!watch_path(std::string(Dirname(file)), std::string(Basename(file)))) {
      return std::nullopt;
    }
  }
  for (const auto& [given, names] : dirs) {
    // Search directories come as the compiler spells them ("/usr/lib/gcc/x/12/../../../../
    // include"). Watch where it leads, and every entry of the part before the first "..", so a
    // change to either changes where it leads.
    std::string dir = given;
    if (!CanonicalLocked(given, /*directory=*/true)) {
      const size_t dots = given.find("/..");
      if (dots == std::string::npos || !CanonicalLocked(given.substr(0, dots), true)) {
        return std::nullopt;
      }
      char buf[PATH_MAX];
      if (::realpath(given.c_str(), buf) == nullptr) return std::nullopt;
      dir = buf;
      const std::string prefix = given.substr(0, dots);
      if (prefix != "/" && !prefix.empty() &&
          !watch_path(std::string(Dirname(prefix)), std::string(Basename(prefix)))) {
        return std::nullopt;
      }
    }
    for (const std::string& name : names) {
      // A relative name ("bits/x.h"): each component in the directory before it, as far as
      // those directories exist (creating the first missing one is itself an event).
      std::string base = dir;
      for (absl::string_view part : absl::StrSplit(name, '/', absl::SkipEmpty())) {
        if (!watch_path(base, std::string(part))) return std::nullopt;
        std::string next = JoinPath(base, part);
        struct stat st;
        if (::stat(next.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) break;
        if (!CanonicalLocked(next, /*directory=*/true)) return std::nullopt;
        base = std::move(next);
      }
    }
    if (dir != "/" && !watch_path(std::string(Dirname(dir)), std::string(Basename(dir)))) {
      return std::nullopt;
    }
    Dir* d = DirLocked(dir);
    if (d == nullptr) return std::nullopt;
    set.slots.push_back(d->self);
  }
  std::sort(set.slots.begin(), set.slots.end());
  set.slots.erase(std::unique(set.slots.begin(), set.slots.end()), set.slots.end());
  return set;
}

bool PathWatcher::Unchanged(const Set& set) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::shared_ptr<const Slot>& s : set.slots) {
    if (s->seq > set.since) return false;
  }
  return true;
}

}  // namespace zc::util
