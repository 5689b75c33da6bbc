// Engine's depend-mode step: a direct-mode miss compiled with a dependency list, whose result is
// stored with a manifest record of what the compile read (engine.h).
#include "cachecore/compile/dep_file.h"
#include "cachecore/compile/engine.h"
#include "cachecore/compile/line_markers.h"
#include "cachecore/compile/outputs.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {
namespace {

using stats::Counter;

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

}  // namespace

std::optional<CompileResult> Engine::RunDependMode(Context& ctx, const util::Digest& manifest_key) {
  const CompilePlan& plan = ctx.plan;
  if (!DependModeUsable(plan)) return std::nullopt;
  const std::string& cwd = ctx.request->cwd;
  util::Command cmd = CommandFor(*ctx.request, ctx.compile_argv, Shown::kOutput);
  const util::Command users_cmd = cmd;  // without the private dependency file
  // The dependency list comes from the compile itself: the user's .d if they asked for one
  // (with -MD it lists everything), else a private one the user never sees.
  std::string dep_path;
  std::optional<util::AtomicFile> private_dep;
  if (plan.dep_file_wanted) {
    dep_path = util::JoinPath(cwd, plan.dep_file);
  } else {
    const std::string tmp_dir = util::JoinPath(config_.cache_dir, "tmp");
    absl::StatusOr<util::AtomicFile> tmp =
        util::CreateDirectoriesBelow(config_.cache_dir, "tmp").ok()  // never a planted link
            ? util::AtomicFile::Create(util::JoinPath(tmp_dir, "dep"))
            : absl::FailedPreconditionError(tmp_dir);
    if (!tmp.ok()) return std::nullopt;  // cannot learn the headers: preprocessor mode instead
    dep_path = tmp->temp_path();
    private_dep.emplace(std::move(*tmp));  // removed (unlinked) when this function returns
    cmd.argv.insert(cmd.argv.end(), {"-MD", "-MF", dep_path});
  }
  absl::StatusOr<util::ProcessResult> ran = RunCompiler(ctx, cmd);
  if (!ran.ok()) return RunFailed(ran.status());
  if (ran->exit_code != 0 && private_dep && ran->stderr_data.find(dep_path) != std::string::npos) {
    // The compiler could not write zcwrap's own dependency file (a full or read-only cache
    // disk): the failure is ours, not the compile's. Run the user's command as it is.
    NotStored(ctx, Counter::kStoreFailed);
    ran = RunCompiler(ctx, users_cmd);
    if (!ran.ok()) return RunFailed(ran.status());
    return MissResult(*ran);
  }

  CompileResult result = MissResult(*ran);
  if (result.exit_code != 0) return result;

  absl::StatusOr<std::string> dep_text = util::ReadFileToString(dep_path);
  const std::vector<std::string> files =
      dep_text.ok() ? ParseDependencies(*dep_text) : std::vector<std::string>();
  absl::StatusOr<store::Entry> entry =
      CollectOutputs(plan, cwd, ran->stdout_data, ran->stderr_data);
  if (!entry.ok()) {
    NotStored(ctx, UncollectedCounter(entry.status()));
    return result;
  }

  // Inputs written about when the compile started may have been read in an earlier version:
  // compile once more, later, and keep the result only if it is the same.
  int64_t fresh_before = ctx.start.coarse_ns;
  switch (CheckFreshness(files, cwd, ctx.start)) {
    case Freshness::kOld: break;
    case Freshness::kModified:
    case Freshness::kMissing: NotStored(ctx, Counter::kModifiedInputFile); return result;
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

  DirectMode::Observation seen = direct_->Observe(*ctx.request, plan, ctx.compiler_id, files,
                                                  fresh_before, ctx.key_inputs.base);
  std::vector<std::pair<std::string, std::string>> read;
  for (const ManifestFile& f : seen.files) {
    if (!f.directory) read.emplace_back(f.path, f.digest.ToHex());
  }
  if (seen.unrecordable == "modified_input_file") {
    RememberMiss(ctx, KeyRecord(ctx, "direct", std::move(read)));
    NotStored(ctx, Counter::kModifiedInputFile);
  } else if (seen.unrecordable == "unsupported_code_directive") {
    RememberMiss(ctx, KeyRecord(ctx, "direct", std::move(read)));
    NotStored(ctx, Counter::kUnsupportedCodeDirective);
  } else if (!seen.unrecordable.empty()) {
    RememberMiss(ctx, KeyRecord(ctx, "direct", std::move(read)));
    StoreInPreprocessorMode(ctx, manifest_key, *entry, seen, &result);
  } else {
    const Placement placed =
        Place(ctx, DependModeResultKey(manifest_key, seen.digests, seen.pinned), *entry, files,
              /*cpp_text=*/{});
    RememberMiss(ctx, KeyRecord(ctx, "direct", std::move(read), placed.why));
    if (Store(ctx, placed.key, placed.EntryFor(*entry), &result)) {
      Record(ctx, manifest_key,
             DirectMode::ResultRecord(std::move(seen), placed.key, placed.bound_base,
                                      placed.verify_file_macros));
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
  clock_.WaitForCoarsePast(ctx.start.fine_ns);
  const StartTime start = StartTime::Now(clock_);
  store_->stats().Increment(Counter::kRecompiledToVerify);
  cmd.on_output = nullptr;  // the user saw the first compile's output
  absl::StatusOr<util::ProcessResult> ran = RunCompiler(ctx, cmd);
  bool same = ran.ok() && ran->exit_code == 0;
  if (same) {
    absl::StatusOr<std::string> dep_text = util::ReadFileToString(dep_path);
    absl::StatusOr<store::Entry> second =
        CollectOutputs(plan, cwd, ran->stdout_data, ran->stderr_data);
    same = dep_text.ok() && ParseDependencies(*dep_text) == files && second.ok() &&
           SamePayloads(first, *second) && CheckFreshness(files, cwd, start) == Freshness::kOld;
  }
  if (same) return start.coarse_ns;
  // Leave the first compile's outputs, which go with the result the caller gets.
  (void)RestoreOutputs(plan, cwd, first, ctx.request->umask, ctx.key_inputs.base);
  return std::nullopt;
}

void Engine::StoreInPreprocessorMode(Context& ctx, const util::Digest& manifest_key,
                                     const store::Entry& entry, const DirectMode::Observation& seen,
                                     CompileResult* result) {
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
  const bool one_second = ctx.start.coarse_ns / 1'000'000'000 == clock_.RealNs() / 1'000'000'000;
  if (seen.time_macros && !one_second) {
    NotStored(ctx, Counter::kTimeMacrosUnstable);
  } else {
    const Placement placed =
        Place(ctx, cpp->key, entry, FilesFromLineMarkers(cpp->text), cpp->text);
    if (!Store(ctx, placed.key, placed.EntryFor(entry), result)) return;
  }
  Record(ctx, manifest_key, DirectMode::PreprocessMarker());
}

}  // namespace zc::compile
