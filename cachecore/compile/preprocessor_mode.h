// Preprocessor mode's key: run `cc -E` (or read already-preprocessed input) and hash its output
// with everything else that decides the compile's outputs (cache_key.h), including the PCHs the
// compile could use beside its first include (pch.h) and the file times a clang PCH depends on.
//
//   absl::StatusOr<zc::compile::Preprocessed> cpp =
//       zc::compile::Preprocess(request, plan, key_inputs, env);
//   if (cpp.ok()) lookup(cpp->key);
//
// Used for compiles direct mode does not answer, and to bracket a compile that uses time macros
// or read an input written as it started (the key must be the same before and after).
#ifndef ZCWRAP_CACHECORE_COMPILE_PREPROCESSOR_MODE_H_
#define ZCWRAP_CACHECORE_COMPILE_PREPROCESSOR_MODE_H_

#include <string>

#include "absl/status/statusor.h"
#include "cachecore/compile/arguments.h"
#include "cachecore/compile/cache_key.h"
#include "cachecore/compile/input_files.h"
#include "cachecore/compile/request.h"
#include "cachecore/util/process.h"

namespace zc::compile {

struct Preprocessed {
  std::string text;         // the preprocessed source
  std::string stderr_text;  // the preprocessor's diagnostics (part of the key)
  util::Digest key;         // the preprocessor-mode result key
};

// What Preprocess needs besides the compile itself.
struct PreprocessEnv {
  util::ProcessRunner* runner = nullptr;
  InputFiles* inputs = nullptr;
  std::string cache_dir;  // for the memoised search directories
};

// `key` holds every key input but the preprocessor's (plan, compiler, named inputs, ...).
// Errors: Cancelled (the request was); NotFound (the compiler could not run); InvalidArgument (an
// input could not be read); FailedPrecondition (the preprocessor failed, or the compiler's search
// directories could not be learned).
absl::StatusOr<Preprocessed> Preprocess(const CompileRequest& request, const CompilePlan& plan,
                                        const KeyInputs& key, const PreprocessEnv& env);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_PREPROCESSOR_MODE_H_
