#include "cachecore/compile/stat_cache.h"

#include <xxhash.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "cachecore/util/byte_io.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {
namespace {

constexpr char kMagic[4] = {'Z', 'C', 'S', 'C'};
constexpr int kProbes = 4;
// Slot layout offsets.
constexpr size_t kDev = 0, kIno = 8, kSize = 16, kMtime = 24, kCtime = 32, kDigest = 40,
                 kFlags = 72, kChecksum = 80;
static_assert(kChecksum + 8 <= StatCache::kSlotSize);

uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
void Store64(unsigned char* p, uint64_t v) { std::memcpy(p, &v, 8); }

// The table is shared by threads (the daemon's, the shim's) as well as processes, so slots in it
// are read and written a word at a time, atomically (relaxed: a slot is a value checked by its
// checksum, not a publication of other data; plain copies would be a data race). Slots are 8-byte
// aligned: the mapping is page-aligned, the header and slot sizes are multiples of 8.
std::atomic_ref<uint64_t> SharedWord(const unsigned char* p) {
  return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(const_cast<unsigned char*>(p)));
}
uint64_t LoadShared64(const unsigned char* p) {
  return SharedWord(p).load(std::memory_order_relaxed);
}
void CopyFromShared(unsigned char* to, const unsigned char* slot) {
  for (size_t i = 0; i < StatCache::kSlotSize; i += 8) Store64(to + i, LoadShared64(slot + i));
}
void CopyToShared(unsigned char* slot, const unsigned char* from) {
  for (size_t i = 0; i < StatCache::kSlotSize; i += 8) {
    SharedWord(slot + i).store(Load64(from + i), std::memory_order_relaxed);
  }
}
static_assert(StatCache::kSlotSize % 8 == 0 && StatCache::kHeaderSize % 8 == 0);

std::string FreshHeader() {
  std::string h;
  util::ByteWriter w(&h);
  w.Bytes(absl::string_view(kMagic, 4));
  w.U32(StatCache::kVersion);
  w.U32(StatCache::kSlotCount);
  w.U32(StatCache::kSlotSize);
  h.resize(StatCache::kHeaderSize, '\0');
  return h;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StatCache>> StatCache::Open(const std::string& path) {
  ZC_ASSIGN_OR_RETURN(util::SharedTable table,
                      util::SharedTable::Open(path, FreshHeader(), kFileSize));
  return std::unique_ptr<StatCache>(new StatCache(std::move(table)));
}

std::unique_ptr<StatCache> StatCache::InMemory() {
  absl::StatusOr<util::SharedTable> table = util::SharedTable::InMemory(FreshHeader(), kFileSize);
  if (!table.ok()) return nullptr;
  return std::unique_ptr<StatCache>(new StatCache(std::move(*table)));
}

StatCache::~StatCache() = default;

unsigned char* StatCache::SlotAt(size_t index) const {
  return table_.data() + kHeaderSize + (index % kSlotCount) * kSlotSize;
}

namespace {

size_t HomeSlot(const struct stat& st) {
  uint64_t key[2] = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  return static_cast<size_t>(XXH3_64bits(key, sizeof(key)));
}

void Encode(const struct stat& st, const FileFacts& facts, unsigned char* slot) {
  Store64(slot + kDev, static_cast<uint64_t>(st.st_dev));
  Store64(slot + kIno, static_cast<uint64_t>(st.st_ino));
  Store64(slot + kSize, static_cast<uint64_t>(st.st_size));
  Store64(slot + kMtime, static_cast<uint64_t>(util::TimespecNs(st.st_mtim)));
  Store64(slot + kCtime, static_cast<uint64_t>(util::TimespecNs(st.st_ctim)));
  std::memcpy(slot + kDigest, facts.digest.bytes.data(), 32);
  uint64_t flags = facts.flags;
  Store64(slot + kFlags, flags);
  Store64(slot + kChecksum, XXH3_64bits(slot, kChecksum));
}

bool Matches(const unsigned char* slot, const struct stat& st) {
  return Load64(slot + kDev) == static_cast<uint64_t>(st.st_dev) &&
         Load64(slot + kIno) == static_cast<uint64_t>(st.st_ino) &&
         Load64(slot + kSize) == static_cast<uint64_t>(st.st_size) &&
         Load64(slot + kMtime) == static_cast<uint64_t>(util::TimespecNs(st.st_mtim)) &&
         Load64(slot + kCtime) == static_cast<uint64_t>(util::TimespecNs(st.st_ctim));
}

}  // namespace

std::optional<FileFacts> StatCache::Lookup(const struct stat& st) const {
  const size_t home = HomeSlot(st);
  for (int i = 0; i < kProbes; ++i) {
    // Copy first: another thread or process may be rewriting the slot while we look.
    unsigned char copy[kSlotSize];
    CopyFromShared(copy, SlotAt(home + static_cast<size_t>(i)));
    if (Load64(copy + kChecksum) != XXH3_64bits(copy, kChecksum)) continue;
    if (!Matches(copy, st)) continue;
    FileFacts facts;
    std::memcpy(facts.digest.bytes.data(), copy + kDigest, 32);
    facts.flags = static_cast<uint32_t>(Load64(copy + kFlags));
    return facts;
  }
  return std::nullopt;
}

bool StatCache::Insert(const struct stat& st, const FileFacts& facts, int64_t now_ns) {
  if (now_ns - util::TimespecNs(st.st_mtim) < kRacyWindowNs ||
      now_ns - util::TimespecNs(st.st_ctim) < kRacyWindowNs) {
    return false;
  }
  const size_t home = HomeSlot(st);
  // Prefer a slot that already holds this inode (an older version), then an empty one, then evict
  // the home slot.
  size_t target = home;
  for (int i = 0; i < kProbes; ++i) {
    unsigned char* slot = SlotAt(home + static_cast<size_t>(i));
    const bool empty = LoadShared64(slot + kChecksum) == 0;
    const bool same_inode = LoadShared64(slot + kDev) == static_cast<uint64_t>(st.st_dev) &&
                            LoadShared64(slot + kIno) == static_cast<uint64_t>(st.st_ino);
    if (same_inode || empty) {
      target = home + static_cast<size_t>(i);
      break;
    }
  }
  unsigned char encoded[kSlotSize] = {};
  Encode(st, facts, encoded);
  CopyToShared(SlotAt(target), encoded);
  return true;
}

}  // namespace zc::compile
