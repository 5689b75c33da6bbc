#include "cachecore/compile/response_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {
namespace {

constexpr int kMaxDepth = 16;
// Files read for one command line, as libiberty's expandargv allows: without a budget a file that
// names itself a few times per line would be read 4^16 times before the depth limit stops it.
constexpr int kMaxReads = 2000;

absl::Status Expand(const std::vector<std::string>& args, const std::string& cwd, int depth,
                    int* reads, std::vector<std::string>* out) {
  for (const std::string& arg : args) {
    if (arg.size() < 2 || arg[0] != '@') {
      out->push_back(arg);
      continue;
    }
    if (depth >= kMaxDepth) {
      return absl::InvalidArgumentError(absl::StrCat("response files nested too deep at ", arg));
    }
    if (++*reads > kMaxReads) {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", kMaxReads, " response files read, at ", arg));
    }
    const std::string path = util::JoinPath(cwd, absl::string_view(arg).substr(1));
    ZC_ASSIGN_OR_RETURN(const std::string text, util::ReadFileToString(path));
    ZC_RETURN_IF_ERROR(Expand(SplitResponseText(text), cwd, depth + 1, reads, out));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> SplitResponseText(absl::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool in_arg = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      current.push_back(text[++i]);
      in_arg = true;
    } else if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        current.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_arg = true;
    } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (in_arg) out.push_back(std::move(current));
      current.clear();
      in_arg = false;
    } else {
      current.push_back(c);
      in_arg = true;
    }
  }
  if (in_arg) out.push_back(std::move(current));
  return out;
}

absl::StatusOr<std::vector<std::string>> ExpandResponseFiles(const std::vector<std::string>& args,
                                                             const std::string& cwd) {
  std::vector<std::string> out;
  out.reserve(args.size());
  int reads = 0;
  ZC_RETURN_IF_ERROR(Expand(args, cwd, 0, &reads, &out));
  return out;
}

}  // namespace zc::compile
