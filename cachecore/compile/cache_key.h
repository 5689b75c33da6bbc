// The preprocessor-mode key: what makes two compiles produce the same outputs.
//
//   zc::util::Digest key = zc::compile::PreprocessorModeKey(inputs);
//
// SHA-256 over, each field length-delimited and tagged:
//   - a key format version ("zcwrap-result-1"), so a change in what is hashed never reuses old
//   keys;
//   - the compiler's identity (content hash) and the name it was called by (gcc vs g++);
//   - the language and every argument that can change the outputs (CompilePlan::hashed_args:
//     everything but output names and dependency-file options), plus the dependency options that
//     shape the .d (-MD/-MMD/-MP/-MT/-MQ);
//   - every file an option names (CompilePlan::input_files), by content ("absent" if missing);
//   - the preprocessed source (`cc -E` output) and the preprocessor's stderr, and the precompiled
//     headers the compile could use beside its first include (pch.h), by content;
//   - for a PCH compile whose PCH records its inputs' mtimes (clang without
//     -fno-pch-timestamp; gcc is treated alike), the size and mtime of every file it reads;
//   - the working directory when it is written into the outputs (debug info without a prefix map,
//     objects that embed their own path);
//   - with a base directory (base_dir.h), paths under it relative to it: in the arguments (the
//     source and kPathArg options), the working directory and files named by options;
//   - whether diagnostics are coloured (stderr is a terminal);
//   - environment variables that change the output or the diagnostics (kKeyEnvironment).
#ifndef ZCWRAP_CACHECORE_COMPILE_CACHE_KEY_H_
#define ZCWRAP_CACHECORE_COMPILE_CACHE_KEY_H_

#include <functional>
#include <optional>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "cachecore/compile/arguments.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

// Environment variables that can change a compile's outputs or its diagnostics.
std::span<const absl::string_view> KeyEnvironment();

// A file (or directory, or absent path) a compile reads, by content (input_digest.h).
struct InputState {
  std::string path;  // as the plan names it
  util::Digest digest;
};

// A file whose size and mtime end up in the output (see PchTimesMatter).
struct PinnedTime {
  std::string path;
  int64_t size = 0;
  int64_t mtime_ns = 0;
};

struct KeyInputs {
  const CompilePlan* plan = nullptr;
  // plan->input_files, in order, then the extra_files_to_hash setting's files.
  std::span<const InputState> named_inputs;
  util::Digest compiler_id;         // the program's content (compiler_identity.h): memos use it
  util::Digest compiler_key;        // what the key holds for the compiler (compiler_check.h)
  absl::string_view compiler_name;  // basename of argv[0]
  absl::string_view cwd;
  // The base directory paths are keyed relative to (base_dir.h); empty: none. Set only when
  // portability.h allows it for the plan.
  absl::string_view base;
  bool color = false;  // diagnostics will be coloured
  std::function<std::optional<std::string>(absl::string_view)> env;
  absl::string_view key_namespace;  // the namespace setting; empty: none
  // prefix_command as it enters the key (prefix_command.h LauncherKey); empty: none.
  absl::string_view launcher;
  std::span<const std::string> ignore_options;  // the ignore_options setting
  absl::string_view preprocessed;
  absl::string_view preprocessor_stderr;
  // Preprocessor mode only: PCHs found beside the first include, and pinned file times.
  std::span<const InputState> pch_files;
  std::span<const PinnedTime> pinned;
};

// Whether `arg` is left out of the key by the ignore_options patterns ("PREFIX*": a prefix).
bool IgnoredOption(absl::string_view arg, std::span<const std::string> patterns);

util::Digest PreprocessorModeKey(const KeyInputs& in);

// The direct-mode manifest key: the same inputs as PreprocessorModeKey except that the source's
// content digest replaces the preprocessed output, and the working directory is always included
// (recorded header paths are relative to it). `in.preprocessed` and `in.preprocessor_stderr` are
// ignored.
util::Digest ManifestKey(const KeyInputs& in, const util::Digest& source_digest);

// The depend-mode result key: the manifest key plus every file the compile read, by path and
// content, in the order the compiler listed them, then any PCH found beside its first include,
// and pinned times.
struct FileDigest {
  absl::string_view path;
  util::Digest digest;
};
util::Digest DependModeResultKey(const util::Digest& manifest_key,
                                 std::span<const FileDigest> files,
                                 std::span<const PinnedTime> pinned = {});

// True if a compile that produces a PCH writes its inputs' mtimes into it (clang does, unless
// -Xclang -fno-pch-timestamp): a restored copy must then carry the times of this tree's files.
bool PchTimesMatter(const CompilePlan& plan);

// True if the working directory ends up in the outputs of `plan`.
// (Also for PCHs, which name the files they were built from.)
bool CwdMatters(const CompilePlan& plan);

// The working directory as it ends up in the outputs: `cwd` rewritten by every prefix map whose
// old prefix covers it (all of them, so the key is right whichever one the compiler applies),
// or `cwd` itself when none does.
std::string CwdForKey(const CompilePlan& plan, absl::string_view cwd);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_CACHE_KEY_H_
