// Engine: one compile through the cache, shared by every front door (zcwrap, daemon, shim).
//
//   zc::compile::Engine engine(config, std::move(store), runner);
//   zc::compile::CompileResult r = engine.Compile(request);
//   if (r.outcome == Outcome::kPassthrough) { run the compiler untouched, your way }
//   else { write r.stdout_data / r.stderr_data, exit with r.exit_code }
//
// The flow, one named step each:
//   Classify → (direct mode) ManifestKey → DirectLookup → hit: Restore
//                                        → miss: RunDependMode (compile with -MD, Observe what
//                                          it read, Store result + manifest record)
//            → (preprocessor mode) Preprocess → Key → Lookup → hit: Restore | miss: Run → Store
// Direct mode is skipped (preprocessor mode only) when disabled, for -Wp,/-Xpreprocessor forms,
// already-preprocessed input, and sources using __DATE__/__TIME__/__TIMESTAMP__ or an opaque
// __has_include. Depend mode needs a full dependency list, so -MMD compiles record their manifest
// from the preprocessor's line markers instead. When depend mode cannot record what a compile
// read (a header with time macros or an opaque __has_include, a first include whose PCH cannot be
// told, ...), the result is stored in preprocessor mode and the manifest says to look there.
// Nothing is ever stored unless the compile is known to have read what the key says: an input
// written as the compile started is verified by compiling again (or preprocessing again), and
// every result that is not stored is counted and audited with the reason.
// Nothing in here can fail a build: every internal failure (unreadable cache, corrupt entry, full
// disk, a bug caught as an error) ends in kPassthrough or in a plain compile whose result is
// returned as the compiler produced it. A hit restores output files atomically (temporary file +
// rename), so a concurrent reader never sees a torn object.
//
// Thread-safe if the ProcessRunner is; the store is multi-process-safe.
#ifndef ZCWRAP_CACHECORE_COMPILE_ENGINE_H_
#define ZCWRAP_CACHECORE_COMPILE_ENGINE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cachecore/audit/compile_events.h"
#include "cachecore/compile/arguments.h"
#include "cachecore/compile/manifest.h"
#include "cachecore/compile/memory_cache.h"
#include "cachecore/util/path_watch.h"
#include "cachecore/compile/stat_cache.h"
#include "cachecore/config/config.h"
#include "cachecore/stats/counter.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/process.h"

namespace zc::compile {

struct CompileRequest {
  // argv[0] is the real compiler (a resolved path), then its arguments.
  std::vector<std::string> argv;
  std::string cwd;  // absolute
  // The compiler's environment as NAME=value; nullopt: this process's environment.
  std::optional<std::vector<std::string>> env;
  bool stderr_is_tty = false;
  // Per-request settings (disable, recache, readonly, direct_mode, log_file) when the caller is
  // not the process that owns the engine (the daemon serving a client). nullptr: the engine's.
  // cache_dir and the store limits always stay the engine's.
  const config::Config* config = nullptr;
  // Abandon the compile when one becomes readable (see util::Command::cancel_fds).
  std::vector<int> cancel_fds;
  // The caller's umask when it is not this process's (the daemon's clients); -1: ours.
  int umask = -1;
  // Run uncacheable compiles here too (outcome kRanPlainly) instead of handing them back
  // (kPassthrough). For callers that cannot exec the compiler themselves (the shim).
  bool run_uncacheable = false;
  std::string stdin_data;  // the compiler's standard input in such a plain run
  // Set: do not use the cache for this compile, for this reason (the caller found a problem,
  // e.g. a bad ZCWRAP_* setting): it is counted, audited and passed through like any other.
  std::optional<stats::Counter> uncached_reason;
  // The compile's own output as it is produced (stream 1 or 2); on a hit, each whole stream
  // once. Never the preprocessor's output. Empty: not called.
  std::function<void(int stream, absl::string_view chunk)> on_output;
  // Where this compile's audit events go. nullptr: the settings' audit_file, if any, with the
  // ids from the request's environment (ZCWRAP_RUN_ID, ...).
  audit::CompileEvents* audit = nullptr;
  // Set by a front door that meant to use the daemon and could not (why): counted
  // (daemon_fallback), logged and audited, never shown in the compile's output.
  std::string fallback_note;
  absl::string_view origin = "zcwrap";  // the front door, as audit events name it
};

enum class Outcome {
  kHit,          // outputs restored from the cache
  kMiss,         // compiled (and stored, unless read-only or the compile failed)
  kPassthrough,  // not cacheable or not cached: the caller must run the compiler untouched
  kCancelled,    // a cancel fd fired: compilers were killed, nothing was stored
  kRanPlainly,   // not cacheable or not cached, and run untouched here (run_uncacheable)
};

struct CompileResult {
  Outcome outcome = Outcome::kPassthrough;
  // Why: the hit kind, cache_miss, compile_failed, or the uncacheable/error reason.
  stats::Counter reason = stats::Counter::kInternalError;
  int exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
  std::string key_hex;     // empty unless a key was computed
  std::string compile_id;  // the audit events' id; empty when nothing was audited
  bool stored = false;     // a new result entry was written
};

// How audit events and the shim name a result: "hit", "miss", "uncacheable", "error" (an
// internal failure or a compiler that could not run) or "cancelled".
absl::string_view OutcomeName(const CompileResult& result);

class Engine {
 public:
  // `runner` must outlive the engine. A long-lived engine (daemon, embedding host) passes
  // `memory_cache_bytes` > 0 to keep decoded manifests and entries in memory (memory_cache.h),
  // and to watch the inputs of manifest records it has checked (util/path_watch.h), so later hits
  // skip re-checking them one stat at a time; a one-shot process passes 0.
  Engine(config::Config config, std::unique_ptr<store::LocalStore> store,
         util::ProcessRunner* runner, size_t memory_cache_bytes = 0);
  ~Engine();

  CompileResult Compile(const CompileRequest& request);

  store::LocalStore& store() { return *store_; }
  // Entries in the in-memory tables of a long-lived engine (0 without them).
  size_t memory_manifests() const { return manifests_ ? manifests_->entries() : 0; }
  size_t memory_results() const { return results_ ? results_->entries() : 0; }
  const config::Config& config() const { return config_; }

 private:
  struct Context;
  struct Observation;
  // A preprocessor run and the key it gives.
  struct Preprocessed {
    std::string text;
    std::string stderr_text;
    util::Digest key;
  };
  CompileResult CompileOrThrow(const CompileRequest& request, audit::CompileEvents* audit);
  // Runs the request's compiler untouched (run_uncacheable); `plain` is the passthrough result.
  CompileResult RunPlainly(const CompileRequest& request, CompileResult plain);
  CompileResult Passthrough(stats::Counter reason);
  // The result of a compile that ran (kMiss: cache_miss, or compile_failed), counted.
  CompileResult MissResult(const util::ProcessResult& ran);
  // The result when the runner could not run a command: kCancelled, or a passthrough.
  CompileResult RunFailed(const absl::Status& status);
  // A successful miss that is not stored: counted and audited under `why`.
  void NotStored(Context& ctx, stats::Counter why);

  // Direct mode. A lookup that finds only a kPreprocess record sets *use_preprocessor.
  std::optional<CompileResult> DirectLookup(Context& ctx, bool* use_preprocessor);
  // Compiles with a dependency list, then stores the result and a manifest record (or, when
  // direct mode cannot record it, stores it in preprocessor mode). nullopt: depend mode cannot
  // run (no private dependency file): use preprocessor mode.
  std::optional<CompileResult> RunDependMode(Context& ctx);
  // Compiles `cmd` again from a later clock tick (some input was written in the tick the first
  // compile started); the time to judge the inputs by if it produced `first` again from the same
  // inputs, nullopt otherwise (the first compile's outputs are then put back).
  std::optional<int64_t> Recompile(Context& ctx, util::Command cmd, const std::string& dep_path,
                                   const std::vector<std::string>& files,
                                   const store::Entry& first);
  // What a compile that read `files` depends on, as a manifest record would hold it; inputs
  // must be older than `fresh_before` (a coarse clock reading).
  Observation Observe(Context& ctx, const std::vector<std::string>& files, int64_t fresh_before);
  static ManifestRecord RecordOf(Observation seen, RecordKind kind, const util::Digest& result_key);
  // Adds `record` to the manifest (read-modify-write; nothing when read-only).
  void SaveRecord(Context& ctx, ManifestRecord record);
  void StoreInPreprocessorMode(Context& ctx, const store::Entry& entry, const Observation& seen,
                               CompileResult* result);
  // Every file and include-guard directory of `rec` is as recorded (stat, hash if needed).
  bool RecordHolds(Context& ctx, const ManifestRecord& rec);
  // Long-lived engines: `rec` was checked and nothing it depends on changed since (inotify).
  bool StillTrusted(const std::string& trust_key);
  // Watches what `rec` depends on, then checks it again; trusted from then on if it holds. Only
  // from a record's second check in this process on: watching costs more than one check, and
  // most records are looked up once per build.
  void Trust(Context& ctx, const ManifestRecord& rec, const std::string& trust_key);

  // Preprocessor mode. Errors: Cancelled; NotFound (the compiler could not run);
  // InvalidArgument (an input cannot be read); FailedPrecondition (the preprocessor failed).
  absl::StatusOr<Preprocessed> Preprocess(Context& ctx);
  std::optional<CompileResult> Lookup(Context& ctx, const util::Digest& key,
                                      stats::Counter hit_counter);
  CompileResult RunAndStore(Context& ctx, const Preprocessed& cpp);

  // Shared steps.
  absl::Status Restore(const Context& ctx, const store::Entry& entry, CompileResult* result);
  // Stores `entry` under `key` unless read-only; false (counted) if it was not stored.
  bool Store(Context& ctx, const util::Digest& key, const store::Entry& entry,
             CompileResult* result);
  absl::StatusOr<FileFacts> HashInput(const Context& ctx, const std::string& path);
  // input_digest.h's PathDigest of `path` (relative to the cwd), files hashed via HashInput.
  absl::StatusOr<util::Digest> PathState(const Context& ctx, const std::string& path);
  StatCache& stat_cache();
  // A stored manifest or result, through the memory cache when there is one. nullptr: a miss
  // (a corrupt file was counted and removed by the store).
  std::shared_ptr<const Manifest> LoadManifest(const util::Digest& key);
  std::shared_ptr<const store::Entry> LoadResult(const util::Digest& key);
  void Log(const CompileRequest& request, const CompileResult& result, int64_t micros);

  config::Config config_;
  std::unique_ptr<store::LocalStore> store_;
  util::ProcessRunner* runner_;
  std::once_flag stat_cache_once_;
  std::unique_ptr<StatCache> stat_cache_;  // opened on first use
  std::unique_ptr<MemoryCache<Manifest>> manifests_;       // null unless memory_cache_bytes
  std::unique_ptr<MemoryCache<store::Entry>> results_;     // null unless memory_cache_bytes
  std::unique_ptr<util::PathWatcher> watcher_;                   // null unless memory_cache_bytes
  struct TrustedRecord {
    std::optional<util::PathWatcher::Set> set;  // set: trusted while unchanged
    bool unwatchable = false;             // cannot be watched: do not try again
  };
  std::mutex trusted_mu_;
  absl::flat_hash_map<std::string, TrustedRecord> trusted_;  // by manifest key + result key
};

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_ENGINE_H_
