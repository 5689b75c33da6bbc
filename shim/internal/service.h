// Service: the engine behind zcshim's C ABI. One per zc_service: owns the Engine (with in-memory
// tables), the compiler slots, the audit log, and the lifecycle (accepting → shutting down →
// shut down). zcshim.cc only translates C structs to these types and catches everything.
//
//   ZC_ASSIGN_OR_RETURN(std::unique_ptr<zc::shim::Service> s, zc::shim::Service::Start(options));
//   absl::StatusOr<zc::shim::ServiceResult> r = s->Compile(request);
//   s->CompileAsync(request, [](absl::StatusOr<zc::shim::ServiceResult> r) { ... });
//   s->Shutdown(/*force=*/false);
//
// Thread-safe: Compile, CompileAsync, Stats and Flush may run concurrently from any threads, also
// while Shutdown runs (they are refused once it started). An async compile runs on a worker
// thread of its own, kept from an earlier compile when one is idle (a hit must never wait behind
// misses queued for compiler slots); Shutdown waits for it and its callback.
#ifndef ZCWRAP_SHIM_INTERNAL_SERVICE_H_
#define ZCWRAP_SHIM_INTERNAL_SERVICE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
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
#include "cachecore/util/clock.h"
#include "cachecore/util/process.h"
#include "cachecore/util/process_slots.h"
#include "cachecore/util/slot_pool.h"
#include "cachecore/util/wake_fd.h"
#include "cachecore/util/worker_pool.h"

namespace zc::shim {

struct ServiceOptions {
  std::string cache_root;
  uint64_t max_size = 0;  // 0: the cache's own setting
  audit::Host host;
  uint32_t max_parallel_compiles = 0;                // 0: util::UsableCpus()
  const volatile int32_t* host_in_flight = nullptr;  // deprecated: the polled host counter
  std::shared_ptr<util::SlotPool> slots;  // a budget shared with the host; overrides the two above
  audit::Mode audit_mode = audit::Mode::kOff;
  std::string audit_path;            // empty: the default under cache_root (none with a sink)
  audit::EventLog::Sink audit_sink;  // optional: every event, in-process
  int cancel_fd = -1;                // the host's service-wide token; -1: none
  // Times a forced shutdown's flush budget (kForcedFlushBudget). Borrowed: outlives the service.
  const util::Clock* clock = &util::SystemClock();
};

struct ServiceRequest {
  std::string compiler;  // a path, or a name looked up in PATH; empty: argv[0]
  std::vector<std::string> argv;
  std::string cwd;
  std::optional<std::vector<std::string>> env;
  std::string stdin_data;
  audit::Context audit;  // empty fields: from ZCWRAP_RUN_ID ... in env
  int cancel_fd = -1;
  int job_cancel_fd = -1;  // an async compile's own handle (zc_compile_job_cancel)
  std::function<void(int stream, absl::string_view chunk)> on_output;
};

struct ServiceResult {
  compile::CompileResult result;
  uint64_t queued_us = 0;
  uint64_t total_us = 0;
};

// How a compile ended, as the C ABI's zc_outcome says it.
enum class ResultKind { kHit, kMiss, kUncacheable, kError };
ResultKind KindOf(const compile::CompileResult& result);

// This service's compiles since it started, by how they ended.
struct ServiceCounts {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t uncacheable = 0;
  uint64_t errors = 0;
  uint64_t cancelled = 0;
};

struct ServiceStats {
  std::vector<std::pair<std::string, uint64_t>> counters;  // as zcwrap --print-stats
  uint64_t in_flight = 0;
  uint64_t queue_depth = 0;
  uint64_t compiles = 0;
  ServiceCounts service;
  uint64_t audit_dropped = 0;
  util::SlotPool::Counts slots;
  std::string json;
};

struct FlushReport {
  uint64_t audit_events = 0;
  uint64_t entries = 0;
  bool stats_synced = false;
  uint64_t entries_unsynced = 0;  // a forced shutdown's flush ran out of time for these
  uint64_t audit_dropped = 0;     // events that could not be written, since the start
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
  // Checks and admits the compile now (InvalidArgument, FailedPrecondition as Compile), then
  // runs it on a worker thread and calls `done` there with what Compile would return.
  using CompileDone = std::function<void(absl::StatusOr<ServiceResult>)>;
  absl::Status CompileAsync(ServiceRequest request, CompileDone done);
  ServiceStats Stats();
  absl::StatusOr<FlushReport> Flush();
  // Refuses new compiles, cancels running ones if `force`, waits until none runs and every
  // async callback returned, flushes (a forced one within kForcedFlushBudget).
  absl::Status Shutdown(bool force);
  // Runs `work` on a thread of its own; the destructor waits for it. (The C ABI's async flush
  // and shutdown.)
  absl::Status RunDetached(std::function<void()> work);

 private:
  Service(ServiceOptions options, config::Config file_config, config::Config host_config);
  absl::Status CheckRequest(const ServiceRequest& request) const;
  // Counts a compile in (FailedPrecondition once shutting down).
  absl::Status Admit();
  // Compile, for an admitted compile.
  absl::StatusOr<ServiceResult> RunAdmitted(const ServiceRequest& request);
  void Count(const absl::StatusOr<ServiceResult>& result);
  absl::StatusOr<FlushReport> FlushWithin(std::optional<std::chrono::milliseconds> budget);
  void Emit(absl::string_view event, absl::string_view fields);
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
  std::optional<util::WakeFd> force_;          // signalled by a forced shutdown
  std::unique_ptr<util::WorkerPool> workers_;  // runs async compiles

  std::mutex mu_;
  std::condition_variable cv_;
  bool accepting_ = true;
  uint64_t in_flight_ = 0;
  uint64_t async_pending_ = 0;  // async compiles admitted whose callback has not returned
  uint64_t detached_ = 0;       // RunDetached threads still running
  uint64_t compiles_ = 0;
  ServiceCounts counts_;
  // Entries published but not yet made durable: kept from a flush that ran out of time.
  std::vector<std::string> unsynced_;
};

}  // namespace zc::shim

#endif  // ZCWRAP_SHIM_INTERNAL_SERVICE_H_
