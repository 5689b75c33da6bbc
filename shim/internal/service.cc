#include "shim/internal/service.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/compiler_path.h"
#include "cachecore/compile/front_door.h"
#include "cachecore/remote/remote_storage.h"
#include "cachecore/stats/counter.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/cpus.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/json.h"
#include "cachecore/util/scoped_fd.h"
#include "cachecore/util/status_macros.h"

namespace zc::shim {
namespace {

// Decoded manifests and results kept in memory: a host compiles the same files again and again.
constexpr size_t kMemoryCacheBytes = size_t{128} << 20;
// At least this many idle async-compile threads are kept (zc_service_compile_async).
constexpr size_t kMinIdleWorkers = 8;

// How long a forced shutdown's flush may spend making entries durable; the rest is left to the
// kernel's write-back (and counted in the report).
constexpr std::chrono::milliseconds kForcedFlushBudget{2000};

// fsync(2) of one file or directory. NotFound for a path that is gone (an entry cleaned up).
absl::Status SyncPath(const std::string& path, bool directory) {
  const int flags = O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : O_NOFOLLOW);
  const util::ScopedFd fd(::open(path.c_str(), flags));
  if (!fd.valid()) return util::ErrnoToStatus(errno, "open " + path);
  if (::fsync(fd.get()) != 0) return util::ErrnoToStatus(errno, "fsync " + path);
  return absl::OkStatus();
}

uint64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

// `name` as the compile's PATH finds it (as zcwrap would), or NotFound.
absl::StatusOr<std::string> ResolveCompiler(const std::string& name, const std::string& cwd,
                                            const config::EnvLookup& env) {
  if (name.empty()) return absl::InvalidArgumentError("no compiler given");
  if (name.find('/') != std::string::npos) return util::JoinPath(cwd, name);
  return compile::FindCompilerInPath(name, env("PATH").value_or("/usr/local/bin:/usr/bin:/bin"),
                                     cwd);
}

}  // namespace

absl::Status ValidateIdentityField(absl::string_view what, absl::string_view value) {
  if (value.empty() || value.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be 1 to 64 characters"));
  }
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " \"", value, "\" may only hold letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Service>> Service::Start(ServiceOptions options) {
  if (options.cache_root.empty() || options.cache_root[0] != '/') {
    return absl::InvalidArgumentError("cache_root must be an absolute path");
  }
  ZC_RETURN_IF_ERROR(ValidateIdentityField("host.product", options.host.product));
  ZC_RETURN_IF_ERROR(ValidateIdentityField("host.instance_id", options.host.instance_id));
  ZC_RETURN_IF_ERROR(ValidateIdentityField("host.workspace_id", options.host.workspace_id));
  if (options.slots != nullptr && options.host_in_flight != nullptr) {
    return absl::InvalidArgumentError(
        "slots and host_in_flight are two ways to share one budget: set one of them");
  }
  if (options.max_parallel_compiles == 0) options.max_parallel_compiles = util::UsableCpus();

  // The cache's settings as zcwrap would read them: zcwrap.conf in the root, then ZCWRAP_*.
  const std::string root = options.cache_root;
  auto only_root = [&root](absl::string_view name) -> std::optional<std::string> {
    if (name == "ZCWRAP_DIR") return root;
    return std::nullopt;
  };
  const config::EnvLookup process_env = config::ProcessEnv();
  auto host_env = [&root, &process_env](absl::string_view name) -> std::optional<std::string> {
    if (name == "ZCWRAP_DIR") return root;
    return process_env(name);
  };
  ZC_ASSIGN_OR_RETURN(config::Config file_config, config::LoadConfig(only_root));
  ZC_ASSIGN_OR_RETURN(config::Config host_config, config::LoadConfig(host_env));
  if (options.max_size != 0) {
    file_config.max_size = options.max_size;
    host_config.max_size = options.max_size;
  }

  std::unique_ptr<Service> service(
      new Service(std::move(options), std::move(file_config), std::move(host_config)));
  const ServiceOptions& o = service->options_;

  absl::StatusOr<std::unique_ptr<store::LocalStore>> store =
      store::LocalStore::Open(compile::StoreOptionsFor(service->file_config_));
  if (!store.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot open cache ", o.cache_root, ": ", store.status().message()));
  }
  (*store)->TrackPublished();  // Flush makes exactly these durable
  if (o.audit_mode != audit::Mode::kOff) {
    if (o.audit_sink && o.audit_path.empty()) {
      service->audit_log_ = audit::EventLog::ToSink(o.audit_sink);
    } else {
      std::string path = o.audit_path;
      if (path.empty()) {
        path = util::JoinPath(o.cache_root,
                              absl::StrCat("audit/", o.host.product, "-", o.host.instance_id, "-",
                                           o.host.workspace_id, ".jsonl"));
      }
      absl::StatusOr<std::unique_ptr<audit::EventLog>> log =
          audit::EventLog::Open(path, o.audit_sink);
      if (!log.ok()) return absl::InvalidArgumentError(log.status().message());
      service->audit_log_ = std::move(*log);
    }
  }
  ZC_ASSIGN_OR_RETURN(util::WakeFd force, util::WakeFd::Create());
  service->force_ = std::move(force);
  service->slots_ = o.slots != nullptr
                        ? std::make_unique<util::ProcessSlots>(&service->posix_runner_, o.slots)
                        : std::make_unique<util::ProcessSlots>(
                              &service->posix_runner_, o.max_parallel_compiles, o.host_in_flight);
  // Idle async-compile threads kept for the next compiles: twice the compiler slots covers the
  // misses running plus as many hits arriving meanwhile.
  service->workers_ = std::make_unique<util::WorkerPool>(
      std::max<size_t>(kMinIdleWorkers, 2 * size_t{service->slots_->pool().limit()}));
  service->engine_ = std::make_unique<compile::Engine>(service->host_config_, std::move(*store),
                                                       service->slots_.get(), kMemoryCacheBytes);
  util::JsonObject fields;
  fields.Add("cache_root", o.cache_root)
      .Add("max_parallel_compiles", int64_t{service->slots_->pool().limit()})
      .Add("shared_slots", o.slots != nullptr)
      .Add("audit_mode", audit::ModeName(o.audit_mode));
  service->Emit("service.started", fields.Take());
  return service;
}

Service::Service(ServiceOptions options, config::Config file_config, config::Config host_config)
    : options_(std::move(options)),
      file_config_(std::move(file_config)),
      host_config_(std::move(host_config)),
      settings_(options_.cache_root) {}

Service::~Service() {
  if (engine_ != nullptr) (void)Shutdown(/*force=*/false);  // not when Start failed half-way
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return detached_ == 0 && async_pending_ == 0; });
  }
  engine_.reset();
}

void Service::Emit(absl::string_view event, absl::string_view fields) {
  if (audit_log_ == nullptr) return;
  audit_log_->Append(audit::ServiceEventLine(event, "zcshim", options_.host, fields));
}

absl::StatusOr<std::shared_ptr<const config::Config>> Service::RequestConfig(
    const ServiceRequest& request) {
  if (!request.env) return std::shared_ptr<const config::Config>();  // the engine's own
  return settings_.For(*request.env);
}

ResultKind KindOf(const compile::CompileResult& r) {
  switch (r.outcome) {
    case compile::Outcome::kHit: return ResultKind::kHit;
    case compile::Outcome::kMiss: return ResultKind::kMiss;
    case compile::Outcome::kPassthrough:
    case compile::Outcome::kRanPlainly:
      return stats::Info(r.reason).group == stats::CounterGroup::kError ? ResultKind::kError
                                                                        : ResultKind::kUncacheable;
    case compile::Outcome::kCancelled: break;
  }
  return ResultKind::kError;
}

absl::Status Service::CheckRequest(const ServiceRequest& request) const {
  if (request.argv.empty()) return absl::InvalidArgumentError("argv is empty");
  if (request.cwd.empty() || request.cwd[0] != '/') {
    return absl::InvalidArgumentError("cwd must be an absolute path");
  }
  return absl::OkStatus();
}

absl::Status Service::Admit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!accepting_) return absl::FailedPreconditionError("the service is shut down");
  ++in_flight_;
  return absl::OkStatus();
}

void Service::Count(const absl::StatusOr<ServiceResult>& result) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!result.ok()) {
    if (absl::IsCancelled(result.status())) ++counts_.cancelled;
    return;
  }
  switch (KindOf(result->result)) {
    case ResultKind::kHit: ++counts_.hits; break;
    case ResultKind::kMiss: ++counts_.misses; break;
    case ResultKind::kUncacheable: ++counts_.uncacheable; break;
    case ResultKind::kError: ++counts_.errors; break;
  }
}

absl::StatusOr<ServiceResult> Service::Compile(const ServiceRequest& request) {
  ZC_RETURN_IF_ERROR(CheckRequest(request));
  ZC_RETURN_IF_ERROR(Admit());
  return RunAdmitted(request);
}

absl::Status Service::CompileAsync(ServiceRequest request, CompileDone done) {
  ZC_RETURN_IF_ERROR(CheckRequest(request));
  ZC_RETURN_IF_ERROR(Admit());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++async_pending_;
  }
  auto job = [this, request = std::move(request), done = std::move(done)]() mutable {
    done(RunAdmitted(request));
    // The last touch of `this`, under the lock: Shutdown and the destructor wait for it.
    std::lock_guard<std::mutex> lock(mu_);
    --async_pending_;
    cv_.notify_all();
  };
  if (absl::Status s = workers_->Run(std::move(job)); !s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --async_pending_;
    --in_flight_;
    cv_.notify_all();
    return s;
  }
  return absl::OkStatus();
}

absl::Status Service::RunDetached(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++detached_;
  }
  auto job = [this, work = std::move(work)] {
    work();
    std::lock_guard<std::mutex> lock(mu_);
    --detached_;
    cv_.notify_all();
  };
  try {
    std::thread(std::move(job)).detach();
  } catch (const std::system_error& e) {
    std::lock_guard<std::mutex> lock(mu_);
    --detached_;
    cv_.notify_all();
    return absl::ResourceExhaustedError(absl::StrCat("cannot start a thread: ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ServiceResult> Service::RunAdmitted(const ServiceRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  struct Leave {
    Service* s;
    ~Leave() {
      {
        std::lock_guard<std::mutex> lock(s->mu_);
        --s->in_flight_;
        ++s->compiles_;
      }
      s->cv_.notify_all();
    }
  } leave{this};
  absl::StatusOr<ServiceResult> out = [&]() -> absl::StatusOr<ServiceResult> {
    // The compile's environment: the request's, else the host's.
    const config::EnvLookup env =
        request.env ? config::ListEnv(*request.env) : config::ProcessEnv();
    // The audit context: the request's ids, else the ones its environment carries.
    audit::Context context = request.audit;
    {
      audit::Context from_env = audit::ContextFromEnv(env);
      auto fill = [](std::string& field, std::string& fallback) {
        if (field.empty()) field = std::move(fallback);
      };
      fill(context.run_id, from_env.run_id);
      fill(context.trace_id, from_env.trace_id);
      fill(context.parent_span_id, from_env.parent_span_id);
      fill(context.command_id, from_env.command_id);
      fill(context.session_id, from_env.session_id);
    }
    audit::CompileEvents events(audit_log_.get(), options_.audit_mode, std::move(context),
                                &options_.host, "zcshim");

    compile::CompileRequest req;
    req.cwd = request.cwd;
    req.env = request.env;
    req.cancel_fds.push_back(force_->fd());
    if (options_.cancel_fd >= 0) req.cancel_fds.push_back(options_.cancel_fd);
    if (request.cancel_fd >= 0) req.cancel_fds.push_back(request.cancel_fd);
    if (request.job_cancel_fd >= 0) req.cancel_fds.push_back(request.job_cancel_fd);
    req.run_uncacheable = true;
    req.stdin_data = request.stdin_data;
    req.on_output = request.on_output;
    req.audit = &events;
    req.origin = "zcshim";
    req.argv = request.argv;

    // A bad ZCWRAP_* value: zcwrap says so and compiles uncached; so do we.
    absl::StatusOr<std::shared_ptr<const config::Config>> settings = RequestConfig(request);
    std::string settings_error;
    if (!settings.ok()) {
      settings_error = absl::StrCat("zcwrap: ", settings.status().message(),
                                    "; running the compiler uncached\n");
      req.uncached_reason = stats::Counter::kInternalError;
      settings = std::shared_ptr<const config::Config>();
    }
    ServiceResult out;
    if (util::AnyReadable(req.cancel_fds)) {
      events.Started(request.argv, request.cwd, request.env);
      events.Finished("cancelled", "internal_error", std::nullopt, 0, 0);
      return absl::CancelledError("the compile was cancelled before it started");
    }

    absl::StatusOr<std::string> compiler = ResolveCompiler(
        request.compiler.empty() ? request.argv[0] : request.compiler, request.cwd, env);
    if (!compiler.ok()) {
      // What zcwrap does for a compiler it cannot find: say so, exit 127 like a shell.
      out.result = compile::CompilerNotFound(compiler.status());
      engine_->store().stats().Increment(stats::Counter::kCouldNotFindCompiler);
      if (request.on_output) request.on_output(2, out.result.stderr_data);
      out.total_us = MicrosSince(start);
      compile::AuditUncached(events, request.argv, request.cwd, "error",
                             stats::Counter::kCouldNotFindCompiler, 127);
      out.result.compile_id = events.compile_id();
      return out;
    }
    req.argv[0] = *compiler;
    req.config = settings->get();  // null: the engine's own settings
    if (!settings_error.empty() && req.on_output) req.on_output(2, settings_error);
    out.result = engine_->Compile(req);
    out.result.stderr_data.insert(0, settings_error);
    out.queued_us = out.result.queued_us;
    out.total_us = MicrosSince(start);
    if (out.result.outcome == compile::Outcome::kCancelled) {
      return absl::CancelledError("the compile was cancelled; its compiler was killed");
    }
    return out;
  }();
  Count(out);
  return out;
}

ServiceStats Service::Stats() {
  ServiceStats s;
  const stats::Snapshot snapshot = engine_->store().stats().Read();
  s.counters = stats::NamedValues(snapshot);
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.in_flight = in_flight_;
    s.compiles = compiles_;
    s.service = counts_;
  }
  s.queue_depth = slots_->waiting();
  s.slots = slots_->pool().counts();
  s.audit_dropped = audit_log_ != nullptr ? audit_log_->dropped() : 0;
  util::JsonObject service;
  service.Add("hits", s.service.hits)
      .Add("misses", s.service.misses)
      .Add("uncacheable", s.service.uncacheable)
      .Add("errors", s.service.errors)
      .Add("cancelled", s.service.cancelled);
  util::JsonObject slots;
  slots.Add("limit", int64_t{s.slots.limit})
      .Add("host_held", int64_t{s.slots.host_held})
      .Add("service_held", int64_t{s.slots.service_held})
      .Add("host_waiting", int64_t{s.slots.host_waiting})
      .Add("service_waiting", int64_t{s.slots.service_waiting});
  util::JsonObject o;
  o.AddRaw("counters", stats::NamedValuesJson(snapshot));
  o.AddRaw("remote_tiers", remote::TierReportsJson(engine_->RemoteReport()));
  o.Add("in_flight", s.in_flight).Add("queue_depth", s.queue_depth).Add("compiles", s.compiles);
  o.AddRaw("service", service.Take());
  o.AddRaw("slots", slots.Take());
  o.Add("audit_dropped", s.audit_dropped);
  s.json = o.Take();
  return s;
}

absl::StatusOr<FlushReport> Service::Flush() { return FlushWithin(std::nullopt); }

absl::StatusOr<FlushReport> Service::FlushWithin(std::optional<std::chrono::milliseconds> budget) {
  const util::Clock& clock = *options_.clock;
  const int64_t deadline =
      budget ? clock.MonotonicNs() + std::chrono::nanoseconds(*budget).count() : INT64_MAX;
  FlushReport report;
  engine_->FlushRemote();  // queued remote writes are attempted before we report
  absl::Status st = engine_->store().stats().Sync();
  report.stats_synced = st.ok();

  // The entries this service published, each fsynced, then their directories (the renames).
  // Not syncfs: that would write back every dirty page of the filesystem, the host's too.
  std::vector<std::string> paths = engine_->store().TakePublished();
  {
    std::lock_guard<std::mutex> lock(mu_);
    paths.insert(paths.end(), unsynced_.begin(), unsynced_.end());
    unsynced_.clear();
  }
  std::set<std::string> dirs;
  size_t next = 0;
  for (; next < paths.size() && clock.MonotonicNs() < deadline; ++next) {
    absl::Status synced = SyncPath(paths[next], /*directory=*/false);
    if (synced.ok()) {
      ++report.entries;
    } else if (!absl::IsNotFound(synced)) {  // gone: cleaned up, nothing to keep
      if (st.ok()) st = synced;
      continue;
    }
    // Its directory and the shard directories above it, which the store may have created.
    for (std::string dir(util::Dirname(paths[next]));
         dir.size() >= options_.cache_root.size() && dirs.insert(dir).second;
         dir = std::string(util::Dirname(dir))) {
    }
  }
  for (const std::string& dir : dirs) {
    absl::Status synced = SyncPath(dir, /*directory=*/true);
    if (!synced.ok() && !absl::IsNotFound(synced) && st.ok()) st = synced;
  }
  if (next < paths.size()) {
    report.entries_unsynced = paths.size() - next;
    std::lock_guard<std::mutex> lock(mu_);
    unsynced_.assign(paths.begin() + static_cast<std::ptrdiff_t>(next), paths.end());
  }
  if (audit_log_ != nullptr) {
    util::JsonObject fields;
    fields.Add("entries", report.entries)
        .Add("entries_unsynced", report.entries_unsynced)
        .Add("audit_dropped", audit_log_->dropped());
    Emit("service.flushed", fields.Take());
    absl::StatusOr<uint64_t> events = audit_log_->Sync();
    if (!events.ok() && st.ok()) st = events.status();
    if (events.ok()) report.audit_events = *events;
    report.audit_dropped = audit_log_->dropped();
  }
  if (!st.ok()) return st;
  return report;
}

absl::Status Service::Shutdown(bool force) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = accepting_;
    accepting_ = false;
  }
  if (force) force_->Signal();
  uint64_t compiles;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return in_flight_ == 0 && async_pending_ == 0; });
    compiles = compiles_;
  }
  if (!first) return absl::OkStatus();  // the first call flushes (zc_service_free after shutdown)
  util::JsonObject fields;
  fields.Add("mode", force ? "force" : "graceful").Add("compiles", compiles);
  Emit("service.shutdown", fields.Take());
  absl::StatusOr<FlushReport> flushed = FlushWithin(
      force ? std::optional<std::chrono::milliseconds>(kForcedFlushBudget) : std::nullopt);
  return flushed.ok() ? absl::OkStatus() : flushed.status();
}

}  // namespace zc::shim
