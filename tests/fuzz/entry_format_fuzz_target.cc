#include "tests/fuzz/entry_format_fuzz_target.h"

#include <xxhash.h>

#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace zc::fuzz {
namespace {

// A zstd body may legitimately declare up to kMaxEntryBodySize (2 GiB of zeros compresses to a
// few kilobytes); the decoder then allocates it. Inputs whose fixed-up header asks for more than
// this are not decoded after the checksum fix-up, so the run stays within -rss_limit_mb.
constexpr uint64_t kMaxFuzzBodySize = uint64_t{1} << 20;

// Little-endian, as the format (and every host zcwrap builds for).
void PutU64(std::string* s, size_t at, uint64_t v) {
  char bytes[8];
  std::memcpy(bytes, &v, 8);
  s->replace(at, 8, bytes, 8);
}

void CheckRoundTrip(absl::string_view file) {
  absl::StatusOr<store::Entry> entry = store::DecodeEntry(file);
  if (!entry.ok()) return;
  const uint8_t compression = static_cast<uint8_t>(file[7]);
  const int level = static_cast<int8_t>(file[8]);
  absl::StatusOr<std::string> again = store::EncodeEntry(*entry, compression == 0 ? 0 : level);
  if (!again.ok()) __builtin_trap();  // everything that decodes can be written
  absl::StatusOr<store::Entry> back = store::DecodeEntry(*again);
  if (!back.ok() || !SameEntry(*entry, *back)) __builtin_trap();
  // Uncompressed, the writer has no choices left: the same entry is the same bytes (readers
  // ignore the level and reserved bytes of such a file, which the writer leaves zero).
  if (compression == 0 && file.substr(8, 4) == absl::string_view("\0\0\0\0", 4) && *again != file) {
    __builtin_trap();
  }
}

}  // namespace

std::optional<std::string> WithEntryChecksum(absl::string_view bytes) {
  const size_t size = bytes.size();
  if (size < store::kEntryHeaderSize) return std::nullopt;
  std::string fixed(bytes);
  fixed.resize(size + store::kEntryChecksumSize);
  const uint64_t stored_size = size - store::kEntryHeaderSize;
  PutU64(&fixed, 20, stored_size);
  uint64_t body_size = 0;
  std::memcpy(&body_size, fixed.data() + 12, 8);
  if (fixed[7] != 0 && body_size > kMaxFuzzBodySize) return std::nullopt;
  const XXH128_hash_t sum = XXH3_128bits(fixed.data(), size);
  PutU64(&fixed, size, sum.low64);
  PutU64(&fixed, size + 8, sum.high64);
  return fixed;
}

bool SameEntry(const store::Entry& a, const store::Entry& b) {
  if (a.type != b.type || a.payloads.size() != b.payloads.size()) return false;
  for (size_t i = 0; i < a.payloads.size(); ++i) {
    const store::Payload& x = a.payloads[i];
    const store::Payload& y = b.payloads[i];
    if (x.kind != y.kind || x.name != y.name || x.data != y.data) return false;
  }
  return true;
}

void FuzzEntryFormatOnce(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckRoundTrip(bytes);

  // The same bytes with a valid checksum, so the body parser sees them.
  if (std::optional<std::string> fixed = WithEntryChecksum(bytes)) CheckRoundTrip(*fixed);
}

}  // namespace zc::fuzz
