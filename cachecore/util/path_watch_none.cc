// PathWatcher where there is no inotify (meson.build picks path_watch_linux.cc on Linux): Create()
// returns null, so no watcher exists and long-lived engines check every record by stat, as they
// do on Linux when inotify is unavailable or refuses a path. docs/portability.md has the design
// for FSEvents and ReadDirectoryChangesW, and why neither is used yet.
#include "cachecore/util/path_watch.h"

namespace zc::util {

std::unique_ptr<PathWatcher> PathWatcher::Create() { return nullptr; }

// Never reached (no watcher is ever made), but the class's members must exist to link.
PathWatcher::~PathWatcher() = default;
void PathWatcher::Sync() {}
std::optional<PathWatcher::Set> PathWatcher::Watch(
    const std::vector<std::string>&,
    const std::vector<std::pair<std::string, std::vector<std::string>>>&) {
  return std::nullopt;
}
bool PathWatcher::Unchanged(const Set&) const { return false; }

}  // namespace zc::util
