#include "cachecore/compile/compiler_identity.h"

#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_hash.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {
namespace {

std::string StatSignature(const struct stat& st) {
  return absl::StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".",
                      st.st_mtim.tv_nsec, ":", st.st_ctim.tv_sec, ".", st.st_ctim.tv_nsec);
}

}  // namespace

absl::StatusOr<util::Digest> CompilerIdentity(const std::string& compiler_path,
                                              const std::string& memo_dir) {
  struct stat st;
  if (::stat(compiler_path.c_str(), &st) != 0) return util::ErrnoToStatus(errno, compiler_path);
  const std::string signature = StatSignature(st);
  const std::string memo_path =
      util::JoinPath(memo_dir, util::Sha256::Hex(compiler_path).substr(0, 32));

  // Memo file: "<signature> <hex digest>\n".
  absl::StatusOr<std::string> memo = util::ReadFileToString(memo_path, util::Links::kRefuse);
  if (memo.ok()) {
    std::vector<absl::string_view> parts = absl::StrSplit(*memo, absl::ByAnyChar(" \n"));
    util::Digest d;
    if (parts.size() >= 2 && parts[0] == signature && util::Digest::FromHex(parts[1], &d)) {
      return d;
    }
  }

  ZC_ASSIGN_OR_RETURN(const util::Digest digest, util::HashFile(compiler_path));
  // Only memoise if the file did not change while we hashed it.
  struct stat after;
  if (::stat(compiler_path.c_str(), &after) == 0 && StatSignature(after) == signature &&
      util::CreateDirectoriesBelow(std::string(util::Dirname(memo_dir)), util::Basename(memo_dir))
          .ok()) {
    (void)util::WriteFileAtomically(memo_path, absl::StrCat(signature, " ", digest.ToHex(), "\n"));
  }
  return digest;
}

}  // namespace zc::compile
