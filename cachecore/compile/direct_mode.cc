#include "cachecore/compile/direct_mode.h"

#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cachecore/compile/base_dir.h"
#include "cachecore/compile/clang_pch.h"
#include "cachecore/compile/input_digest.h"
#include "cachecore/compile/pch.h"
#include "cachecore/compile/search_dirs.h"
#include "cachecore/compile/source_scan.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {
namespace {

FileSignature SignatureOf(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
          static_cast<int64_t>(st.st_size), util::TimespecNs(st.st_mtim),
          util::TimespecNs(st.st_ctim)};
}

// A file recorded now, trusted by signature later only if it was old enough to have settled.
ManifestFile Recorded(std::string path, const util::Digest& digest, const struct stat& st,
                      int64_t now_ns) {
  ManifestFile file;
  file.path = std::move(path);
  file.digest = digest;
  file.signature = SignatureOf(st);
  file.trust_signature = now_ns - file.signature.mtime_ns >= StatCache::kRacyWindowNs &&
                         now_ns - file.signature.ctime_ns >= StatCache::kRacyWindowNs;
  return file;
}

}  // namespace

DirectMode::DirectMode(store::LocalStore& store, InputFiles& inputs, util::ProcessRunner& runner,
                       const util::Clock& clock, std::string cache_dir, size_t memory_cache_bytes)
    : store_(store),
      inputs_(inputs),
      runner_(runner),
      clock_(clock),
      cache_dir_(std::move(cache_dir)) {
  if (memory_cache_bytes > 0) {
    manifests_ = std::make_unique<MemoryCache<Manifest>>(memory_cache_bytes);
    watcher_ = util::PathWatcher::Create();
  }
}

std::shared_ptr<const Manifest> DirectMode::LoadManifest(const util::Digest& key,
                                                         absl::string_view base) {
  const std::string path = store_.PathFor(key, store::EntryType::kManifest);
  // Decoded for one base: paths are made real under it.
  const std::string memo_key = base.empty() ? path : absl::StrCat(path, "\n", base);
  struct stat st;
  if (manifests_ != nullptr) {
    if (::stat(path.c_str(), &st) != 0) return nullptr;
    if (std::shared_ptr<const Manifest> known = manifests_->Find(memo_key, st)) {
      store_.MarkUsed(path, st);
      return known;
    }
  }
  absl::StatusOr<std::optional<store::Entry>> got = store_.Get(key, store::EntryType::kManifest);
  if (!got.ok() || !got->has_value()) return nullptr;
  const store::Payload* payload = (*got)->Find(store::PayloadKind::kManifest);
  if (payload == nullptr) return nullptr;
  absl::StatusOr<Manifest> manifest = DecodeManifest(payload->data, base);
  if (!manifest.ok()) {
    store_.stats().Increment(stats::Counter::kCorruptCacheEntry);
    return nullptr;
  }
  auto shared = std::make_shared<const Manifest>(std::move(*manifest));
  if (manifests_ != nullptr) manifests_->Insert(memo_key, st, shared, payload->data.size() * 2);
  return shared;
}

DirectMode::Answer DirectMode::Lookup(
    const util::Digest& manifest_key, const std::string& cwd, absl::string_view base,
    absl::FunctionRef<bool(const ManifestRecord& record)> try_result, remote::RemoteStorage* remote,
    bool may_write) {
  Answer answer;
  std::shared_ptr<const Manifest> manifest = LoadManifest(manifest_key, base);
  if (manifest != nullptr) {
    answer = Check(*manifest, manifest_key, cwd, base, try_result);
  } else {
    answer.why = "no_manifest";
  }
  if (answer.hit || remote == nullptr) return answer;

  // Every tier's records, after the local ones: a teammate's or CI's compile of this source.
  Manifest merged = manifest != nullptr ? *manifest : Manifest{};
  bool added = false;
  for (const remote::Fetched& f : remote->GetAll(manifest_key, store::EntryType::kManifest)) {
    const store::Payload* payload = f.opened.entry.Find(store::PayloadKind::kManifest);
    if (payload == nullptr) continue;
    absl::StatusOr<Manifest> theirs = DecodeManifest(payload->data, base);
    if (!theirs.ok()) {
      store_.stats().Increment(stats::Counter::kRemoteStorageBadEntry);
      continue;
    }
    added |= merged.Merge(*theirs);
  }
  if (!added) return answer;
  if (may_write) {
    store::Entry entry;
    entry.type = store::EntryType::kManifest;
    entry.Add(store::PayloadKind::kManifest, EncodeManifest(merged, base));
    (void)store_.Put(manifest_key, entry);  // a failure costs a later remote read, no more
  }
  return Check(merged, manifest_key, cwd, base, try_result);
}

DirectMode::Answer DirectMode::Check(
    const Manifest& manifest, const util::Digest& manifest_key, const std::string& cwd,
    absl::string_view base, absl::FunctionRef<bool(const ManifestRecord& record)> try_result) {
  Answer answer;
  // Why nothing matched, for the audit: no record's inputs are as they were, or one's were but
  // its result is gone.
  answer.why = "inputs_changed";
  if (watcher_ != nullptr) watcher_->Sync();
  bool marker = false;
  for (const ManifestRecord& rec : manifest.records) {
    if (rec.kind == RecordKind::kPreprocess) {
      marker = true;  // after every direct record: one of those may hit without the preprocessor
      continue;
    }
    // A result bound to another checkout's place, or paths this compile cannot place.
    if (rec.needs_base || (!rec.base.empty() && rec.base != base && !rec.verify_file_macros)) {
      continue;
    }
    std::string trust_key;
    bool holds = false;
    if (watcher_ != nullptr) {
      trust_key = absl::StrCat(manifest_key.ToHex(), rec.result_key.ToHex(), base);
      holds = StillTrusted(trust_key);
    }
    if (!holds) {
      holds = RecordHolds(cwd, rec);
      if (holds && watcher_ != nullptr) Trust(cwd, rec, trust_key);
    }
    if (!holds) continue;
    if (try_result(rec)) {
      answer.hit = true;
      return answer;
    }
    answer.why = "result_missing";
  }
  if (marker) {
    answer.use_preprocessor = true;
    answer.why = "use_preprocessor_mode";
  }
  return answer;
}

std::optional<std::string> DirectMode::FirstGuardViolation(const util::Digest& manifest_key,
                                                           const std::string& cwd,
                                                           absl::string_view base) {
  std::shared_ptr<const Manifest> manifest = LoadManifest(manifest_key, base);
  if (manifest == nullptr) return std::nullopt;
  for (const ManifestRecord& rec : manifest->records) {
    if (rec.kind == RecordKind::kPreprocess || rec.needs_base) continue;
    if (std::optional<std::string> path = IncludeGuardViolation(rec.guard, cwd)) return path;
  }
  return std::nullopt;
}

bool DirectMode::RecordHolds(const std::string& cwd, const ManifestRecord& rec) {
  for (const ManifestFile& f : rec.files) {
    if (f.directory) {
      absl::StatusOr<util::Digest> now = inputs_.State(cwd, f.path);
      if (!now.ok() || *now != f.digest) return false;
      continue;
    }
    struct stat st;
    const bool stated = ::stat(util::JoinPath(cwd, f.path).c_str(), &st) == 0;
    if (f.pin_mtime && (!stated || st.st_size != f.signature.size ||
                        util::TimespecNs(st.st_mtim) != f.signature.mtime_ns)) {
      return false;
    }
    // The common case: one stat, no read, no hash.
    if (f.trust_signature && stated && SignatureOf(st) == f.signature) continue;
    absl::StatusOr<FileFacts> now = inputs_.Facts(cwd, f.path);
    if (!now.ok() || now->digest != f.digest ||
        (now->flags & (kUsesTimeMacros | kUsesAssemblerInclude))) {
      return false;
    }
  }
  return IncludeGuardHolds(rec.guard, cwd);
}

bool DirectMode::StillTrusted(const std::string& trust_key) {
  std::lock_guard<std::mutex> lock(trusted_mu_);
  auto it = trusted_.find(trust_key);
  return it != trusted_.end() && it->second.set && watcher_->Unchanged(*it->second.set);
}

void DirectMode::Trust(const std::string& cwd, const ManifestRecord& rec,
                       const std::string& trust_key) {
  {
    std::lock_guard<std::mutex> lock(trusted_mu_);
    if (trusted_.size() >= 100'000) trusted_.clear();  // bounded; records are re-trusted on use
    auto [it, first_check] = trusted_.try_emplace(trust_key);
    if (first_check || it->second.unwatchable) return;
  }
  std::vector<std::string> files;
  std::vector<std::pair<std::string, std::vector<std::string>>> dirs;
  files.reserve(rec.files.size());
  bool watchable = true;
  for (const ManifestFile& f : rec.files) {
    const std::string path = util::JoinPath(cwd, f.path);
    if (!f.directory) {
      files.push_back(path);
      continue;
    }
    // A path that may be absent: watch its name in its directory. A directory's content
    // cannot be watched that way: such records are checked every time.
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      const size_t slash = path.find_last_of('/');
      dirs.push_back({slash == 0 ? "/" : path.substr(0, slash), {path.substr(slash + 1)}});
    } else if (S_ISDIR(st.st_mode)) {
      watchable = false;
    } else {
      files.push_back(path);
    }
  }
  for (const DirWatch& w : rec.guard) {
    std::vector<WatchedName> names;
    if (!w.Names(&names)) return;
    std::vector<std::string> plain;
    for (WatchedName& n : names) plain.push_back(std::move(n.name));
    dirs.emplace_back(w.dir.empty() ? cwd : util::JoinPath(cwd, w.dir), std::move(plain));
  }
  // Watch first, then check again: a change after the check is an event; one before it fails
  // the check.
  std::optional<util::PathWatcher::Set> set;
  if (watchable) set = watcher_->Watch(files, dirs);
  if (set && !RecordHolds(cwd, rec)) return;
  std::lock_guard<std::mutex> lock(trusted_mu_);
  TrustedRecord& record = trusted_[trust_key];
  record.unwatchable = !set.has_value();
  record.set = std::move(set);
}

DirectMode::Observation DirectMode::Observe(const CompileRequest& request, const CompilePlan& plan,
                                            const util::Digest& compiler_id,
                                            const std::vector<std::string>& files,
                                            int64_t fresh_before, absl::string_view base) {
  const std::string& cwd = request.cwd;
  Observation seen;
  if (files.empty()) {
    // No list of what was read (a preprocessor run with -P writes no line markers): a record
    // with no files would hold whatever the headers say.
    seen.unrecordable = "no_dependency_list";
    return seen;
  }
  std::vector<std::string> probed;
  for (const std::string& f : files) {
    const std::string resolved = util::JoinPath(cwd, f);
    struct stat st;
    absl::StatusOr<FileFacts> facts = inputs_.Facts(cwd, f);
    if (!facts.ok() || ::stat(resolved.c_str(), &st) != 0 ||
        std::max(util::TimespecNs(st.st_mtim), util::TimespecNs(st.st_ctim)) >= fresh_before) {
      seen.unrecordable = "modified_input_file";  // gone or written since the compile started
      return seen;
    }
    if (facts->flags & kUsesTimeMacros) {
      seen.time_macros = true;
      if (seen.unrecordable.empty()) seen.unrecordable = "time_macros";
    }
    if (facts->flags & kUsesOpaqueHasInclude) seen.unrecordable = "opaque_has_include";
    if (facts->flags & kUsesAssemblerInclude) {
      seen.unrecordable = "unsupported_code_directive";  // the assembler reads an unnamed file
      return seen;
    }
    if (facts->flags & kUsesHasInclude) {
      absl::StatusOr<std::string> text = util::ReadFileToString(resolved);
      if (!text.ok()) {
        seen.unrecordable = "modified_input_file";
        return seen;
      }
      SourceScan scan = ScanSource(*text);
      probed.insert(probed.end(), scan.probed_names.begin(), scan.probed_names.end());
    }
    seen.files.push_back(Recorded(f, facts->digest, st, clock_.RealNs()));
  }
  if (!seen.unrecordable.empty()) return seen;

  // Precompiled headers no dependency list names (pch.h).
  absl::StatusOr<std::string> source_text =
      util::ReadFileToString(util::JoinPath(cwd, plan.source));
  if (!source_text.ok()) {
    seen.unrecordable = "modified_input_file";
    return seen;
  }
  PchCandidates pch = PchCandidatesFor(plan, cwd, *source_text);
  if (pch.unknown) {
    seen.unrecordable = "pch_unknown";
    return seen;
  }

  absl::StatusOr<std::vector<std::string>> dirs =
      SearchDirs(SearchDirsInputsFor(request, plan, compiler_id), runner_,
                 util::JoinPath(cache_dir_, "compilers"));
  if (!dirs.ok()) {  // without the search path there is no shadowing proof
    seen.unrecordable = "search_dirs";
    return seen;
  }
  GuardInputs guard;
  guard.cwd = cwd;
  guard.search_dirs = std::move(*dirs);
  if (!plan.include_files.empty()) guard.extra_dirs.push_back("");
  guard.files = files;
  guard.probed_names = std::move(probed);
  guard.probed_names.insert(guard.probed_names.end(), pch.searched_names.begin(),
                            pch.searched_names.end());

  // PCHs found now go into the record by content; the guard sees new ones appear; paths checked
  // as written go in present or absent.
  std::vector<std::string> pch_paths =
      FindPchFiles(pch.searched_names, GuardDirectories(guard), cwd);
  pch_paths.insert(pch_paths.end(), pch.paths.begin(), pch.paths.end());
  std::vector<std::string> clang_pchs;  // resolved paths of the clang PCHs it may use
  for (const std::string& p : pch_paths) {
    absl::StatusOr<util::Digest> d = inputs_.State(cwd, p);
    if (!d.ok()) {
      seen.unrecordable = "pch_unreadable";
      return seen;
    }
    const std::string resolved = util::JoinPath(cwd, p);
    if (*d != AbsentDigest() && IsClangPchFile(resolved)) clang_pchs.push_back(resolved);
    ManifestFile file;
    file.path = p;
    file.digest = *d;
    file.directory = true;  // may be absent, or a .gch directory: checked by content every time
    seen.files.push_back(std::move(file));
  }
  for (const std::string& p : plan.explicit_pchs) {
    const std::string resolved = util::JoinPath(cwd, p);
    if (IsClangPchFile(resolved)) clang_pchs.push_back(resolved);
  }
  guard.now_ns = clock_.RealNs();
  seen.guard = BuildIncludeGuard(guard);

  // A clang PCH is refused when a header it was built from has another mtime: pin those (the
  // dependency list names them too, by content). A PCH clang builds records the mtimes of
  // everything it read: pin all of them.
  const bool producer_pins = PchTimesMatter(plan);
  bool pin_all = producer_pins;
  std::vector<ManifestFile> pch_inputs;
  for (const std::string& path : clang_pchs) {
    absl::StatusOr<std::vector<PchInputFile>> inputs = ReadClangPchInputFiles(path);
    if (!inputs.ok()) {
      pin_all = true;  // cannot tell which: all of them
      continue;
    }
    for (const PchInputFile& in : *inputs) {
      if (in.mtime == 0) continue;  // built without timestamps
      struct stat st;
      absl::StatusOr<FileFacts> facts = inputs_.Facts(cwd, in.name);
      if (!facts.ok() || ::stat(in.name.c_str(), &st) != 0) {
        seen.unrecordable = "pch_unreadable";
        return seen;
      }
      ManifestFile file = Recorded(in.name, facts->digest, st, clock_.RealNs());
      file.pin_mtime = true;
      pch_inputs.push_back(std::move(file));
    }
  }
  if (pin_all) {
    for (ManifestFile& f : seen.files) {
      if (!f.directory) f.pin_mtime = true;
    }
  }
  for (ManifestFile& f : pch_inputs) seen.files.push_back(std::move(f));
  seen.key_paths.reserve(seen.files.size());
  for (const ManifestFile& f : seen.files) seen.key_paths.push_back(KeyPath(f.path, base));
  for (size_t i = 0; i < seen.files.size(); ++i) {
    const ManifestFile& f = seen.files[i];
    seen.digests.push_back({seen.key_paths[i], f.digest});
    if (producer_pins && !f.directory) {
      seen.pinned.push_back({seen.key_paths[i], f.signature.size, f.signature.mtime_ns});
    }
  }
  return seen;
}

ManifestRecord DirectMode::ResultRecord(Observation seen, const util::Digest& result_key,
                                        absl::string_view bound_base, bool verify_file_macros) {
  ManifestRecord record;
  record.kind = RecordKind::kResult;
  record.result_key = result_key;
  record.base = std::string(bound_base);
  record.verify_file_macros = verify_file_macros;
  record.files = std::move(seen.files);
  record.guard = std::move(seen.guard);
  return record;
}

ManifestRecord DirectMode::PreprocessMarker() {
  ManifestRecord record;
  record.kind = RecordKind::kPreprocess;
  return record;
}

bool DirectMode::Record(const util::Digest& manifest_key, ManifestRecord record,
                        absl::string_view base, remote::RemoteStorage* remote) {
  Manifest manifest;
  if (std::shared_ptr<const Manifest> old = LoadManifest(manifest_key, base)) manifest = *old;
  manifest.AddRecord(std::move(record));
  store::Entry entry;
  entry.type = store::EntryType::kManifest;
  entry.Add(store::PayloadKind::kManifest, EncodeManifest(manifest, base));
  std::string encoded;
  if (!store_.Put(manifest_key, entry, &encoded).ok()) return false;
  if (remote != nullptr) remote->Put(manifest_key, store::EntryType::kManifest, encoded);
  return true;
}

}  // namespace zc::compile
