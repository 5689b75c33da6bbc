// Direct mode: finding a compile's result by what is known before preprocessing (the manifest
// under a key of compiler, arguments and source content), and recording what a compile read so
// the next identical one is answered without the preprocessor. How and why: docs/direct-mode.md.
//
//   zc::compile::DirectMode direct(store, inputs, runner, cache_dir, /*memory_cache_bytes=*/0);
//   DirectMode::Answer a = direct.Lookup(manifest_key, cwd, base, [&](const Digest& result) {
//     return RestoreIfStored(result);   // true: hit, stop looking
//   });
//   if (a.use_preprocessor) { the manifest says this compile is stored in preprocessor mode }
//   ...after a compile that read `files`:
//   DirectMode::Observation seen = direct.Observe(request, plan, compiler_id, files, start, base);
//   if (seen.unrecordable.empty()) direct.Record(manifest_key, DirectMode::ResultRecord(...),
//   base);
//
// `base` is the compile's base directory (base_dir.h; empty: none): manifests hold paths under
// it relative to it, and a record bound to a base (ManifestRecord::base) is used only there.
//
// A long-lived engine (memory_cache_bytes > 0) keeps decoded manifests in memory and trusts a
// checked record while inotify reports no change to anything it depends on (util/path_watch.h),
// from the record's second check on. Thread-safe.
#ifndef ZCWRAP_CACHECORE_COMPILE_DIRECT_MODE_H_
#define ZCWRAP_CACHECORE_COMPILE_DIRECT_MODE_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "cachecore/compile/arguments.h"
#include "cachecore/compile/cache_key.h"
#include "cachecore/compile/include_guard.h"
#include "cachecore/compile/input_files.h"
#include "cachecore/compile/manifest.h"
#include "cachecore/compile/memory_cache.h"
#include "cachecore/compile/request.h"
#include "cachecore/remote/remote_storage.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/path_watch.h"
#include "cachecore/util/process.h"

namespace zc::compile {

class DirectMode {
 public:
  // `store`, `inputs`, `runner` and `clock` must outlive this object.
  DirectMode(store::LocalStore& store, InputFiles& inputs, util::ProcessRunner& runner,
             const util::Clock& clock, std::string cache_dir, size_t memory_cache_bytes);

  struct Answer {
    bool hit = false;               // try_result took a record's result
    bool use_preprocessor = false;  // only a marker matched: look in preprocessor mode
    absl::string_view why;          // the audit's miss reason when !hit
  };
  // Checks the records of the manifest under `manifest_key` (newest first, markers last) that
  // may apply under `base` against the files as they are now in `cwd`, and offers each holding
  // record to `try_result` until it returns true. A record bound to another base is offered
  // only when it says so (verify_file_macros): `try_result` checks what __FILE__ becomes here.
  //
  // With `remote` (may be null): when no local record hits, the manifests of every remote tier
  // are merged with the local one and their records checked too; the merged manifest replaces
  // the local one when `may_write`.
  [[nodiscard]] Answer Lookup(const util::Digest& manifest_key, const std::string& cwd,
                              absl::string_view base,
                              absl::FunctionRef<bool(const ManifestRecord& record)> try_result,
                              remote::RemoteStorage* remote = nullptr, bool may_write = true);

  // What a successful compile read, ready to become a manifest record, or why it cannot (then
  // preprocessor mode keeps the result).
  struct Observation {
    std::vector<ManifestFile> files;     // every file read, then PCHs and what they pin
    std::vector<std::string> key_paths;  // their paths as keys hold them (relative to the base)
    std::vector<FileDigest> digests;     // key_paths with the digests, for the depend-mode key
    std::vector<DirWatch> guard;
    std::vector<PinnedTime> pinned;  // a PCH compile whose output embeds its inputs' times
    bool time_macros = false;        // some file uses __DATE__/__TIME__/__TIMESTAMP__
    std::string unrecordable;        // non-empty: why direct mode cannot record it
  };
  // Hashes `files` (what the compile of `request` read, as the compiler named them), finds the
  // PCHs it may have used, builds the include guard. Files must be older than `fresh_before` (a
  // coarse clock reading): one that is not makes the observation unrecordable.
  [[nodiscard]] Observation Observe(const CompileRequest& request, const CompilePlan& plan,
                                    const util::Digest& compiler_id,
                                    const std::vector<std::string>& files, int64_t fresh_before,
                                    absl::string_view base);

  // `bound_base`: the base the result is bound to (empty: portable, see ManifestRecord::base);
  // `verify_file_macros`: bound only until another base checks __FILE__ (ManifestRecord).
  static ManifestRecord ResultRecord(Observation seen, const util::Digest& result_key,
                                     absl::string_view bound_base = {},
                                     bool verify_file_macros = false);
  static ManifestRecord PreprocessMarker();
  // Adds `record` to the manifest under `manifest_key` (read-modify-write: concurrent writers may
  // drop each other's record, which costs a later hit, never correctness). False if the manifest
  // could not be written.
  // The manifest goes to `remote`'s writable tiers too (may be null).
  [[nodiscard]] bool Record(const util::Digest& manifest_key, ManifestRecord record,
                            absl::string_view base, remote::RemoteStorage* remote = nullptr);

  // For explanations: the first include-guard path of a record under `manifest_key` whose
  // existence changed in `cwd` (include_guard.h), or nullopt.
  std::optional<std::string> FirstGuardViolation(const util::Digest& manifest_key,
                                                 const std::string& cwd, absl::string_view base);

  size_t memory_manifests() const { return manifests_ ? manifests_->entries() : 0; }

 private:
  std::shared_ptr<const Manifest> LoadManifest(const util::Digest& key, absl::string_view base);
  // Lookup's walk over the records of one manifest.
  Answer Check(const Manifest& manifest, const util::Digest& manifest_key, const std::string& cwd,
               absl::string_view base,
               absl::FunctionRef<bool(const ManifestRecord& record)> try_result);
  // Every file and include-guard directory of `rec` is as recorded (stat, hash if needed).
  bool RecordHolds(const std::string& cwd, const ManifestRecord& rec);
  // Long-lived engines: `rec` was checked and nothing it depends on changed since (inotify).
  bool StillTrusted(const std::string& trust_key);
  // Watches what `rec` depends on, then checks it again; trusted from then on if it holds. Only
  // from a record's second check in this process on: watching costs more than one check, and
  // most records are looked up once per build.
  void Trust(const std::string& cwd, const ManifestRecord& rec, const std::string& trust_key);

  store::LocalStore& store_;
  InputFiles& inputs_;
  util::ProcessRunner& runner_;
  const util::Clock& clock_;
  const std::string cache_dir_;
  std::unique_ptr<MemoryCache<Manifest>> manifests_;  // null unless memory_cache_bytes
  std::unique_ptr<util::PathWatcher> watcher_;        // null unless memory_cache_bytes
  struct TrustedRecord {
    std::optional<util::PathWatcher::Set> set;  // set: trusted while unchanged
    bool unwatchable = false;                   // cannot be watched: do not try again
  };
  std::mutex trusted_mu_;
  absl::flat_hash_map<std::string, TrustedRecord> trusted_;  // by manifest, result key, base
};

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_DIRECT_MODE_H_
