/* zcshim: zcwrap's compiler cache as a library, for a host process (a build tool) that wants to
 * call the cache in-process instead of spawning `zcwrap` for every compile. It runs the same
 * engine, on the same cache directory, as `zcwrap` and its daemon: a result stored by one is a hit
 * for the others.
 *
 *   zc_config config = ZC_CONFIG_INIT;
 *   config.cache_root = "/home/me/.cache/soldr/zcwrap";
 *   config.host.product = "soldr";
 *   config.host.instance_id = "main";
 *   config.host.workspace_id = "ws-1234";
 *   zc_service* service = NULL;
 *   if (zc_service_start(&config, &service) != ZC_OK) { ... zc_last_error() ... }
 *
 *   const char* argv[] = {"gcc", "-c", "hello.c", "-o", "hello.o"};
 *   zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
 *   request.argv = argv;
 *   request.argc = 5;
 *   request.cwd = "/src";
 *   zc_compile_result* result = NULL;
 *   if (zc_service_compile(service, &request, &result) == ZC_OK) {
 *     ... result->exit_code, result->stderr_data / stderr_len, result->outcome ...
 *     zc_compile_result_free(result);
 *   }
 *   zc_service_shutdown(service, ZC_SHUTDOWN_GRACEFUL);
 *   zc_service_free(service);
 *
 * Rules that hold for every function (docs/embedding.md has the long form):
 * - Nothing throws, aborts or exits: every failure is a zc_status. zc_status_message(code) names
 *   the code; zc_last_error() gives the detail of the calling thread's last failure.
 * - Strings are NUL-terminated UTF-8 unless a length is given; input pointers are borrowed for the
 *   duration of the call only. Output objects are owned by the caller and freed with the one free
 *   function named beside them.
 * - A zc_service is thread-safe: compile, stats and flush may be called from many threads at once.
 *   zc_service_free must be the last call on a service, after every other call has returned.
 * - Compiles never fail a build: when the cache cannot help (uncacheable arguments, an unreadable
 *   cache, a corrupt entry, a bug) the compiler runs plainly and its own result is returned.
 */
#ifndef ZCSHIM_H_
#define ZCSHIM_H_

#include <stddef.h>
#include <stdint.h>

#if defined(ZC_BUILDING_SHIM)
#define ZC_API __attribute__((visibility("default")))
#else
#define ZC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* In C++ the enums get int as their fixed underlying type (the same size and ABI as in C), so any
 * value a C caller passes is a valid value to check, not undefined behaviour. */
#ifdef __cplusplus
#define ZC_ENUM_BASE : int
#else
#define ZC_ENUM_BASE
#endif

/* Bumped on any incompatible change to a type or function below. */
#define ZC_ABI_VERSION 1
ZC_API uint32_t zc_abi_version(void);

typedef enum zc_status ZC_ENUM_BASE {
  ZC_OK = 0,
  ZC_ERR_INVALID_ARGUMENT = 1,  /* a NULL or malformed argument, a bad config value */
  ZC_ERR_CACHE_UNAVAILABLE = 2, /* start: the cache root cannot be created or opened */
  ZC_ERR_SHUT_DOWN = 3,         /* the service is shutting down or shut down */
  ZC_ERR_CANCELLED = 4,         /* the compile was cancelled; its compiler was killed */
  ZC_ERR_IO = 5,                /* flush: an output could not be made durable */
  ZC_ERR_INTERNAL = 6,          /* a bug caught at the boundary (out of memory included) */
} zc_status;

/* A static string naming `status` (never NULL, also for unknown values). */
ZC_API const char* zc_status_message(zc_status status);
/* Detail of the calling thread's last failed call ("" if none). Valid until that thread's next
 * zc_ call. */
ZC_API const char* zc_last_error(void);

/* ---- Cancellation tokens ---------------------------------------------------------------------
 * A token is triggered once and stays triggered. A compile watching a triggered token returns
 * ZC_ERR_CANCELLED promptly: its compiler processes are killed, no output file is left half
 * written, nothing is stored. zc_cancel_token_trigger is async-signal-safe. A token must outlive
 * every service and compile that watches it. */
typedef struct zc_cancel_token zc_cancel_token;
ZC_API zc_status zc_cancel_token_new(zc_cancel_token** out);
ZC_API void zc_cancel_token_trigger(zc_cancel_token* token);
ZC_API int zc_cancel_token_is_triggered(const zc_cancel_token* token);
ZC_API void zc_cancel_token_free(zc_cancel_token* token);

/* ---- Service ------------------------------------------------------------------------------- */

typedef enum zc_audit_mode ZC_ENUM_BASE {
  ZC_AUDIT_OFF = 0,
  ZC_AUDIT_SUMMARY = 1, /* compile.finished only */
  ZC_AUDIT_NORMAL = 2,  /* every event (docs/audit.md) */
  ZC_AUDIT_VERBOSE = 3, /* every event, and compile.started carries argv, cwd and environment */
} zc_audit_mode;

/* Who runs the service. Each field: 1 to 64 characters of [A-Za-z0-9._-]. Written into every
 * audit event and into the default audit file name; stable values across runs keep one audit
 * file per (product, instance, workspace). The cache itself is shared: results do not depend on
 * the identity. */
typedef struct zc_host_identity {
  const char* product;
  const char* instance_id;
  const char* workspace_id;
} zc_host_identity;

typedef struct zc_config {
  uint32_t struct_size;   /* sizeof(zc_config), set by ZC_CONFIG_INIT */
  const char* cache_root; /* required: the cache directory (zcwrap's ZCWRAP_DIR) */
  uint64_t max_size;      /* bytes; 0: the cache's own setting (zcwrap.conf, else 5 GiB) */
  zc_host_identity host;  /* required */
  /* Compilers run at once by this service; 0: the number of CPUs. Hits never wait. */
  uint32_t max_parallel_compiles;
  /* Optional: the host's own count of running processes (updated by the host with atomic
   * operations). Compilers wait while (this service's + the host's) reach the limit, so both
   * share one budget. Borrowed: must outlive the service. */
  const volatile int32_t* host_in_flight;
  zc_audit_mode audit_mode;
  /* Where audit events go (JSON Lines, appended); NULL: <cache_root>/audit/<product>-
   * <instance_id>-<workspace_id>.jsonl when audit_mode is not OFF. */
  const char* audit_path;
  /* Optional, borrowed: the host's own cancellation (e.g. its build was aborted). Once
   * triggered, every running and every later compile of this service returns
   * ZC_ERR_CANCELLED, as if each request named this token too. */
  zc_cancel_token* cancel;
} zc_config;

#define ZC_CONFIG_INIT \
  { sizeof(zc_config), NULL, 0, {NULL, NULL, NULL}, 0, NULL, ZC_AUDIT_OFF, NULL, NULL }

typedef struct zc_service zc_service;

/* Starts a service. On ZC_OK, *out owns a service: shut it down and free it. */
ZC_API zc_status zc_service_start(const zc_config* config, zc_service** out);

/* ---- Compiles ------------------------------------------------------------------------------ */

/* The host's ids, copied into every audit event of the compile. Each may be NULL. */
typedef struct zc_audit_context {
  const char* run_id;
  const char* trace_id;
  const char* parent_span_id;
  const char* command_id;
  const char* session_id;
} zc_audit_context;

typedef struct zc_compile_request {
  uint32_t struct_size; /* sizeof(zc_compile_request), set by ZC_COMPILE_REQUEST_INIT */
  /* The compiler: a path, or a name looked up in the PATH of `env` (else of the host). NULL:
   * argv[0]. */
  const char* compiler;
  const char* const* argv; /* the compiler's argv; argv[0] is its name (replaced by `compiler`) */
  size_t argc;
  const char* cwd; /* required, absolute */
  /* The compiler's whole environment as NAME=value; NULL: the host's. ZCWRAP_* variables in it
   * act on this compile as they act on `zcwrap` (ZCWRAP_RECACHE, ZCWRAP_DIRECT, ...), except
   * ZCWRAP_DIR: the service's cache_root is the cache. */
  const char* const* env;
  size_t env_count;
  const char* stdin_data; /* fed to the compiler's standard input; NULL: /dev/null */
  size_t stdin_len;
  /* NULL fields are taken from ZCWRAP_RUN_ID, ZCWRAP_TRACE_ID, ... in `env`. */
  zc_audit_context audit;
  zc_cancel_token* cancel; /* optional, borrowed */
} zc_compile_request;

#define ZC_COMPILE_REQUEST_INIT                                        \
  {                                                                    \
    sizeof(zc_compile_request), NULL, NULL, 0, NULL, NULL, 0, NULL, 0, \
        {NULL, NULL, NULL, NULL, NULL}, NULL                           \
  }

typedef enum zc_outcome ZC_ENUM_BASE {
  ZC_OUTCOME_HIT = 0,         /* outputs restored from the cache */
  ZC_OUTCOME_MISS = 1,        /* compiled through the cache (stored if it succeeded) */
  ZC_OUTCOME_UNCACHEABLE = 2, /* compiled plainly: the arguments cannot be cached */
  ZC_OUTCOME_ERROR = 3,       /* compiled plainly after an internal error, or the compiler
                                 could not be run (exit code 127, message on stderr) */
} zc_outcome;

typedef struct zc_compile_result {
  int32_t exit_code; /* the compiler's; 128 + N if it died of signal N */
  zc_outcome outcome;
  const char* reason;      /* why, as a zcwrap stats counter name ("direct_cache_hit", "cache_miss",
                              "unsupported_compiler_option", ...) */
  const char* stdout_data; /* exactly what the compiler wrote; NUL-terminated for convenience */
  size_t stdout_len;
  const char* stderr_data;
  size_t stderr_len;
  const char* compile_id; /* unique per compile; the id in this compile's audit events */
  uint64_t queued_us;     /* waiting for a compiler slot */
  uint64_t total_us;      /* the whole call */
} zc_compile_result;

/* Runs one compile. ZC_OK: *out holds the result (whatever the compiler's exit code). Errors:
 * ZC_ERR_INVALID_ARGUMENT, ZC_ERR_SHUT_DOWN (nothing ran), ZC_ERR_CANCELLED (*out is NULL). */
ZC_API zc_status zc_service_compile(zc_service* service, const zc_compile_request* request,
                                    zc_compile_result** out);

/* As zc_service_compile, and `on_output` receives the compiler's output as it is produced: stream
 * 1 (stdout) or 2 (stderr), in order per stream; on a hit, each stream in one chunk. Called only
 * on the thread that called zc_service_compile_streaming, before it returns; `data` is valid
 * during the call. The result still holds the whole output. */
typedef void (*zc_output_fn)(void* user_data, int stream, const char* data, size_t len);
ZC_API zc_status zc_service_compile_streaming(zc_service* service,
                                              const zc_compile_request* request,
                                              zc_output_fn on_output, void* user_data,
                                              zc_compile_result** out);

ZC_API void zc_compile_result_free(zc_compile_result* result);

/* ---- Stats, flush, shutdown ------------------------------------------------------------------ */

typedef struct zc_counter {
  const char* name; /* as in `zcwrap --print-stats` */
  uint64_t value;
} zc_counter;

typedef struct zc_stats {
  /* Every counter of `zcwrap --print-stats`, in its order (the cache's totals, all processes). */
  const zc_counter* counters;
  size_t counter_count;
  /* This service, now. */
  uint64_t in_flight;   /* compiles inside zc_service_compile */
  uint64_t queue_depth; /* of those, waiting for a compiler slot */
  uint64_t compiles;    /* compiles this service has finished */
  const char* json;     /* all of the above as one JSON object */
} zc_stats;

ZC_API zc_status zc_service_stats(zc_service* service, zc_stats** out);
ZC_API void zc_stats_free(zc_stats* stats);

typedef struct zc_flush_report {
  uint64_t audit_events; /* audit events written since the previous flush, now on disk */
  uint64_t entries;      /* cache entries stored since the previous flush, now on disk */
  int stats_synced;      /* 1: the counters were written back */
} zc_flush_report;

/* Makes everything written so far durable (audit file, stored entries, counters) and says what.
 * `report` may be NULL. */
ZC_API zc_status zc_service_flush(zc_service* service, zc_flush_report* report);

typedef enum zc_shutdown_mode ZC_ENUM_BASE {
  ZC_SHUTDOWN_GRACEFUL = 0, /* refuse new compiles, let in-flight ones finish, flush */
  ZC_SHUTDOWN_FORCE = 1,    /* refuse new compiles, cancel in-flight ones (their compilers are
                               killed), flush, return promptly */
} zc_shutdown_mode;

/* Stops the service; later compiles return ZC_ERR_SHUT_DOWN. Returns once no compile is running.
 * Calling it again is harmless (FORCE after GRACEFUL from another thread hurries it). */
ZC_API zc_status zc_service_shutdown(zc_service* service, zc_shutdown_mode mode);

/* Releases the service (shutting it down gracefully first if needed). NULL is ignored. */
ZC_API void zc_service_free(zc_service* service);

#ifdef __cplusplus
}
#endif

#endif /* ZCSHIM_H_ */
