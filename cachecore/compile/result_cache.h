// The results of compiles by key: the local store, read through a table of decoded entries in a
// long-lived engine (so a daemon's or an embedding host's hit decodes nothing).
//
//   zc::compile::ResultCache results(store, /*memory_bytes=*/0);   // one-shot: no table
//   (with a remote::RemoteStorage, Load asks the remote tiers after a local miss, and Put
//   writes them too)
//   std::shared_ptr<const zc::store::Entry> entry = results.Load(key);   // nullptr: a miss
//   absl::Status stored = results.Put(key, entry);
//
// A remembered entry is used only while its file in the store is the one it was read from (same
// inode, size and times), so a `zcwrap -C` or cleanup from another process is seen at once.
// Thread-safe; the store is multi-process-safe.
#ifndef ZCWRAP_CACHECORE_COMPILE_RESULT_CACHE_H_
#define ZCWRAP_CACHECORE_COMPILE_RESULT_CACHE_H_

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "cachecore/compile/memory_cache.h"
#include "cachecore/remote/remote_storage.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

class ResultCache {
 public:
  // `store` must outlive this object. `memory_bytes` 0: no table of decoded entries.
  ResultCache(store::LocalStore& store, size_t memory_bytes);

  // The entry stored under `key`, or nullptr: none, or a corrupt one (counted and removed by the
  // store). A hit marks the entry used, for cleanup's least-recently-used order.
  //
  // With `remote` (may be null), a local miss asks the remote tiers; a verified entry they have
  // is stored locally too when `may_write` (back-filled), and *from (if given) names its tier.
  [[nodiscard]] std::shared_ptr<const store::Entry> Load(const util::Digest& key,
                                                         remote::RemoteStorage* remote = nullptr,
                                                         bool may_write = true,
                                                         std::string* from = nullptr);
  // Stores `entry` under `key` (atomically; a concurrent writer of the same key is harmless),
  // then sends it to `remote`'s writable tiers (may be null).
  [[nodiscard]] absl::Status Put(const util::Digest& key, const store::Entry& entry,
                                 remote::RemoteStorage* remote = nullptr);

  // Decoded entries held in memory (0 without the table).
  size_t memory_entries() const { return memory_ ? memory_->entries() : 0; }

 private:
  std::shared_ptr<const store::Entry> LoadRemote(const util::Digest& key,
                                                 remote::RemoteStorage& remote, bool may_write,
                                                 std::string* from);

  store::LocalStore& store_;
  std::unique_ptr<MemoryCache<store::Entry>> memory_;  // null unless memory_bytes
};

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_RESULT_CACHE_H_
