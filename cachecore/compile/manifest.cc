#include "cachecore/compile/manifest.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "cachecore/compile/base_dir.h"
#include "cachecore/util/byte_io.h"

namespace zc::compile {
namespace {

constexpr uint8_t kFileTrust = 1, kFilePinMtime = 2, kFileDirectory = 4;
constexpr uint8_t kRecordVerifyFileMacros = 1;

bool GetDigest(util::ByteReader& r, util::Digest* d) {
  absl::string_view s;
  if (!r.Bytes(32, &s)) return false;
  std::memcpy(d->bytes.data(), s.data(), 32);
  return true;
}

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("corrupt manifest: ", why));
}

// A decoded path made real under `base`; left as it is (and the record marked) without one.
void Expand(std::string* path, absl::string_view base, ManifestRecord* rec) {
  std::optional<std::string> real = ExpandKeyPath(*path, base);
  if (real) {
    *path = std::move(*real);
  } else {
    rec->needs_base = true;
  }
}

}  // namespace

void Manifest::AddRecord(ManifestRecord record) {
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].kind == record.kind && records[i].result_key == record.result_key) {
      records.erase(records.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  records.insert(records.begin(), std::move(record));
  if (records.size() > kMaxManifestRecords) records.resize(kMaxManifestRecords);
}

bool Manifest::Merge(const Manifest& other) {
  bool added = false;
  for (const ManifestRecord& rec : other.records) {
    if (records.size() >= kMaxManifestRecords) break;
    bool known = false;
    for (const ManifestRecord& mine : records) {
      known |= mine.kind == rec.kind && mine.result_key == rec.result_key && mine.base == rec.base;
    }
    if (!known) {
      records.push_back(rec);
      added = true;
    }
  }
  return added;
}

std::string EncodeManifest(const Manifest& manifest, absl::string_view base) {
  std::string out;
  util::ByteWriter w(&out);
  w.U32(kManifestVersion);
  w.U32(static_cast<uint32_t>(manifest.records.size()));
  for (const ManifestRecord& rec : manifest.records) {
    w.U8(static_cast<uint8_t>(rec.kind));
    w.U8(rec.verify_file_macros ? kRecordVerifyFileMacros : 0);
    w.Bytes(rec.result_key.AsStringView());
    w.String(rec.base);
    w.U32(static_cast<uint32_t>(rec.files.size()));
    for (const ManifestFile& f : rec.files) {
      w.String(rec.needs_base ? f.path : KeyPath(f.path, base));
      w.Bytes(f.digest.AsStringView());
      w.U64(f.signature.dev);
      w.U64(f.signature.ino);
      w.U64(static_cast<uint64_t>(f.signature.size));
      w.U64(static_cast<uint64_t>(f.signature.mtime_ns));
      w.U64(static_cast<uint64_t>(f.signature.ctime_ns));
      w.U8((f.trust_signature ? kFileTrust : 0) | (f.pin_mtime ? kFilePinMtime : 0) |
           (f.directory ? kFileDirectory : 0));
    }
    w.U32(static_cast<uint32_t>(rec.guard.size()));
    for (const DirWatch& d : rec.guard) {
      w.String(rec.needs_base ? d.dir : KeyPath(d.dir, base));
      w.U64(d.signature.dev);
      w.U64(d.signature.ino);
      w.U64(static_cast<uint64_t>(d.signature.mtime_ns));
      w.U64(static_cast<uint64_t>(d.signature.ctime_ns));
      w.U8(d.trust_signature ? 1 : 0);
      w.String(d.EncodedNames());
    }
  }
  return out;
}

absl::StatusOr<Manifest> DecodeManifest(absl::string_view data, absl::string_view base) {
  util::ByteReader r(data);
  uint32_t version = 0, count = 0;
  if (!r.U32(&version) || version != kManifestVersion) return Corrupt("unknown version");
  if (!r.U32(&count) || count > kMaxManifestRecords) return Corrupt("bad record count");
  Manifest m;
  for (uint32_t i = 0; i < count; ++i) {
    ManifestRecord rec;
    uint32_t files = 0, watches = 0;
    uint8_t kind = 0;
    uint8_t flags = 0;
    if (!r.U8(&kind) || !r.U8(&flags) || !GetDigest(r, &rec.result_key) || !r.String(&rec.base) ||
        !r.U32(&files)) {
      return Corrupt("truncated record");
    }
    if (flags & ~kRecordVerifyFileMacros) return Corrupt("bad record flags");
    rec.verify_file_macros = (flags & kRecordVerifyFileMacros) != 0;
    if (kind > static_cast<uint8_t>(RecordKind::kPreprocess)) return Corrupt("unknown record kind");
    rec.kind = static_cast<RecordKind>(kind);
    // Each file takes at least 77 bytes: bound the reservation by what is left.
    if (files > r.remaining() / 77) return Corrupt("bad file count");
    rec.files.resize(files);
    for (ManifestFile& f : rec.files) {
      uint64_t size = 0, mtime = 0, ctime = 0;
      uint8_t trust = 0;
      if (!r.String(&f.path) || !GetDigest(r, &f.digest) || !r.U64(&f.signature.dev) ||
          !r.U64(&f.signature.ino) || !r.U64(&size) || !r.U64(&mtime) || !r.U64(&ctime) ||
          !r.U8(&trust)) {
        return Corrupt("truncated file");
      }
      Expand(&f.path, base, &rec);
      f.signature.size = static_cast<int64_t>(size);
      f.signature.mtime_ns = static_cast<int64_t>(mtime);
      f.signature.ctime_ns = static_cast<int64_t>(ctime);
      if (trust & ~(kFileTrust | kFilePinMtime | kFileDirectory)) return Corrupt("bad file flags");
      f.trust_signature = (trust & kFileTrust) != 0;
      f.pin_mtime = (trust & kFilePinMtime) != 0;
      f.directory = (trust & kFileDirectory) != 0;
    }
    if (!r.U32(&watches) || watches > r.remaining() / 41) return Corrupt("bad watch count");
    rec.guard.resize(watches);
    for (DirWatch& d : rec.guard) {
      uint64_t mtime = 0, ctime = 0;
      uint8_t trust = 0;
      if (!r.String(&d.dir) || !r.U64(&d.signature.dev) || !r.U64(&d.signature.ino) ||
          !r.U64(&mtime) || !r.U64(&ctime) || !r.U8(&trust) || !r.String(&d.encoded_names)) {
        return Corrupt("truncated watch");
      }
      // Names are parsed only when needed (DirWatch::Names); an empty list still has its count.
      if (d.encoded_names.size() < 4) return Corrupt("truncated watch names");
      Expand(&d.dir, base, &rec);
      d.signature.mtime_ns = static_cast<int64_t>(mtime);
      d.signature.ctime_ns = static_cast<int64_t>(ctime);
      d.trust_signature = trust != 0;
    }
    m.records.push_back(std::move(rec));
  }
  if (r.remaining() != 0) return Corrupt("trailing bytes");
  return m;
}

}  // namespace zc::compile
