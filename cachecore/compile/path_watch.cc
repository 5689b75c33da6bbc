#include "cachecore/compile/path_watch.h"

#include <limits.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {
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
    default:
      return false;
  }
}

bool IsCanonical(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr && path == buf;
}

}  // namespace

std::unique_ptr<PathWatcher> PathWatcher::Create() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return nullptr;
  return std::unique_ptr<PathWatcher>(new PathWatcher(fd));
}

PathWatcher::~PathWatcher() { ::close(fd_); }

uint64_t PathWatcher::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  DrainLocked();
  return seq_;
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
        overflow_.seq = ++seq_;
        continue;
      }
      if (auto f = file_by_wd_.find(ev->wd); f != file_by_wd_.end()) {
        f->second->seq = ++seq_;
        if (ev->mask & IN_IGNORED) {  // the watch is gone (file deleted): keep the slot changed
          dead_slots_.push_back(std::move(f->second));
          file_by_wd_.erase(f);
        }
        continue;
      }
      auto d = dir_by_wd_.find(ev->wd);
      if (d == dir_by_wd_.end()) continue;
      Dir* dir = d->second;
      if (ev->len > 0) {
        if (auto s = dir->names.find(ev->name); s != dir->names.end()) s->second->seq = ++seq_;
        continue;
      }
      dir->self.seq = ++seq_;
      if (ev->mask & IN_IGNORED) {
        dir_by_wd_.erase(d);
        auto owned = dirs_.find(dir->path);
        if (owned != dirs_.end() && owned->second.get() == dir) {
          for (auto& [name, slot] : dir->names) slot->seq = seq_;
          dead_dirs_.push_back(std::move(owned->second));
          dirs_.erase(owned);
        }
      }
    }
  }
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
  std::unique_ptr<Slot>& slot = d->names[name];
  if (slot == nullptr) slot = std::make_unique<Slot>();
  set->slots.push_back(&d->self);
  set->slots.push_back(slot.get());
  return true;
}

std::optional<PathWatcher::Set> PathWatcher::Watch(
    const std::vector<std::string>& files,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& dirs) {
  std::lock_guard<std::mutex> lock(mu_);
  Set set;
  absl::flat_hash_set<std::string> chained;  // directories whose path from the root is watched
  // The entry `name` in `dir`, and every directory entry on the way from the root to `dir`.
  auto watch_path = [&](const std::string& dir, const std::string& name) {
    if (!WatchEntryLocked(dir, name, &set)) return false;
    std::string child = dir;
    while (child != "/" && chained.insert(child).second) {
      const std::string parent(util::Dirname(child));
      if (!WatchEntryLocked(parent, std::string(util::Basename(child)), &set)) return false;
      child = parent;
    }
    return true;
  };

  for (const std::string& file : files) {
    if (!IsCanonical(file) || file_by_wd_.size() >= kMaxFiles) return std::nullopt;
    const int wd = ::inotify_add_watch(fd_, file.c_str(), kFileMask);
    if (wd < 0 || dir_by_wd_.contains(wd)) return std::nullopt;
    std::unique_ptr<Slot>& slot = file_by_wd_[wd];
    if (slot == nullptr) slot = std::make_unique<Slot>();
    set.slots.push_back(slot.get());
    if (!watch_path(std::string(util::Dirname(file)), std::string(util::Basename(file)))) {
      return std::nullopt;
    }
  }
  for (const auto& [given, names] : dirs) {
    // Search directories come as the compiler spells them ("/usr/lib/gcc/x/12/../../../../
    // include"). Watch where it leads, and every entry of the part before the first "..", so a
    // change to either changes where it leads.
    std::string dir = given;
    if (!IsCanonical(given)) {
      const size_t dots = given.find("/..");
      if (dots == std::string::npos || !IsCanonical(given.substr(0, dots))) return std::nullopt;
      char buf[PATH_MAX];
      if (::realpath(given.c_str(), buf) == nullptr) return std::nullopt;
      dir = buf;
      const std::string prefix = given.substr(0, dots);
      if (prefix != "/" && !prefix.empty() &&
          !watch_path(std::string(util::Dirname(prefix)), std::string(util::Basename(prefix)))) {
        return std::nullopt;
      }
    }
    for (const std::string& name : names) {
      // A relative name ("bits/x.h"): each component in the directory before it, as far as
      // those directories exist (creating the first missing one is itself an event).
      std::string base = dir;
      for (absl::string_view part : absl::StrSplit(name, '/', absl::SkipEmpty())) {
        if (!watch_path(base, std::string(part))) return std::nullopt;
        std::string next = util::JoinPath(base, part);
        struct stat st;
        if (::stat(next.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) break;
        if (!IsCanonical(next)) return std::nullopt;
        base = std::move(next);
      }
    }
    if (dir != "/" &&
        !watch_path(std::string(util::Dirname(dir)), std::string(util::Basename(dir)))) {
      return std::nullopt;
    }
    Dir* d = DirLocked(dir);
    if (d == nullptr) return std::nullopt;
    set.slots.push_back(&d->self);
  }
  set.slots.push_back(&overflow_);
  std::sort(set.slots.begin(), set.slots.end());
  set.slots.erase(std::unique(set.slots.begin(), set.slots.end()), set.slots.end());
  return set;
}

bool PathWatcher::Unchanged(const Set& set, uint64_t since) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Slot* s : set.slots) {
    if (s->seq > since) return false;
  }
  return true;
}

}  // namespace zc::compile
