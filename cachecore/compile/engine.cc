#include "cachecore/compile/engine.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cachecore/compile/cache_key.h"
#include "cachecore/compile/compiler_identity.h"
#include "cachecore/compile/dep_file.h"
#include "cachecore/compile/include_guard.h"
#include "cachecore/compile/line_markers.h"
#include "cachecore/compile/response_file.h"
#include "cachecore/compile/search_dirs.h"
#include "cachecore/compile/source_scan.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::compile {
namespace {

using stats::Counter;
using store::PayloadKind;

constexpr absl::string_view kColorFlag = "-fdiagnostics-color=always";

// The value of `name` in an environment given as NAME=value strings, or in this process's.
class EnvView {
 public:
  explicit EnvView(const std::optional<std::vector<std::string>>& env) {
    if (!env) return;
    explicit_ = true;
    for (const std::string& kv : *env) {
      size_t eq = kv.find('=');
      if (eq != std::string::npos) values_[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  std::optional<std::string> Get(absl::string_view name) const {
    if (!explicit_) {
      const char* v = std::getenv(std::string(name).c_str());
      return v == nullptr ? std::nullopt : std::optional<std::string>(v);
    }
    auto it = values_.find(name);
    return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }

 private:
  bool explicit_ = false;
  absl::flat_hash_map<std::string, std::string> values_;
};

// Reads a compiler output. NotFound if missing; FailedPrecondition if it is not a regular file
// (e.g. -o /dev/null), which must never be stored: its "content" is not what a real file gets.
absl::StatusOr<std::string> ReadOutput(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return util::ErrnoToStatus(errno, path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  return util::ReadFileToString(path);
}

// Writes a restored output: atomically for files, in place for devices such as /dev/null. With a
// `umask` (>= 0) the file gets the mode a compiler running under it would have given it.
absl::Status WriteOutput(const std::string& path, absl::string_view data, int umask) {
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    util::ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return util::ErrnoToStatus(errno, path);
    return util::Annotate(util::WriteAll(fd.get(), data), path);
  }
  absl::StatusOr<util::AtomicFile> file = util::AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  absl::Status written = file->Write(data);
  if (written.ok() && umask >= 0) written = file->SetMode(0666u & ~static_cast<unsigned>(umask));
  if (!written.ok()) return written;
  // Renaming over an existing file makes ext4 write the new file's data out at once
  // (auto_da_alloc), which was more than half of a hit's time; after an unlink the rename only
  // links the name. A reader between the two sees no file, never a partial one (the compiler
  // itself rewrites its output in place).
  if (exists) ::unlink(path.c_str());
  return file->Commit();
}

}  // namespace

struct Engine::Context {
  const CompileRequest* request = nullptr;
  audit::CompileEvents* audit = nullptr;  // null: not audited
  const config::Config* settings = nullptr;  // the request's, or the engine's
  CompilePlan plan;
  EnvView env{std::nullopt};
  std::vector<std::string> compile_argv;
  KeyInputs key_inputs;
  util::Digest compiler_id;
  int64_t start_ns = 0;
  // Direct mode: set when the manifest key was computed.
  std::optional<util::Digest> manifest_key;
  store::Key key;  // the result key once known
};

namespace {

int64_t Ns(const struct timespec& ts) { return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec; }

// A command run on behalf of `request`: in its directory and environment, under its umask,
// cancelled with it. The compile itself (not the preprocessor) shows its output as it comes.
enum class Shown { kNo, kOutput };
util::Command CommandFor(const CompileRequest& request, std::vector<std::string> argv,
                         Shown shown) {
  util::Command cmd;
  cmd.argv = std::move(argv);
  cmd.cwd = request.cwd;
  cmd.env = request.env;
  cmd.cancel_fds = request.cancel_fds;
  cmd.umask = request.umask;
  if (shown == Shown::kOutput) cmd.on_output = request.on_output;
  return cmd;
}

// Marks an entry recently used, for LRU cleanup (which goes by mtime). Ten minutes is precise
// enough for an LRU and spares a hit the write most of the time.
void MarkUsed(const std::string& path, const struct stat& st) {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  if (now.tv_sec - st.st_mtim.tv_sec > 600) ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
}

uint64_t EntryBytes(const store::Entry& entry) {
  uint64_t bytes = 0;
  for (const store::Payload& p : entry.payloads) bytes += p.data.size();
  return bytes;
}

FileSignature SignatureOf(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
          static_cast<int64_t>(st.st_size), Ns(st.st_mtim), Ns(st.st_ctim)};
}

// Depend mode needs every file the compile read; -MMD leaves out system headers.
bool DependModeUsable(const CompilePlan& plan) {
  for (const std::string& a : plan.dep_key_args) {
    if (a == "-MMD" || a == "-Wp,-MMD") return false;
  }
  return true;
}

}  // namespace

Engine::Engine(config::Config config, std::unique_ptr<store::LocalStore> store,
               util::ProcessRunner* runner, size_t memory_cache_bytes)
    : config_(std::move(config)), store_(std::move(store)), runner_(runner) {
  if (memory_cache_bytes > 0) {
    manifests_ = std::make_unique<MemoryCache<Manifest>>(memory_cache_bytes / 4);
    results_ = std::make_unique<MemoryCache<store::Entry>>(memory_cache_bytes - memory_cache_bytes / 4);
    watcher_ = PathWatcher::Create();
  }
}

std::shared_ptr<const Manifest> Engine::LoadManifest(const util::Digest& key) {
  const std::string path = store_->PathFor(key, store::EntryType::kManifest);
  struct stat st;
  if (manifests_ != nullptr) {
    if (::stat(path.c_str(), &st) != 0) return nullptr;
    if (std::shared_ptr<const Manifest> known = manifests_->Find(path, st)) {
      MarkUsed(path, st);
      return known;
    }
  }
  absl::StatusOr<std::optional<store::Entry>> got = store_->Get(key, store::EntryType::kManifest);
  if (!got.ok() || !got->has_value()) return nullptr;
  const store::Payload* payload = (*got)->Find(PayloadKind::kManifest);
  if (payload == nullptr) return nullptr;
  absl::StatusOr<Manifest> manifest = DecodeManifest(payload->data);
  if (!manifest.ok()) {
    store_->stats().Increment(Counter::kCorruptCacheEntry);
    return nullptr;
  }
  auto shared = std::make_shared<const Manifest>(std::move(*manifest));
  if (manifests_ != nullptr) manifests_->Insert(path, st, shared, payload->data.size() * 2);
  return shared;
}

std::shared_ptr<const store::Entry> Engine::LoadResult(const util::Digest& key) {
  const std::string path = store_->PathFor(key, store::EntryType::kResult);
  struct stat st;
  if (results_ != nullptr) {
    if (::stat(path.c_str(), &st) != 0) return nullptr;
    if (std::shared_ptr<const store::Entry> known = results_->Find(path, st)) {
      MarkUsed(path, st);
      return known;
    }
  }
  absl::StatusOr<std::optional<store::Entry>> got = store_->Get(key, store::EntryType::kResult);
  if (!got.ok() || !got->has_value()) return nullptr;
  auto shared = std::make_shared<const store::Entry>(std::move(**got));
  if (results_ != nullptr) results_->Insert(path, st, shared, shared->DataSize());
  return shared;
}

CompileResult Engine::Passthrough(Counter reason) {
  store_->stats().Increment(reason);
  CompileResult r;
  r.outcome = Outcome::kPassthrough;
  r.reason = reason;
  return r;
}

CompileResult Engine::MissResult(const util::ProcessResult& ran) {
  CompileResult result;
  result.outcome = Outcome::kMiss;
  result.exit_code = ran.exit_code;
  result.stdout_data = ran.stdout_data;  // copied: CollectOutputs stores them too
  result.stderr_data = ran.stderr_data;
  const bool failed = ran.exit_code != 0;
  // A failed compile is passed through exactly and never stored.
  result.reason = failed ? Counter::kCompileFailed : Counter::kCacheMiss;
  store_->stats().Increment(result.reason);
  return result;
}

CompileResult Engine::RunFailed(const absl::Status& status) {
  if (absl::IsCancelled(status)) {
    CompileResult r;
    r.outcome = Outcome::kCancelled;
    r.reason = Counter::kInternalError;
    r.exit_code = 1;
    return r;
  }
  return Passthrough(Counter::kCouldNotFindCompiler);
}

absl::string_view OutcomeName(const CompileResult& result) {
  switch (result.outcome) {
    case Outcome::kHit: return "hit";
    case Outcome::kMiss: return "miss";
    case Outcome::kCancelled: return "cancelled";
    case Outcome::kPassthrough:
    case Outcome::kRanPlainly:
      return stats::Info(result.reason).group == stats::CounterGroup::kError ? "error"
                                                                             : "uncacheable";
  }
  return "error";
}

CompileResult Engine::Compile(const CompileRequest& request) {
  const int64_t start_ns = NowNs();
  const config::Config& settings = request.config != nullptr ? *request.config : config_;
  // Audit events: the caller's, or the settings' file with the ids from the environment.
  audit::CompileEvents* events = request.audit;
  std::unique_ptr<audit::EventLog> own_log;
  std::optional<audit::CompileEvents> own_events;
  if (events == nullptr && !settings.audit_file.empty()) {
    std::optional<audit::Mode> mode = audit::ParseMode(settings.audit_mode);
    if (mode && *mode != audit::Mode::kOff) {
      absl::StatusOr<std::unique_ptr<audit::EventLog>> log =
          audit::EventLog::Open(util::JoinPath(request.cwd, settings.audit_file));
      if (log.ok()) {
        own_log = std::move(*log);
        EnvView env(request.env);
        own_events.emplace(own_log.get(), *mode,
                           audit::ContextFromEnv([&env](absl::string_view n) { return env.Get(n); }),
                           nullptr, request.origin);
        events = &*own_events;
      }
    }
  }
  if (events != nullptr) events->Started(request.argv, request.cwd, request.env);

  CompileResult result;
  try {
    result = CompileOrThrow(request, events);
  } catch (const std::exception&) {
    result = Passthrough(Counter::kInternalError);
  }
  if (result.outcome == Outcome::kPassthrough && request.run_uncacheable) {
    result = RunPlainly(request, std::move(result));
  }
  store_->stats().Touch();
  const int64_t micros = (NowNs() - start_ns) / 1000;
  Log(request, result, micros);
  if (events != nullptr) {
    std::optional<int> exit_code;
    if (result.outcome != Outcome::kPassthrough) exit_code = result.exit_code;
    events->Finished(OutcomeName(result), stats::CounterName(result.reason), exit_code, micros);
    result.compile_id = events->compile_id();
  }
  return result;
}

CompileResult Engine::RunPlainly(const CompileRequest& request, CompileResult plain) {
  util::Command cmd = CommandFor(request, request.argv, Shown::kOutput);
  cmd.stdin_data = request.stdin_data;
  absl::StatusOr<util::ProcessResult> ran = runner_->Run(cmd);
  if (!ran.ok()) {
    if (absl::IsCancelled(ran.status())) return RunFailed(ran.status());
    // As a shell would say it.
    plain.outcome = Outcome::kRanPlainly;
    plain.reason = Counter::kCouldNotFindCompiler;
    plain.exit_code = 127;
    plain.stderr_data = absl::StrCat("zcwrap: ", ran.status().message(), "\n");
    if (request.on_output) request.on_output(2, plain.stderr_data);
    return plain;
  }
  plain.outcome = Outcome::kRanPlainly;
  plain.exit_code = ran->exit_code;
  plain.stdout_data = std::move(ran->stdout_data);
  plain.stderr_data = std::move(ran->stderr_data);
  return plain;
}

CompileResult Engine::CompileOrThrow(const CompileRequest& request, audit::CompileEvents* audit) {
  const config::Config& settings = request.config != nullptr ? *request.config : config_;
  if (request.uncached_reason) return Passthrough(*request.uncached_reason);
  if (settings.disable) return Passthrough(Counter::kDisabled);
  if (request.argv.empty()) return Passthrough(Counter::kBadCompilerArguments);

  Context ctx;
  ctx.request = &request;
  ctx.audit = audit;
  ctx.settings = &settings;
  // Taken before any input is hashed. File timestamps come from the kernel's coarse clock:
  // compare them with the same clock, so a file written in the same tick as the start still
  // counts as written during the compile.
  struct timespec coarse;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
  ctx.start_ns = Ns(coarse);
  ctx.env = EnvView(request.env);

  // Classify.
  absl::StatusOr<std::vector<std::string>> args = ExpandResponseFiles(
      std::vector<std::string>(request.argv.begin() + 1, request.argv.end()), request.cwd);
  if (!args.ok()) return Passthrough(Counter::kBadCompilerArguments);
  Classification classified = ClassifyArguments(*args);
  if (const Counter* reason = std::get_if<Counter>(&classified)) return Passthrough(*reason);
  ctx.plan = std::move(std::get<CompilePlan>(classified));
  const CompilePlan& plan = ctx.plan;

  absl::StatusOr<util::Digest> compiler_id =
      CompilerIdentity(request.argv[0], util::JoinPath(config_.cache_dir, "compilers"));
  if (!compiler_id.ok()) return Passthrough(Counter::kCouldNotFindCompiler);
  ctx.compiler_id = *compiler_id;

  bool color = plan.color == ColorMode::kAlways;
  if (plan.color == ColorMode::kAuto && request.stderr_is_tty) {
    std::optional<std::string> term = ctx.env.Get("TERM");
    color = !(term && *term == "dumb");
  }
  ctx.compile_argv.reserve(plan.compile_args.size() + 4);
  ctx.compile_argv.push_back(request.argv[0]);
  ctx.compile_argv.insert(ctx.compile_argv.end(), plan.compile_args.begin(),
                          plan.compile_args.end());
  // Captured stderr is a pipe, so the compiler would drop the colours a terminal would get.
  if (plan.color == ColorMode::kAuto && color) ctx.compile_argv.emplace_back(kColorFlag);

  KeyInputs& key_inputs = ctx.key_inputs;
  key_inputs.plan = &ctx.plan;
  key_inputs.compiler_id = ctx.compiler_id;
  key_inputs.compiler_name = util::Basename(request.argv[0]);
  key_inputs.cwd = request.cwd;
  key_inputs.color = color;
  key_inputs.env = [&ctx](absl::string_view name) { return ctx.env.Get(name); };

  // Direct mode: look the compile up by what is known before preprocessing.
  if (settings.direct_mode && plan.direct_mode_ok && !plan.preprocessed_input) {
    absl::StatusOr<FileFacts> source = HashInput(ctx, plan.source);
    if (source.ok() && !(source->flags & (kUsesTimeMacros | kUsesOpaqueHasInclude))) {
      ctx.manifest_key = ManifestKey(key_inputs, source->digest);
      if (settings.recache) {
        store_->stats().Increment(Counter::kRecache);
        if (ctx.audit) ctx.audit->Miss("direct", "recache");
      } else if (std::optional<CompileResult> hit = DirectLookup(ctx)) {
        return std::move(*hit);
      }
      store_->stats().Increment(Counter::kDirectCacheMiss);
      if (DependModeUsable(plan)) return RunDependMode(ctx);
    }
  }

  // Preprocessor mode: the key covers the preprocessed source (or the source itself when it is
  // already preprocessed).
  std::string preprocessed, cpp_stderr;
  if (plan.preprocessed_input) {
    absl::StatusOr<std::string> text =
        util::ReadFileToString(util::JoinPath(request.cwd, plan.source));
    if (!text.ok()) return Passthrough(Counter::kBadCompilerArguments);
    preprocessed = std::move(*text);
  } else {
    std::vector<std::string> cpp_argv = {request.argv[0]};
    cpp_argv.insert(cpp_argv.end(), plan.preprocess_args.begin(), plan.preprocess_args.end());
    cpp_argv.push_back("-E");
    absl::StatusOr<util::ProcessResult> ran = runner_->Run(CommandFor(request, cpp_argv, Shown::kNo));
    if (!ran.ok()) return RunFailed(ran.status());
    if (ran->exit_code != 0) return Passthrough(Counter::kPreprocessorError);
    preprocessed = std::move(ran->stdout_data);
    cpp_stderr = std::move(ran->stderr_data);
  }
  key_inputs.preprocessed = preprocessed;
  key_inputs.preprocessor_stderr = cpp_stderr;
  ctx.key = PreprocessorModeKey(key_inputs);
  key_inputs.preprocessed = {};
  key_inputs.preprocessor_stderr = {};

  CompileResult result;
  bool have_result = false;
  if (settings.recache) {
    if (!ctx.manifest_key) store_->stats().Increment(Counter::kRecache);
  } else if (std::optional<CompileResult> hit =
                 Lookup(ctx, ctx.key, Counter::kPreprocessedCacheHit)) {
    result = std::move(*hit);
    have_result = true;
  }
  if (!have_result) {
    store_->stats().Increment(Counter::kPreprocessedCacheMiss);
    if (ctx.audit) ctx.audit->Miss("preprocessed", settings.recache ? "recache" : "not_found");
    result = RunAndStore(ctx);
  }
  // Teach direct mode this compile (the -MMD case): the line markers name every file read.
  if (ctx.manifest_key && result.exit_code == 0 && result.outcome != Outcome::kPassthrough &&
      !settings.readonly) {
    RecordManifest(ctx, FilesFromLineMarkers(preprocessed), ctx.key);
  }
  return result;
}

absl::StatusOr<FileFacts> Engine::HashInput(const Context& ctx, const std::string& path) {
  const std::string resolved = util::JoinPath(ctx.request->cwd, path);
  struct stat st;
  if (::stat(resolved.c_str(), &st) != 0) return util::ErrnoToStatus(errno, resolved);
  StatCache& cache = stat_cache();
  if (std::optional<FileFacts> known = cache.Lookup(st)) return *known;
  absl::StatusOr<std::string> text = util::ReadFileToString(resolved);
  if (!text.ok()) return text.status();
  FileFacts facts;
  facts.digest = util::Sha256::Of(*text);
  facts.flags = ScanSource(*text).flags;
  // Only trust what we read if the file did not change while we read it.
  struct stat after;
  if (::stat(resolved.c_str(), &after) == 0 && after.st_size == st.st_size &&
      Ns(after.st_mtim) == Ns(st.st_mtim) && Ns(after.st_ctim) == Ns(st.st_ctim)) {
    cache.Insert(st, facts, NowNs());
  }
  return facts;
}

StatCache& Engine::stat_cache() {
  std::call_once(stat_cache_once_, [this] {
    absl::StatusOr<std::unique_ptr<StatCache>> opened =
        StatCache::Open(util::JoinPath(config_.cache_dir, "statcache"));
    stat_cache_ = opened.ok() ? std::move(*opened) : StatCache::InMemory();
    if (stat_cache_ == nullptr) throw std::bad_alloc();
  });
  return *stat_cache_;
}

std::optional<CompileResult> Engine::DirectLookup(Context& ctx) {
  std::shared_ptr<const Manifest> manifest = LoadManifest(*ctx.manifest_key);
  if (manifest == nullptr) {
    if (ctx.audit) ctx.audit->Miss("direct", "no_manifest");
    return std::nullopt;
  }
  // Why nothing matched, for the audit: no record's inputs are as they were, or one's were but
  // its result is gone.
  absl::string_view why = "inputs_changed";
  if (watcher_ != nullptr) watcher_->Sync();
  for (const ManifestRecord& rec : manifest->records) {
    std::string trust_key;
    bool holds = false;
    if (watcher_ != nullptr) {
      trust_key = absl::StrCat(ctx.manifest_key->ToHex(), rec.result_key.ToHex());
      holds = StillTrusted(trust_key);
    }
    if (!holds) {
      holds = RecordHolds(ctx, rec);
      if (holds && watcher_ != nullptr) Trust(ctx, rec, trust_key);
    }
    if (!holds) continue;
    ctx.key = rec.result_key;
    if (std::optional<CompileResult> hit = Lookup(ctx, rec.result_key, Counter::kDirectCacheHit)) {
      return hit;
    }
    why = "result_missing";
  }
  if (ctx.audit) ctx.audit->Miss("direct", why);
  return std::nullopt;
}

bool Engine::RecordHolds(Context& ctx, const ManifestRecord& rec) {
  for (const ManifestFile& f : rec.files) {
    if (f.trust_signature) {
      // The common case: one stat, no read, no hash.
      struct stat st;
      if (::stat(util::JoinPath(ctx.request->cwd, f.path).c_str(), &st) == 0 &&
          SignatureOf(st) == f.signature) {
        continue;
      }
    }
    absl::StatusOr<FileFacts> now = HashInput(ctx, f.path);
    if (!now.ok() || now->digest != f.digest || (now->flags & kUsesTimeMacros)) return false;
  }
  return IncludeGuardHolds(rec.guard, ctx.request->cwd);
}

bool Engine::StillTrusted(const std::string& trust_key) {
  std::lock_guard<std::mutex> lock(trusted_mu_);
  auto it = trusted_.find(trust_key);
  return it != trusted_.end() && it->second.set && watcher_->Unchanged(*it->second.set);
}

void Engine::Trust(Context& ctx, const ManifestRecord& rec, const std::string& trust_key) {
  {
    std::lock_guard<std::mutex> lock(trusted_mu_);
    if (trusted_.size() >= 100'000) trusted_.clear();  // bounded; records are re-trusted on use
    auto [it, first_check] = trusted_.try_emplace(trust_key);
    if (first_check || it->second.unwatchable) return;
  }
  const std::string& cwd = ctx.request->cwd;
  std::vector<std::string> files;
  files.reserve(rec.files.size());
  for (const ManifestFile& f : rec.files) files.push_back(util::JoinPath(cwd, f.path));
  std::vector<std::pair<std::string, std::vector<std::string>>> dirs;
  for (const DirWatch& w : rec.guard) {
    std::vector<WatchedName> names;
    if (!w.Names(&names)) return;
    std::vector<std::string> plain;
    for (WatchedName& n : names) plain.push_back(std::move(n.name));
    dirs.emplace_back(w.dir.empty() ? cwd : util::JoinPath(cwd, w.dir), std::move(plain));
  }
  // Watch first, then check again: a change after the check is an event; one before it fails
  // the check.
  std::optional<PathWatcher::Set> set = watcher_->Watch(files, dirs);
  if (set && !RecordHolds(ctx, rec)) return;
  std::lock_guard<std::mutex> lock(trusted_mu_);
  TrustedRecord& record = trusted_[trust_key];
  record.unwatchable = !set.has_value();
  record.set = std::move(set);
}

CompileResult Engine::RunDependMode(Context& ctx) {
  const CompilePlan& plan = ctx.plan;
  const std::string& cwd = ctx.request->cwd;
  util::Command cmd = CommandFor(*ctx.request, ctx.compile_argv, Shown::kOutput);
  // The dependency list comes from the compile itself: the user's .d if they asked for one
  // (with -MD it lists everything), else a private one the user never sees.
  std::string dep_path;
  std::optional<util::AtomicFile> private_dep;
  if (plan.dep_file_wanted) {
    dep_path = util::JoinPath(cwd, plan.dep_file);
  } else {
    const std::string tmp_dir = util::JoinPath(config_.cache_dir, "tmp");
    (void)util::CreateDirectories(tmp_dir);
    absl::StatusOr<util::AtomicFile> tmp = util::AtomicFile::Create(util::JoinPath(tmp_dir, "dep"));
    if (!tmp.ok()) {
      ctx.manifest_key.reset();  // cannot learn the headers: plain miss through preprocessor mode
      return RunAndStore(ctx);
    }
    dep_path = tmp->temp_path();
    private_dep.emplace(std::move(*tmp));  // removed (unlinked) when this function returns
    cmd.argv.insert(cmd.argv.end(), {"-MD", "-MF", dep_path});
  }
  absl::StatusOr<util::ProcessResult> ran = runner_->Run(cmd);
  if (!ran.ok()) return RunFailed(ran.status());

  CompileResult result = MissResult(*ran);
  if (result.exit_code != 0) return result;
  stats::StatsFile& stats = store_->stats();

  absl::StatusOr<std::string> dep_text = util::ReadFileToString(dep_path);
  if (!dep_text.ok()) return result;
  std::vector<std::string> files = ParseDependencies(*dep_text);
  if (files.empty()) return result;

  // Hash what the compile read. A file changed since the compile started, or one using time
  // macros, makes the result unfit for direct mode: return it, store nothing.
  std::vector<FileDigest> digests;
  digests.reserve(files.size());
  for (const std::string& f : files) {
    const std::string resolved = util::JoinPath(cwd, f);
    struct stat st;
    if (::stat(resolved.c_str(), &st) != 0) return result;
    if (Ns(st.st_mtim) >= ctx.start_ns || Ns(st.st_ctim) >= ctx.start_ns) {
      stats.Increment(Counter::kModifiedInputFile);
      return result;
    }
    absl::StatusOr<FileFacts> facts = HashInput(ctx, f);
    if (!facts.ok() || (facts->flags & (kUsesTimeMacros | kUsesOpaqueHasInclude))) return result;
    digests.push_back({f, facts->digest});
  }
  ctx.key = DependModeResultKey(*ctx.manifest_key, digests);
  result.key_hex = ctx.key.ToHex();

  absl::StatusOr<store::Entry> entry = CollectOutputs(ctx, *ran);
  if (!entry.ok()) return result;
  if (ctx.settings->readonly) {
    stats.Increment(Counter::kReadonlyMiss);
    return result;
  }
  if (!store_->Put(ctx.key, *entry).ok()) return result;
  result.stored = true;
  if (ctx.audit) ctx.audit->Stored(result.key_hex, EntryBytes(*entry));
  RecordManifest(ctx, files, ctx.key);
  return result;
}

void Engine::RecordManifest(Context& ctx, const std::vector<std::string>& files,
                            const util::Digest& result_key) {
  if (!ctx.manifest_key || files.empty()) return;
  const CompilePlan& plan = ctx.plan;
  ManifestRecord record;
  record.result_key = result_key;
  std::vector<std::string> probed;
  for (const std::string& f : files) {
    absl::StatusOr<FileFacts> facts = HashInput(ctx, f);
    if (!facts.ok() || (facts->flags & (kUsesTimeMacros | kUsesOpaqueHasInclude))) return;
    const std::string resolved = util::JoinPath(ctx.request->cwd, f);
    struct stat st;
    if (::stat(resolved.c_str(), &st) != 0 || Ns(st.st_mtim) >= ctx.start_ns ||
        Ns(st.st_ctim) >= ctx.start_ns) {
      return;  // changed during the compile: never record it
    }
    if (facts->flags & kUsesHasInclude) {
      absl::StatusOr<std::string> text = util::ReadFileToString(resolved);
      if (!text.ok()) return;
      SourceScan scan = ScanSource(*text);
      probed.insert(probed.end(), scan.probed_names.begin(), scan.probed_names.end());
    }
    ManifestFile file;
    file.path = f;
    file.digest = facts->digest;
    file.signature = SignatureOf(st);
    const int64_t now_ns = NowNs();
    file.trust_signature = now_ns - file.signature.mtime_ns >= StatCache::kRacyWindowNs &&
                           now_ns - file.signature.ctime_ns >= StatCache::kRacyWindowNs;
    record.files.push_back(std::move(file));
  }

  SearchDirsInputs dirs_in;
  dirs_in.compiler = ctx.request->argv[0];
  dirs_in.compiler_id = ctx.compiler_id;
  dirs_in.language = plan.language;
  dirs_in.cpp_args = plan.cpp_flags;
  dirs_in.cwd = ctx.request->cwd;
  dirs_in.env = ctx.request->env;
  absl::StatusOr<std::vector<std::string>> dirs =
      SearchDirs(dirs_in, *runner_, util::JoinPath(config_.cache_dir, "compilers"));
  if (!dirs.ok()) return;  // without the search path there is no shadowing proof: no manifest

  GuardInputs guard;
  guard.cwd = ctx.request->cwd;
  guard.search_dirs = std::move(*dirs);
  guard.files = files;
  guard.probed_names = std::move(probed);
  guard.now_ns = NowNs();
  record.guard = BuildIncludeGuard(guard);

  // Read-modify-write of the manifest: concurrent writers may drop each other's record, which
  // costs a later direct hit, never correctness (each record stands alone).
  Manifest manifest;
  if (std::shared_ptr<const Manifest> old = LoadManifest(*ctx.manifest_key)) manifest = *old;
  manifest.AddRecord(std::move(record));
  store::Entry entry;
  entry.type = store::EntryType::kManifest;
  entry.Add(PayloadKind::kManifest, EncodeManifest(manifest));
  (void)store_->Put(*ctx.manifest_key, entry);
}

std::optional<CompileResult> Engine::Lookup(Context& ctx, const util::Digest& key,
                                            Counter hit_counter) {
  std::shared_ptr<const store::Entry> entry = LoadResult(key);
  if (entry == nullptr) return std::nullopt;  // corrupt entries were counted
  CompileResult result;
  absl::Status restored = Restore(ctx, *entry, &result);
  if (!restored.ok()) return std::nullopt;  // compile instead; the compiler reports real problems
  result.outcome = Outcome::kHit;
  result.reason = hit_counter;
  result.key_hex = key.ToHex();
  store_->stats().Increment(hit_counter);
  if (ctx.audit) {
    ctx.audit->Hit(hit_counter == Counter::kDirectCacheHit ? "direct" : "preprocessed",
                   result.key_hex);
  }
  if (const auto& show = ctx.request->on_output) {
    if (!result.stdout_data.empty()) show(1, result.stdout_data);
    if (!result.stderr_data.empty()) show(2, result.stderr_data);
  }
  return result;
}

absl::Status Engine::Restore(const Context& ctx, const store::Entry& entry,
                             CompileResult* result) {
  const CompilePlan& plan = ctx.plan;
  const std::string& cwd = ctx.request->cwd;
  const store::Payload* object = entry.Find(PayloadKind::kObject);
  std::optional<int32_t> exit_code = entry.ExitCode();
  if (object == nullptr || !exit_code) return absl::DataLossError("entry lacks object or exit code");

  // Prepare everything before writing anything, so a bad entry leaves no partial outputs.
  std::string dep;
  if (plan.dep_file_wanted) {
    const store::Payload* d = entry.Find(PayloadKind::kDependency);
    const store::Payload* meta = entry.Find(PayloadKind::kMetadata);
    if (d == nullptr || meta == nullptr || !absl::StartsWith(meta->data, "output=")) {
      return absl::DataLossError("entry lacks the dependency file");
    }
    if (plan.dep_target_explicit) {
      dep = d->data;
    } else {
      absl::string_view stored_output = absl::string_view(meta->data).substr(7);
      if (absl::EndsWith(stored_output, "\n")) stored_output.remove_suffix(1);
      std::optional<std::string> rewritten = RewriteDepTarget(d->data, stored_output, plan.output);
      if (!rewritten) return absl::DataLossError("unexpected dependency file target");
      dep = std::move(*rewritten);
    }
  }

  absl::Status st;
  if (const store::Payload* dwo = entry.Find(PayloadKind::kSplitDwarf); dwo && !plan.dwo_file.empty()) {
    st = WriteOutput(util::JoinPath(cwd, plan.dwo_file), dwo->data, ctx.request->umask);
    if (!st.ok()) return st;
  }
  if (const store::Payload* gcno = entry.Find(PayloadKind::kCoverageNotes);
      gcno && !plan.gcno_file.empty()) {
    st = WriteOutput(util::JoinPath(cwd, plan.gcno_file), gcno->data, ctx.request->umask);
    if (!st.ok()) return st;
  }
  if (plan.dep_file_wanted) {
    st = WriteOutput(util::JoinPath(cwd, plan.dep_file), dep, ctx.request->umask);
    if (!st.ok()) return st;
  }
  st = WriteOutput(util::JoinPath(cwd, plan.output), object->data, ctx.request->umask);
  if (!st.ok()) return st;

  if (const store::Payload* out = entry.Find(PayloadKind::kStdout)) result->stdout_data = out->data;
  if (const store::Payload* err = entry.Find(PayloadKind::kStderr)) result->stderr_data = err->data;
  result->exit_code = *exit_code;
  return absl::OkStatus();
}

CompileResult Engine::RunAndStore(Context& ctx) {
  absl::StatusOr<util::ProcessResult> ran =
      runner_->Run(CommandFor(*ctx.request, ctx.compile_argv, Shown::kOutput));
  if (!ran.ok()) return RunFailed(ran.status());

  CompileResult result = MissResult(*ran);
  result.key_hex = ctx.key.ToHex();
  if (result.exit_code != 0) return result;
  stats::StatsFile& stats = store_->stats();

  absl::StatusOr<store::Entry> entry = CollectOutputs(ctx, *ran);
  if (!entry.ok()) return result;
  if (ctx.settings->readonly) {
    stats.Increment(Counter::kReadonlyMiss);
    return result;
  }
  // A failed store costs a future hit, never this build.
  if (store_->Put(ctx.key, *entry).ok()) {
    result.stored = true;
    if (ctx.audit) ctx.audit->Stored(result.key_hex, EntryBytes(*entry));
  }
  return result;
}

absl::StatusOr<store::Entry> Engine::CollectOutputs(const Context& ctx,
                                                    const util::ProcessResult& ran) {
  const CompilePlan& plan = ctx.plan;
  const std::string& cwd = ctx.request->cwd;
  store::Entry entry;
  entry.type = store::EntryType::kResult;
  absl::StatusOr<std::string> object = ReadOutput(util::JoinPath(cwd, plan.output));
  if (!object.ok()) {
    store_->stats().Increment(Counter::kCompilerProducedNoOutput);
    return object.status();
  }
  entry.Add(PayloadKind::kObject, std::move(*object));
  if (plan.dep_file_wanted) {
    // e.g. -MF /dev/null: the compile is fine, its outputs are just not cacheable.
    absl::StatusOr<std::string> dep = ReadOutput(util::JoinPath(cwd, plan.dep_file));
    if (!dep.ok()) return dep.status();
    entry.Add(PayloadKind::kDependency, std::move(*dep));
  }
  if (!plan.dwo_file.empty()) {
    absl::StatusOr<std::string> dwo = ReadOutput(util::JoinPath(cwd, plan.dwo_file));
    if (dwo.ok()) entry.Add(PayloadKind::kSplitDwarf, std::move(*dwo));
  }
  if (!plan.gcno_file.empty()) {
    absl::StatusOr<std::string> gcno = ReadOutput(util::JoinPath(cwd, plan.gcno_file));
    if (gcno.ok()) entry.Add(PayloadKind::kCoverageNotes, std::move(*gcno));
  }
  entry.Add(PayloadKind::kStdout, ran.stdout_data);
  entry.Add(PayloadKind::kStderr, ran.stderr_data);
  entry.Add(PayloadKind::kMetadata, absl::StrCat("output=", plan.output, "\n"));
  entry.SetExitCode(0);
  return entry;
}

void Engine::Log(const CompileRequest& request, const CompileResult& result, int64_t micros) {
  const std::string& log_file =
      request.config != nullptr ? request.config->log_file : config_.log_file;
  if (log_file.empty()) return;
  const absl::string_view outcome =
      result.outcome == Outcome::kPassthrough ? "passthrough" : OutcomeName(result);
  std::string line = absl::StrCat("zcwrap[", ::getpid(), "] ", outcome, " ",
                                  stats::CounterName(result.reason), " us=", micros, " key=",
                                  result.key_hex.empty() ? "-" : result.key_hex, " cwd=",
                                  request.cwd, " argv=", absl::StrJoin(request.argv, " "), "\n");
  util::ScopedFd fd(::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666));
  if (fd.valid()) (void)util::WriteAll(fd.get(), line);
}

}  // namespace zc::compile
