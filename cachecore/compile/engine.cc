#include "cachecore/compile/engine.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exception>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cachecore/compile/cache_key.h"
#include "cachecore/compile/compiler_identity.h"
#include "cachecore/compile/dep_file.h"
#include "cachecore/compile/freshness.h"
#include "cachecore/compile/line_markers.h"
#include "cachecore/compile/outputs.h"
#include "cachecore/compile/response_file.h"
#include "cachecore/compile/source_scan.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::compile {
namespace {

using stats::Counter;
using store::PayloadKind;

constexpr absl::string_view kColorFlag = "-fdiagnostics-color=always";

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

// Depend mode needs every file the compile read; -MMD leaves out system headers.
bool DependModeUsable(const CompilePlan& plan) {
  for (const std::string& a : plan.dep_key_args) {
    if (a == "-MMD" || a == "-Wp,-MMD") return false;
  }
  return true;
}

// The counter of a compile's outputs that could not be collected (outputs.h's errors).
Counter UncollectedReason(const absl::Status& status) {
  return absl::IsNotFound(status) ? Counter::kCompilerProducedNoOutput
                                  : Counter::kOutputNotCacheable;
}

}  // namespace

// One compile as the steps see it. Filled by Prepare; the keys themselves are values the steps
// pass on (TryDirect computes the manifest key, Preprocess the result key).
struct Engine::Context {
  const CompileRequest* request = nullptr;
  audit::CompileEvents* audit = nullptr;     // null: not audited
  const config::Config* settings = nullptr;  // the request's, or the engine's
  StartTime start;  // an input not older than this may have been written while the compile ran
  EnvView env{std::nullopt};
  CompilePlan plan;
  util::Digest compiler_id;
  std::vector<std::string> compile_argv;
  std::vector<InputState> named_inputs;  // plan.input_files by content
  KeyInputs key_inputs;
  // Direct mode: the manifest key, once computed, and whether the manifest sent this compile to
  // preprocessor mode.
  std::optional<util::Digest> manifest_key;
  bool use_preprocessor = false;
};

Engine::Engine(config::Config config, std::unique_ptr<store::LocalStore> store,
               util::ProcessRunner* runner, size_t memory_cache_bytes)
    : config_(std::move(config)),
      store_(std::move(store)),
      runner_(runner),
      inputs_(util::JoinPath(config_.cache_dir, "statcache")) {
  direct_ = std::make_unique<DirectMode>(*store_, inputs_, *runner_, config_.cache_dir,
                                         memory_cache_bytes / 4);
  if (memory_cache_bytes > 0) {
    results_ =
        std::make_unique<MemoryCache<store::Entry>>(memory_cache_bytes - memory_cache_bytes / 4);
  }
}

Engine::~Engine() = default;

CompileResult Engine::Compile(const CompileRequest& request) {
  const int64_t start_ns = util::RealNowNs();
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
  const int64_t micros = (util::RealNowNs() - start_ns) / 1000;
  Log(request, result, micros);
  if (events != nullptr) {
    std::optional<int> exit_code;
    if (result.outcome != Outcome::kPassthrough) exit_code = result.exit_code;
    events->Finished(OutcomeName(result), stats::CounterName(result.reason), exit_code, micros);
    result.compile_id = events->compile_id();
  }
  return result;
}

CompileResult Engine::CompileOrThrow(const CompileRequest& request, audit::CompileEvents* audit) {
  Context ctx;
  ctx.request = &request;
  ctx.audit = audit;
  ctx.settings = request.config != nullptr ? request.config : &config_;
  ctx.start = StartTime::Now();  // before any input is hashed
  ctx.env = EnvView(request.env);

  if (std::optional<CompileResult> not_cached = Prepare(ctx)) return std::move(*not_cached);
  if (std::optional<CompileResult> hit = TryDirect(ctx)) return std::move(*hit);
  if (ctx.manifest_key && !ctx.use_preprocessor && DependModeUsable(ctx.plan)) {
    if (std::optional<CompileResult> ran = RunDependMode(ctx)) return std::move(*ran);
  }

  // Preprocessor mode: the key covers the preprocessed source (or the source itself when it is
  // already preprocessed).
  absl::StatusOr<Preprocessed> cpp =
      Preprocess(request, ctx.plan, ctx.key_inputs, preprocess_env());
  if (!cpp.ok()) {
    if (absl::IsCancelled(cpp.status())) return RunFailed(cpp.status());
    return Passthrough(absl::IsNotFound(cpp.status()) ? Counter::kCouldNotFindCompiler
                       : absl::IsInvalidArgument(cpp.status()) ? Counter::kBadCompilerArguments
                                                                : Counter::kPreprocessorError);
  }
  const bool recache = ctx.settings->recache;
  if (recache) {
    if (!ctx.manifest_key) store_->stats().Increment(Counter::kRecache);
  } else if (std::optional<CompileResult> hit =
                 Lookup(ctx, cpp->key, Counter::kPreprocessedCacheHit)) {
    return std::move(*hit);
  }
  store_->stats().Increment(Counter::kPreprocessedCacheMiss);
  if (ctx.audit) ctx.audit->Miss("preprocessed", recache ? "recache" : "not_found");
  CompileResult result = RunAndStore(ctx, *cpp);
  // Teach direct mode this compile (the -MMD case, or what depend mode could not record): the
  // line markers name every file read.
  if (ctx.manifest_key && result.stored) {
    DirectMode::Observation seen = direct_->Observe(
        request, ctx.plan, ctx.compiler_id, FilesFromLineMarkers(cpp->text), ctx.start.coarse_ns);
    Record(ctx, seen.unrecordable.empty() ? DirectMode::ResultRecord(std::move(seen), cpp->key)
                                          : DirectMode::PreprocessMarker());
  }
  return result;
}

std::optional<CompileResult> Engine::Prepare(Context& ctx) {
  const CompileRequest& request = *ctx.request;
  if (request.uncached_reason) return Passthrough(*request.uncached_reason);
  if (ctx.settings->disable) return Passthrough(Counter::kDisabled);
  if (request.argv.empty()) return Passthrough(Counter::kBadCompilerArguments);

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
    absl::StatusOr<util::Digest> d = inputs_.State(request.cwd, path);
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
  return std::nullopt;
}

std::optional<CompileResult> Engine::TryDirect(Context& ctx) {
  const CompilePlan& plan = ctx.plan;
  if (!ctx.settings->direct_mode || !plan.direct_mode_ok || plan.preprocessed_input) {
    return std::nullopt;
  }
  absl::StatusOr<FileFacts> source = inputs_.Facts(ctx.request->cwd, plan.source);
  if (!source.ok() || (source->flags & (kUsesTimeMacros | kUsesOpaqueHasInclude))) {
    return std::nullopt;  // preprocessor mode sees the time and the probe's answer
  }
  ctx.manifest_key = ManifestKey(ctx.key_inputs, source->digest);
  std::optional<CompileResult> hit;
  if (ctx.settings->recache) {
    store_->stats().Increment(Counter::kRecache);
    if (ctx.audit) ctx.audit->Miss("direct", "recache");
  } else {
    DirectMode::Answer answer =
        direct_->Lookup(*ctx.manifest_key, ctx.request->cwd, [&](const util::Digest& result_key) {
          hit = Lookup(ctx, result_key, Counter::kDirectCacheHit);
          return hit.has_value();
        });
    if (answer.hit) return hit;
    ctx.use_preprocessor = answer.use_preprocessor;
    if (ctx.audit) ctx.audit->Miss("direct", answer.why);
  }
  store_->stats().Increment(Counter::kDirectCacheMiss);
  return std::nullopt;
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
  absl::StatusOr<store::Entry> entry =
      CollectOutputs(plan, cwd, ran->stdout_data, ran->stderr_data);
  if (!entry.ok()) {
    NotStored(ctx, UncollectedReason(entry.status()));
    return result;
  }

  // Inputs written about when the compile started may have been read in an earlier version:
  // compile once more, later, and keep the result only if it is the same.
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

  DirectMode::Observation seen =
      direct_->Observe(*ctx.request, plan, ctx.compiler_id, files, fresh_before);
  if (seen.unrecordable == "modified_input_file") {
    NotStored(ctx, Counter::kModifiedInputFile);
  } else if (!seen.unrecordable.empty()) {
    StoreInPreprocessorMode(ctx, *entry, seen, &result);
  } else {
    const util::Digest key = DependModeResultKey(*ctx.manifest_key, seen.digests, seen.pinned);
    if (Store(ctx, key, *entry, &result)) {
      Record(ctx, DirectMode::ResultRecord(std::move(seen), key));
    }
  }
  return result;
}

std::optional<int64_t> Engine::Recompile(Context& ctx, util::Command cmd,
                                         const std::string& dep_path,
                                         const std::vector<std::string>& files,
                                         const store::Entry& first) {
  const CompilePlan& plan = ctx.plan;
  const std::string& cwd = ctx.request->cwd;
  util::WaitForCoarseClockPast(ctx.start.fine_ns);
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

void Engine::StoreInPreprocessorMode(Context& ctx, const store::Entry& entry,
                                     const DirectMode::Observation& seen, CompileResult* result) {
  store_->stats().Increment(Counter::kDirectModeFallback);
  if (ctx.audit) ctx.audit->Fallback("direct", "preprocessed", seen.unrecordable);
  absl::StatusOr<Preprocessed> cpp =
      Preprocess(*ctx.request, ctx.plan, ctx.key_inputs, preprocess_env());
  if (!cpp.ok()) {
    NotStored(ctx, Counter::kPreprocessorError);
    return;
  }
  // __DATE__/__TIME__ were expanded by the compile before this preprocessor run: the two agree
  // only if both fell in one second (SOURCE_DATE_EPOCH makes them agree always, but clang 14
  // ignores it). Otherwise the next compile, in preprocessor mode, brackets its compile.
  const bool one_second = ctx.start.coarse_ns / 1'000'000'000 == util::RealNowNs() / 1'000'000'000;
  if (seen.time_macros && !one_second) {
    NotStored(ctx, Counter::kTimeMacrosUnstable);
  } else if (!Store(ctx, cpp->key, entry, result)) {
    return;
  }
  Record(ctx, DirectMode::PreprocessMarker());
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
    NotStored(ctx, UncollectedReason(entry.status()));
    return result;
  }
  // The key came from a preprocessor run before the compile. If an input was written since that
  // run started, or time macros are in play, the compile may have seen something else: ask the
  // preprocessor again and keep the result only if the key is unchanged.
  const std::vector<std::string> files = FilesFromLineMarkers(cpp.text);
  bool verify = CheckFreshness(files, ctx.request->cwd, ctx.start) != Freshness::kOld;
  for (size_t i = 0; !verify && !ctx.plan.preprocessed_input && i < files.size(); ++i) {
    absl::StatusOr<FileFacts> facts = inputs_.Facts(ctx.request->cwd, files[i]);
    verify = facts.ok() && (facts->flags & kUsesTimeMacros);
  }
  if (verify) {
    absl::StatusOr<Preprocessed> again =
        Preprocess(*ctx.request, ctx.plan, ctx.key_inputs, preprocess_env());
    if (!again.ok() || again->key != cpp.key) {
      const bool time_macros = again.ok() && again->text != cpp.text;
      NotStored(ctx, time_macros ? Counter::kTimeMacrosUnstable : Counter::kModifiedInputFile);
      return result;
    }
  }
  Store(ctx, cpp.key, *entry, &result);
  return result;
}

void Engine::Record(Context& ctx, ManifestRecord record) {
  if (!ctx.manifest_key || ctx.settings->readonly) return;
  // The result is stored either way; without its record it is found again only by compiling.
  if (!direct_->Record(*ctx.manifest_key, std::move(record))) {
    store_->stats().Increment(Counter::kStoreFailed);
  }
}

std::optional<CompileResult> Engine::Lookup(Context& ctx, const util::Digest& key,
                                            Counter hit_counter) {
  std::shared_ptr<const store::Entry> entry = LoadResult(key);
  if (entry == nullptr) return std::nullopt;  // corrupt entries were counted
  std::optional<int32_t> exit_code = entry->ExitCode();
  // A bad entry restores nothing; the compile runs and the compiler reports real problems.
  if (!exit_code || !RestoreOutputs(ctx.plan, ctx.request->cwd, *entry, ctx.request->umask).ok()) {
    return std::nullopt;
  }
  CompileResult result;
  result.outcome = Outcome::kHit;
  result.reason = hit_counter;
  result.exit_code = *exit_code;
  if (const store::Payload* out = entry->Find(PayloadKind::kStdout)) result.stdout_data = out->data;
  if (const store::Payload* err = entry->Find(PayloadKind::kStderr)) result.stderr_data = err->data;
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

std::shared_ptr<const store::Entry> Engine::LoadResult(const util::Digest& key) {
  const std::string path = store_->PathFor(key, store::EntryType::kResult);
  struct stat st;
  if (results_ != nullptr) {
    if (::stat(path.c_str(), &st) != 0) return nullptr;
    if (std::shared_ptr<const store::Entry> known = results_->Find(path, st)) {
      store::LocalStore::MarkUsed(path, st);
      return known;
    }
  }
  absl::StatusOr<std::optional<store::Entry>> got = store_->Get(key, store::EntryType::kResult);
  if (!got.ok() || !got->has_value()) return nullptr;
  auto shared = std::make_shared<const store::Entry>(std::move(**got));
  if (results_ != nullptr) results_->Insert(path, st, shared, shared->DataSize());
  return shared;
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

void Engine::NotStored(Context& ctx, Counter why) {
  store_->stats().Increment(why);
  if (ctx.audit) ctx.audit->NotStored(stats::CounterName(why));
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
  // A failed compile is passed through exactly and never stored.
  result.reason = ran.exit_code != 0 ? Counter::kCompileFailed : Counter::kCacheMiss;
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
