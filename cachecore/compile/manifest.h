// Manifest: the direct-mode index. Under a key computed before preprocessing (compiler, arguments,
// source content, cwd, environment) it lists up to kMaxRecords recorded header sets, newest first;
// each record names every file the compile read with its content digest, the include guard that
// proves no header would now be found elsewhere (include_guard.h), and the result key.
//
//   zc::compile::Manifest m = ...DecodeManifest(payload)...;
//   m.AddRecord(std::move(record));               // newest first, bounded
//   std::string payload = zc::compile::EncodeManifest(m);
//
// Manifests travel inside a store entry of type kManifest (one kManifest payload), so they get the
// entry format's versioning, compression and checksum. Payload grammar (little-endian):
//   manifest := version:u32 record_count:u32 record*
//   record   := result_key:u8[32] file_count:u32 file* watch_count:u32 watch*
//   file     := path_len:u32 path digest:u8[32] dev:u64 ino:u64 size:i64 mtime_ns:i64
//               ctime_ns:i64 trust:u8
//   watch    := dir_len:u32 dir dev:u64 ino:u64 mtime_ns:i64 ctime_ns:i64 trust:u8
//               names_len:u32 names          (names parsed lazily, see DirWatch::Names)
//   names    := name_count:u32 (name_len:u32 name exists:u8)*
#ifndef ZCWRAP_CACHECORE_COMPILE_MANIFEST_H_
#define ZCWRAP_CACHECORE_COMPILE_MANIFEST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/compile/include_guard.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

inline constexpr uint32_t kManifestVersion = 3;
inline constexpr size_t kMaxManifestRecords = 16;

// A file version as stat() sees it. When a file still has the signature it had at record time
// (and that signature was old enough to trust, see StatCache::kRacyWindowNs), its content is the
// recorded one without reading it.
struct FileSignature {
  uint64_t dev = 0, ino = 0;
  int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
  friend bool operator==(const FileSignature&, const FileSignature&) = default;
};

struct ManifestFile {
  std::string path;  // as the compiler named it (relative to the cwd, or absolute)
  util::Digest digest;
  FileSignature signature;
  bool trust_signature = false;
};

struct ManifestRecord {
  util::Digest result_key;
  std::vector<ManifestFile> files;
  std::vector<DirWatch> guard;
};

struct Manifest {
  std::vector<ManifestRecord> records;  // newest first

  // Puts `record` first, replacing a record with the same result key, and drops the oldest beyond
  // kMaxManifestRecords.
  void AddRecord(ManifestRecord record);
};

std::string EncodeManifest(const Manifest& manifest);
// DataLoss for anything malformed or of another version.
absl::StatusOr<Manifest> DecodeManifest(absl::string_view data);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_MANIFEST_H_
