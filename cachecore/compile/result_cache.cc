#include "cachecore/compile/result_cache.h"

#include <sys/stat.h>

namespace zc::compile {

ResultCache::ResultCache(store::LocalStore& store, size_t memory_bytes) : store_(store) {
  if (memory_bytes > 0) memory_ = std::make_unique<MemoryCache<store::Entry>>(memory_bytes);
}

std::shared_ptr<const store::Entry> ResultCache::Load(const util::Digest& key,
                                                      remote::RemoteStorage* remote, bool may_write,
                                                      std::string* from) {
  const std::string path = store_.PathFor(key, store::EntryType::kResult);
  struct stat st;
  if (memory_ != nullptr) {
    if (::stat(path.c_str(), &st) != 0)
      return remote ? LoadRemote(key, *remote, may_write, from) : nullptr;
    if (std::shared_ptr<const store::Entry> known = memory_->Find(path, st)) {
      store_.MarkUsed(path, st);
      return known;
    }
  }
  absl::StatusOr<std::optional<store::Entry>> got = store_.Get(key, store::EntryType::kResult);
  if (!got.ok() || !got->has_value()) {
    return remote ? LoadRemote(key, *remote, may_write, from) : nullptr;
  }
  auto shared = std::make_shared<const store::Entry>(std::move(**got));
  if (memory_ != nullptr) memory_->Insert(path, st, shared, shared->DataSize());
  return shared;
}

std::shared_ptr<const store::Entry> ResultCache::LoadRemote(const util::Digest& key,
                                                            remote::RemoteStorage& remote,
                                                            bool may_write, std::string* from) {
  std::optional<remote::Fetched> fetched = remote.Get(key, store::EntryType::kResult);
  if (!fetched) return nullptr;
  // Already verified whole (remote_entry.h): stored as it came, not re-encoded.
  if (may_write) (void)store_.PutEncoded(key, store::EntryType::kResult, fetched->opened.file);
  if (from != nullptr) *from = fetched->tier;
  return std::make_shared<const store::Entry>(std::move(fetched->opened.entry));
}

absl::Status ResultCache::Put(const util::Digest& key, const store::Entry& entry,
                              remote::RemoteStorage* remote) {
  std::string encoded;
  if (absl::Status s = store_.Put(key, entry, &encoded); !s.ok()) return s;
  if (remote != nullptr) remote->Put(key, store::EntryType::kResult, encoded);
  return absl::OkStatus();
}

}  // namespace zc::compile
