#include "bench/replay/shim_backend.h"

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cachecore/util/status_macros.h"
#include "shim/include/zcshim.h"

namespace zc::bench {
namespace {

absl::Status ShimError(zc_status status, absl::string_view what) {
  return absl::InternalError(
      absl::StrCat(what, ": ", zc_status_message(status), " (", zc_last_error(), ")"));
}

class ShimBackend : public Backend {
 public:
  explicit ShimBackend(std::string cache_dir)
      : info_{.name = "shim",
              .own_spawns_per_compile = 0,
              .in_process = true,
              .round_trips_per_compile = 0,
              .counting =
                  "0 per hit, 1 compiler per non-hit (run by libzcshim in this "
                  "process); no IPC"},
        cache_dir_(std::move(cache_dir)) {}

  ~ShimBackend() override { (void)Finish(); }

  const BackendInfo& info() const override { return info_; }

  absl::Status Prepare(bool cold) override {
    if (cold) {
      ZC_RETURN_IF_ERROR(Finish());
      ZC_RETURN_IF_ERROR(EmptyDirectory(cache_dir_));
    }
    if (service_ != nullptr) return absl::OkStatus();
    zc_config config = ZC_CONFIG_INIT;
    config.cache_root = cache_dir_.c_str();
    config.host.product = "zc_replay";
    config.host.instance_id = "bench";
    config.host.workspace_id = "replay";
    // Audit like the wrapped backends do: the file zcwrap would write to, with the ids from the
    // environment (the service reads ZCWRAP_RUN_ID ... from it), for the audit-completeness
    // comparison in docs/perf.md.
    const char* audit_file = std::getenv("ZCWRAP_AUDIT_FILE");
    if (audit_file != nullptr && audit_file[0] != '\0') {
      config.audit_mode = ZC_AUDIT_NORMAL;
      config.audit_path = audit_file;
    }
    zc_status status = zc_service_start(&config, &service_);
    if (status != ZC_OK) {
      service_ = nullptr;
      return ShimError(status, "zc_service_start");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<CompileResult> Compile(const CompileCommand& command, int) override {
    if (service_ == nullptr) return absl::FailedPreconditionError("shim: Prepare was not called");
    std::vector<const char*> argv;
    argv.reserve(command.arguments.size());
    for (const std::string& arg : command.arguments) argv.push_back(arg.c_str());
    zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
    request.argv = argv.data();
    request.argc = argv.size();
    request.cwd = command.directory.c_str();
    zc_compile_result* result = nullptr;
    zc_status status = zc_service_compile(service_, &request, &result);
    if (status != ZC_OK || result == nullptr) return ShimError(status, "zc_service_compile");
    CompileResult out{.exit_code = result->exit_code, .hit = result->outcome == ZC_OUTCOME_HIT};
    if (result->exit_code != 0 && result->stderr_data != nullptr) {
      out.diagnostics.assign(result->stderr_data, result->stderr_len);
    }
    zc_compile_result_free(result);
    return out;
  }

  absl::StatusOr<std::optional<ToolCounters>> ReadCounters() override { return std::nullopt; }

  absl::Status Finish() override {
    if (service_ == nullptr) return absl::OkStatus();
    zc_status status = zc_service_shutdown(service_, ZC_SHUTDOWN_GRACEFUL);
    zc_service_free(service_);
    service_ = nullptr;
    if (status != ZC_OK) return ShimError(status, "zc_service_shutdown");
    return absl::OkStatus();
  }

 private:
  BackendInfo info_;
  std::string cache_dir_;
  zc_service* service_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> MakeShimBackend(const BackendOptions& options) {
  if (zc_abi_version() != ZC_ABI_VERSION) {
    return absl::FailedPreconditionError(
        absl::StrCat("backend shim: libzcshim has ABI ", zc_abi_version(),
                     ", zc_replay was built for ", ZC_ABI_VERSION));
  }
  return std::make_unique<ShimBackend>(options.cache_dir);
}

}  // namespace zc::bench
