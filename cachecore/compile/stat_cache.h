// StatCache: content digests of files (headers, sources), reused while the file's
// (device, inode, size, mtime, ctime) are unchanged, so an unchanged header costs a stat(), not a
// read and a hash. Shared by every process using one cache directory.
//
//   ZC_ASSIGN_OR_RETURN(auto cache, zc::compile::StatCache::Open(cache_dir + "/statcache"));
//   struct stat st = ...;
//   if (std::optional<FileFacts> f = cache->Lookup(st)) use f->digest;
//   else { hash the file; cache->Insert(st, facts, now); }
//
// Trust rule: Insert refuses a file whose mtime or ctime is within kRacyWindow of now (the
// filesystem's timestamp granularity plus margin): such a file could change again without its
// timestamps changing, so it is always re-hashed. ctime cannot be set by users, so a same-size
// edit with the mtime set back still changes the signature.
//
// File format (little-endian): header := magic:"ZCSC" version:u32 slot_count:u32 slot_size:u32
// reserved:u8[48] (64 bytes), then slot_count slots of 96 bytes:
//   dev:u64 ino:u64 size:i64 mtime_ns:i64 ctime_ns:i64 digest:u8[32] flags:u32 reserved:u32
//   checksum:u64 (XXH3-64 of the 80 bytes before it)
// Slots are found by hashing (dev, ino) and probing 4 neighbours. Writers from many processes
// may race on a slot; a reader accepts a slot only if its checksum holds and its signature equals
// the file's, so a torn slot reads as a miss. A file with a wrong header is replaced.
//
// Thread-safe (lock-free); multi-process-safe.
#ifndef ZCWRAP_CACHECORE_COMPILE_STAT_CACHE_H_
#define ZCWRAP_CACHECORE_COMPILE_STAT_CACHE_H_

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cachecore/util/sha256.h"
#include "cachecore/util/shared_table.h"

namespace zc::compile {

struct FileFacts {
  util::Digest digest;
  uint32_t flags = 0;  // SourceScan flags (source_scan.h)
};

class StatCache {
 public:
  // 2: flags gained kUsesFileMacros (an older table would say "no __FILE__" for every file).
  static constexpr uint32_t kVersion = 3;  // 3: kUsesAssemblerInclude in the flags
  static constexpr uint32_t kSlotCount = 1 << 16;
  static constexpr uint32_t kSlotSize = 96;
  static constexpr size_t kHeaderSize = 64;
  static constexpr size_t kFileSize = kHeaderSize + size_t{kSlotCount} * kSlotSize;
  // Files younger than this (by mtime or ctime) are never cached.
  static constexpr int64_t kRacyWindowNs = 2'000'000'000;

  // Opens or creates the table at `path`.
  static absl::StatusOr<std::unique_ptr<StatCache>> Open(const std::string& path);
  // A private, in-memory table (tests, or when the file cannot be used).
  static std::unique_ptr<StatCache> InMemory();
  ~StatCache();
  StatCache(const StatCache&) = delete;
  StatCache& operator=(const StatCache&) = delete;

  std::optional<FileFacts> Lookup(const struct stat& st) const;
  // Records `facts` for the file version `st`, unless it is too young relative to `now_ns`.
  // Returns whether it was recorded.
  bool Insert(const struct stat& st, const FileFacts& facts, int64_t now_ns);

 private:
  explicit StatCache(util::SharedTable table) : table_(std::move(table)) {}
  unsigned char* SlotAt(size_t index) const;

  util::SharedTable table_;
};

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_STAT_CACHE_H_
