#include "cachecore/stats/stats_file.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "cachecore/util/byte_io.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/json.h"
#include "cachecore/util/status_macros.h"

namespace zc::stats {
namespace {

constexpr char kMagic[4] = {'Z', 'C', 'W', 'S'};
constexpr size_t kShardBytesSlot = 128;
constexpr size_t kShardFilesSlot = 144;

// What a valid stats file starts with; the rest of a fresh one is zeros.
std::string Header() {
  std::string header;
  util::ByteWriter w(&header);
  w.Bytes(absl::string_view(kMagic, sizeof(kMagic)));
  w.U32(StatsFile::kVersion);
  w.U32(StatsFile::kSlotCount);
  return header;
}

}  // namespace

uint64_t Snapshot::TotalBytes() const {
  uint64_t total = 0;
  for (const ShardUsage& s : shards) total += s.bytes;
  return total;
}

uint64_t Snapshot::TotalFiles() const {
  uint64_t total = 0;
  for (const ShardUsage& s : shards) total += s.files;
  return total;
}

absl::StatusOr<std::unique_ptr<StatsFile>> StatsFile::Open(const std::string& path) {
  ZC_ASSIGN_OR_RETURN(util::SharedTable table, util::SharedTable::Open(path, Header(), kFileSize));
  return std::unique_ptr<StatsFile>(new StatsFile(path, std::move(table)));
}

StatsFile::~StatsFile() = default;

absl::Status StatsFile::Sync() { return table_.Sync(); }

std::vector<std::pair<std::string, uint64_t>> NamedValues(const Snapshot& snapshot) {
  std::vector<std::pair<std::string, uint64_t>> rows;
  for (const CounterInfo& info : AllCounters()) {
    rows.emplace_back(std::string(info.name), snapshot.Get(info.counter));
  }
  rows.emplace_back("cache_size_kibibyte", snapshot.TotalBytes() / 1024);
  rows.emplace_back("files_in_cache", snapshot.TotalFiles());
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::string NamedValuesJson(const Snapshot& snapshot) {
  util::JsonObject o;
  for (const auto& [name, value] : NamedValues(snapshot)) o.Add(name, value);
  return o.Take();
}

uint64_t* StatsFile::Slot(size_t index) const {
  return reinterpret_cast<uint64_t*>(table_.data() + kHeaderSize) + index;
}

uint64_t StatsFile::Load(size_t index) const {
  return std::atomic_ref<uint64_t>(*Slot(index)).load(std::memory_order_relaxed);
}

void StatsFile::Increment(Counter counter, uint64_t by) {
  std::atomic_ref<uint64_t>(*Slot(static_cast<size_t>(counter)))
      .fetch_add(by, std::memory_order_relaxed);
}

uint64_t StatsFile::Get(Counter counter) const { return Load(static_cast<size_t>(counter)); }

void StatsFile::Touch() {
  std::atomic_ref<uint64_t>(*Slot(static_cast<size_t>(Counter::kStatsUpdatedTimestamp)))
      .store(static_cast<uint64_t>(std::time(nullptr)), std::memory_order_relaxed);
}

void StatsFile::AddShardUsage(int shard, int64_t bytes, int64_t files) {
  if (shard < 0 || shard >= kShardCount) return;
  auto s = static_cast<size_t>(shard);
  std::atomic_ref<uint64_t>(*Slot(kShardBytesSlot + s))
      .fetch_add(static_cast<uint64_t>(bytes), std::memory_order_relaxed);
  std::atomic_ref<uint64_t>(*Slot(kShardFilesSlot + s))
      .fetch_add(static_cast<uint64_t>(files), std::memory_order_relaxed);
}

ShardUsage StatsFile::GetShardUsage(int shard) const {
  if (shard < 0 || shard >= kShardCount) return {};
  auto s = static_cast<size_t>(shard);
  // A tally driven below zero by drift reads as a huge unsigned number: show it as zero.
  auto clamp = [](uint64_t v) { return v > (uint64_t{1} << 62) ? 0 : v; };
  return {clamp(Load(kShardBytesSlot + s)), clamp(Load(kShardFilesSlot + s))};
}

StatsFile::SignedUsage StatsFile::RawShardUsage(int shard) const {
  if (shard < 0 || shard >= kShardCount) return {};
  auto s = static_cast<size_t>(shard);
  return {static_cast<int64_t>(Load(kShardBytesSlot + s)),
          static_cast<int64_t>(Load(kShardFilesSlot + s))};
}

Snapshot StatsFile::Read() const {
  Snapshot snap;
  for (size_t i = 0; i < kCounterSlots; ++i) snap.counters[i] = Load(i);
  for (int s = 0; s < kShardCount; ++s) snap.shards[static_cast<size_t>(s)] = GetShardUsage(s);
  return snap;
}

void StatsFile::ZeroCounters() {
  for (size_t i = 0; i < kCounterSlots; ++i) {
    std::atomic_ref<uint64_t>(*Slot(i)).store(0, std::memory_order_relaxed);
  }
  std::atomic_ref<uint64_t>(*Slot(static_cast<size_t>(Counter::kStatsZeroedTimestamp)))
      .store(static_cast<uint64_t>(std::time(nullptr)), std::memory_order_relaxed);
}

void StatsFile::ZeroShardUsage() {
  for (size_t s = 0; s < static_cast<size_t>(kShardCount); ++s) {
    std::atomic_ref<uint64_t>(*Slot(kShardBytesSlot + s)).store(0, std::memory_order_relaxed);
    std::atomic_ref<uint64_t>(*Slot(kShardFilesSlot + s)).store(0, std::memory_order_relaxed);
  }
}

}  // namespace zc::stats
