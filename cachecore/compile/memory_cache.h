// MemoryCache: decoded cache files kept in memory by a long-lived engine (the daemon, an embedding
// host), so a hit does not re-read, re-verify and re-decompress the same manifest or entry.
//
//   MemoryCache<Manifest> manifests(64 << 20);
//   std::shared_ptr<const Manifest> m = manifests.Find(path, st);   // st: stat() of the file now
//   if (!m) { decode from disk; manifests.Insert(path, st, decoded, decoded_bytes); }
//
// Validity: cache files are never modified in place, only replaced by rename (a new inode) or
// removed, so a remembered value is used only while the file at `path` still has the same device,
// inode and size; a removed file (zcwrap -C, cleanup) is a miss because the caller's stat fails.
// Bounded by bytes; the least recently inserted values go first. Thread-safe.
#ifndef ZCWRAP_CACHECORE_COMPILE_MEMORY_CACHE_H_
#define ZCWRAP_CACHECORE_COMPILE_MEMORY_CACHE_H_

#include <sys/stat.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace zc::compile {

template <typename T>
class MemoryCache {
 public:
  explicit MemoryCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  std::shared_ptr<const T> Find(const std::string& path, const struct stat& st) {
    absl::MutexLock lock(&mu_);
    auto it = map_.find(path);
    if (it == map_.end()) return nullptr;
    const Slot& slot = *it->second;
    if (slot.dev != st.st_dev || slot.ino != st.st_ino || slot.size != st.st_size) return nullptr;
    return slot.value;
  }

  void Insert(const std::string& path, const struct stat& st, std::shared_ptr<const T> value,
              size_t bytes) {
    absl::MutexLock lock(&mu_);
    if (auto it = map_.find(path); it != map_.end()) {
      bytes_ -= it->second->bytes;
      order_.erase(it->second);
      map_.erase(it);
    }
    if (bytes > max_bytes_ / 4) return;  // one huge value would evict everything else
    order_.push_back(Slot{path, st.st_dev, st.st_ino, st.st_size, std::move(value), bytes});
    map_[path] = std::prev(order_.end());
    bytes_ += bytes;
    while (bytes_ > max_bytes_ && !order_.empty()) {
      bytes_ -= order_.front().bytes;
      map_.erase(order_.front().path);
      order_.pop_front();
    }
  }

  size_t entries() const {
    absl::MutexLock lock(&mu_);
    return map_.size();
  }

 private:
  struct Slot {
    std::string path;
    dev_t dev;
    ino_t ino;
    off_t size;
    std::shared_ptr<const T> value;
    size_t bytes;
  };

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::list<Slot> order_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, typename std::list<Slot>::iterator> map_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_MEMORY_CACHE_H_
