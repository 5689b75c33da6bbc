// StatsFile: persistent counters shared by every process using one cache directory, exact under
// any number of concurrent writers and safe against a crash or kill at any instant.
//
//   ZC_ASSIGN_OR_RETURN(auto stats, zc::stats::StatsFile::Open(cache_dir + "/stats"));
//   stats->Increment(zc::stats::Counter::kCacheMiss);
//   zc::stats::Snapshot now = stats->Read();
//
// How: the file is a fixed-size array of 64-bit slots mapped MAP_SHARED into every process; an
// update is one atomic add on the mapped page, so there is no lock, no read-modify-write race and
// no torn write (a killed process either did its add or did not). The kernel writes the page back;
// only a machine crash can lose recent increments.
//
// File format (little-endian, documented in docs/formats.md):
//   header := magic:"ZCWS" version:u32 slot_count:u32 reserved:u8[52]      (64 bytes)
//   slots  := u64 * slot_count
//             [0, 128)    counters, by Counter value
//             [128, 144)  bytes stored in each of the 16 store shards
//             [144, 160)  files stored in each of the 16 store shards
// A missing file is created (fully initialised before it appears, via link(2)); a file with a
// wrong magic, version or size is replaced by a zeroed one.
//
// Thread-safe. The mapping stays valid for the object's lifetime.
#ifndef ZCWRAP_CACHECORE_STATS_STATS_FILE_H_
#define ZCWRAP_CACHECORE_STATS_STATS_FILE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cachecore/stats/counter.h"
#include "cachecore/util/shared_table.h"

namespace zc::stats {

inline constexpr int kShardCount = 16;

struct ShardUsage {
  uint64_t bytes = 0;
  uint64_t files = 0;
};

struct Snapshot {
  std::array<uint64_t, kCounterSlots> counters{};
  std::array<ShardUsage, kShardCount> shards{};

  uint64_t Get(Counter c) const { return counters[static_cast<size_t>(c)]; }
  uint64_t TotalBytes() const;
  uint64_t TotalFiles() const;
};

// Every counter by its name, plus cache_size_kibibyte and files_in_cache, sorted by name: what
// `zcwrap --print-stats` prints.
std::vector<std::pair<std::string, uint64_t>> NamedValues(const Snapshot& snapshot);
// The same as one JSON object.
std::string NamedValuesJson(const Snapshot& snapshot);

class StatsFile {
 public:
  static constexpr uint32_t kVersion = 1;
  static constexpr uint32_t kSlotCount = 256;
  static constexpr size_t kHeaderSize = 64;
  static constexpr size_t kFileSize = kHeaderSize + kSlotCount * 8;

  // Opens (creating if needed) the stats file at `path`; its directory must exist.
  static absl::StatusOr<std::unique_ptr<StatsFile>> Open(const std::string& path);
  ~StatsFile();
  StatsFile(const StatsFile&) = delete;
  StatsFile& operator=(const StatsFile&) = delete;

  void Increment(Counter counter, uint64_t by = 1);
  uint64_t Get(Counter counter) const;
  // Sets the "updated" timestamp slot to now (seconds since the epoch).
  void Touch();

  // Adds (possibly negative) amounts to a shard's usage tally. Tallies can drift a little (a
  // process killed between publishing a file and counting it); cleanup re-measures and corrects.
  void AddShardUsage(int shard, int64_t bytes, int64_t files);
  ShardUsage GetShardUsage(int shard) const;
  // The tally as signed numbers, without clamping drift below zero (for cleanup's correction).
  struct SignedUsage {
    int64_t bytes = 0;
    int64_t files = 0;
  };
  SignedUsage RawShardUsage(int shard) const;

  Snapshot Read() const;
  // Writes the counters back to the file now (msync), for a durable flush.
  absl::Status Sync();
  // Zeroes every counter except the shard tallies, and records when.
  void ZeroCounters();
  // Sets every shard tally to zero (after the store was cleared).
  void ZeroShardUsage();

  const std::string& path() const { return path_; }

 private:
  StatsFile(std::string path, util::SharedTable table)
      : path_(std::move(path)), table_(std::move(table)) {}
  uint64_t* Slot(size_t index) const;
  uint64_t Load(size_t index) const;

  std::string path_;
  util::SharedTable table_;
};

}  // namespace zc::stats

#endif  // ZCWRAP_CACHECORE_STATS_STATS_FILE_H_
