#include "cachecore/compile/search_dirs.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cachecore/compile/cache_key.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {

std::vector<std::string> ParseSearchDirReport(absl::string_view report) {
  std::vector<std::string> dirs;
  bool in_list = false;
  for (absl::string_view line : absl::StrSplit(report, '\n')) {
    if (absl::StartsWith(line, "ignoring nonexistent directory \"") ||
        absl::StartsWith(line, "ignoring duplicate directory \"")) {
      absl::string_view d = line.substr(line.find('"') + 1);
      if (absl::ConsumeSuffix(&d, "\"")) dirs.emplace_back(d);
      continue;
    }
    if (absl::StartsWith(line, "#include \"...\" search starts here:") ||
        absl::StartsWith(line, "#include <...> search starts here:")) {
      in_list = true;
      continue;
    }
    if (absl::StartsWith(line, "End of search list.")) {
      in_list = false;
      continue;
    }
    if (in_list && absl::StartsWith(line, " ")) {
      absl::string_view d = absl::StripLeadingAsciiWhitespace(line);
      // macOS-style annotations like " (framework directory)".
      if (size_t paren = d.find(" ("); paren != absl::string_view::npos) d = d.substr(0, paren);
      dirs.emplace_back(d);
    }
  }
  return dirs;
}

absl::StatusOr<std::vector<std::string>> SearchDirs(const SearchDirsInputs& in,
                                                    util::ProcessRunner& runner,
                                                    const std::string& memo_dir) {
  // Everything the report depends on: the program and where it is installed (the same binary at
  // another prefix searches that prefix's directories), the arguments, and the variables that
  // add directories (CPATH, ...; the key's variables, which include them).
  util::Sha256 h;
  h.UpdateDelimited("search-dirs-2");
  h.UpdateDelimited(in.compiler_id.AsStringView());
  h.UpdateDelimited(in.compiler);
  h.UpdateDelimited(in.language);
  for (const std::string& a : in.cpp_args) h.UpdateDelimited(a);
  const EnvView env(in.env);
  for (absl::string_view name : KeyEnvironment()) {
    std::optional<std::string> value = env.Get(name);
    h.UpdateDelimited(value ? absl::StrCat("=", *value) : "unset");
  }
  const std::string memo_path =
      util::JoinPath(memo_dir, "dirs-" + h.Finish().ToHex().substr(0, 32));
  if (absl::StatusOr<std::string> memo = util::ReadFileToString(memo_path, util::Links::kRefuse);
      memo.ok()) {
    absl::string_view text = *memo;
    if (text == "end\n") return std::vector<std::string>();
    if (absl::ConsumeSuffix(&text, "\nend\n")) {
      std::vector<std::string> dirs = absl::StrSplit(text, '\n');
      return dirs;
    }
  }

  util::Command cmd;
  cmd.argv.push_back(in.compiler);
  cmd.argv.insert(cmd.argv.end(), in.cpp_args.begin(), in.cpp_args.end());
  cmd.argv.insert(cmd.argv.end(), {"-E", "-v", "-x", in.language, "/dev/null"});
  cmd.cwd = in.cwd;
  cmd.env = in.env;
  ZC_ASSIGN_OR_RETURN(const util::ProcessResult ran, runner.Run(cmd));
  if (ran.exit_code != 0) return absl::InternalError("compiler -v failed");
  std::vector<std::string> dirs = ParseSearchDirReport(ran.stderr_data);
  if (util::CreateDirectoriesBelow(std::string(util::Dirname(memo_dir)), util::Basename(memo_dir))
          .ok()) {
    std::string text = dirs.empty() ? "end\n" : absl::StrCat(absl::StrJoin(dirs, "\n"), "\nend\n");
    (void)util::WriteFileAtomically(memo_path, text);
  }
  return dirs;
}

SearchDirsInputs SearchDirsInputsFor(const CompileRequest& request, const CompilePlan& plan,
                                     const util::Digest& compiler_id) {
  SearchDirsInputs in;
  in.compiler = request.argv[0];
  in.compiler_id = compiler_id;
  in.language = plan.language;
  in.cpp_args = plan.cpp_flags;
  in.cwd = request.cwd;
  in.env = request.env;
  return in;
}

}  // namespace zc::compile
