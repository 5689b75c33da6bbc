// Manifest: the direct-mode index. Under a key computed before preprocessing (compiler, arguments,
// source content, cwd, environment) it lists up to kMaxRecords recorded header sets, newest first;
// each record names every file the compile read with its content digest, the include guard that
// proves no header would now be found elsewhere (include_guard.h), and the result key.
//
// A record of kind kPreprocess has no result key and no files: it says that direct mode could
// not record this compile (a header with an opaque __has_include or time macros, a first include
// whose PCH cannot be told, ...) and that its result was stored in preprocessor mode, where the
// next lookup should go.
//
//   zc::compile::Manifest m = ...DecodeManifest(payload)...;
//   m.AddRecord(std::move(record));               // newest first, bounded
//   std::string payload = zc::compile::EncodeManifest(m);
//
// Manifests travel inside a store entry of type kManifest (one kManifest payload), so they get the
// entry format's versioning, compression and checksum. Payload grammar (little-endian):
//   manifest := version:u32 record_count:u32 record*
//   record   := kind:u8 flags:u8 result_key:u8[32] base_len:u32 base file_count:u32 file*
//               watch_count:u32 watch*
//   file     := path_len:u32 path digest:u8[32] dev:u64 ino:u64 size:i64 mtime_ns:i64
//               ctime_ns:i64 flags:u8   (1: trust signature, 2: pin mtime, 4: directory)
//   watch    := dir_len:u32 dir dev:u64 ino:u64 mtime_ns:i64 ctime_ns:i64 trust:u8
//               names_len:u32 names          (names parsed lazily, see DirWatch::Names)
//   names    := name_count:u32 (name_len:u32 name exists:u8)*
// Paths (file paths, watch dirs) under the compile's base directory are stored relative to it,
// the base replaced by a NUL byte (base_dir.h): EncodeManifest and DecodeManifest take the base
// to use, so records made in one checkout are checked against another's files. `base` in a
// record is empty when its result is the same in every checkout, and names the base otherwise.
// Record flags: 1 — the result is bound to `base` only because no one has yet checked what
// __FILE__ became: a compile with another base may use it once its own preprocessed text shows
// that nothing names its base (portability.h).
#ifndef ZCWRAP_CACHECORE_COMPILE_MANIFEST_H_
#define ZCWRAP_CACHECORE_COMPILE_MANIFEST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/compile/include_guard.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

// Version history: 3 — records with files and guards; 4 — record kinds, file flags; 5 — paths
// relative to a base directory, the base a record is bound to.
inline constexpr uint32_t kManifestVersion = 5;
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
  // The content digest; for `directory` entries and absent files, input_digest.h's PathDigest.
  util::Digest digest;
  FileSignature signature;
  bool trust_signature = false;
  // The compile depends on the file's mtime and size too (clang checks those of a PCH's inputs):
  // a record holds only while they are as recorded.
  bool pin_mtime = false;
  // A directory (a .gch directory of PCH candidates), or a path that may not exist: checked by
  // PathDigest, never by signature.
  bool directory = false;
};

enum class RecordKind : uint8_t {
  kResult = 0,      // the files and guard name the result under result_key
  kPreprocess = 1,  // use preprocessor mode for this manifest key (no result key, no files)
};

struct ManifestRecord {
  RecordKind kind = RecordKind::kResult;
  util::Digest result_key;
  // Empty: the result is the same wherever the base directory is (portability.h). Otherwise the
  // base the result was made in: only a compile with that base may use the record.
  std::string base;
  // `base` holds only because nobody has checked what __FILE__ became (record flag 1).
  bool verify_file_macros = false;
  // Decoded without a base although its paths are relative to one: unusable here, and kept as
  // it is when the manifest is written back.
  bool needs_base = false;
  std::vector<ManifestFile> files;
  std::vector<DirWatch> guard;
};

struct Manifest {
  std::vector<ManifestRecord> records;  // newest first

  // Puts `record` first, replacing a record of the same kind and result key, and drops the oldest
  // beyond kMaxManifestRecords.
  void AddRecord(ManifestRecord record);
  // Adds, after this manifest's own, the records of `other` it lacks (another tier's manifest
  // of the same key); false if there were none.
  bool Merge(const Manifest& other);
};

// Paths under `base` are written relative to it; read back, they are made real under `base`.
std::string EncodeManifest(const Manifest& manifest, absl::string_view base = {});
// DataLoss for anything malformed or of another version.
absl::StatusOr<Manifest> DecodeManifest(absl::string_view data, absl::string_view base = {});

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_MANIFEST_H_
