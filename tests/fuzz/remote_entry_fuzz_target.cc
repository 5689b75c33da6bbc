#include "tests/fuzz/remote_entry_fuzz_target.h"

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "cachecore/remote/remote_entry.h"
#include "cachecore/store/entry_format.h"
#include "tests/fuzz/entry_format_fuzz_target.h"

namespace zc::fuzz {
namespace {

constexpr absl::string_view kSecret = "fuzz-shared-secret";

// `opened`, if it opened, holds exactly `file`, decoded, of the type asked for.
void CheckOpened(const absl::StatusOr<remote::Opened>& opened, absl::string_view file,
                 store::EntryType type) {
  if (!opened.ok()) return;
  if (opened->file != file || opened->entry.type != type) __builtin_trap();
  absl::StatusOr<store::Entry> entry = store::DecodeEntry(file);
  if (!entry.ok() || !SameEntry(*entry, opened->entry)) __builtin_trap();
}

// The entry file inside `value` as Unseal reads it.
absl::string_view FileIn(absl::string_view value) {
  if (value.size() >= remote::kSealHeaderSize &&
      value.substr(0, 4) == absl::string_view(remote::kSealMagic, 4)) {
    return value.substr(remote::kSealHeaderSize);
  }
  return value;
}

void CheckValue(absl::string_view value, absl::string_view name, absl::string_view other_name,
                store::EntryType type) {
  // As it came: with a secret only a value signed with it opens, which the fuzzer cannot make.
  if (remote::Unseal(value, name, type, kSecret).ok()) __builtin_trap();
  CheckOpened(remote::Unseal(value, name, type, ""), FileIn(value), type);

  // Signed here: opens exactly when the entry inside is good, and only under its own name.
  const std::string sealed = remote::Seal(value, name, kSecret);
  absl::StatusOr<remote::Opened> opened = remote::Unseal(sealed, name, type, kSecret);
  absl::StatusOr<store::Entry> entry = store::DecodeEntry(value);
  if (opened.ok() != (entry.ok() && entry->type == type)) __builtin_trap();
  CheckOpened(opened, value, type);
  if (remote::Unseal(sealed, other_name, type, kSecret).ok()) __builtin_trap();
}

}  // namespace

void FuzzRemoteEntryOnce(const uint8_t* data, size_t size) {
  if (size == 0) return;
  // 0 is no entry type: nothing may open as it.
  const auto type = static_cast<store::EntryType>(data[0] & 3);
  absl::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
  util::Digest key{};
  const std::string name = remote::RemoteName(key, type);
  const std::string other_name = remote::RemoteName(key, store::EntryType::kResult) == name
                                     ? remote::RemoteName(key, store::EntryType::kManifest)
                                     : remote::RemoteName(key, store::EntryType::kResult);
  CheckValue(value, name, other_name, type);
  if (std::optional<std::string> fixed = WithEntryChecksum(value)) {
    CheckValue(*fixed, name, other_name, type);
  }
}

}  // namespace zc::fuzz
