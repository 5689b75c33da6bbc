#include "cachecore/compile/preprocessor_mode.h"

#include <sys/stat.h>

#include "cachecore/compile/clang_pch.h"
#include "cachecore/compile/include_guard.h"
#include "cachecore/compile/input_digest.h"
#include "cachecore/compile/line_markers.h"
#include "cachecore/compile/pch.h"
#include "cachecore/compile/portability.h"
#include "cachecore/compile/search_dirs.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {
namespace {

// The preprocessed text: the compiler's -E output, or the source itself.
absl::Status RunPreprocessor(const CompileRequest& request, const CompilePlan& plan,
                             util::ProcessRunner& runner, Preprocessed* out) {
  if (plan.preprocessed_input) {
    absl::StatusOr<std::string> text =
        util::ReadFileToString(util::JoinPath(request.cwd, plan.source));
    if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
    out->text = std::move(*text);
    return absl::OkStatus();
  }
  std::vector<std::string> cpp_argv = {request.argv[0]};
  cpp_argv.insert(cpp_argv.end(), plan.preprocess_args.begin(), plan.preprocess_args.end());
  cpp_argv.push_back("-E");
  absl::StatusOr<util::ProcessResult> ran = runner.Run(CommandFor(request, cpp_argv, Shown::kNo));
  if (!ran.ok()) {
    return absl::IsCancelled(ran.status()) ? ran.status()
                                           : absl::NotFoundError(ran.status().message());
  }
  if (ran->exit_code != 0) return absl::FailedPreconditionError("preprocessor failed");
  out->text = std::move(ran->stdout_data);
  out->stderr_text = std::move(ran->stderr_data);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Preprocessed> Preprocess(const CompileRequest& request, const CompilePlan& plan,
                                        const KeyInputs& key, const PreprocessEnv& env) {
  Preprocessed out;
  ZC_RETURN_IF_ERROR(RunPreprocessor(request, plan, *env.runner, &out));

  // What the key needs besides the text: PCHs beside the first include, pinned times.
  std::vector<InputState> pch_files;
  std::vector<PinnedTime> pinned;
  if (!plan.preprocessed_input) {
    // The line markers name the first headers read (gcc's preprocessor reads a header itself
    // even where the compile would use its PCH); -include files give the rest.
    PchCandidates pch = PchCandidatesFor(plan, request.cwd, /*source_text=*/"");
    std::vector<std::string> names = pch.searched_names;
    for (std::string& n : PchNamesFromLineMarkers(out.text)) names.push_back(std::move(n));
    absl::StatusOr<std::vector<std::string>> dirs =
        SearchDirs(SearchDirsInputsFor(request, plan, key.compiler_id), *env.runner,
                   util::JoinPath(env.cache_dir, "compilers"));
    if (!dirs.ok()) return absl::FailedPreconditionError("no search directories");
    GuardInputs where;
    where.search_dirs = std::move(*dirs);
    where.extra_dirs = {""};
    where.files = {plan.source};
    std::vector<std::string> paths = FindPchFiles(names, GuardDirectories(where), request.cwd);
    paths.insert(paths.end(), pch.paths.begin(), pch.paths.end());
    std::vector<std::string> clang_pchs;
    for (const std::string& p : paths) {
      absl::StatusOr<util::Digest> d = env.inputs->State(request.cwd, p);
      if (!d.ok()) return absl::InvalidArgumentError(d.status().message());
      pch_files.push_back({p, *d});
      const std::string resolved = util::JoinPath(request.cwd, p);
      if (*d != AbsentDigest() && IsClangPchFile(resolved)) clang_pchs.push_back(resolved);
    }
    for (const std::string& p : plan.explicit_pchs) {
      const std::string resolved = util::JoinPath(request.cwd, p);
      if (IsClangPchFile(resolved)) clang_pchs.push_back(resolved);
    }
    // clang refuses a PCH whose inputs' sizes or mtimes changed, and its preprocessor does not
    // check (it reads the headers, or nothing): those are part of the outcome. A PCH compile
    // records the times of everything it reads.
    auto pin = [&](const std::string& f, bool timed) {
      struct stat st;
      if (::stat(util::JoinPath(request.cwd, f).c_str(), &st) != 0) {
        pinned.push_back({f, -1, 0});
      } else {
        pinned.push_back(
            {f, static_cast<int64_t>(st.st_size), timed ? util::TimespecNs(st.st_mtim) : 0});
      }
    };
    bool pin_all = PchTimesMatter(plan);
    for (const std::string& path : clang_pchs) {
      absl::StatusOr<std::vector<PchInputFile>> inputs = ReadClangPchInputFiles(path);
      if (!inputs.ok()) {
        pin_all = true;  // cannot tell which: all of them
        continue;
      }
      for (const PchInputFile& in : *inputs) pin(in.name, in.mtime != 0);
    }
    if (pin_all) {
      for (const std::string& f : FilesFromLineMarkers(out.text)) pin(f, true);
    }
  }
  KeyInputs in = key;
  // With a base directory, where the checkout is shows only in the line markers' file names;
  // the key leaves it out there (anywhere else in the text it stays: portability.h).
  std::string normalised;
  if (!key.base.empty()) normalised = NormaliseLineMarkers(out.text, key.base);
  in.preprocessed = key.base.empty() ? absl::string_view(out.text) : normalised;
  in.preprocessor_stderr = out.stderr_text;
  in.pch_files = pch_files;
  in.pinned = pinned;
  out.key = PreprocessorModeKey(in);
  return out;
}

}  // namespace zc::compile
