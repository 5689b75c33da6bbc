// Engine: one compile through the cache, shared by every front door (zcwrap, daemon, shim).
//
//   zc::compile::Engine engine(config, std::move(store), runner);
//   zc::compile::CompileResult r = engine.Compile(request);
//   if (r.outcome == Outcome::kPassthrough) { run the compiler untouched, your way }
//   else { write r.stdout_data / r.stderr_data, exit with r.exit_code }
//
// The flow, one named step each (CompileOrThrow):
//   Prepare (classify, compiler identity, key inputs)
//   → TryDirect (manifest key → DirectMode::Lookup → hit: Restore)
//     → miss: RunDependMode (compile with -MD, DirectMode::Observe what it read, Store the result
//       and a manifest record)
//   → Preprocess (preprocessor_mode.h: the key) → Lookup → hit: Restore | miss: RunAndStore
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

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "cachecore/audit/compile_events.h"
#include "cachecore/compile/arguments.h"
#include "cachecore/compile/direct_mode.h"
#include "cachecore/compile/explain.h"
#include "cachecore/compile/freshness.h"
#include "cachecore/compile/input_files.h"
#include "cachecore/compile/manifest.h"
#include "cachecore/compile/preprocessor_mode.h"
#include "cachecore/compile/request.h"
#include "cachecore/compile/result_cache.h"
#include "cachecore/config/config.h"
#include "cachecore/remote/remote_storage.h"
#include "cachecore/stats/counter.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/process.h"

namespace zc::compile {

class Engine {
 public:
  // `runner` must outlive the engine. A long-lived engine (daemon, embedding host) passes
  // `memory_cache_bytes` > 0 to keep decoded manifests and entries in memory (memory_cache.h),
  // and to watch the inputs of manifest records it has checked (util/path_watch.h), so later hits
  // skip re-checking them one stat at a time; a one-shot process passes 0. `clock` (tests pass
  // a fake) must outlive the engine too.
  Engine(config::Config config, std::unique_ptr<store::LocalStore> store,
         util::ProcessRunner* runner, size_t memory_cache_bytes = 0,
         const util::Clock& clock = util::SystemClock());
  ~Engine();

  [[nodiscard]] CompileResult Compile(const CompileRequest& request);
  // Would `request` hit, and if not, what changed since the last miss of its output (explain.h).
  // Compiles, stores and counts nothing (it may run the preprocessor or a compiler_check
  // command, as a compile would).
  [[nodiscard]] ExplainReport Explain(const CompileRequest& request);

  store::LocalStore& store() { return *store_; }
  // Entries in the in-memory tables of a long-lived engine (0 without them).
  size_t memory_manifests() const { return direct_->memory_manifests(); }
  size_t memory_results() const { return results_.memory_entries(); }
  const config::Config& config() const { return config_; }

 private:
  // One compile as the steps see it, filled by Prepare. The keys are not in it: each step is
  // handed the key it works under, so none can use a key that was never computed.
  struct Context {
    const CompileRequest* request = nullptr;
    audit::CompileEvents* audit = nullptr;     // null: not audited
    const config::Config* settings = nullptr;  // the request's, or the engine's
    StartTime start;  // an input not older than this may have been written while the compile ran
    EnvView env{std::nullopt};
    CompilePlan plan;
    util::Digest compiler_id;
    std::vector<std::string> compile_argv;
    std::vector<InputState> named_inputs;  // plan.input_files by content
    std::string key_cwd;  // the directory as the compiler sees it (base_dir.h ApparentCwd)
    // The base directory (base_dir.h) and, if the plan cannot use it, why (portability.h).
    // key_inputs.base is `base` when the plan can use it, empty otherwise.
    std::string base;
    std::string base_unusable;
    std::string launcher;  // prefix_command as keyed (prefix_command.h LauncherKey)
    KeyInputs key_inputs;
    bool dry_run = false;  // Explain: nothing is counted
    // The remote tiers of the request's settings (engine_remote.cc); null: none, or dry run.
    remote::RemoteStorage* remote = nullptr;
  };
  // What direct mode made of a request: a hit, or the manifest key the miss is recorded under
  // (none when direct mode does not apply) and whether its manifest sent it to preprocessor mode.
  struct DirectAnswer {
    std::optional<CompileResult> hit;
    std::optional<util::Digest> manifest_key;
    bool use_preprocessor = false;
  };

  // The steps of one compile, in the order Steps takes them (engine.cc).
  CompileResult CompileOrThrow(const CompileRequest& request, audit::CompileEvents* audit);
  CompileResult Steps(Context& ctx);
  // Classify → the request's plan, compiler identity and key inputs; or the passthrough result.
  std::optional<CompileResult> Prepare(Context& ctx);
  DirectAnswer TryDirect(Context& ctx);
  // A miss in preprocessor mode: compile, then store under `cpp.key` (or where Place puts it)
  // if the compile can only have seen what the key says. `*placed`: the key and base stored
  // under, for a manifest record.
  struct Placement;  // below
  CompileResult RunAndStore(Context& ctx, const Preprocessed& cpp, Placement* placed);
  // A stored result restored: the hit, or nullopt (nothing there, or nothing restorable).
  std::optional<CompileResult> Lookup(Context& ctx, const util::Digest& key,
                                      stats::Counter hit_counter);
  // Lookup of a preprocessor-mode key: the result shared by every checkout, else the one bound
  // to this compile's base (engine_base_dir.cc).
  std::optional<CompileResult> LookupEitherPlace(Context& ctx, const util::Digest& key,
                                                 stats::Counter hit_counter);
  // Adds a manifest record under `manifest_key` (nothing when read-only).
  void Record(Context& ctx, const util::Digest& manifest_key, ManifestRecord record);

  // Runs a compile of this request (`cmd`, the compiler's own command): through the settings'
  // prefix_command when there is one, else as it is (engine_prefix.cc). Never fails for the
  // launcher's sake: a prefixed run that is not the compiler's verdict is run again locally.
  absl::StatusOr<util::ProcessResult> RunCompiler(Context& ctx, const util::Command& cmd);

  // Depend mode (engine_depend_mode.cc). Compiles with a dependency list, then stores the result
  // and a manifest record under `manifest_key` (or, when direct mode cannot record it, stores it
  // in preprocessor mode). nullopt: depend mode cannot run here (-MMD, or no private dependency
  // file): the caller goes on in preprocessor mode, which computes its own key.
  std::optional<CompileResult> RunDependMode(Context& ctx, const util::Digest& manifest_key);
  // Compiles `cmd` again after the clock passed the first compile's start (some input was
  // written about then); the coarse time to judge the inputs by if it produced `first` again from
  // inputs all older than its own start, nullopt otherwise (the first compile's outputs are then
  // put back).
  std::optional<int64_t> Recompile(Context& ctx, util::Command cmd, const std::string& dep_path,
                                   const std::vector<std::string>& files,
                                   const store::Entry& first);
  // What direct mode cannot record is stored under its preprocessor-mode key instead, and the
  // manifest is marked so the next lookup goes there.
  void StoreInPreprocessorMode(Context& ctx, const util::Digest& manifest_key,
                               const store::Entry& entry, const DirectMode::Observation& seen,
                               CompileResult* result);

  // Base directories (engine_base_dir.cc). Where a miss's result is stored: under `key`, its .d
  // with the base marked, when nothing of the base reached its outputs (portability.h); else
  // under BoundToBase(key), in a record bound to the base (one another base may claim after
  // its own check when only __FILE__ was left unchecked). `files`: what it read; `cpp_text`:
  // its preprocessed text when preprocessor mode ran (else it is run if __FILE__ may matter).
  struct Placement {
    util::Digest key;
    std::optional<store::Entry> portable;  // the entry to store when shared
    std::string bound_base;                // non-empty: bound to this base
    std::string why;                       // why it is bound
    // Bound only because __FILE__ was not checked (a miss does not run the preprocessor for
    // that): another base checks its own preprocessed text before it uses the result.
    bool verify_file_macros = false;
    const store::Entry& EntryFor(const store::Entry& entry) const {
      return portable ? *portable : entry;
    }
  };
  Placement Place(Context& ctx, const util::Digest& key, const store::Entry& entry,
                  const std::vector<std::string>& files, absl::string_view cpp_text);
  // May this compile use `record`, made under another base? Yes unless it is bound for a reason
  // other than __FILE__, or this compile's preprocessed text names its base (run once per
  // compile, `*verdict` keeps the answer).
  bool FileMacrosStayHome(Context& ctx, const ManifestRecord& record, std::optional<bool>* verdict);
  // The base directory of a compile in `cwd` under `setting`, memoised per directory.
  std::string BaseFor(absl::string_view setting, const std::string& cwd);

  // Explaining misses (engine_explain.cc). The key inputs of the compile in `ctx`, in `mode`,
  // with `files` (path, hex digest) as the files it read.
  // `bound_why`: why its result is bound to the base directory (Placement::why).
  ExplainRecord KeyRecord(const Context& ctx, absl::string_view mode,
                          std::vector<std::pair<std::string, std::string>> files,
                          absl::string_view bound_why = {}) const;
  // Keeps `record` for a later Explain (best effort: a failure costs an explanation only).
  void RememberMiss(const Context& ctx, const ExplainRecord& record);

  // Results and counting (engine_results.cc).
  // A call the engine does not cache: counted (unless ctx.dry_run) as `reason`.
  CompileResult NotCached(const Context& ctx, stats::Counter reason);
  // Stores `entry` under `key` unless read-only; false (counted) if it was not stored.
  bool Store(Context& ctx, const util::Digest& key, const store::Entry& entry,
             CompileResult* result);
  // A successful miss that is not stored: counted and audited under `why`.
  void NotStored(Context& ctx, stats::Counter why);
  CompileResult Passthrough(stats::Counter reason);
  // The result of a compile that ran (kMiss: cache_miss, or compile_failed), counted.
  CompileResult MissResult(const util::ProcessResult& ran);
  // The result when the runner could not run a command: kCancelled, or a passthrough.
  CompileResult RunFailed(const absl::Status& status);
  // Runs the request's compiler untouched (run_uncacheable); `plain` is the passthrough result.
  CompileResult RunPlainly(const CompileRequest& request, CompileResult plain);
  void Log(const CompileRequest& request, const CompileResult& result, int64_t micros);
  // Appends "zcwrap[pid] `text`" to the request's log_file, if it has one.
  void AppendToLog(const CompileRequest& request, absl::string_view text);

  // Remote tiers (engine_remote.cc). The RemoteStorage for `ctx`'s settings, made on first use
  // and kept (connections open) in a long-lived engine; null without remote_storage, or when
  // its secret cannot be read (counted as remote_storage_error, said in the audit).
  remote::RemoteStorage* RemoteFor(const Context& ctx);

 public:
  // Waits for queued remote writes (the daemon's and the shim's flush and shutdown).
  void FlushRemote();
  // Each remote tier this engine has used: its counters, latencies and breaker.
  std::vector<remote::TierReportLine> RemoteReport();

 private:
  PreprocessEnv preprocess_env() { return {runner_, &inputs_, config_.cache_dir}; }

  config::Config config_;
  std::unique_ptr<store::LocalStore> store_;
  util::ProcessRunner* runner_;
  const util::Clock& clock_;
  InputFiles inputs_;
  std::unique_ptr<DirectMode> direct_;
  ResultCache results_;
  std::mutex base_mu_;
  absl::flat_hash_map<std::string, std::string> base_memo_;  // setting + '\0' + cwd -> base
  const bool remote_async_;  // long-lived: remote writes queued (remote_storage.h)
  std::mutex remote_mu_;
  // By remote_storage, key file and credentials; never removed (a handful per daemon).
  absl::flat_hash_map<std::string, std::unique_ptr<remote::RemoteStorage>> remotes_;
};

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_ENGINE_H_
