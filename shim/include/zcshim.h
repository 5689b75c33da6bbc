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
 *   zc_service_free (or zc_service_release) must be the last call on a service, after every
 *   other call has returned.
 * - Async calls (zc_service_compile_async, ..._flush_async, ..._shutdown_async) return at once
 *   and call back exactly once, on a thread of the service, when they are done. A callback must
 *   not block for long, nor call zc_service_shutdown or zc_service_free (zc_service_release is
 *   fine).
 * - Forward compatibility: a struct with a struct_size field may be one of an older header
 *   (smaller struct_size, at least the first release's): the fields it lacks take their
 *   defaults. A larger struct_size (a newer header) is accepted when the fields this library does
 *   not know are all zero. New fields are only ever appended; new functions only added.
 * - Compiles never fail a build: when the cache cannot help (uncacheable arguments, an unreadable
 *   cache, a corrupt entry, a bug) the compiler runs plainly and its own result is returned.
 */
#ifndef ZCSHIM_H_
#define ZCSHIM_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(ZC_BUILDING_SHIM)
#define ZC_API __declspec(dllexport)
#else
#define ZC_API __declspec(dllimport)
#endif
#elif defined(ZC_BUILDING_SHIM)
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
/* Bumped when functions or appended fields are added (compatible changes): a host built against
 * revision N needs a library of revision >= N. 1: the first release; 2: async calls, shared
 * slots, the audit sink, per-service stats, zc_service_flush_ex. */
#define ZC_ABI_REVISION 2
ZC_API uint32_t zc_abi_revision(void);

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

/* ---- Compiler slots shared with the host ------------------------------------------------------
 * One budget of `limit` processes for the host and the services it starts (zc_config.slots):
 * together they never run more. The host takes a slot for each process of its own (acquire ...
 * release); a service takes one for each compiler it runs (hits take none). Waiters of both
 * sides are served first come, first served; a released slot goes straight to the first waiter,
 * which is woken at once. zc_slots_get_counts shows both sides. Thread-safe. */
typedef struct zc_slots zc_slots;
/* The processes this process may run at once by default: its CPUs (affinity mask), capped by a
 * cgroup CPU quota, at least 1. The default of zc_slots_new and max_parallel_compiles. */
ZC_API uint32_t zc_default_parallelism(void);
/* limit 0: zc_default_parallelism(). Free with zc_slots_free (services keep what they use). */
ZC_API zc_status zc_slots_new(uint32_t limit, zc_slots** out);
/* Blocks until a slot is the caller's. ZC_ERR_CANCELLED (holding nothing) if `cancel` (may be
 * NULL) fires first. */
ZC_API zc_status zc_slots_acquire(zc_slots* slots, zc_cancel_token* cancel);
/* 1: a slot now (one was free and nobody waits); 0: none taken. */
ZC_API int zc_slots_try_acquire(zc_slots* slots);
/* Queues for a slot and returns at once; `on_ready(user_data)` runs once the slot is the
 * caller's: before this returns if one is free now, else on the thread that releases one.
 * *ticket (may be NULL) identifies the wait for zc_slots_cancel_wait. */
typedef void (*zc_slot_ready_fn)(void* user_data);
ZC_API zc_status zc_slots_acquire_async(zc_slots* slots, zc_slot_ready_fn on_ready, void* user_data,
                                        uint64_t* ticket);
/* 1: the wait was withdrawn, on_ready will never run. 0: it was granted already (on_ready ran
 * or is running), so the slot is the caller's to release. */
ZC_API int zc_slots_cancel_wait(zc_slots* slots, uint64_t ticket);
/* Gives back a slot the host holds. */
ZC_API void zc_slots_release(zc_slots* slots);
typedef struct zc_slots_counts {
  uint32_t struct_size; /* sizeof(zc_slots_counts): set it before the call */
  uint32_t limit;
  uint32_t host_held;    /* by the host (acquire) */
  uint32_t service_held; /* by the services' compilers */
  uint32_t host_waiting;
  uint32_t service_waiting;
} zc_slots_counts;
ZC_API zc_status zc_slots_get_counts(const zc_slots* slots, zc_slots_counts* out);
ZC_API void zc_slots_free(zc_slots* slots);

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
  /* Deprecated (use `slots`): the host's own count of running processes, updated by the host
   * with atomic operations and polled every 2 ms by a waiting compiler. Compilers wait while
   * (this service's + the host's) reach the limit. Borrowed: must outlive the service. */
  const volatile int32_t* host_in_flight;
  zc_audit_mode audit_mode;
  /* Where audit events go (JSON Lines, appended); NULL: <cache_root>/audit/<product>-
   * <instance_id>-<workspace_id>.jsonl when audit_mode is not OFF. */
  const char* audit_path;
  /* Optional, borrowed: the host's own cancellation (e.g. its build was aborted). Once
   * triggered, every running and every later compile of this service returns
   * ZC_ERR_CANCELLED, as if each request named this token too. */
  zc_cancel_token* cancel;
  /* ---- revision 2 ---- */
  /* Optional: the budget shared with the host (zc_slots_new); then max_parallel_compiles is
   * ignored and host_in_flight must be NULL. The service keeps what it uses: zc_slots_free may
   * come first. */
  zc_slots* slots;
  /* Optional: every audit event (one JSON object, no newline; `line` valid during the call),
   * called on the thread that produced it, so it must be thread-safe and quick. It returns 0
   * when it took the event; anything else counts it as dropped (zc_stats.audit_dropped). With a
   * sink and no audit_path, events go to the sink only. audit_mode still picks the events. */
  int (*audit_sink)(void* user_data, const char* line, size_t len);
  void* audit_sink_data;
} zc_config;

#define ZC_CONFIG_INIT                                                                             \
  {                                                                                                \
    sizeof(zc_config), NULL, 0, {NULL, NULL, NULL}, 0, NULL, ZC_AUDIT_OFF, NULL, NULL, NULL, NULL, \
        NULL                                                                                       \
  }

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

/* ---- Async compiles -------------------------------------------------------------------------
 * zc_service_compile_async checks and copies the request, returns at once, and runs the compile
 * on a thread of the service (hits never wait behind misses queued for slots). On ZC_OK,
 * `on_done` is called exactly once, from that thread: ZC_OK with a result (the callee owns it:
 * zc_compile_result_free), or ZC_ERR_CANCELLED / ZC_ERR_SHUT_DOWN with result NULL and `error`
 * saying why (valid during the call). Any other return: nothing runs, no callback.
 * *job (may be NULL) is a handle: zc_compile_job_cancel kills the compile's compiler (the
 * callback then says ZC_ERR_CANCELLED, unless it had finished); zc_compile_job_release gives up
 * the handle (the compile runs on, the callback still comes). Release every handle once. */
typedef struct zc_compile_job zc_compile_job;
typedef void (*zc_compile_done_fn)(void* user_data, zc_status status, const char* error,
                                   zc_compile_result* result);
ZC_API zc_status zc_service_compile_async(zc_service* service, const zc_compile_request* request,
                                          zc_compile_done_fn on_done, void* user_data,
                                          zc_compile_job** job);
ZC_API void zc_compile_job_cancel(zc_compile_job* job);
ZC_API void zc_compile_job_release(zc_compile_job* job);

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
  /* ---- revision 2: this service's compiles since it started, by outcome ---- */
  uint64_t service_hits;
  uint64_t service_misses;
  uint64_t service_uncacheable;
  uint64_t service_errors;
  uint64_t service_cancelled;
  uint64_t audit_dropped; /* audit events that could not be written (a full disk, a failing sink) */
  zc_slots_counts slots;  /* the budget this service's compilers use, shared or its own */
} zc_stats;

ZC_API zc_status zc_service_stats(zc_service* service, zc_stats** out);
ZC_API void zc_stats_free(zc_stats* stats);

typedef struct zc_flush_report {
  uint64_t audit_events; /* audit events written since the previous flush, now on disk */
  uint64_t entries;      /* cache entries this service stored since the previous flush, fsynced */
  int stats_synced;      /* 1: the counters were written back */
  /* ---- revision 2 (zc_service_flush_ex, zc_service_flush_async) ---- */
  uint64_t entries_unsynced; /* a forced shutdown ran out of time for these (the kernel's
                                write-back still writes them); a later flush retries them */
  uint64_t audit_dropped;    /* audit events that could not be written, since the start */
} zc_flush_report;

/* Makes what this service wrote durable: each cache entry it stored (fsync of the file and its
 * directory, never a whole-filesystem sync), the audit file, the counters, and says what.
 * `report` may be NULL. zc_service_flush fills a revision-1 report (the first three fields);
 * zc_service_flush_ex fills the first `report_size` bytes of the current one. */
ZC_API zc_status zc_service_flush(zc_service* service, zc_flush_report* report);
ZC_API zc_status zc_service_flush_ex(zc_service* service, zc_flush_report* report,
                                     size_t report_size);
/* As zc_service_flush, from a thread of the service: `on_done` gets the report (valid during
 * the call; NULL unless status is ZC_OK). */
typedef void (*zc_flush_done_fn)(void* user_data, zc_status status, const char* error,
                                 const zc_flush_report* report);
ZC_API zc_status zc_service_flush_async(zc_service* service, zc_flush_done_fn on_done,
                                        void* user_data);

typedef enum zc_shutdown_mode ZC_ENUM_BASE {
  ZC_SHUTDOWN_GRACEFUL = 0, /* refuse new compiles, let in-flight ones finish, flush */
  ZC_SHUTDOWN_FORCE = 1,    /* refuse new compiles, cancel in-flight ones (their compilers are
                               killed), flush for at most 2 s, return */
} zc_shutdown_mode;

/* Stops the service; later compiles return ZC_ERR_SHUT_DOWN. Returns once no compile is running.
 * Calling it again is harmless (FORCE after GRACEFUL from another thread hurries it). */
ZC_API zc_status zc_service_shutdown(zc_service* service, zc_shutdown_mode mode);

/* As zc_service_shutdown, from a thread of the service: `on_done` is called once it returned. */
typedef void (*zc_done_fn)(void* user_data, zc_status status, const char* error);
ZC_API zc_status zc_service_shutdown_async(zc_service* service, zc_shutdown_mode mode,
                                           zc_done_fn on_done, void* user_data);

/* Releases the service (shutting it down gracefully first if needed). NULL is ignored. */
ZC_API void zc_service_free(zc_service* service);
/* As zc_service_free without waiting: the graceful shutdown and the release happen on a thread of
 * the service, after every running compile and callback finished. A host that exits right away
 * should shut down (or await the async shutdown) first: at exit, the kernel ends those threads. */
ZC_API void zc_service_release(zc_service* service);

#ifdef __cplusplus
}
#endif

#endif /* ZCSHIM_H_ */
