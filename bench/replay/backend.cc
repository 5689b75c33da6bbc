#include "bench/replay/backend.h"

#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/replay/launcher_backend.h"
#include "bench/replay/shim_backend.h"

namespace zc::bench {

const std::vector<std::string>& BackendNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "plain", "zcwrap-off", "zcwrap-daemon", "shim", "ccache", "sccache"};
  return *kNames;
}

absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(absl::string_view name,
                                                     const BackendOptions& options) {
  if (name == "plain") return MakePlainBackend(options);
  if (name == "zcwrap-off") return MakeZcwrapBackend(options, /*daemon=*/false);
  if (name == "zcwrap-daemon") return MakeZcwrapBackend(options, /*daemon=*/true);
  if (name == "shim") return MakeShimBackend(options);
  if (name == "ccache") return MakeCcacheBackend(options);
  if (name == "sccache") return MakeSccacheBackend(options);
  return absl::InvalidArgumentError(absl::StrCat("unknown backend '", name, "' (expected one of ",
                                                 absl::StrJoin(BackendNames(), ", "), ")"));
}

absl::Status EmptyDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(dir, ": ", ec.message()));
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code remove_ec;
    fs::remove_all(it->path(), remove_ec);
    if (remove_ec) {
      return absl::InternalError(absl::StrCat(it->path().string(), ": ", remove_ec.message()));
    }
  }
  if (ec) return absl::InternalError(absl::StrCat(dir, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace zc::bench
