/* Issue 6's acceptance, as a host written in C would see it: a program linked only against
 * zcshim (found with pkg-config; see c_api_acceptance.sh) that
 *   1. compiles a file twice through one service: a miss, then a hit, each with the object and
 *      the warning the plain compiler gives, and the same as `zcwrap` gives on that cache;
 *   2. compiles from 8 threads at once through one service, every result right;
 *   3. force-shuts the service down during a long compile: it returns promptly, the compile
 *      returns ZC_ERR_CANCELLED, the compiler process is gone and no object is left.
 *
 *   c_api_acceptance WORKDIR ZCWRAP_BINARY
 * Prints one line per check; exits 1 at the first failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zcshim.h>

#include "c_helpers.h"

static const char* zcwrap;

static zc_service* start_service(const char* cache) {
  zc_config config = ZC_CONFIG_INIT;
  char* root = path_of(cache);
  config.cache_root = root;
  config.host.product = "acceptance";
  config.host.instance_id = "c-program";
  config.host.workspace_id = "ws";
  config.max_parallel_compiles = 4;
  config.audit_mode = ZC_AUDIT_NORMAL;
  zc_service* service = NULL;
  zc_status st = zc_service_start(&config, &service);
  if (st != ZC_OK) die("zc_service_start: %s: %s", zc_status_message(st), zc_last_error());
  free(root);
  return service;
}

/* Compiles argv in workdir; returns the status, *out the result (NULL unless ZC_OK). */
static zc_status compile(zc_service* service, const char** argv, size_t argc,
                         zc_compile_result** out) {
  zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
  request.argv = argv;
  request.argc = argc;
  request.cwd = workdir;
  request.audit.run_id = "acceptance-run";
  return zc_service_compile(service, &request, out);
}

/* ---- 1. miss then hit, same as plain and as zcwrap ---- */

static void miss_then_hit(void) {
  write_file("hello.c",
             "#include <stdio.h>\nint main(void) { int unused; puts(\"hi\"); return 0; }\n");
  run_shell("gcc -Wall -g -c hello.c -o plain.o 2> plain.err");
  zc_service* service = start_service("cache");
  const char* argv[] = {"gcc", "-Wall", "-g", "-c", "hello.c", "-o", "hello.o"};
  for (int round = 0; round < 2; ++round) {
    remove_file("hello.o");
    zc_compile_result* r = NULL;
    zc_status st = compile(service, argv, 7, &r);
    if (st != ZC_OK) die("compile: %s: %s", zc_status_message(st), zc_last_error());
    zc_outcome want = round == 0 ? ZC_OUTCOME_MISS : ZC_OUTCOME_HIT;
    if (r->outcome != want) die("round %d: outcome %d (%s), want %d", round, r->outcome, r->reason, want);
    if (r->exit_code != 0) die("round %d: exit code %d", round, r->exit_code);
    if (r->stderr_len == 0) die("round %d: the warning is missing", round);
    expect_same_bytes("stderr", r->stderr_data, r->stderr_len, "plain.err");
    expect_same_file("hello.o", "plain.o");
    printf("ok: %s through the shim, same object and warning as plain gcc (%llu us)\n",
           round == 0 ? "miss" : "hit", (unsigned long long)r->total_us);
    zc_compile_result_free(r);
  }
  zc_status st = zc_service_shutdown(service, ZC_SHUTDOWN_GRACEFUL);
  if (st != ZC_OK) die("graceful shutdown: %s", zc_status_message(st));
  zc_service_free(service);

  /* zcwrap on the same cache: a hit, with the same bytes. */
  remove_file("hello.o");
  run_shell("ZCWRAP_DIR=cache ZCWRAP_DAEMON=off ZCWRAP_AUDIT_FILE=zcwrap-audit.jsonl "
            "'%s' gcc -Wall -g -c hello.c -o hello.o 2> zcwrap.err", zcwrap);
  expect_same_file("hello.o", "plain.o");
  expect_same_file("zcwrap.err", "plain.err");
  size_t len = 0;
  char* audit = read_file("zcwrap-audit.jsonl", &len);
  if (audit == NULL || strstr(audit, "\"event\":\"cache.hit\"") == NULL) {
    die("zcwrap did not hit what the shim stored");
  }
  free(audit);
  printf("ok: zcwrap hits the shim's entry, same object and warning\n");
}

/* ---- 2. eight threads at once ---- */

enum { kThreads = 8, kRounds = 3 };
static zc_service* shared_service;

static void* compile_thread(void* arg) {
  const int id = (int)(long)arg;
  char src[32], obj[32], plain[32];
  snprintf(src, sizeof src, "t%d.c", id);
  snprintf(obj, sizeof obj, "t%d.o", id);
  snprintf(plain, sizeof plain, "t%d.plain.o", id);
  const char* argv[] = {"gcc", "-O2", "-c", src, "-o", obj};
  for (int round = 0; round < kRounds; ++round) {
    zc_compile_result* r = NULL;
    zc_status st = compile(shared_service, argv, 6, &r);
    if (st != ZC_OK) die("thread %d: %s: %s", id, zc_status_message(st), zc_last_error());
    if (r->exit_code != 0) die("thread %d: exit code %d", id, r->exit_code);
    if (round > 0 && r->outcome != ZC_OUTCOME_HIT) die("thread %d round %d: not a hit", id, round);
    expect_same_file(obj, plain);
    zc_compile_result_free(r);
  }
  return NULL;
}

static void eight_threads(void) {
  for (int i = 0; i < kThreads; ++i) {
    char name[32], text[256];
    snprintf(name, sizeof name, "t%d.c", i);
    snprintf(text, sizeof text, "int f%d(int x) { return x * %d + %d; }\n", i, i + 3, i);
    write_file(name, text);
    run_shell("gcc -O2 -c t%d.c -o t%d.plain.o", i, i);
  }
  shared_service = start_service("cache-threads");
  pthread_t threads[kThreads];
  for (long i = 0; i < kThreads; ++i) pthread_create(&threads[i], NULL, compile_thread, (void*)i);
  for (int i = 0; i < kThreads; ++i) pthread_join(threads[i], NULL);
  zc_stats* stats = NULL;
  if (zc_service_stats(shared_service, &stats) != ZC_OK) die("zc_service_stats");
  uint64_t hits = 0, misses = 0;
  for (size_t i = 0; i < stats->counter_count; ++i) {
    if (strcmp(stats->counters[i].name, "direct_cache_hit") == 0) hits = stats->counters[i].value;
    if (strcmp(stats->counters[i].name, "cache_miss") == 0) misses = stats->counters[i].value;
  }
  if (stats->compiles != kThreads * kRounds || stats->in_flight != 0) {
    die("stats: %llu compiles, %llu in flight", (unsigned long long)stats->compiles,
        (unsigned long long)stats->in_flight);
  }
  if (misses != kThreads || hits != kThreads * (kRounds - 1)) {
    die("stats: %llu misses, %llu hits", (unsigned long long)misses, (unsigned long long)hits);
  }
  zc_stats_free(stats);
  zc_service_shutdown(shared_service, ZC_SHUTDOWN_GRACEFUL);
  zc_service_free(shared_service);
  printf("ok: %d threads x %d compiles through one service, every object right, exact stats\n",
         kThreads, kRounds);
}

/* ---- 3. force shutdown during a long compile ---- */

static zc_status slow_status;
static zc_compile_result* slow_result;

static void* slow_compile(void* arg) {
  (void)arg;
  const char* argv[] = {"./slowcc", "-c", "slow.c", "-o", "slow.o"};
  slow_status = compile(shared_service, argv, 5, &slow_result);
  return NULL;
}

static void force_shutdown(void) {
  write_file("slow.c", "int slow(void) { return 1; }\n");
  /* A "compiler" that takes a minute to compile: it records its pid, then sleeps. */
  write_file("slowcc",
             "#!/bin/sh\n"
             "for a in \"$@\"; do\n"
             "  if [ \"$a\" = -c ]; then echo $$ > slowcc.pid; exec sleep 60; fi\n"
             "done\n"
             "exec gcc \"$@\"\n");
  char* slowcc = path_of("slowcc");
  chmod(slowcc, 0755);
  free(slowcc);
  remove_file("slowcc.pid");
  shared_service = start_service("cache-slow");
  pthread_t thread;
  pthread_create(&thread, NULL, slow_compile, NULL);
  size_t len = 0;
  char* pid_text = NULL;
  for (int i = 0; i < 3000 && (pid_text = read_file("slowcc.pid", &len)) == NULL; ++i) {
    usleep(10000);
  }
  if (pid_text == NULL) die("the slow compiler never started");
  usleep(50000);  /* the pid file is written just before exec: let the exec happen */
  const pid_t pid = (pid_t)atoi(pid_text);
  free(pid_text);
  if (kill(pid, 0) != 0) die("the slow compiler (pid %d) is not running", (int)pid);

  const double start = now_s();
  zc_status st = zc_service_shutdown(shared_service, ZC_SHUTDOWN_FORCE);
  const double took = now_s() - start;
  pthread_join(thread, NULL);
  if (st != ZC_OK) die("force shutdown: %s", zc_status_message(st));
  if (took > 5.0) die("force shutdown took %.1f s", took);
  if (slow_status != ZC_ERR_CANCELLED || slow_result != NULL) {
    die("the slow compile returned %s, want ZC_ERR_CANCELLED", zc_status_message(slow_status));
  }
  if (kill(pid, 0) == 0 || errno != ESRCH) die("the slow compiler (pid %d) survived", (int)pid);
  if (read_file("slow.o", &len) != NULL) die("a cancelled compile left slow.o");

  /* The service refuses new work once shut down. */
  const char* argv[] = {"gcc", "-c", "t0.c", "-o", "t0.o"};
  zc_compile_result* r = NULL;
  st = compile(shared_service, argv, 5, &r);
  if (st != ZC_ERR_SHUT_DOWN || r != NULL) die("a compile after shutdown returned %d", st);
  zc_service_free(shared_service);
  printf("ok: force shutdown returned in %.0f ms, the compiler was killed, nothing was left\n",
         took * 1000);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c_api_acceptance WORKDIR ZCWRAP_BINARY\n");
    return 2;
  }
  workdir = argv[1];
  zcwrap = argv[2];
  if (zc_abi_version() != ZC_ABI_VERSION) die("ABI version %u, header says %d", zc_abi_version(), ZC_ABI_VERSION);
  miss_then_hit();
  eight_threads();
  force_shutdown();
  printf("all checks passed\n");
  return 0;
}
