#include "cachecore/store/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/file_lock.h"
#include "cachecore/util/scoped_dir.h"
#include "cachecore/util/scoped_fd.h"
#include "cachecore/util/status_macros.h"

namespace zc::store {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
// Cleanup of a shard stops at this share of its limit, so it runs once per ~10% of growth.
constexpr double kAutoCleanupFraction = 0.9;
// Temporary files older than this belong to a writer that died.
constexpr time_t kStaleTempSeconds = 3600;
// An entry file name: the 62 hex digits after the two directory levels, plus the suffix.
constexpr size_t kEntryNameLength = 63;

char SuffixFor(EntryType type) {
  switch (type) {
    case EntryType::kManifest: return 'M';
    case EntryType::kExplain: return 'E';
    case EntryType::kResult: break;
  }
  return 'R';
}

int ShardOf(const Key& key) { return key.bytes[0] >> 4; }

struct FileInfo {
  std::string path;
  uint64_t size;
  struct timespec mtime;
};

bool IsEntryName(absl::string_view name) {
  return name.size() == kEntryNameLength &&
         (name.back() == 'R' || name.back() == 'M' || name.back() == 'E');
}

// Directories outside the shards where the cache's users leave temporary files when killed (a
// compile's private dependency file, a compiler memo, the stat cache, a tier's state file being
// written); "" is the root. Swept with shard 0.
constexpr const char* kTempDirs[] = {"", "tmp", "compilers", "remote"};

// Removes the temporary files in <root>/<name> older than kStaleTempSeconds. Never follows a
// link below the root, and removes only regular files named as temporary ones.
void RemoveStaleTempFiles(const std::string& root, absl::string_view name, time_t now) {
  const std::string dir = name.empty() ? root : absl::StrCat(root, "/", name);
  const int fd =
      ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (name.empty() ? 0 : O_NOFOLLOW));
  if (fd < 0) return;
  util::ScopedDir d(::fdopendir(fd));
  if (!d.valid()) {
    ::close(fd);
    return;
  }
  while (struct dirent* de = ::readdir(d.get())) {
    if (absl::string_view(de->d_name).find(util::AtomicFile::kTempMarker) ==
        absl::string_view::npos) {
      continue;
    }
    struct stat st;
    if (::fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        now - st.st_mtim.tv_sec > kStaleTempSeconds) {
      ::unlinkat(fd, de->d_name, 0);
    }
  }
}

}  // namespace

LocalStore::LocalStore(StoreOptions options, std::unique_ptr<stats::StatsFile> stats)
    : options_(std::move(options)),
      max_size_(options_.max_size),
      max_files_(options_.max_files),
      compression_level_(options_.compression_level),
      stats_(std::move(stats)) {}

absl::StatusOr<std::unique_ptr<LocalStore>> LocalStore::Open(StoreOptions options) {
  if (options.root.empty()) return absl::InvalidArgumentError("empty cache directory");
  // A cache directory zcwrap creates is private (0700): its entries hold the user's compiled
  // code. A shared cache is a directory made beforehand with the group's permissions.
  ZC_RETURN_IF_ERROR(util::CreateDirectories(options.root, 0700));
  ZC_ASSIGN_OR_RETURN(std::unique_ptr<stats::StatsFile> stats,
                      stats::StatsFile::Open(util::JoinPath(options.root, "stats")));
  return std::unique_ptr<LocalStore>(new LocalStore(std::move(options), std::move(stats)));
}

void LocalStore::SetLimits(uint64_t max_size, uint64_t max_files) {
  max_size_.store(max_size, std::memory_order_relaxed);
  max_files_.store(max_files, std::memory_order_relaxed);
}

void LocalStore::SetCompressionLevel(int level) {
  compression_level_.store(level, std::memory_order_relaxed);
}

std::string LocalStore::PathFor(const Key& key, EntryType type) const {
  std::string hex = key.ToHex();
  std::string path;
  path.reserve(options_.root.size() + 70);
  absl::StrAppend(&path, options_.root, "/", hex.substr(0, 1), "/", hex.substr(1, 1), "/",
                  hex.substr(2));
  path.push_back(SuffixFor(type));
  return path;
}

absl::Status LocalStore::Put(const Key& key, const Entry& entry, std::string* encoded_out) {
  ZC_ASSIGN_OR_RETURN(std::string encoded,
                      EncodeEntry(entry, compression_level_.load(std::memory_order_relaxed)));
  ZC_RETURN_IF_ERROR(PutEncoded(key, entry.type, encoded));
  if (encoded_out != nullptr) *encoded_out = std::move(encoded);
  return absl::OkStatus();
}

absl::Status LocalStore::PutEncoded(const Key& key, EntryType type, absl::string_view encoded) {
  const std::string path = PathFor(key, type);
  // The shard directories, made if missing; a link planted in their place is refused, not
  // written through.
  const absl::string_view shard_dir = util::Dirname(path);
  ZC_RETURN_IF_ERROR(
      util::CreateDirectoriesBelow(options_.root, shard_dir.substr(options_.root.size())));
  absl::StatusOr<util::AtomicFile> file = util::AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  ZC_RETURN_IF_ERROR(file->Write(encoded));

  // Publish without replacing first: exactly one of several concurrent writers of a new key
  // creates the file and counts it, the others replace it and count only the size change.
  const int shard = ShardOf(key);
  const int64_t added = static_cast<int64_t>(encoded.size());
  ZC_ASSIGN_OR_RETURN(const bool created, file->CommitIfAbsent());
  if (created) {
    stats_->AddShardUsage(shard, added, 1);
  } else {
    struct stat old;
    const int64_t old_size = ::stat(path.c_str(), &old) == 0 ? old.st_size : 0;
    ZC_RETURN_IF_ERROR(file->Commit());
    stats_->AddShardUsage(shard, added - old_size, 0);
  }
  stats_->Increment(stats::Counter::kLocalStorageWrite);
  {
    std::lock_guard<std::mutex> lock(published_mu_);
    if (track_published_) published_.push_back(path);
  }
  MaybeCleanShard(shard);
  return absl::OkStatus();
}

void LocalStore::TrackPublished() {
  std::lock_guard<std::mutex> lock(published_mu_);
  track_published_ = true;
}

std::vector<std::string> LocalStore::TakePublished() {
  std::vector<std::string> paths;
  {
    std::lock_guard<std::mutex> lock(published_mu_);
    paths.swap(published_);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

absl::StatusOr<std::optional<Entry>> LocalStore::Get(const Key& key, EntryType type) {
  const std::string path = PathFor(key, type);
  absl::StatusOr<util::ScopedFd> opened = util::OpenRegularFile(path, util::Links::kRefuse);
  if (!opened.ok()) {
    if (absl::IsNotFound(opened.status())) return std::optional<Entry>();
    if (absl::IsFailedPrecondition(opened.status())) {
      // A symbolic link, FIFO or the like where an entry belongs: never followed or read, counted
      // as corrupt and removed (unlink removes the link itself), so the next store can publish.
      stats_->Increment(stats::Counter::kCorruptCacheEntry);
      ::unlink(path.c_str());
      return absl::DataLossError(opened.status().message());
    }
    return opened.status();
  }
  const util::ScopedFd fd = std::move(*opened);
  absl::StatusOr<std::string> data = util::ReadAll(fd.get());
  if (!data.ok()) return util::Annotate(data.status(), path);

  absl::StatusOr<Entry> entry = DecodeEntry(*data);
  if (entry.ok() && entry->type != type) {
    entry = absl::DataLossError("corrupt cache entry: wrong entry type");
  }
  if (!entry.ok()) {
    stats_->Increment(stats::Counter::kCorruptCacheEntry);
    // Remove the bad file unless a writer has replaced it since we opened it.
    struct stat ours, now;
    if (::fstat(fd.get(), &ours) == 0 && ::stat(path.c_str(), &now) == 0 &&
        ours.st_ino == now.st_ino && ours.st_dev == now.st_dev && ::unlink(path.c_str()) == 0) {
      stats_->AddShardUsage(ShardOf(key), -static_cast<int64_t>(ours.st_size), -1);
    }
    return util::Annotate(entry.status(), path);
  }
  // Least-recently-used order for cleanup: a hit makes the file young again.
  ::futimens(fd.get(), nullptr);
  return std::optional<Entry>(std::move(*entry));
}

void LocalStore::MarkUsed(const std::string& path, const struct stat& st) const {
  const int64_t now_s = options_.clock->CoarseNs() / 1'000'000'000;
  if (now_s - st.st_mtim.tv_sec > 600) ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
}

absl::Status LocalStore::Remove(const Key& key, EntryType type) {
  const std::string path = PathFor(key, type);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? absl::OkStatus() : util::ErrnoToStatus(errno, path);
  }
  if (::unlink(path.c_str()) != 0) {
    return errno == ENOENT ? absl::OkStatus() : util::ErrnoToStatus(errno, path);
  }
  stats_->AddShardUsage(ShardOf(key), -static_cast<int64_t>(st.st_size), -1);
  return absl::OkStatus();
}

LocalStore::ShardTarget LocalStore::TargetFor(double fraction) const {
  const uint64_t max_size = max_size_.load(std::memory_order_relaxed);
  const uint64_t max_files = max_files_.load(std::memory_order_relaxed);
  ShardTarget target;
  auto share = [&](uint64_t limit) -> uint64_t {
    if (limit == 0) return 0;
    double v = static_cast<double>(limit) / stats::kShardCount * fraction;
    return std::max<uint64_t>(1, static_cast<uint64_t>(v));
  };
  target.max_bytes = share(max_size);
  target.max_files = share(max_files);
  return target;
}

void LocalStore::MaybeCleanShard(int shard) {
  const ShardTarget limit = TargetFor(1.0);
  const stats::ShardUsage usage = stats_->GetShardUsage(shard);
  const bool over = (limit.max_bytes != 0 && usage.bytes > limit.max_bytes) ||
                    (limit.max_files != 0 && usage.files > limit.max_files);
  if (!over) return;
  // Best effort: a failed cleanup leaves the cache a little too big, never the build broken.
  (void)CleanShard(shard, TargetFor(kAutoCleanupFraction), /*wait_for_lock=*/false);
}

absl::StatusOr<CleanupResult> LocalStore::CleanShard(int shard, const ShardTarget& target,
                                                     bool wait_for_lock) {
  const std::string shard_dir = absl::StrCat(options_.root, "/", std::string(1, kHexDigits[shard]));
  // Never a link: cleanup deletes what it finds there.
  ZC_RETURN_IF_ERROR(
      util::CreateDirectoriesBelow(options_.root, std::string(1, kHexDigits[shard])));
  const std::string lock_path = shard_dir + "/lock";
  std::optional<util::FileLock> lock;
  if (wait_for_lock) {
    ZC_ASSIGN_OR_RETURN(util::FileLock held, util::FileLock::Acquire(lock_path));
    lock.emplace(std::move(held));
  } else {
    // Not ZC_ASSIGN_OR_RETURN: gcc 12 with -fsanitize=address wrongly finds the moved-from
    // optional's fd "maybe uninitialized" there (-Werror).
    absl::StatusOr<std::optional<util::FileLock>> held = util::FileLock::TryAcquire(lock_path);
    if (!held.ok()) return held.status();
    if (!held->has_value()) return CleanupResult{};  // someone else is cleaning this shard
    lock = std::move(*held);
  }

  const stats::StatsFile::SignedUsage tally_before = stats_->RawShardUsage(shard);
  const time_t now = static_cast<time_t>(options_.clock->RealNs() / 1'000'000'000);
  if (shard == 0) {
    for (const char* name : kTempDirs) RemoveStaleTempFiles(options_.root, name, now);
  }
  std::vector<FileInfo> files;
  uint64_t scanned_bytes = 0;
  for (int sub = 0; sub < 16; ++sub) {
    const std::string dir = absl::StrCat(shard_dir, "/", std::string(1, kHexDigits[sub]));
    util::ScopedDir d(::opendir(dir.c_str()));
    if (!d.valid()) continue;
    while (struct dirent* de = ::readdir(d.get())) {
      absl::string_view name = de->d_name;
      struct stat st;
      if (::fstatat(::dirfd(d.get()), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          !S_ISREG(st.st_mode)) {
        continue;
      }
      std::string path = absl::StrCat(dir, "/", name);
      if (name.find(util::AtomicFile::kTempMarker) != absl::string_view::npos) {
        // Even Clear() leaves young ones alone: they belong to writes still in flight.
        if (now - st.st_mtim.tv_sec > kStaleTempSeconds) ::unlink(path.c_str());
        continue;
      }
      if (!IsEntryName(name)) continue;
      scanned_bytes += static_cast<uint64_t>(st.st_size);
      files.push_back(FileInfo{std::move(path), static_cast<uint64_t>(st.st_size), st.st_mtim});
    }
  }

  std::sort(files.begin(), files.end(), [](const FileInfo& a, const FileInfo& b) {
    if (a.mtime.tv_sec != b.mtime.tv_sec) return a.mtime.tv_sec < b.mtime.tv_sec;
    return a.mtime.tv_nsec < b.mtime.tv_nsec;
  });
  CleanupResult result;
  uint64_t bytes = scanned_bytes;
  uint64_t count = files.size();
  for (const FileInfo& f : files) {
    const bool over = target.remove_all || (target.max_bytes != 0 && bytes > target.max_bytes) ||
                      (target.max_files != 0 && count > target.max_files) ||
                      f.mtime.tv_sec < target.unused_before;
    if (!over) break;
    if (::unlink(f.path.c_str()) != 0 && errno != ENOENT) continue;
    bytes -= f.size;
    --count;
    result.bytes_removed += f.size;
    ++result.files_removed;
  }
  result.bytes_remaining = bytes;
  result.files_remaining = count;

  // Replace the tally's view of this shard with what is really there, keeping any additions that
  // other processes made while we scanned.
  stats_->AddShardUsage(shard, static_cast<int64_t>(bytes) - tally_before.bytes,
                        static_cast<int64_t>(count) - tally_before.files);
  if (result.files_removed > 0 && !target.remove_all) {
    stats_->Increment(stats::Counter::kCleanupsPerformed);
    stats_->Increment(stats::Counter::kFilesEvicted, result.files_removed);
  }
  return result;
}

absl::StatusOr<CleanupResult> LocalStore::CleanEveryShard(const ShardTarget& target) {
  CleanupResult total;
  for (int shard = 0; shard < stats::kShardCount; ++shard) {
    ZC_ASSIGN_OR_RETURN(const CleanupResult r, CleanShard(shard, target, /*wait_for_lock=*/true));
    total.files_removed += r.files_removed;
    total.bytes_removed += r.bytes_removed;
    total.files_remaining += r.files_remaining;
    total.bytes_remaining += r.bytes_remaining;
  }
  return total;
}

absl::StatusOr<CleanupResult> LocalStore::Cleanup(double fraction) {
  return CleanEveryShard(TargetFor(fraction));
}

absl::StatusOr<CleanupResult> LocalStore::EvictOlderThan(int64_t age_seconds) {
  ShardTarget target;
  target.unused_before = static_cast<int64_t>(options_.clock->RealNs() / 1'000'000'000) -
                         std::max<int64_t>(0, age_seconds);
  return CleanEveryShard(target);
}

absl::StatusOr<CleanupResult> LocalStore::Clear() {
  ShardTarget all;
  all.remove_all = true;
  return CleanEveryShard(all);
}

}  // namespace zc::store
