// What a remote tier holds for one cache entry: its name there, and the value, which is the local
// store's entry file (store/entry_format.h), optionally sealed with an HMAC.
//
//   const std::string name = zc::remote::RemoteName(key, zc::store::EntryType::kResult);
//   std::string value = zc::remote::Seal(entry_file, name, secret);     // secret may be empty
//   absl::StatusOr<zc::remote::Opened> got = zc::remote::Unseal(value, name, type, secret);
//
// Name: hex(SHA-256("zcwrap-remote-1" NUL type key)): 64 hex digits that every layout accepts
// (bazel-remote's action cache wants exactly that), one per entry type, and a new namespace if
// the format ever changes.
//
// Value (documented in docs/formats.md, "Remote values"):
//   unsigned := entry file
//   signed   := magic:"ZCWG" version:u8=1 reserved:u8[3] hmac:u8[32] entry file
// where hmac = HMAC-SHA256(secret, name || entry file). The name is inside the MAC, so a signed
// value copied under another key (another source's result) is rejected like a forged one.
//
// Unseal checks everything before the caller may store or use the value: with a secret, the MAC
// (Unauthenticated if the value is unsigned or the MAC is wrong); always, the entry's checksum,
// format and type (DataLoss). The secret is never in a message.
#ifndef ZCWRAP_CACHECORE_REMOTE_REMOTE_ENTRY_H_
#define ZCWRAP_CACHECORE_REMOTE_REMOTE_ENTRY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/store/entry_format.h"
#include "cachecore/util/sha256.h"

namespace zc::remote {

inline constexpr char kSealMagic[4] = {'Z', 'C', 'W', 'G'};
inline constexpr uint8_t kSealVersion = 1;
inline constexpr size_t kSealHeaderSize = 8 + 32;

std::string RemoteName(const util::Digest& key, store::EntryType type);

// `entry_file` as a remote value: signed when `secret` is non-empty.
std::string Seal(absl::string_view entry_file, absl::string_view name, absl::string_view secret);

struct Opened {
  store::Entry entry;
  std::string file;  // the entry file, to store locally as it is
};
absl::StatusOr<Opened> Unseal(absl::string_view value, absl::string_view name,
                              store::EntryType type, absl::string_view secret);

}  // namespace zc::remote

#endif  // ZCWRAP_CACHECORE_REMOTE_REMOTE_ENTRY_H_
