#include "cachecore/compile/compiler_check.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cachecore/compile/compiler_identity.h"
#include "cachecore/util/clock.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {

std::vector<std::vector<std::string>> CompilerCheckCommands(absl::string_view check,
                                                            absl::string_view compiler_path) {
  std::vector<std::vector<std::string>> commands;
  if (check == "content" || check == "mtime" || check == "none" ||
      absl::StartsWith(check, "string:")) {
    return commands;
  }
  for (absl::string_view command : absl::StrSplit(check, ';')) {
    std::vector<std::string> argv;
    for (absl::string_view word :
         absl::StrSplit(command, absl::ByAnyChar(" \t"), absl::SkipWhitespace())) {
      argv.push_back(absl::StrReplaceAll(word, {{"%compiler%", compiler_path}}));
    }
    if (!argv.empty()) commands.push_back(std::move(argv));
  }
  return commands;
}

absl::StatusOr<util::Digest> CompilerCheckDigest(absl::string_view check,
                                                 const std::string& compiler_path,
                                                 const std::string& memo_dir,
                                                 const CheckCommandRunner& run) {
  if (check == "content") return CompilerIdentity(compiler_path, memo_dir);
  util::Sha256 h;
  h.UpdateDelimited("zcwrap-compiler-check-1");
  if (check == "none") {
    h.UpdateDelimited("none");
  } else if (absl::ConsumePrefix(&check, "string:")) {
    h.UpdateDelimited("string");
    h.UpdateDelimited(check);
  } else if (check == "mtime") {
    struct stat st;
    if (::stat(compiler_path.c_str(), &st) != 0) return util::ErrnoToStatus(errno, compiler_path);
    h.UpdateDelimited("mtime");
    h.UpdateDelimited(absl::StrCat(st.st_size, " ", util::TimespecNs(st.st_mtim)));
  } else {
    const std::vector<std::vector<std::string>> commands =
        CompilerCheckCommands(check, compiler_path);
    if (commands.empty()) return absl::InvalidArgumentError("compiler_check: empty command");
    h.UpdateDelimited("command");
    for (const std::vector<std::string>& argv : commands) {
      absl::StatusOr<util::ProcessResult> ran = run(argv);
      if (!ran.ok()) return ran.status();
      if (ran->exit_code != 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("compiler_check command ", argv[0], " exited with ", ran->exit_code));
      }
      h.UpdateDelimited(ran->stdout_data);
      h.UpdateDelimited(ran->stderr_data);
    }
  }
  return h.Finish();
}

}  // namespace zc::compile
