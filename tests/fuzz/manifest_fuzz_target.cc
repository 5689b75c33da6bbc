#include "tests/fuzz/manifest_fuzz_target.h"

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cachecore/compile/manifest.h"

namespace zc::fuzz {
namespace {

using compile::DirWatch;
using compile::Manifest;
using compile::ManifestFile;
using compile::ManifestRecord;
using compile::WatchedName;

bool SameFile(const ManifestFile& a, const ManifestFile& b) {
  return a.path == b.path && a.digest == b.digest && a.signature == b.signature &&
         a.trust_signature == b.trust_signature && a.pin_mtime == b.pin_mtime &&
         a.directory == b.directory;
}

// Both watches' names, parsed; false if one parses and the other does not, or they differ.
bool SameWatch(const DirWatch& a, const DirWatch& b) {
  if (a.dir != b.dir || !(a.signature == b.signature) || a.trust_signature != b.trust_signature) {
    return false;
  }
  std::vector<WatchedName> an, bn;
  const bool a_ok = a.Names(&an);
  if (a_ok != b.Names(&bn)) return false;
  if (!a_ok) return true;
  if (an.size() != bn.size()) return false;
  for (size_t i = 0; i < an.size(); ++i) {
    if (an[i].name != bn[i].name || an[i].exists != bn[i].exists) return false;
  }
  return true;
}

bool SameRecord(const ManifestRecord& a, const ManifestRecord& b) {
  if (a.kind != b.kind || a.result_key != b.result_key || a.base != b.base ||
      a.verify_file_macros != b.verify_file_macros || a.needs_base != b.needs_base ||
      a.files.size() != b.files.size() || a.guard.size() != b.guard.size()) {
    return false;
  }
  for (size_t i = 0; i < a.files.size(); ++i) {
    if (!SameFile(a.files[i], b.files[i])) return false;
  }
  for (size_t i = 0; i < a.guard.size(); ++i) {
    if (!SameWatch(a.guard[i], b.guard[i])) return false;
  }
  return true;
}

bool SameManifest(const Manifest& a, const Manifest& b) {
  if (a.records.size() != b.records.size()) return false;
  for (size_t i = 0; i < a.records.size(); ++i) {
    if (!SameRecord(a.records[i], b.records[i])) return false;
  }
  return true;
}

void CheckWithBase(absl::string_view bytes, absl::string_view base) {
  absl::StatusOr<Manifest> m = compile::DecodeManifest(bytes, base);
  if (!m.ok()) return;
  for (const ManifestRecord& rec : m->records) {
    for (const DirWatch& d : rec.guard) {
      std::vector<WatchedName> names;
      (void)d.Names(&names);
    }
  }
  const std::string again = compile::EncodeManifest(*m, base);
  absl::StatusOr<Manifest> back = compile::DecodeManifest(again, base);
  if (!back.ok() || !SameManifest(*m, *back)) __builtin_trap();
  // Adding the records again (as a lookup that merges another tier's manifest does) is bounded.
  Manifest merged = *back;
  merged.Merge(*m);
  if (merged.records.size() > compile::kMaxManifestRecords) __builtin_trap();
}

}  // namespace

void FuzzManifestOnce(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckWithBase(bytes, "");
  CheckWithBase(bytes, "/ci/checkout");
}

}  // namespace zc::fuzz
