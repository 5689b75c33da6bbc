// Engine's step that runs a miss's compile through prefix_command (prefix_command.h): the
// launcher runs it (on the farm, or by its own fallback), its own lines leave the output for the
// log and audit, and a run that did not end in the compiler's verdict is run again locally once.
#include "absl/strings/str_cat.h"
#include "cachecore/compile/compiler_path.h"
#include "cachecore/compile/engine.h"
#include "cachecore/compile/prefix_command.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {

using stats::Counter;

absl::StatusOr<util::ProcessResult> Engine::RunCompiler(Context& ctx, const util::Command& cmd) {
  const std::vector<std::string> words = PrefixWords(ctx.settings->prefix_command);
  if (words.empty()) return runner_->Run(cmd);

  std::string why;  // why the compile runs locally after all
  absl::StatusOr<std::string> launcher =
      words[0].find('/') != std::string::npos
          ? util::JoinPath(ctx.request->cwd, words[0])
          : FindCompilerInPath(words[0], ctx.env.Get("PATH").value_or(""), ctx.request->cwd);
  if (launcher.ok()) {
    util::Command prefixed = cmd;
    prefixed.argv = {*launcher};
    prefixed.argv.insert(prefixed.argv.end(), words.begin() + 1, words.end());
    prefixed.argv.insert(prefixed.argv.end(), cmd.argv.begin(), cmd.argv.end());
    // Shown once the run is known to be the compiler's verdict, without the launcher's lines.
    prefixed.on_output = nullptr;
    prefixed.offloaded = true;
    prefixed.offload_limit = static_cast<uint32_t>(ctx.settings->remote_jobs);
    store_->stats().Increment(Counter::kPrefixCommandRun);
    absl::StatusOr<util::ProcessResult> ran = runner_->Run(prefixed);
    if (!ran.ok() && absl::IsCancelled(ran.status())) return ran;
    if (ran.ok()) {
      LauncherOutput split = SplitLauncherOutput(*launcher, ran->stderr_data);
      if (ctx.audit) ctx.audit->PrefixRun(*launcher, ran->exit_code, split.launcher_lines);
      if (!split.launcher_lines.empty()) {
        store_->stats().Increment(Counter::kPrefixCommandMessages);
        for (const std::string& line : split.launcher_lines) {
          AppendToLog(*ctx.request, absl::StrCat("prefix_command ", *launcher, ": ", line));
        }
      }
      if (IsCompilerVerdict(ran->exit_code, split.compiler_stderr)) {
        ran->stderr_data = std::move(split.compiler_stderr);
        if (cmd.on_output) {
          if (!ran->stdout_data.empty()) cmd.on_output(1, ran->stdout_data);
          if (!ran->stderr_data.empty()) cmd.on_output(2, ran->stderr_data);
        }
        return ran;
      }
      why = absl::StrCat("exit_code_", ran->exit_code);
    } else {
      why = absl::StrCat("not_run: ", ran.status().message());
    }
  } else {
    why = absl::StrCat("not_found: ", launcher.status().message());
  }
  store_->stats().Increment(Counter::kPrefixCommandRetriedLocally);
  if (ctx.audit) ctx.audit->Fallback("prefix_command", "local", why);
  AppendToLog(*ctx.request, absl::StrCat("prefix_command failed (", why, "): compiling locally"));
  return runner_->Run(cmd);
}

}  // namespace zc::compile
