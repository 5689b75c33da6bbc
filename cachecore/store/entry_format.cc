#include "cachecore/store/entry_format.h"

#include <xxhash.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cachecore/util/byte_io.h"

namespace zc::store {
namespace {

enum Compression : uint8_t { kCompressionNone = 0, kCompressionZstd = 1 };
// Where the header keeps the compression and the level: after magic (4), version (2), type (1).
constexpr size_t kCompressionOffset = 7;
constexpr size_t kLevelOffset = 8;

struct CctxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DctxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// Contexts are reused per thread: creating one costs more than compressing a small entry.
ZSTD_CCtx* ThreadCctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CctxDeleter> cctx(ZSTD_createCCtx());
  return cctx.get();
}
ZSTD_DCtx* ThreadDctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx(ZSTD_createDCtx());
  return dctx.get();
}

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("corrupt cache entry: ", why));
}

void AppendChecksum(std::string* file) {
  XXH128_hash_t h = XXH3_128bits(file->data(), file->size());
  util::ByteWriter w(file);
  w.U64(h.low64);
  w.U64(h.high64);
}

}  // namespace

const Payload* Entry::Find(PayloadKind kind, absl::string_view name) const {
  for (const Payload& p : payloads) {
    if (p.kind == kind && (name.empty() || p.name == name)) return &p;
  }
  return nullptr;
}

void Entry::SetExitCode(int32_t code) {
  std::string data;
  util::ByteWriter(&data).U32(static_cast<uint32_t>(code));
  for (Payload& p : payloads) {
    if (p.kind == PayloadKind::kExitCode) {
      p.data = std::move(data);
      return;
    }
  }
  Add(PayloadKind::kExitCode, std::move(data));
}

std::optional<int32_t> Entry::ExitCode() const {
  const Payload* p = Find(PayloadKind::kExitCode);
  if (p == nullptr || p->data.size() != 4) return std::nullopt;
  uint32_t v = 0;
  util::ByteReader(p->data).U32(&v);
  return static_cast<int32_t>(v);
}

uint64_t Entry::DataSize() const {
  uint64_t total = 0;
  for (const Payload& p : payloads) total += p.data.size();
  return total;
}

absl::StatusOr<std::string> EncodeEntry(const Entry& entry, int compression_level) {
  std::string body;
  uint64_t estimate = 4;
  for (const Payload& p : entry.payloads) estimate += 11 + p.name.size() + p.data.size();
  if (estimate > kMaxEntryBodySize) {
    return absl::InvalidArgumentError(absl::StrCat("cache entry too large: ", estimate, " bytes"));
  }
  body.reserve(static_cast<size_t>(estimate));
  util::ByteWriter bw(&body);
  bw.U32(static_cast<uint32_t>(entry.payloads.size()));
  for (const Payload& p : entry.payloads) {
    if (p.name.size() > UINT16_MAX) return absl::InvalidArgumentError("payload name too long");
    bw.U8(static_cast<uint8_t>(p.kind));
    bw.U16(static_cast<uint16_t>(p.name.size()));
    bw.Bytes(p.name);
    bw.U64(p.data.size());
    bw.Bytes(p.data);
  }

  const bool compress = compression_level != 0;
  std::string file;
  file.reserve(kEntryHeaderSize + (compress ? ZSTD_compressBound(body.size()) : body.size()) +
               kEntryChecksumSize);
  util::ByteWriter w(&file);
  w.Bytes(absl::string_view(kEntryMagic, sizeof(kEntryMagic)));
  w.U16(kEntryFormatVersion);
  w.U8(static_cast<uint8_t>(entry.type));
  w.U8(compress ? kCompressionZstd : kCompressionNone);
  w.U8(static_cast<uint8_t>(static_cast<int8_t>(compression_level)));
  w.U8(0);
  w.U8(0);
  w.U8(0);
  w.U64(body.size());
  const size_t stored_size_offset = file.size();
  w.U64(0);  // stored_size, patched below

  uint64_t stored_size = 0;
  if (compress) {
    const size_t bound = ZSTD_compressBound(body.size());
    const size_t start = file.size();
    file.resize(start + bound);
    ZSTD_CCtx* cctx = ThreadCctx();
    if (cctx == nullptr) return absl::ResourceExhaustedError("zstd: out of memory");
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, compression_level);
    size_t n = ZSTD_compress2(cctx, file.data() + start, bound, body.data(), body.size());
    if (ZSTD_isError(n)) {
      return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
    }
    if (body.size() > kRatioFreeBodySize && body.size() / kMaxZstdRatio > n) {
      // Readers would refuse this ratio (a bomb's): store the body as it is.
      file.resize(start);
      file[kCompressionOffset] = static_cast<char>(kCompressionNone);
      file[kLevelOffset] = 0;
      w.Bytes(body);
      stored_size = body.size();
    } else {
      file.resize(start + n);
      stored_size = n;
    }
  } else {
    w.Bytes(body);
    stored_size = body.size();
  }
  for (int i = 0; i < 8; ++i) {
    file[stored_size_offset + static_cast<size_t>(i)] = static_cast<char>(stored_size >> (8 * i));
  }
  AppendChecksum(&file);
  return file;
}

absl::StatusOr<Entry> DecodeEntry(absl::string_view file) {
  if (file.size() < kEntryHeaderSize + kEntryChecksumSize) return Corrupt("file too short");
  if (std::memcmp(file.data(), kEntryMagic, sizeof(kEntryMagic)) != 0) return Corrupt("bad magic");

  util::ByteReader r(file.substr(sizeof(kEntryMagic)));
  uint16_t version = 0;
  uint8_t type = 0, compression = 0, level = 0, reserved[3] = {};
  uint64_t body_size = 0, stored_size = 0;
  r.U16(&version);
  r.U8(&type);
  r.U8(&compression);
  r.U8(&level);
  r.U8(&reserved[0]);
  r.U8(&reserved[1]);
  r.U8(&reserved[2]);
  r.U64(&body_size);
  r.U64(&stored_size);
  if (version != kEntryFormatVersion) {
    return Corrupt(absl::StrCat("unsupported format version ", version));
  }
  if (stored_size != file.size() - kEntryHeaderSize - kEntryChecksumSize) {
    return Corrupt("size does not match the file (truncated or extended)");
  }
  const absl::string_view covered = file.substr(0, file.size() - kEntryChecksumSize);
  XXH128_hash_t want = XXH3_128bits(covered.data(), covered.size());
  uint64_t low = 0, high = 0;
  util::ByteReader cr(file.substr(covered.size()));
  cr.U64(&low);
  cr.U64(&high);
  if (low != want.low64 || high != want.high64) return Corrupt("checksum mismatch");

  // The checksum holds, so from here on only a writer bug or a future format can fail.
  if (type != static_cast<uint8_t>(EntryType::kResult) &&
      type != static_cast<uint8_t>(EntryType::kManifest) &&
      type != static_cast<uint8_t>(EntryType::kExplain)) {
    return Corrupt(absl::StrCat("unknown entry type ", type));
  }
  if (body_size > kMaxEntryBodySize) return Corrupt("body too large");
  const absl::string_view stored = file.substr(kEntryHeaderSize, static_cast<size_t>(stored_size));

  std::string decompressed;
  absl::string_view body;
  if (compression == kCompressionNone) {
    if (stored_size != body_size) return Corrupt("stored size differs from body size");
    body = stored;
  } else if (compression == kCompressionZstd) {
    unsigned long long frame_size = ZSTD_getFrameContentSize(stored.data(), stored.size());
    if (frame_size != body_size) return Corrupt("zstd frame size differs from body size");
    if (body_size > kRatioFreeBodySize && body_size / kMaxZstdRatio > stored_size) {
      return Corrupt("zstd body inflates too much (a decompression bomb)");
    }
    decompressed.resize(static_cast<size_t>(body_size));
    ZSTD_DCtx* dctx = ThreadDctx();
    if (dctx == nullptr) return absl::ResourceExhaustedError("zstd: out of memory");
    size_t n = ZSTD_decompressDCtx(dctx, decompressed.data(), decompressed.size(), stored.data(),
                                   stored.size());
    if (ZSTD_isError(n)) return Corrupt(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
    if (n != body_size) return Corrupt("decompressed size differs from body size");
    body = decompressed;
  } else {
    return Corrupt(absl::StrCat("unknown compression ", compression));
  }

  Entry entry;
  entry.type = static_cast<EntryType>(type);
  util::ByteReader br(body);
  uint32_t count = 0;
  if (!br.U32(&count)) return Corrupt("missing payload count");
  // Each payload takes at least 11 bytes, which bounds the reservation below.
  if (count > br.remaining() / 11) return Corrupt("payload count exceeds body");
  entry.payloads.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t kind = 0;
    uint16_t name_len = 0;
    uint64_t size = 0;
    absl::string_view name, data;
    if (!br.U8(&kind) || !br.U16(&name_len) || !br.Bytes(name_len, &name) || !br.U64(&size) ||
        !br.Bytes(size, &data)) {
      return Corrupt("payload runs past the end of the body");
    }
    if (kind == 0 || kind > kMaxPayloadKind) {
      return Corrupt(absl::StrCat("unknown payload kind ", kind));
    }
    entry.payloads.push_back(
        Payload{static_cast<PayloadKind>(kind), std::string(name), std::string(data)});
  }
  if (br.remaining() != 0) return Corrupt("trailing bytes after the payloads");
  return entry;
}

}  // namespace zc::store
