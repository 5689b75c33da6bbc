// Service: the engine behind zcshim's C ABI. One per zc_service: owns the Engine (with in-memory
// tables), the compiler slots, the audit log, and the lifecycle (accepting → shutting down →
// shut down). zcshim.cc only translates C structs to these types and catches everything.
//
//   ZC_ASSIGN_OR_RETURN(std::unique_ptr<zc::shim::Service> s, zc::shim::Service::Start(options));
//   absl::StatusOr<zc::shim::Service::Result> r = s->Compile(request);
//   s->Shutdown(/*force=*/false);
//
// Thread-safe: Compile, Stats and Flush may run concurrently from any threads, also while
// Shutdown runs (they are refused once it started).
#ifndef ZCWRAP_SHIM_INTERNAL_SERVICE_H_
#define ZCWRAP_SHIM_INTERNAL_SERVICE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cachecore/audit/event_log.h"
#include "cachecore/compile/engine.h"
#include "cachecore/compile/front_door.h"
#include "cachecore/config/config.h"
#include "cachecore/util/process.h"
#include "cachecore/util/process_slots.h"

namespace zc::shim {

struct ServiceOptions {
  std::string cache_root;
  uint64_t max_size = 0;  // 0: the cache's own setting
  audit::Host host;
  uint32_t max_parallel_compiles = 0;  // 0: the number of CPUs
  const volatile int32_t* host_in_flight = nullptr;
  audit::Mode audit_mode = audit::Mode::kOff;
  std::string audit_path;  // empty: the default under cache_root
  int cancel_fd = -1;      // the host's service-wide token; -1: none
};

struct ServiceRequest {
  std::string compiler;  // a path, or a name looked up in PATH; empty: argv[0]
  std::vector<std::string> argv;
  std::string cwd;
  std::optional<std::vector<std::string>> env;
  std::string stdin_data;
  audit::Context audit;  // empty fields: from ZCWRAP_RUN_ID ... in env
  int cancel_fd = -1;
  std::function<void(int stream, absl::string_view chunk)> on_output;
};

struct ServiceResult {
  compile::CompileResult result;
  uint64_t queued_us = 0;
  uint64_t total_us = 0;
};

struct ServiceStats {
  std::vector<std::pair<std::string, uint64_t>> counters;  // as zcwrap --print-stats
  uint64_t in_flight = 0;
  uint64_t queue_depth = 0;
  uint64_t compiles = 0;
  std::string json;
};

struct FlushReport {
  uint64_t audit_events = 0;
  uint64_t entries = 0;
  bool stats_synced = false;
};

// 1 to 64 characters of [A-Za-z0-9._-]; `what` names the field in the error.
absl::Status ValidateIdentityField(absl::string_view what, absl::string_view value);

class Service {
 public:
  // InvalidArgument for a bad option, Unavailable if the cache cannot be opened.
  static absl::StatusOr<std::unique_ptr<Service>> Start(ServiceOptions options);
  ~Service();

  // OK: the compile ran (any exit code). FailedPrecondition: shutting down, nothing ran.
  // Cancelled: a token fired (or was already triggered); compilers killed, nothing stored.
  // InvalidArgument: a malformed request.
  absl::StatusOr<ServiceResult> Compile(const ServiceRequest& request);
  ServiceStats Stats();
  absl::StatusOr<FlushReport> Flush();
  // Refuses new compiles, cancels running ones if `force`, waits until none runs, flushes.
  absl::Status Shutdown(bool force);

 private:
  Service(ServiceOptions options, config::Config file_config, config::Config host_config);
  // The settings for a request: ZCWRAP_* variables in its environment apply, the cache stays ours.
  // Null: the request has no environment of its own, the engine's (host's) settings apply.
  absl::StatusOr<std::shared_ptr<const config::Config>> RequestConfig(
      const ServiceRequest& request);

  ServiceOptions options_;
  config::Config file_config_;         // defaults + zcwrap.conf: for requests with an environment
  config::Config host_config_;         // ... + the host's ZCWRAP_*: for requests without one
  compile::RequestSettings settings_;  // for requests with an environment, by its ZCWRAP_*
  util::PosixProcessRunner posix_runner_;
  std::unique_ptr<util::ProcessSlots> slots_;
  std::unique_ptr<compile::Engine> engine_;
  std::unique_ptr<audit::EventLog> audit_log_;
  int force_fd_ = -1;  // an eventfd, written by a forced shutdown

  std::mutex mu_;
  std::condition_variable cv_;
  bool accepting_ = true;
  uint64_t in_flight_ = 0;
  uint64_t compiles_ = 0;
  uint64_t stored_since_flush_ = 0;
};

}  // namespace zc::shim

#endif  // ZCWRAP_SHIM_INTERNAL_SERVICE_H_
