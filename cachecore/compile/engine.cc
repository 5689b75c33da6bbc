#include "cachecore/compile/engine.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cachecore/compile/cache_key.h"
#include "cachecore/compile/clang_pch.h"
#include "cachecore/compile/compiler_identity.h"
#include "cachecore/compile/dep_file.h"
#include "cachecore/compile/include_guard.h"
#include "cachecore/compile/input_digest.h"
#include "cachecore/compile/line_markers.h"
#include "cachecore/compile/outputs.h"
#include "cachecore/compile/pch.h"
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

int64_t Ns(const struct timespec& ts) { return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec; }

// The kernel's coarse clock, the one file timestamps are taken from: a file written in the same
// tick as this reading has exactly this time (or an earlier one), never a later one.
int64_t CoarseNowNs() {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return Ns(now);
}

// Returns once the coarse clock has moved past `ns` (a tick or two: a few ms).
void WaitForCoarseClockPast(int64_t ns) {
  while (CoarseNowNs() <= ns) {
    struct timespec nap = {0, 500'000};
    ::nanosleep(&nap, nullptr);
  }
}

// When a compile started, by both clocks: a file's timestamp lies between the coarse clock
// (the kernel's tick, which file timestamps are never older than) and the real time of the
// write (multigrain timestamps, Linux 6.13+, may be anywhere in that range).
struct StartTime {
  int64_t coarse_ns = 0;
  int64_t fine_ns = 0;
  static StartTime Now() {
    StartTime t;
    t.coarse_ns = CoarseNowNs();
    t.fine_ns = NowNs();
    return t;
  }
};

}  // namespace

struct Engine::Context {
  const CompileRequest* request = nullptr;
  audit::CompileEvents* audit = nullptr;  // null: not audited
  const config::Config* settings = nullptr;  // the request's, or the engine's
  CompilePlan plan;
  EnvView env{std::nullopt};
  std::vector<std::string> compile_argv;
  std::vector<InputState> named_inputs;  // plan.input_files by content
  KeyInputs key_inputs;
  util::Digest compiler_id;
  // When the request started. An input whose mtime or ctime is not older than start.coarse_ns
  // may have been written while the compile ran (see StartTime).
  StartTime start;
  // Direct mode: set when the manifest key was computed.
  std::optional<util::Digest> manifest_key;
};

// What a successful compile read, ready to become a manifest record (direct mode), or why it
// cannot (then preprocessor mode keeps the result).
struct Engine::Observation {
  std::vector<ManifestFile> files;  // every file read, then PCH candidates
  std::vector<FileDigest> digests;  // the same, for the depend-mode key
  std::vector<DirWatch> guard;
  std::vector<PinnedTime> pinned;   // a PCH compile whose output embeds input times
  bool time_macros = false;         // some file uses __DATE__/__TIME__/__TIMESTAMP__
  std::string unrecordable;         // non-empty: why direct mode cannot record it
};

namespace {

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
  if (CoarseNowNs() / 1'000'000'000 - st.st_mtim.tv_sec > 600) {
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
  }
}

uint64_t EntryBytes(const store::Entry& entry) {
  uint64_t bytes = 0;
  for (const store::Payload& p : entry.payloads) bytes += p.data.size();
  return bytes;
}

bool SamePayloads(const store::Entry& a, const store::Entry& b) {
  if (a.payloads.size() != b.payloads.size()) return false;
  for (size_t i = 0; i < a.payloads.size(); ++i) {
    const store::Payload& x = a.payloads[i];
    const store::Payload& y = b.payloads[i];
    if (x.kind != y.kind || x.name != y.name || x.data != y.data) return false;
  }
  return true;
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

// How the inputs' timestamps compare with the start of the compile that read them.
enum class Freshness {
  kOld,        // every input was last written before the compile started
  kAmbiguous,  // one was written about when the compile started: before or after it?
  kModified,   // one was written after the compile started
  kMissing,    // one is gone
};
Freshness CheckFreshness(const std::vector<std::string>& files, const std::string& cwd,
                         const StartTime& start) {
  Freshness worst = Freshness::kOld;
  for (const std::string& f : files) {
    struct stat st;
    if (::stat(util::JoinPath(cwd, f).c_str(), &st) != 0) return Freshness::kMissing;
    const int64_t newest = std::max(Ns(st.st_mtim), Ns(st.st_ctim));
    if (newest >= start.fine_ns) return Freshness::kModified;
    if (newest >= start.coarse_ns) worst = Freshness::kAmbiguous;
  }
  return worst;
}

// Reads the first bytes of a file ("" if it cannot).
std::string FileHead(const std::string& path, size_t n) {
  util::ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  std::string head(n, '\0');
  ssize_t got = ::read(fd.get(), head.data(), n);
  head.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return head;
}

// What a clang PCH says its validity depends on: every input file it records, and whether it
// recorded that file's mtime (it always records the size). nullopt if it cannot be read as one.
struct ClangPchInput {
  std::string path;
  bool timed = false;
};
std::optional<std::vector<ClangPchInput>> ClangPchInputs(const std::string& resolved) {
  absl::StatusOr<std::string> bytes = util::ReadFileToString(resolved);
  if (!bytes.ok()) return std::nullopt;
  absl::StatusOr<std::vector<PchInputFile>> inputs = ClangPchInputFiles(*bytes);
  if (!inputs.ok()) return std::nullopt;
  std::vector<ClangPchInput> out;
  out.reserve(inputs->size());
  for (PchInputFile& f : *inputs) out.push_back({std::move(f.name), f.mtime != 0});
  return out;
}

}  // namespace

Engine::Engine(config::Config config, std::unique_ptr<store::LocalStore> store,
               util::ProcessRunner* runner, size_t memory_cache_bytes)
    : config_(std::move(config)), store_(std::move(store)), runner_(runner) {
  if (memory_cache_bytes > 0) {
    manifests_ = std::make_unique<MemoryCache<Manifest>>(memory_cache_bytes / 4);
    results_ = std::make_unique<MemoryCache<store::Entry>>(memory_cache_bytes - memory_cache_bytes / 4);
    watcher_ = util::PathWatcher::Create();
  }
}

Engine::~Engine() = default;

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

void Engine::NotStored(Context& ctx, Counter why) {
  store_->stats().Increment(why);
  if (ctx.audit) ctx.audit->NotStored(stats::CounterName(why));
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
  if (!request.fallback_note.empty()) {
    // The front door could not use the daemon: said here, never in the compile's output.
    store_->stats().Increment(Counter::kDaemonFallback);
    if (events != nullptr) events->Fallback("daemon", "in_process", request.fallback_note);
  }

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
  // Taken before any input is hashed, from the clock file timestamps come from.
  ctx.start = StartTime::Now();
  ctx.env = EnvView(request.env);

  // Classify.
  absl::StatusOr<std::vector<std::string>> args = ExpandResponseFiles(
      std::vector<std::string>(request.argv.begin() + 1, request.argv.end()), request.cwd);
  if (!args.ok()) return Passthrough(Counter::kBadCompilerArguments);
  Classification classified = ClassifyArguments(*args, DriverFor(request.argv[0]));
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

  // Files named by options, by content (a missing one is keyed as absent).
  for (const std::string& path : plan.input_files) {
    absl::StatusOr<util::Digest> d = PathState(ctx, path);
    if (!d.ok()) return Passthrough(Counter::kBadInputFile);
    ctx.named_inputs.push_back({path, *d});
  }

  KeyInputs& key_inputs = ctx.key_inputs;
  key_inputs.plan = &ctx.plan;
  key_inputs.named_inputs = ctx.named_inputs;
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
      bool use_preprocessor = false;
      if (settings.recache) {
        store_->stats().Increment(Counter::kRecache);
        if (ctx.audit) ctx.audit->Miss("direct", "recache");
      } else if (std::optional<CompileResult> hit = DirectLookup(ctx, &use_preprocessor)) {
        return std::move(*hit);
      }
      store_->stats().Increment(Counter::kDirectCacheMiss);
      if (!use_preprocessor && DependModeUsable(plan)) {
        if (std::optional<CompileResult> ran = RunDependMode(ctx)) return std::move(*ran);
      }
    }
  }

  // Preprocessor mode: the key covers the preprocessed source (or the source itself when it is
  // already preprocessed).
  absl::StatusOr<Preprocessed> cpp = Preprocess(ctx);
  if (!cpp.ok()) {
    if (absl::IsCancelled(cpp.status())) return RunFailed(cpp.status());
    return Passthrough(absl::IsNotFound(cpp.status()) ? Counter::kCouldNotFindCompiler
                       : absl::IsInvalidArgument(cpp.status()) ? Counter::kBadCompilerArguments
                                                                : Counter::kPreprocessorError);
  }

  if (settings.recache) {
    if (!ctx.manifest_key) store_->stats().Increment(Counter::kRecache);
  } else if (std::optional<CompileResult> hit =
                 Lookup(ctx, cpp->key, Counter::kPreprocessedCacheHit)) {
    return std::move(*hit);
  }
  store_->stats().Increment(Counter::kPreprocessedCacheMiss);
  if (ctx.audit) ctx.audit->Miss("preprocessed", settings.recache ? "recache" : "not_found");
  CompileResult result = RunAndStore(ctx, *cpp);
  // Teach direct mode this compile (the -MMD case, or what depend mode could not record): the
  // line markers name every file read.
  if (ctx.manifest_key && result.stored) {
    Observation seen = Observe(ctx, FilesFromLineMarkers(cpp->text), ctx.start.coarse_ns);
    if (seen.unrecordable.empty()) {
      SaveRecord(ctx, RecordOf(std::move(seen), RecordKind::kResult, cpp->key));
    } else {
      SaveRecord(ctx, RecordOf({}, RecordKind::kPreprocess, {}));
    }
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

absl::StatusOr<util::Digest> Engine::PathState(const Context& ctx, const std::string& path) {
  return PathDigest(util::JoinPath(ctx.request->cwd, path),
                    [this, &ctx](const std::string& resolved) -> absl::StatusOr<util::Digest> {
                      absl::StatusOr<FileFacts> facts = HashInput(ctx, resolved);
                      if (!facts.ok()) return facts.status();
                      return facts->digest;
                    });
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

std::optional<CompileResult> Engine::DirectLookup(Context& ctx, bool* use_preprocessor) {
  std::shared_ptr<const Manifest> manifest = LoadManifest(*ctx.manifest_key);
  if (manifest == nullptr) {
    if (ctx.audit) ctx.audit->Miss("direct", "no_manifest");
    return std::nullopt;
  }
  // Why nothing matched, for the audit: no record's inputs are as they were, or one's were but
  // its result is gone.
  absl::string_view why = "inputs_changed";
  if (watcher_ != nullptr) watcher_->Sync();
  bool marker = false;
  for (const ManifestRecord& rec : manifest->records) {
    if (rec.kind == RecordKind::kPreprocess) {
      marker = true;  // after every direct record: one of those may hit without the preprocessor
      continue;
    }
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
    if (std::optional<CompileResult> hit = Lookup(ctx, rec.result_key, Counter::kDirectCacheHit)) {
      return hit;
    }
    why = "result_missing";
  }
  if (marker) {
    *use_preprocessor = true;
    why = "use_preprocessor_mode";
  }
  if (ctx.audit) ctx.audit->Miss("direct", why);
  return std::nullopt;
}

bool Engine::RecordHolds(Context& ctx, const ManifestRecord& rec) {
  for (const ManifestFile& f : rec.files) {
    if (f.directory) {
      absl::StatusOr<util::Digest> now = PathState(ctx, f.path);
      if (!now.ok() || *now != f.digest) return false;
      continue;
    }
    struct stat st;
    const bool stated = ::stat(util::JoinPath(ctx.request->cwd, f.path).c_str(), &st) == 0;
    if (f.pin_mtime && (!stated || st.st_size != f.signature.size ||
                        Ns(st.st_mtim) != f.signature.mtime_ns)) {
      return false;
    }
    // The common case: one stat, no read, no hash.
    if (f.trust_signature && stated && SignatureOf(st) == f.signature) continue;
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
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      watchable = false;
    } else if (::stat(path.c_str(), &st) == 0) {
      files.push_back(path);
    } else {
      const size_t slash = path.find_last_of('/');
      dirs.push_back({slash == 0 ? "/" : path.substr(0, slash), {path.substr(slash + 1)}});
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
  if (set && !RecordHolds(ctx, rec)) return;
  std::lock_guard<std::mutex> lock(trusted_mu_);
  TrustedRecord& record = trusted_[trust_key];
  record.unwatchable = !set.has_value();
  record.set = std::move(set);
}

std::optional<CompileResult> Engine::RunDependMode(Context& ctx) {
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
    if (!tmp.ok()) return std::nullopt;  // cannot learn the headers: preprocessor mode instead
    dep_path = tmp->temp_path();
    private_dep.emplace(std::move(*tmp));  // removed (unlinked) when this function returns
    cmd.argv.insert(cmd.argv.end(), {"-MD", "-MF", dep_path});
  }
  absl::StatusOr<util::ProcessResult> ran = runner_->Run(cmd);
  if (!ran.ok()) return RunFailed(ran.status());

  CompileResult result = MissResult(*ran);
  if (result.exit_code != 0) return result;

  absl::StatusOr<std::string> dep_text = util::ReadFileToString(dep_path);
  const std::vector<std::string> files =
      dep_text.ok() ? ParseDependencies(*dep_text) : std::vector<std::string>();
  absl::StatusOr<store::Entry> entry = CollectOutputs(plan, cwd, ran->stdout_data, ran->stderr_data);
  if (!entry.ok()) {
    NotStored(ctx, absl::IsNotFound(entry.status()) ? Counter::kCompilerProducedNoOutput
                                                    : Counter::kOutputNotCacheable);
    return result;
  }

  // Inputs written in the very tick the compile started may have been read in an earlier
  // version: compile once more, from a later tick, and keep the result only if it is the same.
  int64_t fresh_before = ctx.start.coarse_ns;
  switch (CheckFreshness(files, cwd, ctx.start)) {
    case Freshness::kOld: break;
    case Freshness::kModified:
    case Freshness::kMissing:
      NotStored(ctx, Counter::kModifiedInputFile);
      return result;
    case Freshness::kAmbiguous: {
      std::optional<int64_t> verified = Recompile(ctx, cmd, dep_path, files, *entry);
      if (!verified) {
        NotStored(ctx, Counter::kModifiedInputFile);
        return result;
      }
      fresh_before = *verified;
      break;
    }
  }

  Observation seen = Observe(ctx, files, fresh_before);
  if (!seen.unrecordable.empty()) {
    if (seen.unrecordable == "modified_input_file") {
      NotStored(ctx, Counter::kModifiedInputFile);
      return result;
    }
    StoreInPreprocessorMode(ctx, *entry, seen, &result);
    return result;
  }
  const util::Digest key = DependModeResultKey(*ctx.manifest_key, seen.digests, seen.pinned);
  result.key_hex = key.ToHex();
  if (!Store(ctx, key, *entry, &result)) return result;
  SaveRecord(ctx, RecordOf(std::move(seen), RecordKind::kResult, key));
  return result;
}

std::optional<int64_t> Engine::Recompile(Context& ctx, util::Command cmd,
                                         const std::string& dep_path,
                                         const std::vector<std::string>& files,
                                         const store::Entry& first) {
  const CompilePlan& plan = ctx.plan;
  const std::string& cwd = ctx.request->cwd;
  WaitForCoarseClockPast(ctx.start.fine_ns);
  const StartTime start = StartTime::Now();
  store_->stats().Increment(Counter::kRecompiledToVerify);
  cmd.on_output = nullptr;  // the user saw the first compile's output
  absl::StatusOr<util::ProcessResult> ran = runner_->Run(cmd);
  bool same = ran.ok() && ran->exit_code == 0;
  if (same) {
    absl::StatusOr<std::string> dep_text = util::ReadFileToString(dep_path);
    absl::StatusOr<store::Entry> second =
        CollectOutputs(plan, cwd, ran->stdout_data, ran->stderr_data);
    same = dep_text.ok() && ParseDependencies(*dep_text) == files && second.ok() &&
           SamePayloads(first, *second) &&
           CheckFreshness(files, cwd, start) == Freshness::kOld;
  }
  if (same) return start.coarse_ns;
  // Leave the first compile's outputs, which go with the result the caller gets.
  (void)RestoreOutputs(plan, cwd, first, ctx.request->umask);
  return std::nullopt;
}

Engine::Observation Engine::Observe(Context& ctx, const std::vector<std::string>& files,
                                    int64_t fresh_before) {
  const CompilePlan& plan = ctx.plan;
  const std::string& cwd = ctx.request->cwd;
  Observation seen;
  if (files.empty()) {
    // No list of what was read (a preprocessor run with -P writes no line markers): a record
    // with no files would hold whatever the headers say.
    seen.unrecordable = "no_dependency_list";
    return seen;
  }
  std::vector<std::string> probed;
  std::vector<std::string> clang_pchs;  // resolved paths of the clang PCHs the compile may use
  for (const std::string& f : files) {
    const std::string resolved = util::JoinPath(cwd, f);
    struct stat st;
    absl::StatusOr<FileFacts> facts = HashInput(ctx, f);
    if (!facts.ok() || ::stat(resolved.c_str(), &st) != 0) {
      seen.unrecordable = "modified_input_file";  // gone since the compile
      return seen;
    }
    if (std::max(Ns(st.st_mtim), Ns(st.st_ctim)) >= fresh_before) {
      seen.unrecordable = "modified_input_file";
      return seen;
    }
    if (facts->flags & kUsesTimeMacros) {
      seen.time_macros = true;
      if (seen.unrecordable.empty()) seen.unrecordable = "time_macros";
    }
    if (facts->flags & kUsesOpaqueHasInclude) seen.unrecordable = "opaque_has_include";
    if (facts->flags & kUsesHasInclude) {
      absl::StatusOr<std::string> text = util::ReadFileToString(resolved);
      if (!text.ok()) {
        seen.unrecordable = "modified_input_file";
        return seen;
      }
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
    seen.files.push_back(std::move(file));
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

  SearchDirsInputs dirs_in;
  dirs_in.compiler = ctx.request->argv[0];
  dirs_in.compiler_id = ctx.compiler_id;
  dirs_in.language = plan.language;
  dirs_in.cpp_args = plan.cpp_flags;
  dirs_in.cwd = cwd;
  dirs_in.env = ctx.request->env;
  absl::StatusOr<std::vector<std::string>> dirs =
      SearchDirs(dirs_in, *runner_, util::JoinPath(config_.cache_dir, "compilers"));
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
  for (const std::string& p : pch_paths) {
    absl::StatusOr<util::Digest> d = PathState(ctx, p);
    if (!d.ok()) {
      seen.unrecordable = "pch_unreadable";
      return seen;
    }
    if (*d != AbsentDigest() && IsClangPch(FileHead(util::JoinPath(cwd, p), 4))) {
      clang_pchs.push_back(util::JoinPath(cwd, p));
    }
    ManifestFile file;
    file.path = p;
    file.digest = *d;
    file.directory = true;  // may be absent, or a .gch directory: checked by content every time
    seen.files.push_back(std::move(file));
  }
  for (const std::string& p : plan.explicit_pchs) {
    if (IsClangPch(FileHead(util::JoinPath(cwd, p), 4))) clang_pchs.push_back(util::JoinPath(cwd, p));
  }
  guard.now_ns = NowNs();
  seen.guard = BuildIncludeGuard(guard);

  // A clang PCH is refused when a header it was built from has another mtime: pin those (the
  // dependency list names them too, by content). A PCH clang builds records the mtimes of
  // everything it read: pin all of them.
  const bool producer_pins = PchTimesMatter(plan);
  bool pin_all = producer_pins;
  std::vector<ManifestFile> pch_inputs;
  for (const std::string& pch : clang_pchs) {
    std::optional<std::vector<ClangPchInput>> inputs = ClangPchInputs(pch);
    if (!inputs) {
      pin_all = true;  // cannot tell which: all of them
      continue;
    }
    for (const ClangPchInput& in : *inputs) {
      if (!in.timed) continue;
      struct stat st;
      absl::StatusOr<FileFacts> facts = HashInput(ctx, in.path);
      if (!facts.ok() || ::stat(in.path.c_str(), &st) != 0) {
        seen.unrecordable = "pch_unreadable";
        return seen;
      }
      ManifestFile file;
      file.path = in.path;
      file.digest = facts->digest;
      file.signature = SignatureOf(st);
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
  for (const ManifestFile& f : seen.files) {
    seen.digests.push_back({f.path, f.digest});
    if (producer_pins && !f.directory) {
      seen.pinned.push_back({f.path, f.signature.size, f.signature.mtime_ns});
    }
  }
  return seen;
}

ManifestRecord Engine::RecordOf(Observation seen, RecordKind kind, const util::Digest& result_key) {
  ManifestRecord record;
  record.kind = kind;
  if (kind == RecordKind::kResult) {
    record.result_key = result_key;
    record.files = std::move(seen.files);
    record.guard = std::move(seen.guard);
  }
  return record;
}

void Engine::SaveRecord(Context& ctx, ManifestRecord record) {
  if (!ctx.manifest_key || ctx.settings->readonly) return;
  // Read-modify-write of the manifest: concurrent writers may drop each other's record, which
  // costs a later direct hit, never correctness (each record stands alone).
  Manifest manifest;
  if (std::shared_ptr<const Manifest> old = LoadManifest(*ctx.manifest_key)) manifest = *old;
  manifest.AddRecord(std::move(record));
  store::Entry entry;
  entry.type = store::EntryType::kManifest;
  entry.Add(PayloadKind::kManifest, EncodeManifest(manifest));
  // The result is stored either way; without its record it is found again only by compiling.
  if (!store_->Put(*ctx.manifest_key, entry).ok()) store_->stats().Increment(Counter::kStoreFailed);
}

void Engine::StoreInPreprocessorMode(Context& ctx, const store::Entry& entry,
                                     const Observation& seen, CompileResult* result) {
  // Direct mode cannot record what this compile read; preprocessor mode can key it. Marked in
  // the manifest, so the next lookup goes there straight away instead of compiling again.
  store_->stats().Increment(Counter::kDirectModeFallback);
  if (ctx.audit) ctx.audit->Fallback("direct", "preprocessed", seen.unrecordable);
  absl::StatusOr<Preprocessed> cpp = Preprocess(ctx);
  if (!cpp.ok()) {
    NotStored(ctx, Counter::kPreprocessorError);
    return;
  }
  // __DATE__/__TIME__ were expanded by the compile before this preprocessor run: the two agree
  // only if both fell in one second (SOURCE_DATE_EPOCH makes them agree always, but clang 14
  // ignores it). Otherwise the next compile, in preprocessor mode, brackets its compile.
  if (seen.time_macros && ctx.start.coarse_ns / 1'000'000'000 != NowNs() / 1'000'000'000) {
    NotStored(ctx, Counter::kTimeMacrosUnstable);
    SaveRecord(ctx, RecordOf({}, RecordKind::kPreprocess, {}));
    return;
  }
  result->key_hex = cpp->key.ToHex();
  if (!Store(ctx, cpp->key, entry, result)) return;
  SaveRecord(ctx, RecordOf({}, RecordKind::kPreprocess, {}));
}

absl::StatusOr<Engine::Preprocessed> Engine::Preprocess(Context& ctx) {
  const CompilePlan& plan = ctx.plan;
  const CompileRequest& request = *ctx.request;
  Preprocessed out;
  if (plan.preprocessed_input) {
    absl::StatusOr<std::string> text =
        util::ReadFileToString(util::JoinPath(request.cwd, plan.source));
    if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
    out.text = std::move(*text);
  } else {
    std::vector<std::string> cpp_argv = {request.argv[0]};
    cpp_argv.insert(cpp_argv.end(), plan.preprocess_args.begin(), plan.preprocess_args.end());
    cpp_argv.push_back("-E");
    absl::StatusOr<util::ProcessResult> ran = runner_->Run(CommandFor(request, cpp_argv, Shown::kNo));
    if (!ran.ok()) {
      return absl::IsCancelled(ran.status()) ? ran.status()
                                             : absl::NotFoundError(ran.status().message());
    }
    if (ran->exit_code != 0) return absl::FailedPreconditionError("preprocessor failed");
    out.text = std::move(ran->stdout_data);
    out.stderr_text = std::move(ran->stderr_data);
  }

  // What the key needs besides the text: PCHs beside the first include, pinned times.
  std::vector<InputState> pch_files;
  std::vector<PinnedTime> pinned;
  if (!plan.preprocessed_input) {
    // The line markers name the first headers read (gcc's preprocessor reads a header itself
    // even where the compile would use its PCH); -include files give the rest.
    PchCandidates pch = PchCandidatesFor(plan, request.cwd, /*source_text=*/"");
    std::vector<std::string> names = pch.searched_names;
    for (std::string& n : PchNamesFromLineMarkers(out.text)) names.push_back(std::move(n));
    SearchDirsInputs dirs_in;
    dirs_in.compiler = request.argv[0];
    dirs_in.compiler_id = ctx.compiler_id;
    dirs_in.language = plan.language;
    dirs_in.cpp_args = plan.cpp_flags;
    dirs_in.cwd = request.cwd;
    dirs_in.env = request.env;
    absl::StatusOr<std::vector<std::string>> dirs =
        SearchDirs(dirs_in, *runner_, util::JoinPath(config_.cache_dir, "compilers"));
    if (!dirs.ok()) return absl::FailedPreconditionError("no search directories");
    GuardInputs where;
    where.search_dirs = std::move(*dirs);
    where.extra_dirs = {""};
    where.files = {plan.source};
    std::vector<std::string> paths = FindPchFiles(names, GuardDirectories(where), request.cwd);
    paths.insert(paths.end(), pch.paths.begin(), pch.paths.end());
    std::vector<std::string> clang_pchs;
    for (const std::string& p : paths) {
      absl::StatusOr<util::Digest> d = PathState(ctx, p);
      if (!d.ok()) return absl::InvalidArgumentError(d.status().message());
      pch_files.push_back({p, *d});
      if (*d != AbsentDigest() && IsClangPch(FileHead(util::JoinPath(request.cwd, p), 4))) {
        clang_pchs.push_back(util::JoinPath(request.cwd, p));
      }
    }
    for (const std::string& p : plan.explicit_pchs) {
      const std::string resolved = util::JoinPath(request.cwd, p);
      if (IsClangPch(FileHead(resolved, 4))) clang_pchs.push_back(resolved);
    }
    // clang refuses a PCH whose inputs' sizes or mtimes changed, and its preprocessor does not
    // check (it reads the headers, or nothing): those are part of the outcome. A PCH compile
    // records the times of everything it reads.
    auto pin = [&](const std::string& f, bool timed) {
      struct stat st;
      if (::stat(util::JoinPath(request.cwd, f).c_str(), &st) != 0) {
        pinned.push_back({f, -1, 0});
      } else {
        pinned.push_back({f, static_cast<int64_t>(st.st_size), timed ? Ns(st.st_mtim) : 0});
      }
    };
    bool pin_all = PchTimesMatter(plan);
    for (const std::string& pch : clang_pchs) {
      std::optional<std::vector<ClangPchInput>> inputs = ClangPchInputs(pch);
      if (!inputs) {
        pin_all = true;
        continue;
      }
      for (const ClangPchInput& in : *inputs) pin(in.path, in.timed);
    }
    if (pin_all) {
      for (const std::string& f : FilesFromLineMarkers(out.text)) pin(f, true);
    }
  }
  KeyInputs& in = ctx.key_inputs;
  in.preprocessed = out.text;
  in.preprocessor_stderr = out.stderr_text;
  in.pch_files = pch_files;
  in.pinned = pinned;
  out.key = PreprocessorModeKey(in);
  in.preprocessed = {};
  in.preprocessor_stderr = {};
  in.pch_files = {};
  in.pinned = {};
  return out;
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
  std::optional<int32_t> exit_code = entry.ExitCode();
  if (!exit_code) return absl::DataLossError("entry lacks the exit code");
  absl::Status st = RestoreOutputs(ctx.plan, ctx.request->cwd, entry, ctx.request->umask);
  if (!st.ok()) return st;
  if (const store::Payload* out = entry.Find(PayloadKind::kStdout)) result->stdout_data = out->data;
  if (const store::Payload* err = entry.Find(PayloadKind::kStderr)) result->stderr_data = err->data;
  result->exit_code = *exit_code;
  return absl::OkStatus();
}

CompileResult Engine::RunAndStore(Context& ctx, const Preprocessed& cpp) {
  absl::StatusOr<util::ProcessResult> ran =
      runner_->Run(CommandFor(*ctx.request, ctx.compile_argv, Shown::kOutput));
  if (!ran.ok()) return RunFailed(ran.status());

  CompileResult result = MissResult(*ran);
  result.key_hex = cpp.key.ToHex();
  if (result.exit_code != 0) return result;

  absl::StatusOr<store::Entry> entry =
      CollectOutputs(ctx.plan, ctx.request->cwd, ran->stdout_data, ran->stderr_data);
  if (!entry.ok()) {
    NotStored(ctx, absl::IsNotFound(entry.status()) ? Counter::kCompilerProducedNoOutput
                                                    : Counter::kOutputNotCacheable);
    return result;
  }
  // The key came from a preprocessor run before the compile. If an input was written since that
  // run started, or time macros are in play, the compile may have seen something else: ask the
  // preprocessor again and keep the result only if the key is unchanged.
  const std::vector<std::string> files = FilesFromLineMarkers(cpp.text);
  bool verify = CheckFreshness(files, ctx.request->cwd, ctx.start) != Freshness::kOld;
  if (!verify && !ctx.plan.preprocessed_input) {
    for (const std::string& f : files) {
      absl::StatusOr<FileFacts> facts = HashInput(ctx, f);
      if (facts.ok() && (facts->flags & kUsesTimeMacros)) {
        verify = true;
        break;
      }
    }
  }
  if (verify) {
    absl::StatusOr<Preprocessed> again = Preprocess(ctx);
    if (!again.ok() || again->key != cpp.key) {
      const bool time_macros = again.ok() && again->text != cpp.text;
      NotStored(ctx, time_macros ? Counter::kTimeMacrosUnstable : Counter::kModifiedInputFile);
      return result;
    }
  }
  Store(ctx, cpp.key, *entry, &result);
  return result;
}

bool Engine::Store(Context& ctx, const util::Digest& key, const store::Entry& entry,
                   CompileResult* result) {
  if (ctx.settings->readonly) {
    NotStored(ctx, Counter::kReadonlyMiss);
    return false;
  }
  // A failed store costs a future hit, never this build.
  if (!store_->Put(key, entry).ok()) {
    NotStored(ctx, Counter::kStoreFailed);
    return false;
  }
  result->stored = true;
  result->key_hex = key.ToHex();
  if (ctx.audit) ctx.audit->Stored(result->key_hex, EntryBytes(entry));
  return true;
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
                                  request.cwd, " argv=", absl::StrJoin(request.argv, " "));
  if (!request.fallback_note.empty()) absl::StrAppend(&line, " note=", request.fallback_note);
  line += "\n";
  util::ScopedFd fd(::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666));
  if (fd.valid()) (void)util::WriteAll(fd.get(), line);
}

}  // namespace zc::compile

