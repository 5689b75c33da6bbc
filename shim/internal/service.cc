#include "shim/internal/service.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/compiler_path.h"
#include "cachecore/compile/front_door.h"
#include "cachecore/remote/remote_storage.h"
#include "cachecore/store/local_store.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/json.h"
#include "cachecore/util/scoped_fd.h"
#include "cachecore/util/status_macros.h"

namespace zc::shim {
namespace {

// Decoded manifests and results kept in memory: a host compiles the same files again and again.
constexpr size_t kMemoryCacheBytes = size_t{128} << 20;

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
  if (options.max_parallel_compiles == 0) {
    const unsigned cpus = std::thread::hardware_concurrency();
    options.max_parallel_compiles = cpus == 0 ? 1 : cpus;
  }

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
  if (o.audit_mode != audit::Mode::kOff) {
    std::string path = o.audit_path;
    if (path.empty()) {
      path = util::JoinPath(o.cache_root,
                            absl::StrCat("audit/", o.host.product, "-", o.host.instance_id, "-",
                                         o.host.workspace_id, ".jsonl"));
    }
    absl::StatusOr<std::unique_ptr<audit::EventLog>> log = audit::EventLog::Open(path);
    if (!log.ok()) return absl::InvalidArgumentError(log.status().message());
    service->audit_log_ = std::move(*log);
  }
  service->force_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (service->force_fd_ < 0) return util::ErrnoToStatus(errno, "eventfd");
  service->slots_ = std::make_unique<util::ProcessSlots>(&service->posix_runner_,
                                                         o.max_parallel_compiles, o.host_in_flight);
  service->engine_ = std::make_unique<compile::Engine>(service->host_config_, std::move(*store),
                                                       service->slots_.get(), kMemoryCacheBytes);
  return service;
}

Service::Service(ServiceOptions options, config::Config file_config, config::Config host_config)
    : options_(std::move(options)),
      file_config_(std::move(file_config)),
      host_config_(std::move(host_config)),
      settings_(options_.cache_root) {}

Service::~Service() {
  if (engine_ != nullptr) (void)Shutdown(/*force=*/false);  // not when Start failed half-way
  engine_.reset();
  if (force_fd_ >= 0) ::close(force_fd_);
}

absl::StatusOr<std::shared_ptr<const config::Config>> Service::RequestConfig(
    const ServiceRequest& request) {
  if (!request.env) return std::shared_ptr<const config::Config>();  // the engine's own
  return settings_.For(*request.env);
}

absl::StatusOr<ServiceResult> Service::Compile(const ServiceRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  if (request.argv.empty()) return absl::InvalidArgumentError("argv is empty");
  if (request.cwd.empty() || request.cwd[0] != '/') {
    return absl::InvalidArgumentError("cwd must be an absolute path");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) return absl::FailedPreconditionError("the service is shut down");
    ++in_flight_;
  }
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

  // The compile's environment: the request's, else the host's.
  const config::EnvLookup env = request.env ? config::ListEnv(*request.env) : config::ProcessEnv();
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
  req.cancel_fds.push_back(force_fd_);
  if (options_.cancel_fd >= 0) req.cancel_fds.push_back(options_.cancel_fd);
  if (request.cancel_fd >= 0) req.cancel_fds.push_back(request.cancel_fd);
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
    settings_error =
        absl::StrCat("zcwrap: ", settings.status().message(), "; running the compiler uncached\n");
    req.uncached_reason = stats::Counter::kInternalError;
    settings = std::shared_ptr<const config::Config>();
  }
  ServiceResult out;
  (void)util::ProcessSlots::TakeThreadWaitMicros();
  if (util::AnyReadable(req.cancel_fds)) {
    events.Started(request.argv, request.cwd, request.env);
    events.Finished("cancelled", "internal_error", std::nullopt, 0);
    return absl::CancelledError("the compile was cancelled before it started");
  }

  absl::StatusOr<std::string> compiler = ResolveCompiler(
      request.compiler.empty() ? request.argv[0] : request.compiler, request.cwd, env);
  if (!compiler.ok()) {
    // What zcwrap does for a compiler it cannot find: say so, exit 127 like a shell.
    out.result = compile::CompilerNotFound(compiler.status());
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
  out.queued_us = util::ProcessSlots::TakeThreadWaitMicros();
  out.total_us = MicrosSince(start);
  if (out.result.outcome == compile::Outcome::kCancelled) {
    return absl::CancelledError("the compile was cancelled; its compiler was killed");
  }
  if (out.result.stored) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stored_since_flush_;
  }
  return out;
}

}  // namespace zc::shim

namespace zc::shim {

ServiceStats Service::Stats() {
  ServiceStats s;
  const stats::Snapshot snapshot = engine_->store().stats().Read();
  s.counters = stats::NamedValues(snapshot);
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.in_flight = in_flight_;
    s.compiles = compiles_;
  }
  s.queue_depth = slots_->waiting();
  util::JsonObject o;
  o.AddRaw("counters", stats::NamedValuesJson(snapshot));
  o.AddRaw("remote_tiers", remote::TierReportsJson(engine_->RemoteReport()));
  o.Add("in_flight", s.in_flight).Add("queue_depth", s.queue_depth).Add("compiles", s.compiles);
  s.json = o.Take();
  return s;
}

absl::StatusOr<FlushReport> Service::Flush() {
  FlushReport report;
  engine_->FlushRemote();  // queued remote writes are attempted before we report
  absl::Status st = engine_->store().stats().Sync();
  report.stats_synced = st.ok();
  if (audit_log_ != nullptr) {
    absl::StatusOr<uint64_t> events = audit_log_->Sync();
    if (!events.ok() && st.ok()) st = events.status();
    if (events.ok()) report.audit_events = *events;
  }
  // Stored entries were renamed into place; syncfs makes them (and their directories) durable.
  uint64_t entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries = stored_since_flush_;
  }
  const util::ScopedFd fd(::open(options_.cache_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::syncfs(fd.get()) != 0) {
    if (st.ok()) st = util::ErrnoToStatus(errno, "syncfs " + options_.cache_root);
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    stored_since_flush_ -= entries;
    report.entries = entries;
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
  if (force) {
    const uint64_t one = 1;
    (void)!::write(force_fd_, &one, sizeof(one));
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return in_flight_ == 0; });
  }
  if (!first) return absl::OkStatus();  // the first call flushes (zc_service_free after shutdown)
  absl::StatusOr<FlushReport> flushed = Flush();
  return flushed.ok() ? absl::OkStatus() : flushed.status();
}

}  // namespace zc::shim
