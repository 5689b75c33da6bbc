// The C ABI (include/zcshim.h): translates C structs to zc::shim::Service calls. Every entry
// point catches everything: no exception and no abort crosses into the host.
#include "zcshim.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cachecore/stats/counter.h"
#include "cachecore/util/cpus.h"
#include "cachecore/util/process.h"
#include "cachecore/util/slot_pool.h"
#include "cachecore/util/wake_fd.h"
#include "shim/internal/service.h"

struct zc_cancel_token {
  zc::util::WakeFd wake;
};

struct zc_service {
  std::unique_ptr<zc::shim::Service> service;
};

struct zc_slots {
  std::shared_ptr<zc::util::SlotPool> pool;
};

// Two owners: the caller's handle (zc_compile_job_release) and the running compile (after its
// callback). The last one frees it.
struct zc_compile_job {
  zc::util::WakeFd cancel;
  std::atomic<int> refs{2};
};

namespace {

thread_local std::string last_error;

zc_status Fail(zc_status code, absl::string_view detail) {
  last_error = std::string(detail);
  return code;
}

void Unref(zc_compile_job* job) {
  if (job->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete job;
}

// The first release's sizes: an older caller's struct is at least this big.
constexpr size_t kConfigV1Size = offsetof(zc_config, slots);
constexpr size_t kRequestV1Size = sizeof(zc_compile_request);
constexpr size_t kFlushReportV1Size = offsetof(zc_flush_report, entries_unsynced);

// A caller's struct of `size` bytes (its struct_size) as this library's T: fields it lacks
// keep `defaults`; fields it has that this library does not know must be zero.
template <typename T>
absl::StatusOr<T> Sized(const T* in, size_t size, size_t v1_size, const T& defaults,
                        absl::string_view what) {
  if (size < v1_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".struct_size ", size, " is too small (use the _INIT macro)"));
  }
  T out = defaults;
  std::memcpy(static_cast<void*>(&out), in, std::min(size, sizeof(T)));
  const auto* bytes = reinterpret_cast<const unsigned char*>(in);
  for (size_t i = sizeof(T); i < size; ++i) {
    if (bytes[i] != 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, " sets fields this library (revision ",
                                                     ZC_ABI_REVISION, ") does not know"));
    }
  }
  out.struct_size = static_cast<uint32_t>(sizeof(T));
  return out;
}

zc_status FromStatus(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kOk: return ZC_OK;
    case absl::StatusCode::kInvalidArgument: return Fail(ZC_ERR_INVALID_ARGUMENT, st.message());
    case absl::StatusCode::kUnavailable: return Fail(ZC_ERR_CACHE_UNAVAILABLE, st.message());
    case absl::StatusCode::kFailedPrecondition: return Fail(ZC_ERR_SHUT_DOWN, st.message());
    case absl::StatusCode::kCancelled: return Fail(ZC_ERR_CANCELLED, st.message());
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kResourceExhausted: return Fail(ZC_ERR_IO, st.message());
    default: return Fail(ZC_ERR_INTERNAL, st.message());
  }
}

// Runs `body`, turning any escaping exception into ZC_ERR_INTERNAL.
template <typename F>
zc_status Guard(F&& body) noexcept {
  try {
    last_error.clear();
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(ZC_ERR_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return Fail(ZC_ERR_INTERNAL, e.what());
  } catch (...) {
    return Fail(ZC_ERR_INTERNAL, "unknown exception");
  }
}

std::string Str(const char* s) { return s == nullptr ? std::string() : std::string(s); }

// A result and every buffer its pointers reach, in one allocation owner.
struct ResultBox {
  zc_compile_result c{};  // first member: the pointer handed out is the box's
  std::string stdout_data, stderr_data, compile_id;
};
static_assert(offsetof(ResultBox, c) == 0);

struct StatsBox {
  zc_stats c{};
  std::vector<std::string> names;
  std::vector<zc_counter> counters;
  std::string json;
};
static_assert(offsetof(StatsBox, c) == 0);

zc_outcome OutcomeOf(const zc::compile::CompileResult& r) {
  switch (zc::shim::KindOf(r)) {
    case zc::shim::ResultKind::kHit: return ZC_OUTCOME_HIT;
    case zc::shim::ResultKind::kMiss: return ZC_OUTCOME_MISS;
    case zc::shim::ResultKind::kUncacheable: return ZC_OUTCOME_UNCACHEABLE;
    case zc::shim::ResultKind::kError: break;
  }
  return ZC_OUTCOME_ERROR;
}

// The C request as a ServiceRequest: ZC_OK, or the failure (already recorded with Fail).
zc_status ToServiceRequest(const zc_compile_request* in, zc::shim::ServiceRequest* out) {
  const zc_compile_request defaults = ZC_COMPILE_REQUEST_INIT;
  absl::StatusOr<zc_compile_request> sized =
      Sized(in, in->struct_size, kRequestV1Size, defaults, "request");
  if (!sized.ok()) return Fail(ZC_ERR_INVALID_ARGUMENT, sized.status().message());
  const zc_compile_request* request = &*sized;
  if (request->argv == nullptr || request->argc == 0) {
    return Fail(ZC_ERR_INVALID_ARGUMENT, "request.argv is empty");
  }
  if (request->cwd == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "request.cwd is NULL");
  zc::shim::ServiceRequest& req = *out;
  req.compiler = Str(request->compiler);
  req.argv.reserve(request->argc);
  for (size_t i = 0; i < request->argc; ++i) {
    if (request->argv[i] == nullptr) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, absl::StrCat("request.argv[", i, "] is NULL"));
    }
    req.argv.emplace_back(request->argv[i]);
  }
  req.cwd = request->cwd;
  if (request->env != nullptr) {
    std::vector<std::string> env;
    env.reserve(request->env_count);
    for (size_t i = 0; i < request->env_count; ++i) {
      if (request->env[i] == nullptr) {
        return Fail(ZC_ERR_INVALID_ARGUMENT, absl::StrCat("request.env[", i, "] is NULL"));
      }
      env.emplace_back(request->env[i]);
    }
    req.env = std::move(env);
  }
  if (request->stdin_data != nullptr)
    req.stdin_data.assign(request->stdin_data, request->stdin_len);
  req.audit.run_id = Str(request->audit.run_id);
  req.audit.trace_id = Str(request->audit.trace_id);
  req.audit.parent_span_id = Str(request->audit.parent_span_id);
  req.audit.command_id = Str(request->audit.command_id);
  req.audit.session_id = Str(request->audit.session_id);
  req.cancel_fd = request->cancel != nullptr ? request->cancel->wake.fd() : -1;
  return ZC_OK;
}

// A result for the caller: ownership passes with the pointer (zc_compile_result_free).
zc_compile_result* NewResult(zc::shim::ServiceResult* r) {
  auto box = std::make_unique<ResultBox>();
  box->stdout_data = std::move(r->result.stdout_data);
  box->stderr_data = std::move(r->result.stderr_data);
  box->compile_id = std::move(r->result.compile_id);
  box->c.exit_code = r->result.exit_code;
  box->c.outcome = OutcomeOf(r->result);
  box->c.reason = zc::stats::CounterName(r->result.reason).data();  // static, NUL-terminated
  box->c.stdout_data = box->stdout_data.c_str();
  box->c.stdout_len = box->stdout_data.size();
  box->c.stderr_data = box->stderr_data.c_str();
  box->c.stderr_len = box->stderr_data.size();
  box->c.compile_id = box->compile_id.c_str();
  box->c.queued_us = r->queued_us;
  box->c.total_us = r->total_us;
  return &box.release()->c;
}

zc_status Compile(zc_service* service, const zc_compile_request* request, zc_output_fn on_output,
                  void* user_data, zc_compile_result** out) {
  if (out == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  if (service == nullptr || request == nullptr) {
    return Fail(ZC_ERR_INVALID_ARGUMENT, "service or request is NULL");
  }
  zc::shim::ServiceRequest req;
  if (const zc_status st = ToServiceRequest(request, &req); st != ZC_OK) return st;
  if (on_output != nullptr) {
    req.on_output = [on_output, user_data](int stream, absl::string_view chunk) {
      on_output(user_data, stream, chunk.data(), chunk.size());
    };
  }
  absl::StatusOr<zc::shim::ServiceResult> r = service->service->Compile(req);
  if (!r.ok()) return FromStatus(r.status());
  *out = NewResult(&*r);
  return ZC_OK;
}

// A failure's code for a callback (its detail goes in the callback's `error`), leaving the
// thread's last error as it was.
zc_status CodeOf(const absl::Status& st) {
  const std::string saved = last_error;
  const zc_status code = FromStatus(st);
  last_error = saved;
  return code;
}

void FillReport(const zc::shim::FlushReport& r, zc_flush_report* out) {
  out->audit_events = r.audit_events;
  out->entries = r.entries;
  out->stats_synced = r.stats_synced ? 1 : 0;
  out->entries_unsynced = r.entries_unsynced;
  out->audit_dropped = r.audit_dropped;
}

zc_status Flush(zc_service* service, zc_flush_report* report, size_t report_size) {
  if (service == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "service is NULL");
  if (report != nullptr && report_size < kFlushReportV1Size) {
    return Fail(ZC_ERR_INVALID_ARGUMENT, "report_size is smaller than a revision-1 report");
  }
  absl::StatusOr<zc::shim::FlushReport> r = service->service->Flush();
  if (!r.ok()) return Fail(ZC_ERR_IO, r.status().message());
  if (report != nullptr) {
    zc_flush_report full{};
    FillReport(*r, &full);
    std::memcpy(report, &full, std::min(report_size, sizeof(full)));
  }
  return ZC_OK;
}

}  // namespace

extern "C" {

uint32_t zc_abi_version(void) { return ZC_ABI_VERSION; }
uint32_t zc_abi_revision(void) { return ZC_ABI_REVISION; }

const char* zc_status_message(zc_status status) {
  switch (status) {
    case ZC_OK: return "ok";
    case ZC_ERR_INVALID_ARGUMENT: return "invalid argument";
    case ZC_ERR_CACHE_UNAVAILABLE: return "cache unavailable";
    case ZC_ERR_SHUT_DOWN: return "service is shut down";
    case ZC_ERR_CANCELLED: return "compile cancelled";
    case ZC_ERR_IO: return "input/output error";
    case ZC_ERR_INTERNAL: return "internal error";
  }
  return "unknown status code";
}

const char* zc_last_error(void) { return last_error.c_str(); }

zc_status zc_cancel_token_new(zc_cancel_token** out) {
  return Guard([&] {
    if (out == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    absl::StatusOr<zc::util::WakeFd> wake = zc::util::WakeFd::Create();
    if (!wake.ok()) return Fail(ZC_ERR_IO, wake.status().message());
    *out = new zc_cancel_token{std::move(*wake)};
    return ZC_OK;
  });
}

void zc_cancel_token_trigger(zc_cancel_token* token) {
  if (token == nullptr) return;
  token->wake.Signal();  // async-signal-safe
}

int zc_cancel_token_is_triggered(const zc_cancel_token* token) {
  if (token == nullptr) return 0;
  return token->wake.signalled() ? 1 : 0;
}

void zc_cancel_token_free(zc_cancel_token* token) { delete token; }

uint32_t zc_default_parallelism(void) {
  try {
    return zc::util::UsableCpus();
  } catch (...) {
    return 1;
  }
}

zc_status zc_slots_new(uint32_t limit, zc_slots** out) {
  return Guard([&] {
    if (out == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = new zc_slots{
        std::make_shared<zc::util::SlotPool>(limit == 0 ? zc::util::UsableCpus() : limit)};
    return ZC_OK;
  });
}

zc_status zc_slots_acquire(zc_slots* slots, zc_cancel_token* cancel) {
  return Guard([&] {
    if (slots == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "slots is NULL");
    std::vector<int> fds;
    if (cancel != nullptr) fds.push_back(cancel->wake.fd());
    if (!slots->pool->Acquire(zc::util::SlotPool::Holder::kHost, fds)) {
      return Fail(ZC_ERR_CANCELLED, "the wait for a slot was cancelled");
    }
    return ZC_OK;
  });
}

int zc_slots_try_acquire(zc_slots* slots) {
  if (slots == nullptr) return 0;
  try {
    return slots->pool->TryAcquire(zc::util::SlotPool::Holder::kHost) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

zc_status zc_slots_acquire_async(zc_slots* slots, zc_slot_ready_fn on_ready, void* user_data,
                                 uint64_t* ticket) {
  return Guard([&] {
    if (slots == nullptr || on_ready == nullptr) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, "slots or on_ready is NULL");
    }
    const uint64_t t = slots->pool->AcquireAsync(zc::util::SlotPool::Holder::kHost,
                                                 [on_ready, user_data] { on_ready(user_data); });
    if (ticket != nullptr) *ticket = t;
    return ZC_OK;
  });
}

int zc_slots_cancel_wait(zc_slots* slots, uint64_t ticket) {
  if (slots == nullptr) return 0;
  try {
    return slots->pool->CancelWait(ticket) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

void zc_slots_release(zc_slots* slots) {
  if (slots == nullptr) return;
  try {
    slots->pool->Release(zc::util::SlotPool::Holder::kHost);
  } catch (...) {
    // A host's on_ready threw: nothing more can be done from here.
  }
}

zc_status zc_slots_get_counts(const zc_slots* slots, zc_slots_counts* out) {
  return Guard([&] {
    if (slots == nullptr || out == nullptr) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, "slots or out is NULL");
    }
    if (out->struct_size < sizeof(uint32_t)) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, "out.struct_size is not set");
    }
    const zc::util::SlotPool::Counts c = slots->pool->counts();
    zc_slots_counts full{sizeof(zc_slots_counts), c.limit,        c.host_held,
                         c.service_held,          c.host_waiting, c.service_waiting};
    const uint32_t size = std::min<uint32_t>(out->struct_size, sizeof(full));
    std::memcpy(static_cast<void*>(out), &full, size);
    out->struct_size = size;
    return ZC_OK;
  });
}

void zc_slots_free(zc_slots* slots) { delete slots; }

zc_status zc_service_start(const zc_config* config, zc_service** out) {
  return Guard([&] {
    if (out == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (config == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "config is NULL");
    const zc_config defaults = ZC_CONFIG_INIT;
    absl::StatusOr<zc_config> sized =
        Sized(config, config->struct_size, kConfigV1Size, defaults, "config");
    if (!sized.ok()) return Fail(ZC_ERR_INVALID_ARGUMENT, sized.status().message());
    config = &*sized;
    if (config->cache_root == nullptr)
      return Fail(ZC_ERR_INVALID_ARGUMENT, "config.cache_root is NULL");
    zc::shim::ServiceOptions o;
    o.cache_root = config->cache_root;
    o.max_size = config->max_size;
    o.host.product = Str(config->host.product);
    o.host.instance_id = Str(config->host.instance_id);
    o.host.workspace_id = Str(config->host.workspace_id);
    o.max_parallel_compiles = config->max_parallel_compiles;
    o.host_in_flight = config->host_in_flight;
    switch (config->audit_mode) {
      case ZC_AUDIT_OFF: o.audit_mode = zc::audit::Mode::kOff; break;
      case ZC_AUDIT_SUMMARY: o.audit_mode = zc::audit::Mode::kSummary; break;
      case ZC_AUDIT_NORMAL: o.audit_mode = zc::audit::Mode::kNormal; break;
      case ZC_AUDIT_VERBOSE: o.audit_mode = zc::audit::Mode::kVerbose; break;
      default:
        return Fail(ZC_ERR_INVALID_ARGUMENT,
                    absl::StrCat("config.audit_mode ", static_cast<int>(config->audit_mode),
                                 " is not a zc_audit_mode"));
    }
    o.audit_path = Str(config->audit_path);
    o.cancel_fd = config->cancel != nullptr ? config->cancel->wake.fd() : -1;
    if (config->slots != nullptr) o.slots = config->slots->pool;
    if (config->audit_sink != nullptr) {
      o.audit_sink = [sink = config->audit_sink,
                      data = config->audit_sink_data](absl::string_view line) {
        // The line as a NUL-terminated string for C, though its length is given too.
        const std::string text(line);
        return sink(data, text.c_str(), text.size()) == 0;
      };
    }
    absl::StatusOr<std::unique_ptr<zc::shim::Service>> s = zc::shim::Service::Start(std::move(o));
    if (!s.ok()) return FromStatus(s.status());
    *out = new zc_service{std::move(*s)};
    return ZC_OK;
  });
}

zc_status zc_service_compile(zc_service* service, const zc_compile_request* request,
                             zc_compile_result** out) {
  return Guard([&] { return Compile(service, request, nullptr, nullptr, out); });
}

zc_status zc_service_compile_streaming(zc_service* service, const zc_compile_request* request,
                                       zc_output_fn on_output, void* user_data,
                                       zc_compile_result** out) {
  return Guard([&] {
    if (on_output == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "on_output is NULL");
    return Compile(service, request, on_output, user_data, out);
  });
}

zc_status zc_service_compile_async(zc_service* service, const zc_compile_request* request,
                                   zc_compile_done_fn on_done, void* user_data,
                                   zc_compile_job** job) {
  return Guard([&] {
    if (job != nullptr) *job = nullptr;
    if (service == nullptr || request == nullptr || on_done == nullptr) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, "service, request or on_done is NULL");
    }
    zc::shim::ServiceRequest req;
    if (const zc_status st = ToServiceRequest(request, &req); st != ZC_OK) return st;
    absl::StatusOr<zc::util::WakeFd> wake = zc::util::WakeFd::Create();
    if (!wake.ok()) return Fail(ZC_ERR_IO, wake.status().message());
    auto* handle = new zc_compile_job{std::move(*wake)};
    if (job == nullptr) handle->refs.store(1);  // nobody else holds it
    req.job_cancel_fd = handle->cancel.fd();
    auto done = [handle, on_done, user_data](absl::StatusOr<zc::shim::ServiceResult> r) {
      try {
        if (r.ok()) {
          on_done(user_data, ZC_OK, "", NewResult(&*r));
        } else {
          const std::string message(r.status().message());
          on_done(user_data, CodeOf(r.status()), message.c_str(), nullptr);
        }
      } catch (...) {
        // The host's callback threw (a C++ host): it must not end the service's thread.
      }
      Unref(handle);
    };
    absl::Status st = service->service->CompileAsync(std::move(req), std::move(done));
    if (!st.ok()) {
      delete handle;
      return FromStatus(st);
    }
    if (job != nullptr) *job = handle;
    return ZC_OK;
  });
}

void zc_compile_job_cancel(zc_compile_job* job) {
  if (job != nullptr) job->cancel.Signal();
}

void zc_compile_job_release(zc_compile_job* job) {
  if (job != nullptr) Unref(job);
}

void zc_compile_result_free(zc_compile_result* result) {
  delete reinterpret_cast<ResultBox*>(result);
}

zc_status zc_service_stats(zc_service* service, zc_stats** out) {
  return Guard([&] {
    if (out == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (service == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "service is NULL");
    zc::shim::ServiceStats s = service->service->Stats();
    auto box = std::make_unique<StatsBox>();
    box->names.reserve(s.counters.size());
    for (auto& [name, value] : s.counters) box->names.push_back(std::move(name));
    for (size_t i = 0; i < s.counters.size(); ++i) {
      box->counters.push_back({box->names[i].c_str(), s.counters[i].second});
    }
    box->json = std::move(s.json);
    box->c.counters = box->counters.data();
    box->c.counter_count = box->counters.size();
    box->c.in_flight = s.in_flight;
    box->c.queue_depth = s.queue_depth;
    box->c.compiles = s.compiles;
    box->c.json = box->json.c_str();
    box->c.service_hits = s.service.hits;
    box->c.service_misses = s.service.misses;
    box->c.service_uncacheable = s.service.uncacheable;
    box->c.service_errors = s.service.errors;
    box->c.service_cancelled = s.service.cancelled;
    box->c.audit_dropped = s.audit_dropped;
    box->c.slots = {sizeof(zc_slots_counts), s.slots.limit,        s.slots.host_held,
                    s.slots.service_held,    s.slots.host_waiting, s.slots.service_waiting};
    *out = &box.release()->c;
    return ZC_OK;
  });
}

void zc_stats_free(zc_stats* stats) { delete reinterpret_cast<StatsBox*>(stats); }

zc_status zc_service_flush(zc_service* service, zc_flush_report* report) {
  return Guard([&] { return Flush(service, report, kFlushReportV1Size); });
}

zc_status zc_service_flush_ex(zc_service* service, zc_flush_report* report, size_t report_size) {
  return Guard([&] { return Flush(service, report, report_size); });
}

zc_status zc_service_flush_async(zc_service* service, zc_flush_done_fn on_done, void* user_data) {
  return Guard([&] {
    if (service == nullptr || on_done == nullptr) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, "service or on_done is NULL");
    }
    zc::shim::Service* s = service->service.get();
    return FromStatus(s->RunDetached([s, on_done, user_data] {
      try {
        absl::StatusOr<zc::shim::FlushReport> r = s->Flush();
        if (r.ok()) {
          zc_flush_report report{};
          FillReport(*r, &report);
          on_done(user_data, ZC_OK, "", &report);
        } else {
          const std::string message(r.status().message());
          on_done(user_data, ZC_ERR_IO, message.c_str(), nullptr);
        }
      } catch (...) {
      }
    }));
  });
}

zc_status zc_service_shutdown(zc_service* service, zc_shutdown_mode mode) {
  return Guard([&] {
    if (service == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "service is NULL");
    if (mode != ZC_SHUTDOWN_GRACEFUL && mode != ZC_SHUTDOWN_FORCE) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, "mode is not a zc_shutdown_mode");
    }
    absl::Status st = service->service->Shutdown(mode == ZC_SHUTDOWN_FORCE);
    if (!st.ok()) return Fail(ZC_ERR_IO, st.message());
    return ZC_OK;
  });
}

zc_status zc_service_shutdown_async(zc_service* service, zc_shutdown_mode mode, zc_done_fn on_done,
                                    void* user_data) {
  return Guard([&] {
    if (service == nullptr || on_done == nullptr) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, "service or on_done is NULL");
    }
    if (mode != ZC_SHUTDOWN_GRACEFUL && mode != ZC_SHUTDOWN_FORCE) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, "mode is not a zc_shutdown_mode");
    }
    zc::shim::Service* s = service->service.get();
    return FromStatus(s->RunDetached([s, mode, on_done, user_data] {
      try {
        const absl::Status st = s->Shutdown(mode == ZC_SHUTDOWN_FORCE);
        const std::string message(st.message());
        on_done(user_data, st.ok() ? ZC_OK : ZC_ERR_IO, message.c_str());
      } catch (...) {
      }
    }));
  });
}

void zc_service_release(zc_service* service) {
  if (service == nullptr) return;
  try {
    std::thread([service] { zc_service_free(service); }).detach();
  } catch (...) {
    zc_service_free(service);  // no thread to be had: wait here rather than leak
  }
}

void zc_service_free(zc_service* service) {
  try {
    delete service;
  } catch (...) {
    // Nothing can be reported from here; the host must not see an exception.
  }
}

}  // extern "C"
