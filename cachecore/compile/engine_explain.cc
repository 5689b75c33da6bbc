// Engine's explanations: the key inputs of each miss, kept per output object, and Explain, which
// prepares a request as a compile would and compares (engine.h, explain.h).
#include <sys/stat.h>

#include "cachecore/compile/base_dir.h"
#include "cachecore/compile/cache_key.h"
#include "cachecore/compile/engine.h"
#include "cachecore/compile/include_guard.h"
#include "cachecore/compile/portability.h"
#include "cachecore/compile/source_scan.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {

ExplainRecord Engine::KeyRecord(const Context& ctx, absl::string_view mode,
                                std::vector<std::pair<std::string, std::string>> files,
                                absl::string_view bound_why) const {
  const CompileRequest& request = *ctx.request;
  const CompilePlan& plan = ctx.plan;
  ExplainRecord r;
  r.object = util::JoinPath(request.cwd, plan.output);
  r.source = plan.source;
  r.cwd = request.cwd;
  r.argv = request.argv;
  r.mode = std::string(mode);
  r.compiler = ctx.compiler_id.ToHex();
  r.compiler_key = ctx.key_inputs.compiler_key.ToHex();
  // Paths under the base as "$BASE/...", even where the key keeps them absolute: base_note
  // says why, and records of two checkouts line up.
  const std::string& base = ctx.base;
  r.base = base;
  r.base_note = ctx.base_unusable.empty() ? std::string(bound_why) : ctx.base_unusable;
  auto keyed = [&](const std::vector<std::string>& plain, std::vector<std::string>* out) {
    const std::vector<std::string> relative = KeyArgs(plain, base);
    for (size_t i = 0; i < plain.size(); ++i) {
      if (!IgnoredOption(plain[i], ctx.settings->ignore_options)) {
        out->push_back(ShowKeyPath(relative[i]));
      }
    }
  };
  keyed(plan.hashed_args, &r.args);
  keyed(plan.dep_key_args, &r.dep_args);
  // Direct mode keys its manifests by the directory whatever the output embeds ("direct:" says
  // that is the only reason); preprocessor mode only when the output embeds it (cache_key.h).
  const bool embedded = CwdMatters(plan);
  const std::string& cwd = ctx.key_cwd;
  if (mode == "direct") {
    const bool mapped = embedded && CwdForKey(plan, cwd) != cwd;
    r.cwd_in_key = absl::StrCat(embedded && !mapped ? "" : "direct:", ExplainPath(cwd, base));
  } else if (embedded) {
    r.cwd_in_key = ExplainPath(CwdForKey(plan, cwd), base);
  }
  r.key_namespace = ctx.settings->key_namespace;
  r.launcher = ctx.launcher;
  for (absl::string_view name : KeyEnvironment()) {
    if (std::optional<std::string> value = ctx.env.Get(name)) {
      r.env.push_back(absl::StrCat(name, "=", *value));
    }
  }
  for (const InputState& input : ctx.named_inputs) {
    r.inputs.emplace_back(ExplainPath(input.path, base), input.digest.ToHex());
  }
  for (auto& [path, hex] : files) path = ExplainPath(path, base);
  r.files = std::move(files);
  return r;
}

void Engine::RememberMiss(const Context& ctx, const ExplainRecord& record) {
  if (ctx.dry_run || ctx.settings->readonly || ctx.plan.output.empty()) return;
  // Why it missed, against the object's previous miss or else the nearest record; kept with the
  // record for --explain, and said in the audit.
  ExplainRecord kept = record;
  std::optional<ExplainRecord> last = ReadExplainRecord(*store_, record.object);
  if (!last) last = ReadNearestExplainRecord(*store_, record);
  if (last) {
    kept.compared_with = last->object;
    std::vector<std::string> changes;
    for (const Difference& d : CompareExplainRecords(*last, record)) {
      kept.why.emplace_back(d.kind, d.text);
      changes.push_back(absl::StrCat(d.kind, ": ", d.text));
    }
    if (ctx.audit != nullptr) ctx.audit->Explained(changes);
  }
  (void)WriteExplainRecord(*store_, kept);
}

ExplainReport Engine::Explain(const CompileRequest& request) {
  ExplainReport report;
  Context ctx;
  ctx.request = &request;
  ctx.settings = request.config != nullptr ? request.config : &config_;
  ctx.start = StartTime::Now(clock_);
  ctx.env = EnvView(request.env);
  ctx.dry_run = true;
  if (std::optional<CompileResult> not_cached = Prepare(ctx)) {
    report.verdict = "uncacheable";
    report.uncacheable = std::string(stats::CounterName(not_cached->reason));
    if (!request.argv.empty()) report.object = request.cwd;
    return report;
  }
  const CompilePlan& plan = ctx.plan;
  report.object = util::JoinPath(request.cwd, plan.output);
  auto stored = [this](const util::Digest& key) {
    struct stat st;
    return ::stat(store_->PathFor(key, store::EntryType::kResult).c_str(), &st) == 0;
  };

  // Would it hit? As a compile would look, without restoring or counting.
  bool hit = false;
  bool guard_failed = false;
  std::optional<std::string> shadowing;
  report.mode = "preprocessed";
  absl::StatusOr<FileFacts> source = inputs_.Facts(request.cwd, plan.source);
  const bool direct = ctx.settings->direct_mode && plan.direct_mode_ok &&
                      !plan.preprocessed_input && source.ok() &&
                      !(source->flags & (kUsesTimeMacros | kUsesOpaqueHasInclude));
  bool use_preprocessor = !direct;
  if (direct) {
    report.mode = "direct";
    const util::Digest manifest_key = ManifestKey(ctx.key_inputs, source->digest);
    std::optional<bool> file_macros_verdict;
    DirectMode::Answer answer = direct_->Lookup(
        manifest_key, request.cwd, ctx.key_inputs.base, [&](const ManifestRecord& record) {
          return FileMacrosStayHome(ctx, record, &file_macros_verdict) && stored(record.result_key);
        });
    hit = answer.hit;
    use_preprocessor = answer.use_preprocessor;
    guard_failed = answer.why == absl::string_view("inputs_changed");
    if (guard_failed) {
      shadowing = direct_->FirstGuardViolation(manifest_key, request.cwd, ctx.key_inputs.base);
    }
  }
  if (!hit && use_preprocessor) {
    report.mode = "preprocessed";
    absl::StatusOr<Preprocessed> cpp = Preprocess(request, plan, ctx.key_inputs, preprocess_env());
    hit = cpp.ok() && (stored(cpp->key) || (!ctx.key_inputs.base.empty() &&
                                            stored(BoundToBase(cpp->key, ctx.key_inputs.base))));
  }
  report.verdict = hit ? "hit" : "miss";

  std::optional<ExplainRecord> last = ReadExplainRecord(*store_, report.object);
  if (last) {
    report.last_compared_with = last->compared_with;
    report.last_why = last->why;
  }
  if (hit) return report;
  report.has_record = last.has_value();
  if (!last) return report;
  std::vector<std::pair<std::string, std::string>> files_now;
  for (const auto& [path, hex] : last->files) {
    absl::StatusOr<FileFacts> facts = inputs_.Facts(request.cwd, RealExplainPath(path, ctx.base));
    files_now.emplace_back(path, facts.ok() ? facts->digest.ToHex() : "");
  }
  report.differences =
      CompareExplainRecords(*last, KeyRecord(ctx, report.mode, std::move(files_now)));
  if (shadowing) {
    report.differences.push_back(
        {"file_shadowing", *shadowing, "", "",
         absl::StrCat("a file appeared, disappeared or was replaced where the compiler looks "
                      "for headers, before one the last compile read: ",
                      *shadowing)});
  }
  return report;
}

}  // namespace zc::compile
