// The C ABI (include/zcshim.h): translates C structs to zc::shim::Service calls. Every entry
// point catches everything: no exception and no abort crosses into the host.
#include "zcshim.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cachecore/stats/counter.h"
#include "cachecore/util/process.h"
#include "shim/internal/service.h"

struct zc_cancel_token {
  int fd;
};

struct zc_service {
  std::unique_ptr<zc::shim::Service> service;
};

namespace {

thread_local std::string last_error;

zc_status Fail(zc_status code, absl::string_view detail) {
  last_error = std::string(detail);
  return code;
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
  switch (r.outcome) {
    case zc::compile::Outcome::kHit: return ZC_OUTCOME_HIT;
    case zc::compile::Outcome::kMiss: return ZC_OUTCOME_MISS;
    case zc::compile::Outcome::kPassthrough:
    case zc::compile::Outcome::kRanPlainly:
      return zc::stats::Info(r.reason).group == zc::stats::CounterGroup::kError
                 ? ZC_OUTCOME_ERROR
                 : ZC_OUTCOME_UNCACHEABLE;
    case zc::compile::Outcome::kCancelled: break;
  }
  return ZC_OUTCOME_ERROR;
}

zc_status Compile(zc_service* service, const zc_compile_request* request, zc_output_fn on_output,
                  void* user_data, zc_compile_result** out) {
  if (out == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  if (service == nullptr || request == nullptr) {
    return Fail(ZC_ERR_INVALID_ARGUMENT, "service or request is NULL");
  }
  if (request->struct_size < sizeof(zc_compile_request)) {
    return Fail(ZC_ERR_INVALID_ARGUMENT,
                "request.struct_size is too small (use ZC_COMPILE_REQUEST_INIT)");
  }
  if (request->argv == nullptr || request->argc == 0) {
    return Fail(ZC_ERR_INVALID_ARGUMENT, "request.argv is empty");
  }
  if (request->cwd == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "request.cwd is NULL");
  zc::shim::ServiceRequest req;
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
  req.cancel_fd = request->cancel != nullptr ? request->cancel->fd : -1;
  if (on_output != nullptr) {
    req.on_output = [on_output, user_data](int stream, absl::string_view chunk) {
      on_output(user_data, stream, chunk.data(), chunk.size());
    };
  }

  absl::StatusOr<zc::shim::ServiceResult> r = service->service->Compile(req);
  if (!r.ok()) return FromStatus(r.status());
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
  *out = &box.release()->c;
  return ZC_OK;
}

}  // namespace

extern "C" {

uint32_t zc_abi_version(void) { return ZC_ABI_VERSION; }

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
    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) return Fail(ZC_ERR_IO, absl::StrCat("eventfd: ", std::strerror(errno)));
    *out = new (std::nothrow) zc_cancel_token{fd};
    if (*out == nullptr) {
      ::close(fd);
      return Fail(ZC_ERR_INTERNAL, "out of memory");
    }
    return ZC_OK;
  });
}

void zc_cancel_token_trigger(zc_cancel_token* token) {
  if (token == nullptr) return;
  const uint64_t one = 1;
  (void)!::write(token->fd, &one, sizeof(one));  // async-signal-safe
}

int zc_cancel_token_is_triggered(const zc_cancel_token* token) {
  if (token == nullptr) return 0;
  return zc::util::AnyReadable({token->fd}) ? 1 : 0;
}

void zc_cancel_token_free(zc_cancel_token* token) {
  if (token == nullptr) return;
  ::close(token->fd);
  delete token;
}

zc_status zc_service_start(const zc_config* config, zc_service** out) {
  return Guard([&] {
    if (out == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (config == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "config is NULL");
    if (config->struct_size < sizeof(zc_config)) {
      return Fail(ZC_ERR_INVALID_ARGUMENT, "config.struct_size is too small (use ZC_CONFIG_INIT)");
    }
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
    o.cancel_fd = config->cancel != nullptr ? config->cancel->fd : -1;
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
    *out = &box.release()->c;
    return ZC_OK;
  });
}

void zc_stats_free(zc_stats* stats) { delete reinterpret_cast<StatsBox*>(stats); }

zc_status zc_service_flush(zc_service* service, zc_flush_report* report) {
  return Guard([&] {
    if (service == nullptr) return Fail(ZC_ERR_INVALID_ARGUMENT, "service is NULL");
    absl::StatusOr<zc::shim::FlushReport> r = service->service->Flush();
    if (!r.ok()) return Fail(ZC_ERR_IO, r.status().message());
    if (report != nullptr) {
      report->audit_events = r->audit_events;
      report->entries = r->entries;
      report->stats_synced = r->stats_synced ? 1 : 0;
    }
    return ZC_OK;
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

void zc_service_free(zc_service* service) {
  try {
    delete service;
  } catch (...) {
    // Nothing can be reported from here; the host must not see an exception.
  }
}

}  // extern "C"
