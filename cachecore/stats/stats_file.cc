#include "cachecore/stats/stats_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <algorithm>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/byte_io.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/json.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::stats {
namespace {

constexpr char kMagic[4] = {'Z', 'C', 'W', 'S'};
constexpr size_t kShardBytesSlot = 128;
constexpr size_t kShardFilesSlot = 144;

std::string FreshFileContent() {
  std::string content;
  util::ByteWriter w(&content);
  w.Bytes(absl::string_view(kMagic, sizeof(kMagic)));
  w.U32(StatsFile::kVersion);
  w.U32(StatsFile::kSlotCount);
  content.resize(StatsFile::kFileSize, '\0');
  return content;
}

bool HeaderValid(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) != StatsFile::kFileSize) {
    return false;
  }
  char header[12];
  if (::pread(fd, header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) return false;
  util::ByteReader r(absl::string_view(header, sizeof(header)));
  absl::string_view magic;
  uint32_t version = 0, slots = 0;
  r.Bytes(4, &magic);
  r.U32(&version);
  r.U32(&slots);
  return magic == absl::string_view(kMagic, sizeof(kMagic)) && version == StatsFile::kVersion &&
         slots == StatsFile::kSlotCount;
}

// Publishes a fresh file at `path`. With `replace` it overwrites whatever is there (a corrupt
// file); without, it only creates the file if none exists (link fails on EEXIST, which is fine:
// another process won the race and its file is just as good).
absl::Status PublishFresh(const std::string& path, bool replace) {
  absl::StatusOr<util::AtomicFile> file = util::AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  absl::Status status = file->Write(FreshFileContent());
  if (!status.ok()) return status;
  if (replace) return file->Commit();
  if (::link(file->temp_path().c_str(), path.c_str()) != 0 && errno != EEXIST) {
    return util::ErrnoToStatus(errno, path);
  }
  return absl::OkStatus();  // the destructor removes the temporary name
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
  for (int attempt = 0; attempt < 4; ++attempt) {
    util::ScopedFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno != ENOENT) return util::ErrnoToStatus(errno, path);
      absl::Status status = PublishFresh(path, /*replace=*/false);
      if (!status.ok()) return status;
      continue;
    }
    if (!HeaderValid(fd.get())) {
      absl::Status status = PublishFresh(path, /*replace=*/true);
      if (!status.ok()) return status;
      continue;
    }
    void* map = ::mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) return util::ErrnoToStatus(errno, absl::StrCat("mmap ", path));
    return std::unique_ptr<StatsFile>(new StatsFile(path, map));
  }
  return absl::UnavailableError(absl::StrCat(path, ": could not open a valid stats file"));
}

StatsFile::~StatsFile() { ::munmap(map_, kFileSize); }

absl::Status StatsFile::Sync() {
  if (::msync(map_, kFileSize, MS_SYNC) != 0) return util::ErrnoToStatus(errno, "msync " + path_);
  return absl::OkStatus();
}

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
  return reinterpret_cast<uint64_t*>(static_cast<char*>(map_) + kHeaderSize) + index;
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
