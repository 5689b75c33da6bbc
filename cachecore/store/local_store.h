// LocalStore: the on-disk, content-addressed cache of entries under one cache root.
//
//   zc::store::StoreOptions options{.root = "/home/me/.cache/zcwrap", .max_size = 5ull << 30};
//   ZC_ASSIGN_OR_RETURN(auto store, zc::store::LocalStore::Open(options));
//   ZC_RETURN_IF_ERROR(store->Put(key, entry));
//   absl::StatusOr<std::optional<Entry>> got = store->Get(key, EntryType::kResult);
//   // ok + nullopt: a miss. DataLoss: the file was corrupt (counted and removed): treat as a miss.
//
// Layout: <root>/<h0>/<h1>/<h2..h63><suffix>, where h is the key in hex and the suffix is "R" for
// results and "M" for manifests. The first hex digit names one of 16 shards; each shard has its own
// size tally (in the stats file) and its own cleanup lock.
//
// Publishing is atomic: an entry is written to a temporary file in its final directory and renamed
// over the key, so readers see the old entry, the new one or none, never a torn one, and any number
// of processes may read and write one key at once (last writer wins; every candidate is complete).
//
// Size limit: every Put adds the new file to its shard's tally; when a shard exceeds 1/16 of
// max_size (or of max_files), the writer that noticed cleans that shard alone, under a non-blocking
// lock, deleting least-recently-used files (a hit refreshes a file's mtime) until the shard is at
// 90% of its share. So cleanup is amortised: one directory scan of 1/16 of the cache per ~10% of
// growth, never a scan per compile. Stale temporary files (older than an hour) go in the same pass;
// shard 0's pass also sweeps those of killed compiles and writers outside the shards (the root,
// tmp/, compilers/, remote/).
//
// Thread-safe and multi-process-safe.
#ifndef ZCWRAP_CACHECORE_STORE_LOCAL_STORE_H_
#define ZCWRAP_CACHECORE_STORE_LOCAL_STORE_H_

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cachecore/stats/stats_file.h"
#include "cachecore/store/entry_format.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/sha256.h"

namespace zc::store {

using Key = util::Digest;

struct StoreOptions {
  std::string root;
  uint64_t max_size = uint64_t{5} << 30;  // bytes; 0 = unlimited
  uint64_t max_files = 0;                 // 0 = unlimited
  int compression_level = kDefaultCompressionLevel;
  // When an entry was last used and a temporary file is stale. Must outlive the store.
  const util::Clock* clock = &util::SystemClock();
};

struct CleanupResult {
  uint64_t files_removed = 0;
  uint64_t bytes_removed = 0;
  uint64_t files_remaining = 0;
  uint64_t bytes_remaining = 0;
};

class LocalStore {
 public:
  // Creates the root if needed and opens <root>/stats.
  static absl::StatusOr<std::unique_ptr<LocalStore>> Open(StoreOptions options);

  // Stores `entry` under `key` (its type picks the file suffix), then cleans the shard if it went
  // over its limit. `encoded_out` (optional): the file's bytes, for a remote tier.
  absl::Status Put(const Key& key, const Entry& entry, std::string* encoded_out = nullptr);
  // Stores an already encoded entry of `type` (one a remote tier sent, verified by the caller).
  absl::Status PutEncoded(const Key& key, EntryType type, absl::string_view encoded);

  // The entry stored under `key`, std::nullopt on a miss. A corrupt file reads as DataLoss; it is
  // counted (corrupt_cache_entry) and removed so the next miss rewrites it.
  absl::StatusOr<std::optional<Entry>> Get(const Key& key, EntryType type);

  // Removes the entry; OK if it was not there.
  absl::Status Remove(const Key& key, EntryType type);

  // Cleans every shard down to `fraction` of its share of the limits, and re-measures the tallies.
  absl::StatusOr<CleanupResult> Cleanup(double fraction = 1.0);

  // Removes every entry not used (stored or hit) for `age_seconds` or more, by its mtime (a hit
  // refreshes it at most every ten minutes, see MarkUsed), whatever the limits; counted as a
  // cleanup, as the size-driven one is. Meant for CI caches that should keep only recent work.
  absl::StatusOr<CleanupResult> EvictOlderThan(int64_t age_seconds);

  // Removes every entry (and stale temporary file). Stats counters are left alone.
  absl::StatusOr<CleanupResult> Clear();

  // Changes the limits used by later Puts and Cleanups. Thread-safe.
  void SetLimits(uint64_t max_size, uint64_t max_files);
  // Changes the zstd level later Puts encode with. Thread-safe.
  void SetCompressionLevel(int level);

  std::string PathFor(const Key& key, EntryType type) const;
  // For an entry served from a copy in memory (stat `st` of its file at `path`): marks it used
  // for LRU cleanup, as Get does, but at most every ten minutes (precise enough for an LRU, and it
  // spares such a hit the write).
  void MarkUsed(const std::string& path, const struct stat& st) const;
  stats::StatsFile& stats() { return *stats_; }
  const StoreOptions& options() const { return options_; }

  // Remembers the path of every entry this object publishes from now on, until taken: an
  // embedded service makes exactly its own writes durable (fsync) instead of the whole
  // filesystem (syncfs).
  void TrackPublished();
  // The paths published since the last call (each once), and forgets them.
  std::vector<std::string> TakePublished();

 private:
  struct ShardTarget {
    uint64_t max_bytes = 0;  // 0 = no limit
    uint64_t max_files = 0;  // 0 = no limit
    bool remove_all = false;
    int64_t unused_before = 0;  // also remove entries whose mtime is before this (Unix s); 0: none
  };

  LocalStore(StoreOptions options, std::unique_ptr<stats::StatsFile> stats);
  ShardTarget TargetFor(double fraction) const;
  // Scans one shard, removes stale temporary files and least-recently-used entries until it meets
  // `target`, and corrects the shard's tally. Without `wait_for_lock` it returns an empty result
  // when another process is already cleaning the shard.
  absl::StatusOr<CleanupResult> CleanShard(int shard, const ShardTarget& target,
                                           bool wait_for_lock);
  void MaybeCleanShard(int shard);
  // CleanShard for every shard, waiting for each lock; the results summed.
  absl::StatusOr<CleanupResult> CleanEveryShard(const ShardTarget& target);

  StoreOptions options_;
  std::atomic<uint64_t> max_size_;
  std::atomic<uint64_t> max_files_;
  std::atomic<int> compression_level_;
  std::unique_ptr<stats::StatsFile> stats_;
  std::mutex published_mu_;
  bool track_published_ = false;
  std::vector<std::string> published_;
};

}  // namespace zc::store

#endif  // ZCWRAP_CACHECORE_STORE_LOCAL_STORE_H_
