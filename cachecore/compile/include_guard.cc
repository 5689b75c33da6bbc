#include "cachecore/compile/include_guard.h"

#include <dirent.h>
#include <sys/stat.h>

#include <map>
#include <optional>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/compile/stat_cache.h"
#include "cachecore/util/byte_io.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_dir.h"

namespace zc::compile {
namespace {

// "" stands for the working directory (files the compiler named without any directory).
std::string ChildPath(const std::string& dir, absl::string_view name) {
  return dir.empty() ? std::string(name) : util::JoinPath(dir, name);
}

std::string TextualDirname(absl::string_view path) {
  size_t slash = path.find_last_of('/');
  if (slash == absl::string_view::npos) return "";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string StripTrailingSlashes(std::string d) {
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d;
}

// Directory listings, read once per directory: name → is a directory.
class Listings {
 public:
  explicit Listings(std::string cwd) : cwd_(std::move(cwd)) {}

  // nullptr if `dir` does not exist (or is not a readable directory).
  const absl::flat_hash_map<std::string, bool>* Get(const std::string& dir) {
    auto it = cache_.find(dir);
    if (it != cache_.end()) return it->second ? &*it->second : nullptr;
    std::optional<absl::flat_hash_map<std::string, bool>> listing;
    const std::string resolved = dir.empty() ? cwd_ : util::JoinPath(cwd_, dir);
    if (util::ScopedDir d(::opendir(resolved.c_str())); d.valid()) {
      listing.emplace();
      while (struct dirent* e = ::readdir(d.get())) {
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
          struct stat st;
          is_dir =
              ::stat(util::JoinPath(resolved, e->d_name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        }
        listing->emplace(e->d_name, is_dir);
      }
    }
    auto [pos, _] = cache_.emplace(dir, std::move(listing));
    return pos->second ? &*pos->second : nullptr;
  }

 private:
  std::string cwd_;
  absl::flat_hash_map<std::string, std::optional<absl::flat_hash_map<std::string, bool>>> cache_;
};

}  // namespace

bool DirWatch::Names(std::vector<WatchedName>* out) const {
  if (encoded_names.empty()) {
    *out = names;
    return true;
  }
  util::ByteReader r(encoded_names);
  uint32_t count = 0;
  if (!r.U32(&count) || count > r.remaining() / 5) return false;
  out->clear();
  out->reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len = 0;
    absl::string_view name;
    uint8_t exists = 0;
    if (!r.U32(&len) || !r.Bytes(len, &name) || !r.U8(&exists)) return false;
    out->push_back({std::string(name), exists != 0});
  }
  return r.remaining() == 0;
}

std::string DirWatch::EncodedNames() const {
  if (!encoded_names.empty()) return encoded_names;
  std::string out;
  util::ByteWriter w(&out);
  w.U32(static_cast<uint32_t>(names.size()));
  for (const WatchedName& n : names) {
    w.U32(static_cast<uint32_t>(n.name.size()));
    w.Bytes(n.name);
    w.U8(n.exists ? 1 : 0);
  }
  return out;
}

std::vector<std::string> GuardDirectories(const GuardInputs& in) {
  std::vector<std::string> dirs;
  absl::flat_hash_set<std::string> seen_dirs;
  auto add_dir = [&](std::string d) {
    if (seen_dirs.insert(d).second) dirs.push_back(std::move(d));
  };
  for (const std::string& d : in.search_dirs) add_dir(StripTrailingSlashes(d));
  for (const std::string& d : in.extra_dirs) add_dir(StripTrailingSlashes(d));
  for (const std::string& f : in.files) add_dir(TextualDirname(f));
  return dirs;
}

std::vector<DirWatch> BuildIncludeGuard(const GuardInputs& in) {
  // Every directory a spelling could be found in.
  const std::vector<std::string> dirs = GuardDirectories(in);

  // Every spelling: each file's path minus a directory that prefixes it, and each probed name.
  absl::flat_hash_set<std::string> rels;
  for (const std::string& f : in.files) {
    for (const std::string& d : dirs) {
      if (d.empty()) {
        if (f.find('/') == std::string::npos) rels.insert(f);
      } else if (d == "/") {
        if (f.size() > 1 && f[0] == '/') rels.insert(f.substr(1));
      } else if (f.size() > d.size() + 1 && absl::StartsWith(f, d) && f[d.size()] == '/') {
        rels.insert(f.substr(d.size() + 1));
      }
    }
  }
  for (const std::string& p : in.probed_names) rels.insert(p);
  const absl::flat_hash_set<std::string> files(in.files.begin(), in.files.end());

  Listings listings(in.cwd);
  std::map<std::string, std::map<std::string, bool>> watched;  // dir → name → existed

  for (const std::string& start : dirs) {
    // The nearest existing ancestor of `start`, and the first missing component below it.
    std::string base = start;
    std::optional<std::string> missing_child;
    while (listings.Get(base) == nullptr) {
      if (base.empty() || base == "/" || base == ".") break;
      std::string parent = TextualDirname(base);
      missing_child = std::string(util::Basename(base));
      base = parent;
    }
    if (missing_child) {
      watched[base][*missing_child] = false;
      continue;  // nothing below a missing directory exists; watching its creation suffices
    }
    for (const std::string& rel : rels) {
      if (absl::StartsWith(rel, "/")) continue;
      const std::string candidate = ChildPath(start, rel);
      if (files.contains(candidate)) continue;
      std::vector<absl::string_view> parts = absl::StrSplit(rel, '/', absl::SkipEmpty());
      if (parts.empty()) continue;
      std::string dir = start;
      for (size_t i = 0; i < parts.size(); ++i) {
        const auto* listing = listings.Get(dir);
        if (listing == nullptr) break;  // unreadable: the parent's watch covers its creation
        std::string name(parts[i]);
        auto it = listing->find(name);
        const bool last = i + 1 == parts.size();
        if (it == listing->end() || last || !it->second || parts[i] == "." || parts[i] == "..") {
          watched[dir][name] = it != listing->end();
          break;
        }
        dir = ChildPath(dir, name);
      }
    }
  }

  std::vector<DirWatch> out;
  out.reserve(watched.size());
  for (auto& [dir, names] : watched) {
    DirWatch w;
    w.dir = dir;
    struct stat st;
    const std::string resolved = dir.empty() ? in.cwd : util::JoinPath(in.cwd, dir);
    if (::stat(resolved.c_str(), &st) == 0) {
      w.signature = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                     util::TimespecNs(st.st_mtim), util::TimespecNs(st.st_ctim)};
      w.trust_signature = in.now_ns - w.signature.mtime_ns >= StatCache::kRacyWindowNs &&
                          in.now_ns - w.signature.ctime_ns >= StatCache::kRacyWindowNs;
    } else {
      w.trust_signature = false;
    }
    for (auto& [name, exists] : names) w.names.push_back({name, exists});
    out.push_back(std::move(w));
  }
  return out;
}

std::optional<std::string> IncludeGuardViolation(const std::vector<DirWatch>& watches,
                                                 const std::string& cwd) {
  for (const DirWatch& w : watches) {
    const std::string resolved = w.dir.empty() ? cwd : util::JoinPath(cwd, w.dir);
    struct stat st;
    if (::stat(resolved.c_str(), &st) != 0) return resolved;
    DirSignature now{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                     util::TimespecNs(st.st_mtim), util::TimespecNs(st.st_ctim)};
    if (w.trust_signature && now == w.signature) continue;
    std::vector<WatchedName> names;
    if (!w.Names(&names)) return resolved;
    for (const WatchedName& n : names) {
      const std::string path = util::JoinPath(resolved, n.name);
      struct stat nst;
      const bool exists = ::lstat(path.c_str(), &nst) == 0;
      if (exists != n.exists) return path;
    }
  }
  return std::nullopt;
}

bool IncludeGuardHolds(const std::vector<DirWatch>& watches, const std::string& cwd) {
  return !IncludeGuardViolation(watches, cwd).has_value();
}

}  // namespace zc::compile
