#include "cachecore/compile/engine.h"

#include <exception>

#include "cachecore/compile/base_dir.h"
#include "cachecore/compile/cache_key.h"
#include "cachecore/compile/compiler_check.h"
#include "cachecore/compile/compiler_identity.h"
#include "cachecore/compile/line_markers.h"
#include "cachecore/compile/outputs.h"
#include "cachecore/compile/portability.h"
#include "cachecore/compile/prefix_command.h"
#include "cachecore/compile/response_file.h"
#include "cachecore/compile/source_scan.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/process_slots.h"

namespace zc::compile {
namespace {

using stats::Counter;
using store::PayloadKind;

constexpr absl::string_view kColorFlag = "-fdiagnostics-color=always";

}  // namespace

Engine::Engine(config::Config config, std::unique_ptr<store::LocalStore> store,
               util::ProcessRunner* runner, size_t memory_cache_bytes, const util::Clock& clock)
    : config_(std::move(config)),
      store_(std::move(store)),
      runner_(runner),
      clock_(clock),
      inputs_(util::JoinPath(config_.cache_dir, "statcache"), clock),
      direct_(std::make_unique<DirectMode>(*store_, inputs_, *runner_, clock_, config_.cache_dir,
                                           memory_cache_bytes / 4)),
      results_(*store_, memory_cache_bytes - memory_cache_bytes / 4),
      remote_async_(memory_cache_bytes > 0) {}

Engine::~Engine() = default;

CompileResult Engine::Compile(const CompileRequest& request) {
  const int64_t start_ns = clock_.MonotonicNs();
  (void)util::ProcessSlots::TakeThreadWaitMicros();  // this compile's waits only
  const config::Config& settings = request.config != nullptr ? *request.config : config_;
  // A long-lived engine (daemon, embedded service) follows the settings as they are now: `zcwrap
  // -M` or an edited zcwrap.conf takes effect from the next compile, without a restart.
  store_->SetLimits(settings.max_size, settings.max_files);
  store_->SetCompressionLevel(settings.compression_level);
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
        own_events.emplace(own_log.get(), *mode, audit::ContextFromEnv([&env](absl::string_view n) {
                             return env.Get(n);
                           }),
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
  const int64_t micros = (clock_.MonotonicNs() - start_ns) / 1000;
  result.queued_us = util::ProcessSlots::TakeThreadWaitMicros();
  Log(request, result, micros);
  if (events != nullptr) {
    std::optional<int> exit_code;
    if (result.outcome != Outcome::kPassthrough) exit_code = result.exit_code;
    events->Finished(OutcomeName(result), stats::CounterName(result.reason), exit_code, micros,
                     result.queued_us);
    result.compile_id = events->compile_id();
  }
  return result;
}

CompileResult Engine::CompileOrThrow(const CompileRequest& request, audit::CompileEvents* audit) {
  Context ctx;
  ctx.request = &request;
  ctx.audit = audit;
  ctx.settings = request.config != nullptr ? request.config : &config_;
  ctx.start = StartTime::Now(clock_);  // before any input is hashed
  ctx.env = EnvView(request.env);
  CompileResult result = Steps(ctx);
  if (ctx.remote != nullptr && result.outcome == Outcome::kMiss && !ctx.settings->recache) {
    store_->stats().Increment(Counter::kRemoteStorageMiss);
  }
  return result;
}

CompileResult Engine::Steps(Context& ctx) {
  const CompileRequest& request = *ctx.request;
  if (std::optional<CompileResult> not_cached = Prepare(ctx)) return std::move(*not_cached);
  ctx.remote = RemoteFor(ctx);
  DirectAnswer direct = TryDirect(ctx);
  if (direct.hit) return std::move(*direct.hit);
  if (direct.manifest_key && !direct.use_preprocessor) {
    if (std::optional<CompileResult> ran = RunDependMode(ctx, *direct.manifest_key)) {
      return std::move(*ran);
    }
  }

  // Preprocessor mode: the key covers the preprocessed source (or the source itself when it is
  // already preprocessed).
  absl::StatusOr<Preprocessed> cpp =
      Preprocess(request, ctx.plan, ctx.key_inputs, preprocess_env());
  if (!cpp.ok()) {
    if (absl::IsCancelled(cpp.status())) return RunFailed(cpp.status());
    return Passthrough(absl::IsNotFound(cpp.status())          ? Counter::kCouldNotFindCompiler
                       : absl::IsInvalidArgument(cpp.status()) ? Counter::kBadCompilerArguments
                                                               : Counter::kPreprocessorError);
  }
  const bool recache = ctx.settings->recache;
  if (recache) {
    if (!direct.manifest_key) store_->stats().Increment(Counter::kRecache);
  } else if (std::optional<CompileResult> hit =
                 LookupEitherPlace(ctx, cpp->key, Counter::kPreprocessedCacheHit)) {
    return std::move(*hit);
  }
  store_->stats().Increment(Counter::kPreprocessedCacheMiss);
  if (ctx.audit) ctx.audit->Miss("preprocessed", recache ? "recache" : "not_found");
  Placement placed;
  CompileResult result = RunAndStore(ctx, *cpp, &placed);
  // Teach direct mode this compile (the -MMD case, or what depend mode could not record): the
  // line markers name every file read.
  if (direct.manifest_key && result.stored) {
    const absl::string_view base = ctx.key_inputs.base;
    DirectMode::Observation seen =
        direct_->Observe(request, ctx.plan, ctx.compiler_id, FilesFromLineMarkers(cpp->text),
                         ctx.start.coarse_ns, base);
    Record(ctx, *direct.manifest_key,
           seen.unrecordable.empty()
               ? DirectMode::ResultRecord(std::move(seen), placed.key, placed.bound_base,
                                          placed.verify_file_macros)
               : DirectMode::PreprocessMarker());
  }
  return result;
}

std::optional<CompileResult> Engine::Prepare(Context& ctx) {
  const CompileRequest& request = *ctx.request;
  if (request.uncached_reason) return NotCached(ctx, *request.uncached_reason);
  if (ctx.settings->disable) return NotCached(ctx, Counter::kDisabled);
  if (request.argv.empty()) return NotCached(ctx, Counter::kBadCompilerArguments);

  // Classify.
  absl::StatusOr<std::vector<std::string>> args = ExpandResponseFiles(
      std::vector<std::string>(request.argv.begin() + 1, request.argv.end()), request.cwd);
  if (!args.ok()) return NotCached(ctx, Counter::kBadCompilerArguments);
  Classification classified = ClassifyArguments(*args, DriverFor(request.argv[0]));
  if (const Counter* reason = std::get_if<Counter>(&classified)) return NotCached(ctx, *reason);
  ctx.plan = std::move(std::get<CompilePlan>(classified));
  const CompilePlan& plan = ctx.plan;

  // The compiler: its content identifies it for zcwrap's own memos (search directories), and
  // compiler_check says what identifies it in the key (its content, by default).
  const std::string memo_dir = util::JoinPath(config_.cache_dir, "compilers");
  // A relative compiler ("./cc", "bin/gcc") is relative to the compile's directory, which is not
  // this process's in the daemon or a host.
  const std::string compiler_path = util::JoinPath(request.cwd, request.argv[0]);
  absl::StatusOr<util::Digest> compiler_id = CompilerIdentity(compiler_path, memo_dir);
  if (!compiler_id.ok()) return NotCached(ctx, Counter::kCouldNotFindCompiler);
  ctx.compiler_id = *compiler_id;
  util::Digest compiler_key = ctx.compiler_id;
  if (ctx.settings->compiler_check != "content") {
    absl::StatusOr<util::Digest> checked = CompilerCheckDigest(
        ctx.settings->compiler_check, compiler_path, memo_dir, [&](std::vector<std::string> argv) {
          return runner_->Run(CommandFor(request, argv, Shown::kNo));
        });
    if (!checked.ok()) {
      if (absl::IsCancelled(checked.status())) return RunFailed(checked.status());
      return NotCached(ctx, Counter::kCompilerCheckFailed);
    }
    compiler_key = *checked;
  }

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

  // Files named by options, then the extra_files_to_hash setting's, by content (a missing one
  // is keyed as absent).
  for (const auto* paths : {&plan.input_files, &ctx.settings->extra_files_to_hash}) {
    for (const std::string& path : *paths) {
      absl::StatusOr<util::Digest> d = inputs_.State(request.cwd, path);
      if (!d.ok()) return NotCached(ctx, Counter::kBadInputFile);
      ctx.named_inputs.push_back({path, *d});
    }
  }

  // Paths under the base directory are keyed relative to it when the plan allows (base_dir.h,
  // portability.h); the outputs decide the rest after the compile.
  ctx.key_cwd = ApparentCwd(request.cwd, ctx.env.Get("PWD"));
  ctx.base = BaseFor(ctx.settings->base_dir, ctx.key_cwd);
  if (!ctx.base.empty()) ctx.base_unusable = BaseUnusable(plan, ctx.base);

  KeyInputs& key_inputs = ctx.key_inputs;
  key_inputs.plan = &ctx.plan;
  key_inputs.base = ctx.base_unusable.empty() ? ctx.base : absl::string_view();
  key_inputs.named_inputs = ctx.named_inputs;
  key_inputs.compiler_id = ctx.compiler_id;
  key_inputs.compiler_key = compiler_key;
  key_inputs.key_namespace = ctx.settings->key_namespace;
  ctx.launcher = LauncherKey(ctx.settings->prefix_command);
  key_inputs.launcher = ctx.launcher;
  key_inputs.ignore_options = ctx.settings->ignore_options;
  key_inputs.compiler_name = util::Basename(request.argv[0]);
  key_inputs.cwd = ctx.key_cwd;
  key_inputs.color = color;
  key_inputs.env = [&ctx](absl::string_view name) { return ctx.env.Get(name); };
  return std::nullopt;
}

Engine::DirectAnswer Engine::TryDirect(Context& ctx) {
  const CompilePlan& plan = ctx.plan;
  DirectAnswer out;
  if (!ctx.settings->direct_mode || !plan.direct_mode_ok || plan.preprocessed_input) return out;
  absl::StatusOr<FileFacts> source = inputs_.Facts(ctx.request->cwd, plan.source);
  if (!source.ok() || (source->flags & (kUsesTimeMacros | kUsesOpaqueHasInclude))) {
    return out;  // preprocessor mode sees the time and the probe's answer
  }
  out.manifest_key = ManifestKey(ctx.key_inputs, source->digest);
  if (ctx.settings->recache) {
    store_->stats().Increment(Counter::kRecache);
    if (ctx.audit) ctx.audit->Miss("direct", "recache");
  } else {
    std::optional<bool> file_macros_verdict;  // this compile's own check, run at most once
    DirectMode::Answer answer = direct_->Lookup(
        *out.manifest_key, ctx.request->cwd, ctx.key_inputs.base,
        [&](const ManifestRecord& record) {
          if (!FileMacrosStayHome(ctx, record, &file_macros_verdict)) return false;
          out.hit = Lookup(ctx, record.result_key, Counter::kDirectCacheHit);
          if (out.hit && record.base != ctx.key_inputs.base) {
            // Checked here: the result is every checkout's from now on.
            ManifestRecord shared = record;
            shared.base.clear();
            shared.verify_file_macros = false;
            Record(ctx, *out.manifest_key, std::move(shared));
          }
          return out.hit.has_value();
        },
        ctx.remote, !ctx.settings->readonly);
    if (answer.hit) return out;
    out.use_preprocessor = answer.use_preprocessor;
    if (ctx.audit) ctx.audit->Miss("direct", answer.why);
  }
  store_->stats().Increment(Counter::kDirectCacheMiss);
  return out;
}

CompileResult Engine::RunAndStore(Context& ctx, const Preprocessed& cpp, Placement* placed) {
  absl::StatusOr<util::ProcessResult> ran =
      RunCompiler(ctx, CommandFor(*ctx.request, ctx.compile_argv, Shown::kOutput));
  if (!ran.ok()) return RunFailed(ran.status());

  CompileResult result = MissResult(*ran);
  result.key_hex = cpp.key.ToHex();
  if (result.exit_code != 0) return result;

  absl::StatusOr<store::Entry> entry =
      CollectOutputs(ctx.plan, ctx.request->cwd, ran->stdout_data, ran->stderr_data);
  if (!entry.ok()) {
    NotStored(ctx, UncollectedCounter(entry.status()));
    return result;
  }
  // The key came from a preprocessor run before the compile. If an input was written since that
  // run started, or time macros are in play, the compile may have seen something else: ask the
  // preprocessor again and keep the result only if the key is unchanged.
  const std::vector<std::string> files = FilesFromLineMarkers(cpp.text);
  std::vector<std::pair<std::string, std::string>> read;  // for --explain
  bool time_macros = false;
  bool assembler_include = false;
  bool unscanned = false;  // a file read that zcwrap could not (gone, or not a regular file)
  for (const std::string& f : files) {
    absl::StatusOr<FileFacts> facts = inputs_.Facts(ctx.request->cwd, f);
    if (!facts.ok()) {
      unscanned = true;
      continue;
    }
    read.emplace_back(f, facts->digest.ToHex());
    time_macros |= (facts->flags & kUsesTimeMacros) != 0;
    assembler_include |= (facts->flags & kUsesAssemblerInclude) != 0;
  }
  // .incbin/.include: the assembler reads a file the preprocessed text does not hold. The files
  // read hold every directive; where one could not be scanned (or the source is preprocessed),
  // the text itself is.
  if (ctx.plan.preprocessed_input || unscanned) {
    assembler_include |= (ScanSource(cpp.text).flags & kUsesAssemblerInclude) != 0;
  }
  if (assembler_include) {
    NotStored(ctx, Counter::kUnsupportedCodeDirective);
    return result;
  }
  *placed = Place(ctx, cpp.key, *entry, files, cpp.text);
  RememberMiss(ctx, KeyRecord(ctx, "preprocessed", std::move(read), placed->why));
  const bool inputs_old = CheckFreshness(files, ctx.request->cwd, ctx.start) == Freshness::kOld;
  if (!inputs_old || (time_macros && !ctx.plan.preprocessed_input)) {
    absl::StatusOr<Preprocessed> again =
        Preprocess(*ctx.request, ctx.plan, ctx.key_inputs, preprocess_env());
    if (!again.ok() || again->key != cpp.key) {
      // Inputs written since the compile started explain a change; with none, the time did.
      NotStored(ctx, inputs_old && time_macros ? Counter::kTimeMacrosUnstable
                                               : Counter::kModifiedInputFile);
      return result;
    }
  }
  Store(ctx, placed->key, placed->EntryFor(*entry), &result);
  return result;
}

void Engine::Record(Context& ctx, const util::Digest& manifest_key, ManifestRecord record) {
  if (ctx.settings->readonly) return;
  // The result is stored either way; without its record it is found again only by compiling.
  if (!direct_->Record(manifest_key, std::move(record), ctx.key_inputs.base, ctx.remote)) {
    store_->stats().Increment(Counter::kStoreFailed);
  }
}

std::optional<CompileResult> Engine::Lookup(Context& ctx, const util::Digest& key,
                                            Counter hit_counter) {
  std::string tier;
  std::shared_ptr<const store::Entry> entry =
      results_.Load(key, ctx.remote, !ctx.settings->readonly, &tier);
  if (entry == nullptr) return std::nullopt;  // corrupt entries were counted
  std::optional<int32_t> exit_code = entry->ExitCode();
  // A bad entry restores nothing; the compile runs and the compiler reports real problems.
  if (!exit_code ||
      !RestoreOutputs(ctx.plan, ctx.request->cwd, *entry, ctx.request->umask, ctx.key_inputs.base)
           .ok()) {
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
  if (!tier.empty()) store_->stats().Increment(Counter::kRemoteStorageHit);
  if (ctx.audit) {
    ctx.audit->Hit(hit_counter == Counter::kDirectCacheHit ? "direct" : "preprocessed",
                   result.key_hex, tier);
  }
  if (const auto& show = ctx.request->on_output) {
    if (!result.stdout_data.empty()) show(1, result.stdout_data);
    if (!result.stderr_data.empty()) show(2, result.stderr_data);
  }
  return result;
}

}  // namespace zc::compile
