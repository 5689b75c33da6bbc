// Precompiled headers a compile may use without naming them, so that their content goes into the
// key although no dependency output lists them.
//
//   zc::compile::PchCandidates c = zc::compile::PchCandidatesFor(plan, source_text);
//   // direct mode: c.searched_names join the include guard's probed names; c.paths are recorded
//   // as files (present or absent); FindPchFiles(c.searched_names, dirs, cwd) adds the ones found.
//
// How the compilers find them (and why this is needed):
//   - gcc uses a PCH only for the first header a translation unit includes: the first -include
//     file, else the first #include before any C token. In each directory it searches for that
//     header, it looks for NAME.gch (a file, or a directory of candidates) just before NAME.
//     When it uses one, its -MD output lists neither the .gch nor the header (FACTS.md).
//   - clang's driver turns `-include X` into `-include-pch X.pch` (or X.gch) when that file exists
//     beside X as written; clang never substitutes a PCH for an #include.
//   - PCHs named with -include-pch are ordinary input files (CompilePlan::input_files).
// So the names to look for are "N.gch" for the #include names a PCH could stand for, and for each
// -include X: "X.gch" searched like N, plus the paths X.gch and X.pch as written.
//
// A clang PCH ("CPCH") records the size and mtime of each header it was built from, and clang
// refuses it when one differs: a compile using one depends on those mtimes (IsClangPch).
#ifndef ZCWRAP_CACHECORE_COMPILE_PCH_H_
#define ZCWRAP_CACHECORE_COMPILE_PCH_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cachecore/compile/arguments.h"

namespace zc::compile {

struct PchCandidates {
  // Relative names looked for in every directory a header could be found in ("p.h.gch").
  std::vector<std::string> searched_names;
  // Paths (relative to the working directory, or absolute) checked as written: X.gch and X.pch for
  // every -include X.
  std::vector<std::string> paths;
  // The first include of the source is computed (#include MACRO): which header a PCH could stand
  // for is unknown before preprocessing.
  bool unknown = false;
};

// The candidates for `plan` run in `cwd`, whose main source reads `source_text`. A PCH compile
// gets them too (clang can chain PCHs), without its own output, however it is spelled.
PchCandidates PchCandidatesFor(const CompilePlan& plan, const std::string& cwd,
                               absl::string_view source_text);

// `path` (absolute, or relative to `cwd`) as an absolute path without "." and ".." components or
// repeated slashes, by text alone.
std::string LexicallyAbsolute(const std::string& cwd, const std::string& path);

// The #include (#include_next, #import) names of `text` that a PCH could stand for: the first
// one, or, when a conditional directive comes before it, every one before the first line of C
// tokens. `*computed` is set when one of those is not a literal name.
std::vector<std::string> LeadingIncludes(absl::string_view text, bool* computed);

// The names of preprocessed output's first included files (`# 1 "dir/p.h" 1` entered straight
// from the main file or the command line, at most `limit`), in every spelling they could have had
// ("dir/p.h", "p.h"), each with ".gch" appended: for preprocessor mode, where the text scan cannot
// tell (a computed include).
std::vector<std::string> PchNamesFromLineMarkers(absl::string_view preprocessed, size_t limit = 2);

// Every existing dir/name (a file or a directory) for `dirs` (relative to `cwd`; "" is `cwd`
// itself) and `names`, in order, without repeats.
std::vector<std::string> FindPchFiles(const std::vector<std::string>& names,
                                      const std::vector<std::string>& dirs, const std::string& cwd);

// True if `head` (the first bytes of a file) is a clang PCH.
bool IsClangPch(absl::string_view head);
// True if the file at `path` is a clang PCH (false if it cannot be read).
bool IsClangPchFile(const std::string& path);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_PCH_H_
