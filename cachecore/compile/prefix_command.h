// The prefix_command setting: a launcher that runs a miss's compile elsewhere (distcc, icecc), as
// `PREFIX compiler args...`. What is pure about it lives here: the words of the setting, which of
// a prefixed run's stderr lines are the launcher's own, and whether a run's end is the compiler's
// verdict or the launcher's failure. The engine's step that runs it: engine_prefix.cc.
//
//   std::vector<std::string> words = zc::compile::PrefixWords("distcc");
//   zc::compile::LauncherOutput out = zc::compile::SplitLauncherOutput("/usr/bin/distcc", err);
//   if (!zc::compile::IsCompilerVerdict(exit_code, out.compiler_stderr)) { run locally once }
//
// Launchers write their own lines to the compile's stderr ("distcc[123] Warning: failed to
// distribute, running locally instead", "ICECC[123] 2026-12-02 13:44:07: no local daemon found").
// A plain compile would not have written them, so they are kept out of the compile's output (and
// of what a hit replays) and go to zcwrap's log and audit instead. Launchers are known by name in
// one table (prefix_command.cc); an unknown launcher's output is kept whole.
#ifndef ZCWRAP_CACHECORE_COMPILE_PREFIX_COMMAND_H_
#define ZCWRAP_CACHECORE_COMPILE_PREFIX_COMMAND_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zc::compile {

// The setting's words (split at spaces and tabs); empty: no prefix.
std::vector<std::string> PrefixWords(absl::string_view setting);

// The setting as it enters the key: the program's name (not where it is installed) and its
// arguments, e.g. "distcc" or "icecc --x"; empty: no prefix. What a farm builds is not always
// byte for byte what this machine's compiler builds, so their results are kept apart.
std::string LauncherKey(absl::string_view setting);

struct LauncherOutput {
  std::string compiler_stderr;              // stderr without the launcher's lines
  std::vector<std::string> launcher_lines;  // those lines, without their line ends
};
// Splits a prefixed run's stderr. `launcher`: the prefix's program (a path or a name).
LauncherOutput SplitLauncherOutput(absl::string_view launcher, absl::string_view stderr_data);

// Did the compiler decide how a prefixed run ended? Yes for success, and for exit code 1 (gcc's
// and clang's "the code has errors") with something the compiler said; no for anything else: a
// launcher's own failure (distcc's and icecc's codes 100-118), a signal, a crash, or a failure
// with no compiler message. Such a run is not a verdict on the code, and is retried locally.
bool IsCompilerVerdict(int exit_code, absl::string_view compiler_stderr);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_PREFIX_COMMAND_H_
