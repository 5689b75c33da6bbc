#include "cachecore/compile/result_cache.h"

#include <sys/stat.h>

namespace zc::compile {

ResultCache::ResultCache(store::LocalStore& store, size_t memory_bytes) : store_(store) {
  if (memory_bytes > 0) memory_ = std::make_unique<MemoryCache<store::Entry>>(memory_bytes);
}

std::shared_ptr<const store::Entry> ResultCache::Load(const util::Digest& key) {
  const std::string path = store_.PathFor(key, store::EntryType::kResult);
  struct stat st;
  if (memory_ != nullptr) {
    if (::stat(path.c_str(), &st) != 0) return nullptr;
    if (std::shared_ptr<const store::Entry> known = memory_->Find(path, st)) {
      store_.MarkUsed(path, st);
      return known;
    }
  }
  absl::StatusOr<std::optional<store::Entry>> got = store_.Get(key, store::EntryType::kResult);
  if (!got.ok() || !got->has_value()) return nullptr;
  auto shared = std::make_shared<const store::Entry>(std::move(**got));
  if (memory_ != nullptr) memory_->Insert(path, st, shared, shared->DataSize());
  return shared;
}

absl::Status ResultCache::Put(const util::Digest& key, const store::Entry& entry) {
  return store_.Put(key, entry);
}

}  // namespace zc::compile
