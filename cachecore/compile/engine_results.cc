// Engine's results: storing, counting and auditing what a compile gave, and the results of
// compiles that were not cached (engine.h).
#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cachecore/compile/engine.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::compile {

using stats::Counter;

bool Engine::Store(Context& ctx, const util::Digest& key, const store::Entry& entry,
                   CompileResult* result) {
  if (ctx.settings->readonly) {
    NotStored(ctx, Counter::kReadonlyMiss);
    return false;
  }
  // A failed store costs a future hit, never this build.
  if (!results_.Put(key, entry, ctx.remote).ok()) {
    NotStored(ctx, Counter::kStoreFailed);
    return false;
  }
  result->stored = true;
  result->key_hex = key.ToHex();
  if (ctx.audit) ctx.audit->Stored(result->key_hex, entry.DataSize());
  return true;
}

void Engine::NotStored(Context& ctx, Counter why) {
  store_->stats().Increment(why);
  if (ctx.audit) ctx.audit->NotStored(stats::CounterName(why));
}

CompileResult Engine::NotCached(const Context& ctx, Counter reason) {
  if (!ctx.dry_run) return Passthrough(reason);
  CompileResult r;
  r.outcome = Outcome::kPassthrough;
  r.reason = reason;
  return r;
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
  const absl::string_view outcome =
      result.outcome == Outcome::kPassthrough ? "passthrough" : OutcomeName(result);
  std::string line = absl::StrCat(outcome, " ", stats::CounterName(result.reason), " us=", micros,
                                  " key=", result.key_hex.empty() ? "-" : result.key_hex,
                                  " cwd=", request.cwd, " argv=", absl::StrJoin(request.argv, " "));
  if (!request.fallback_note.empty()) absl::StrAppend(&line, " note=", request.fallback_note);
  AppendToLog(request, line);
}

void Engine::AppendToLog(const CompileRequest& request, absl::string_view text) {
  const std::string& log_file =
      request.config != nullptr ? request.config->log_file : config_.log_file;
  if (log_file.empty()) return;
  const std::string line = absl::StrCat("zcwrap[", ::getpid(), "] ", text, "\n");
  absl::StatusOr<util::ScopedFd> fd = util::OpenForAppend(log_file, 0666);
  if (fd.ok()) (void)util::WriteAll(fd->get(), line);
}

}  // namespace zc::compile
