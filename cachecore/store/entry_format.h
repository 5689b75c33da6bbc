// The cache-entry file format: one file holds every output of one compile (or one manifest).
//
//   zc::store::Entry entry{zc::store::EntryType::kResult};
//   entry.Add(zc::store::PayloadKind::kObject, object_bytes);
//   entry.Add(zc::store::PayloadKind::kStderr, warnings);
//   entry.SetExitCode(0);
//   ZC_ASSIGN_OR_RETURN(std::string file, zc::store::EncodeEntry(entry, /*compression_level=*/1));
//   ...
//   absl::StatusOr<zc::store::Entry> back = zc::store::DecodeEntry(file);  // DataLoss if corrupt
//
// Grammar (all integers little-endian; documented in docs/formats.md too):
//
//   file    := header body checksum
//   header  := magic:"ZCWE" version:u16 type:u8 compression:u8 level:i8 reserved:u8[3]
//              body_size:u64 stored_size:u64                                   (28 bytes)
//   body    := stored_size bytes: the raw payload list (compression 0) or one zstd frame of it (1)
//   checksum:= XXH3-128 of every byte before it (header + stored body), 16 bytes, low half first
//   payload list := count:u32 payload*count
//   payload := kind:u8 name_len:u16 name:u8[name_len] size:u64 data:u8[size]
//
// Readers verify the checksum before they look at the body, so a corrupt size field can never make
// them allocate or decompress garbage; they reject unknown magic, versions, types, compressions and
// payload kinds, truncation, trailing bytes, bodies whose size disagrees with the header, and zstd
// bodies that would inflate more than kMaxZstdRatio times past kRatioFreeBodySize. Any of these is
// absl::DataLoss: the caller treats it as a miss and counts it.
//
// Version history: 1 — first version.
#ifndef ZCWRAP_CACHECORE_STORE_ENTRY_FORMAT_H_
#define ZCWRAP_CACHECORE_STORE_ENTRY_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::store {

inline constexpr char kEntryMagic[4] = {'Z', 'C', 'W', 'E'};
inline constexpr uint16_t kEntryFormatVersion = 1;
inline constexpr size_t kEntryHeaderSize = 28;
inline constexpr size_t kEntryChecksumSize = 16;
// Largest body a reader accepts (uncompressed). Bigger entries are refused when written.
inline constexpr uint64_t kMaxEntryBodySize = uint64_t{2} << 30;
// A zstd body above kRatioFreeBodySize may be at most kMaxZstdRatio times its stored size, so a
// small forged file (the checksum is not a MAC: an unsigned remote tier could send one) cannot
// make a reader allocate gigabytes. Writers store such bodies uncompressed instead (an object of
// mostly zeros), so every entry written is one readers accept.
inline constexpr uint64_t kRatioFreeBodySize = uint64_t{64} << 20;
inline constexpr uint64_t kMaxZstdRatio = 1024;
// zstd level used when the config does not say; chosen by bench/entry_format_benchmark.cc
// (see docs/perf.md): level 1 compresses ~1.5x faster than 3 for a ~5% bigger file.
inline constexpr int kDefaultCompressionLevel = 1;

enum class EntryType : uint8_t {
  kResult = 1,    // the outputs of one compile
  kManifest = 2,  // direct-mode manifest
  kExplain = 3,   // the key inputs of an object's last miss (compile/explain.h)
};

// Stable on-disk values: never renumber, only append.
enum class PayloadKind : uint8_t {
  kObject = 1,         // the -o file
  kDependency = 2,     // the .d file
  kStdout = 3,         // the compiler's standard output
  kStderr = 4,         // the compiler's standard error (warnings)
  kSplitDwarf = 5,     // the .dwo file
  kCoverageNotes = 6,  // the .gcno file
  kExitCode = 7,       // 4 bytes, little-endian int32
  kSideFile = 8,       // any other output file; its name says which (e.g. a suffix)
  kManifest = 9,       // a serialized manifest
  kMetadata = 10,      // key=value lines that describe the entry (informational)
};
inline constexpr uint8_t kMaxPayloadKind = 10;

struct Payload {
  PayloadKind kind;
  std::string name;  // empty unless several payloads of one kind need telling apart
  std::string data;
};

struct Entry {
  EntryType type = EntryType::kResult;
  std::vector<Payload> payloads;

  void Add(PayloadKind kind, std::string data, std::string name = {}) {
    payloads.push_back(Payload{kind, std::move(name), std::move(data)});
  }
  // The first payload of `kind` (and `name`, if given), or nullptr.
  const Payload* Find(PayloadKind kind, absl::string_view name = {}) const;
  void SetExitCode(int32_t code);
  // The kExitCode payload, if present and well-formed.
  std::optional<int32_t> ExitCode() const;
  // Sum of all payload sizes.
  uint64_t DataSize() const;
};

// Serializes `entry`. compression_level 0 stores the body uncompressed; 1..19 use zstd at that
// level (negative levels are zstd's fast levels). InvalidArgument if the entry is too large or a
// name is longer than 65535 bytes.
absl::StatusOr<std::string> EncodeEntry(const Entry& entry, int compression_level);

// Parses a whole entry file. DataLoss for anything that is not a valid, complete entry.
absl::StatusOr<Entry> DecodeEntry(absl::string_view file);

}  // namespace zc::store

#endif  // ZCWRAP_CACHECORE_STORE_ENTRY_FORMAT_H_
